"""Import screens: upload (a plain multipart form), the report with its links, the list; rights and caps."""

from __future__ import annotations

import asyncio

import pytest
from import_helpers import CII_EXAMPLES, as_seller, facturx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_static(settings):
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture
def signed_in(client, owner):
    owner.user.language = "en"
    owner.user.save(update_fields=["language"])
    client.force_login(owner.user)
    return client


def _upload(client, *files):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/imports/upload/", {"files": [SimpleUploadedFile(n, d) for n, d in files]})


def test_the_dashboard_offers_the_upload_form_to_a_member_who_may_issue(signed_in):
    page = signed_in.get("/").content.decode()
    assert 'action="/imports/upload/"' in page and 'enctype="multipart/form-data"' in page
    assert "web/imports.js" in page and "<script>" not in page


def test_an_upload_shows_the_report_with_links_to_the_document_and_customer(signed_in, org):
    from facturier.imports.models import ImportItem

    pdf = facturx(as_seller(CII_EXAMPLES[1].read_bytes(), number="UP-1"))
    broken = b"<Invoice><unclosed></Invoice>"
    response = _upload(signed_in, ("up-1.pdf", pdf), ("broken.xml", broken))
    assert response.status_code == 302
    page = signed_in.get(response["Location"]).content.decode()
    item = ImportItem.objects.get(name="up-1.pdf")
    assert f'href="/documents/{item.document_id}/"' in page and "UP-1" in page
    assert f'href="/customers/{item.customer_id}/"' in page and "new customer, to review" in page
    assert "IMPORT-MALFORMED-XML" in page and "1 imported" in page and "1 refused" in page
    document_page = signed_in.get(f"/documents/{item.document_id}/")
    assert document_page.status_code == 200
    served = signed_in.get(f"/documents/{item.document_id}/facturx/")
    assert served.status_code == 200 and served.content == pdf  # the original, not a new rendering
    listing = signed_in.get("/imports/").content.decode()
    assert f'href="/imports/{item.batch_id}/"' in listing


def test_the_report_is_in_french_for_a_french_user(client, owner):
    owner.user.language = "fr"
    owner.user.save(update_fields=["language"])
    client.force_login(owner.user)
    response = _upload(client, ("broken.xml", b"<Invoice><unclosed></Invoice>"))
    page = client.get(response["Location"]).content.decode()
    assert "Rapport d’import" in page and "1 refusé" in page
    assert "XML" in page and "IMPORT-MALFORMED-XML" in page


def test_a_member_without_the_issue_right_cannot_upload(client, org):
    viewer = org.member("viewer")
    client.force_login(viewer.user)
    response = _upload(client, ("a.xml", as_seller(CII_EXAMPLES[1].read_bytes(), number="V-1")))
    assert response.status_code == 403


def test_an_upload_with_no_file_says_so(signed_in):
    response = signed_in.post("/imports/upload/", {}, follow=True)
    assert "Choose one or more files" in response.content.decode()


def test_another_organisations_report_is_not_found(signed_in, other_org):
    from facturier.imports.services import IncomingFile, import_files

    batch = import_files(organisation=other_org, files=[IncomingFile("x.xml", b"<x/>")], source="upload",
                         by=other_org.owner)
    assert signed_in.get(f"/imports/{batch.pk}/").status_code == 404


def test_a_200_mb_upload_is_refused_before_it_is_read():
    from facturier.config.request_limits import LimitRequestBodyASGI

    called, handed, sent = [], [], []

    async def app(scope, receive, send):
        called.append(True)

    async def receive():
        handed.append(True)
        return {"type": "http.request", "body": b"x" * 1024, "more_body": True}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/imports/upload/",
             "headers": [(b"content-length", str(200 * 1024 * 1024).encode()), (b"accept-language", b"en")]}
    asyncio.run(LimitRequestBodyASGI(app)(scope, receive, send))
    assert sent[0]["status"] == 413 and not called and not handed
    assert sent[1]["body"].decode() == "The request is too large for this page (100 MB at most)."


def test_the_upload_route_takes_more_than_other_pages(settings):
    from facturier.config.request_limits import limit_for

    assert limit_for("/imports/upload/") == settings.FACTURIER_IMPORT_MAX_UPLOAD_BYTES > limit_for("/documents/new/")


def test_an_upload_over_the_route_limit_is_refused_through_django(signed_in, settings):
    settings.FACTURIER_IMPORT_MAX_UPLOAD_BYTES = 1024 * 1024
    body = b"x" * (2 * 1024 * 1024)
    response = signed_in.generic("POST", "/imports/upload/", body, content_type="application/octet-stream")
    assert response.status_code == 413
