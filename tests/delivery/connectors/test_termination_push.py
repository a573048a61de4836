"""A termination export is pushed to the organisation's export connectors: one transfer each, recorded."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from facturier.accounts.models import Termination
from facturier.accounts.termination import organisation_terminate
from facturier.audit.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def terminate(owner, org, draft, django_capture_on_commit_callbacks):
    from facturier.invoicing.services import document_issue

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))
        with django_capture_on_commit_callbacks(execute=True):
            organisation_terminate(organisation_id=org.pk, by=owner, reason="Closing", confirm_name=org.name)
        return Termination.objects.get(organisation=org)

    return run


def test_the_export_is_pushed_once_to_an_http_connector(http_connector, http_receiver, terminate, org):
    termination = terminate()
    zips = [r for r in http_receiver.accepted() if r.headers.get("Content-Type") == "application/zip"]
    assert len(zips) == 1 and hashlib.sha256(zips[0].body).hexdigest() == termination.export_sha256
    pushed = Event.objects.get(organisation=org, action="organisation.export_push")
    assert pushed.after["outcome"] == "sent" and pushed.after["sha256"] == termination.export_sha256


def test_the_export_is_pushed_to_an_sftp_connector(sftp_connector, sftp_server, terminate, org):
    termination = terminate()
    files = [p for p in (sftp_server.root / "in").iterdir() if p.suffix == ".zip"]
    assert len(files) == 1 and hashlib.sha256(files[0].read_bytes()).hexdigest() == termination.export_sha256
    assert Event.objects.get(organisation=org, action="organisation.export_push").after["outcome"] == "sent"
