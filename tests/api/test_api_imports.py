"""Imports through the API: files in, the import report out — once, whatever the client retries."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "imports"))
from import_helpers import CII_EXAMPLES, as_seller, facturx  # noqa: E402 — the import tests' own files


def _upload(api, *files, key=None, language="en"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return api.client.post("/api/v1/imports", data={"files": [SimpleUploadedFile(n, d) for n, d in files]},
                           **api.headers(key or str(uuid.uuid4()), HTTP_ACCEPT_LANGUAGE=language))


@pytest.fixture
def pdf() -> bytes:
    return facturx(as_seller(CII_EXAMPLES[1].read_bytes(), number="API-0001"))


def test_a_facturx_posted_to_the_api_is_imported_and_reported(api, pdf):
    r = _upload(api, ("API-0001.pdf", pdf))
    assert r.status_code == 201, r.content
    report = r.json()
    assert report["source"] == "api" and report["imported"] == 1
    [item] = report["files"]
    assert item["outcome"] == "imported" and item["number"] == "API-0001" and item["document_id"]
    document = api.get(f"/documents/{item['document_id']}").json()
    assert document["number"] == "API-0001" and document["state"] == "issued"
    assert api.get(f"/imports/{report['id']}").json() == report
    assert [b["id"] for b in api.get("/imports").json()] == [report["id"]]


def test_a_retried_upload_is_answered_once_even_with_a_new_multipart_boundary(api, pdf):
    key = str(uuid.uuid4())
    first = _upload(api, ("API-0001.pdf", pdf), key=key)
    again = _upload(api, ("API-0001.pdf", pdf), key=key)  # the test client draws a new boundary each time
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    other = _upload(api, ("API-0002.pdf", pdf), key=key)
    assert other.status_code == 422


def test_an_invalid_file_is_refused_with_its_rule_ids_in_the_callers_language(api):
    r = _upload(api, ("scan.pdf", b"%PDF-1.4\n%%EOF\n"), language="fr")
    assert r.status_code == 201
    [item] = r.json()["files"]
    assert item["outcome"] == "refused" and item["rules"] and item["document_id"] is None
    assert item["messages"][0]["message"] and "PDF" in item["messages"][0]["message"]


def test_importing_needs_the_issue_scope_and_another_organisations_report_is_not_found(
        owner, make_key, api_of, other_org, pdf):
    reader = api_of(make_key(owner, scopes=["read", "documents:write"]))
    r = _upload(reader, ("API-0001.pdf", pdf))
    assert r.status_code == 403 and r.headers["Content-Type"].startswith("application/problem+json")
    mine = api_of(make_key(owner))
    report = _upload(mine, ("API-0001.pdf", pdf)).json()
    stranger = api_of(make_key(other_org.owner))
    assert stranger.get(f"/imports/{report['id']}").status_code == 404


def test_an_imported_documents_xml_is_the_one_received_never_rewritten(api):
    xml = as_seller(CII_EXAMPLES[1].read_bytes(), number="API-0003")
    [item] = _upload(api, ("API-0003.xml", xml)).json()["files"]
    assert item["outcome"] == "imported", item["messages"]
    cii = api.get(f"/documents/{item['document_id']}/cii")
    assert cii.status_code == 200 and cii.content == xml  # byte for byte
    ubl = api.get(f"/documents/{item['document_id']}/ubl")
    assert ubl.status_code == 200 and b"<Invoice" in ubl.content and b"API-0003" in ubl.content
