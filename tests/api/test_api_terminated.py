"""The API of a terminated organisation reads and never writes."""

from __future__ import annotations

import pytest

from facturier.accounts.termination import organisation_terminate

pytestmark = pytest.mark.django_db


def test_api_writes_are_refused_after_termination_and_reads_still_work(api, issued, org, owner,
                                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        organisation_terminate(organisation_id=org.pk, by=owner, reason="Closing", confirm_name=org.name)
    refused = api.post(f"/documents/{issued.pk}/payments", {"date": "2026-03-10", "amount": "10.00"})
    assert refused.status_code == 403, refused.content
    assert "read-only" in refused.json()["detail"]
    assert api.get(f"/documents/{issued.pk}").status_code == 200
