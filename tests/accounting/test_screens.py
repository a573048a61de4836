"""The accounting screens: settings asked first, a period transferred, the FEC downloaded, the dashboard's filter."""

import pytest
from django.urls import reverse

from facturier.accounting.models import JournalEntry
from facturier.accounting.services import settings_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, owner):
    from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: F401

    client.force_login(owner.user)
    session = client.session
    session["organisation_id"] = owner.organisation_id
    session.save()
    return client


def test_first_transfer_sends_to_the_settings_then_runs(signed_in, owner, issued):
    period = {"start": "2026-01-01", "end": "2026-12-31"}
    answer = signed_in.post(reverse("web:accounting_transfer"), period)
    assert answer.status_code == 302 and answer.url == reverse("web:accounting_settings")
    page = signed_in.get(answer.url)
    assert page.status_code == 200 and b"445712" in page.content  # the defaults are filled in
    settings_save(by=owner, values={})
    signed_in.post(reverse("web:accounting_transfer"), period)
    assert JournalEntry.objects.filter(document=issued).exists()
    fec = signed_in.get(reverse("web:accounting_export"), {**period, "format": "fec"})
    assert fec.status_code == 200 and fec["Content-Disposition"].endswith('FEC20261231.txt"')
    dashboard = signed_in.get(reverse("web:dashboard"), {"accounted": "accounted"})
    assert issued.number.encode() in dashboard.content
    assert issued.number.encode() not in signed_in.get(reverse("web:dashboard"), {"accounted": "not_accounted"}).content
