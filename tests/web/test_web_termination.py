"""Screens of the termination: the owner's settings page, the resumable download, the operator's page."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from facturier.accounts.models import Role, Termination, User
from facturier.accounts.termination import export_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def archived(owner, draft, django_capture_on_commit_callbacks):
    from facturier.invoicing.services import document_issue

    with django_capture_on_commit_callbacks(execute=True):
        return document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))


@pytest.fixture
def terminated(archived, org, signed_in, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post("/settings/termination/", {"confirm_name": org.name, "reason": "Closing down"})
    assert response.status_code == 302
    return Termination.objects.get(organisation=org)


def test_the_owner_must_type_the_name(org, signed_in):
    page = signed_in.get("/settings/termination/")
    assert page.status_code == 200 and b'id="terminate"' in page.content
    refused = signed_in.post("/settings/termination/", {"confirm_name": "ACME", "reason": "Closing down"})
    assert refused.status_code == 200 and "Type the organisation&#x27;s name exactly" in refused.content.decode()
    assert not Termination.objects.filter(organisation=org).exists()


def test_a_member_who_is_not_an_owner_cannot_terminate(org, client_of):
    accountant = client_of(org.member(Role.ACCOUNTANT))
    assert accountant.get("/settings/termination/").status_code == 403
    assert accountant.post("/settings/termination/", {"confirm_name": org.name, "reason": "x"}).status_code == 403
    assert not Termination.objects.filter(organisation=org).exists()


def test_the_owner_terminates_then_sees_the_export_and_the_read_only_banner(terminated, signed_in):
    page = signed_in.get("/settings/termination/").content.decode()
    assert terminated.export_sha256 in page and 'id="export-download"' in page
    assert 'id="read-only-banner"' in signed_in.get("/").content.decode()


def test_write_screens_answer_with_the_read_only_message(terminated, org, signed_in, lines):
    response = signed_in.post(f"/customers/{org.customer.pk}/edit/", {"name": "Changed"})
    assert response.status_code == 403
    assert "has been terminated: its account is read-only" in response.content.decode()


def test_the_export_download_is_resumable(terminated, signed_in):
    data = export_path(terminated).read_bytes()
    etag = f'"{terminated.export_sha256}"'
    whole = signed_in.get("/settings/termination/export/")
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes" and whole["ETag"] == etag
    assert hashlib.sha256(b"".join(whole.streaming_content)).hexdigest() == terminated.export_sha256
    first = signed_in.get("/settings/termination/export/", HTTP_RANGE="bytes=0-999")
    assert first.status_code == 206 and first["Content-Range"] == f"bytes 0-999/{len(data)}"
    assert first["Content-Length"] == "1000"
    rest = signed_in.get("/settings/termination/export/", HTTP_RANGE="bytes=1000-", HTTP_IF_RANGE=etag)
    assert rest.status_code == 206 and rest["Content-Range"] == f"bytes 1000-{len(data) - 1}/{len(data)}"
    assert b"".join(first.streaming_content) + b"".join(rest.streaming_content) == data
    tail = signed_in.get("/settings/termination/export/", HTTP_RANGE="bytes=-10")
    assert tail.status_code == 206 and b"".join(tail.streaming_content) == data[-10:]
    changed = signed_in.get("/settings/termination/export/", HTTP_RANGE="bytes=1000-", HTTP_IF_RANGE='"other"')
    assert changed.status_code == 200 and b"".join(changed.streaming_content) == data
    beyond = signed_in.get("/settings/termination/export/", HTTP_RANGE=f"bytes={len(data)}-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{len(data)}"


def test_the_download_is_for_owners_only(terminated, org, client_of):
    from facturier.accounts.models import Membership

    clerk = Membership.objects.create(organisation=org, user=User.objects.create_user("c@acme.test", "pw-123456789"),
                                      role=Role.CLERK)
    assert client_of(clerk).get("/settings/termination/export/").status_code == 403


def test_the_operator_terminates_from_the_operator_screen(archived, org, client, django_capture_on_commit_callbacks):
    operator = User.objects.create_user("ops@platform.test", "correct horse battery", is_platform_operator=True)
    client.force_login(operator)
    assert f"/operator/organisations/{org.pk}/termination/" in client.get("/operator/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/operator/organisations/{org.pk}/termination/",
                               {"confirm_name": org.name, "reason": "Unpaid for a year"})
    assert response.status_code == 302
    termination = Termination.objects.get(organisation=org)
    assert termination.by_operator and termination.export_sha256
    assert termination.export_sha256 in client.get(response["Location"]).content.decode()


def test_a_member_cannot_use_the_operator_termination(org, signed_in):
    assert signed_in.post(f"/operator/organisations/{org.pk}/termination/",
                          {"confirm_name": org.name, "reason": "x"}).status_code == 403
    assert not Termination.objects.filter(organisation=org).exists()


def test_the_termination_reads_in_french(org, owner, signed_in):
    owner.user.language = "fr"
    owner.user.save()
    page = signed_in.get("/settings/termination/").content.decode().replace("&#x27;", "'")
    assert "Résilier l'organisation" in page and "Saisissez le nom de l'organisation" in page
    refused = signed_in.post("/settings/termination/", {"confirm_name": "x", "reason": "Fermeture"})
    assert "Saisissez exactement le nom de l'organisation" in refused.content.decode().replace("&#x27;", "'")
