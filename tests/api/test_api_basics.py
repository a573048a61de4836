"""The API's contract: keys, scopes, tenancy, problems in two languages, idempotency, rate limit."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

LINE = {"name": "Audit", "quantity": "2", "unit_price": "650.00"}


def _draft(api, org, **extra):
    r = api.post("/documents", {"customer_id": org.customer.pk, "lines": [LINE], **extra})
    assert r.status_code == 201, r.content
    return r.json()


def test_a_draft_is_created_issued_and_read_back_with_decimal_strings(api, org):
    draft = _draft(api, org)
    assert draft["state"] == "draft" and draft["totals"]["tax_inclusive"] == "1560.00"
    issued = api.post(f"/documents/{draft['id']}/issue", {})
    assert issued.status_code == 200, issued.content
    body = issued.json()
    assert body["state"] == "issued" and body["number"].startswith("FA-")
    assert body["lines"][0]["quantity"] == "2" and body["payable"] == "1560.00"
    listed = api.get("/documents?status=issued").json()
    assert [d["id"] for d in listed["items"]] == [draft["id"]]


def test_without_a_key_or_with_a_wrong_one_the_answer_is_401_problem(api_of, api, org):
    for secret in (None, "fk_deadbeef_nope", "not-a-key"):
        r = api_of(secret).get("/documents")
        assert r.status_code == 401
        assert r["Content-Type"] == "application/problem+json"
        assert r["WWW-Authenticate"].startswith("Bearer")
        assert r.json()["status"] == 401 and r.json()["type"].startswith("urn:facturier:problem:")


def test_a_session_cookie_alone_does_not_authenticate_an_api_call(client, owner):
    client.force_login(owner.user)
    r = client.get("/api/v1/documents")
    assert r.status_code == 401 and r["Content-Type"] == "application/problem+json"


def test_an_expired_key_is_refused(owner, make_key, api_of):
    from facturier.api.models import ApiKey

    secret = make_key(owner, expires_at=timezone.now() + dt.timedelta(days=1))
    ApiKey.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    r = api_of(secret).get("/documents")
    assert r.status_code == 401 and "expired" in r.json()["detail"]


def test_a_revoked_key_is_refused_at_once(owner, make_key, api_of):
    from facturier.api.keys import key_revoke
    from facturier.api.models import ApiKey

    secret = make_key(owner)
    assert api_of(secret).get("/documents").status_code == 200
    key_revoke(by=owner, key_id=ApiKey.objects.get().pk)
    r = api_of(secret).get("/documents")
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


def test_a_key_stops_working_when_its_member_loses_the_right_or_leaves(org, make_key, api_of):
    member = org.member("owner")
    secret = make_key(member)
    assert api_of(secret).get("/documents").status_code == 200
    member.can_manage_settings = False
    member.save()
    r = api_of(secret).get("/documents")
    assert r.status_code == 401 and "Manage settings" in r.json()["detail"]
    member.can_manage_settings, member.is_active = True, False
    member.save()
    assert api_of(secret).get("/documents").status_code == 401


def test_a_key_never_does_more_than_its_member(org, make_key, api_of):
    member = org.member("viewer", can_manage_settings=True)  # may hold keys, may not edit
    api = api_of(make_key(member))
    r = api.post("/documents", {"customer_id": org.customer.pk, "lines": [LINE]})
    assert r.status_code == 403 and r.json()["code"] == "right_missing"


def test_a_missing_scope_is_403_naming_it(owner, make_key, api_of, org):
    api = api_of(make_key(owner, scopes=["read"]))
    r = api.post("/documents", {"customer_id": org.customer.pk, "lines": [LINE]})
    assert r.status_code == 403
    assert r.json()["code"] == "scope_missing" and "documents:write" in r.json()["detail"]


def test_another_organisations_document_is_not_found(api, make_organisation, draft):
    from facturier.invoicing.services import draft_create

    other = make_organisation("globex", siren="500123450", siret="50012345000016", vat="FR67500123450")
    theirs = draft_create(by=other.owner, customer_id=other.customer.pk, lines=[LINE])
    for path in (f"/documents/{theirs.pk}", f"/documents/{theirs.pk}/pdf", f"/documents/{theirs.pk}/delivery",
                 f"/customers/{other.customer.pk}"):
        r = api.get(path)
        assert r.status_code == 404, path
        assert r["Content-Type"] == "application/problem+json"
    r = api.post(f"/documents/{theirs.pk}/issue", {})
    assert r.status_code == 404
    assert api.get(f"/documents/{draft.pk}").status_code == 200


def test_validation_errors_list_fields_in_french_by_default_and_in_english(owner, make_key, api_of, org):
    secret = make_key(owner)
    body = {"customer_id": org.customer.pk, "lines": [{"name": "X", "quantity": 1.5}]}
    fr = api_of(secret, language="").post("/documents", body)
    en = api_of(secret, language="en-GB,en;q=0.8").post("/documents", body)
    assert fr.status_code == en.status_code == 422
    fr_errors = {e["field"]: e["message"] for e in fr.json()["errors"]}
    en_errors = {e["field"]: e["message"] for e in en.json()["errors"]}
    assert set(fr_errors) == set(en_errors) == {"lines.0.quantity", "lines.0.unit_price"}
    assert en_errors["lines.0.unit_price"] == "This field is required."
    assert fr_errors["lines.0.unit_price"] == "Ce champ est obligatoire."
    assert "decimal" in en_errors["lines.0.quantity"]
    assert fr.json()["title"] == "Requête invalide" and en.json()["title"] == "Invalid request"


def test_domain_refusals_are_problems_in_the_callers_language(owner, make_key, api_of, issued):
    secret = make_key(owner)
    en = api_of(secret).delete(f"/documents/{issued.pk}")
    fr = api_of(secret, language="fr").delete(f"/documents/{issued.pk}")
    assert en.status_code == fr.status_code == 409
    assert "can never be deleted" in en.json()["detail"]
    assert "ne peut jamais être supprimé" in fr.json()["detail"] or "supprim" in fr.json()["detail"]


def test_an_unknown_api_path_or_method_is_a_problem_never_html(api):
    r = api.get("/nothing-here")
    assert r.status_code == 404 and r["Content-Type"] == "application/problem+json"
    r = api.client.put("/api/v1/documents", **api.headers())
    assert r.status_code == 405 and r["Content-Type"] == "application/problem+json"


def test_the_same_idempotency_key_replays_the_first_answer_once(api, org):
    from facturier.invoicing.models import Document

    body = {"customer_id": org.customer.pk, "lines": [LINE]}
    first = api.post("/documents", body, key="order-42")
    again = api.post("/documents", body, key="order-42")
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert Document.objects.count() == 1


def test_an_idempotency_key_reused_with_another_body_is_refused_naming_it(api, org):
    api.post("/documents", {"customer_id": org.customer.pk, "lines": [LINE]}, key="order-43")
    r = api.post("/documents", {"customer_id": org.customer.pk, "lines": [{**LINE, "quantity": "3"}]},
                 key="order-43")
    assert r.status_code == 422 and r.json()["code"] == "idempotency_key_reused"
    assert "order-43" in r.json()["detail"]


def test_a_write_without_idempotency_key_is_refused(api, org):
    r = api.post("/documents", {"customer_id": org.customer.pk, "lines": [LINE]}, key=None)
    assert r.status_code == 428 and r.json()["code"] == "idempotency_key_required"


def test_a_duplicate_arriving_while_the_first_still_runs_is_409(api, org):
    from facturier.api.models import IdempotencyRecord

    body = {"customer_id": org.customer.pk, "lines": [LINE]}
    assert api.post("/documents", body, key="k1").status_code == 201
    IdempotencyRecord.objects.filter(key="k1").update(status=None)  # the state while the first request runs
    r = api.post("/documents", body, key="k1")
    assert r.status_code == 409 and r.json()["code"] == "idempotency_in_progress" and r["Retry-After"] == "1"


def test_a_write_that_crashes_gives_its_key_back(api, org, monkeypatch):
    from facturier.api.models import IdempotencyRecord
    from facturier.api.routers import documents

    def crash(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(documents, "draft_create", crash)
    r = api.post("/documents", {"customer_id": org.customer.pk, "lines": [LINE]}, key="k2")
    assert r.status_code == 500 and r["Content-Type"] == "application/problem+json"
    assert not IdempotencyRecord.objects.filter(key="k2").exists()


def test_idempotency_records_expire_after_a_day(api, org):
    from facturier.api.idempotency import idempotency_cleanup
    from facturier.api.models import IdempotencyRecord

    api.post("/documents", {"customer_id": org.customer.pk, "lines": [LINE]}, key="old")
    assert idempotency_cleanup() == 0
    assert idempotency_cleanup(now=timezone.now() + dt.timedelta(hours=25)) == 1
    assert not IdempotencyRecord.objects.exists()


def test_past_the_rate_limit_the_key_gets_429_with_retry_after(api, settings):
    settings.FACTURIER_API_RATE_LIMIT = 3
    settings.FACTURIER_API_RATE_WINDOW = 60
    codes = [api.get("/documents").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = api.get("/documents")
    assert r.status_code == 429 and 1 <= int(r["Retry-After"]) <= 60
    assert r["Content-Type"] == "application/problem+json"


def test_audit_events_show_the_call_came_through_the_key(api, org):
    from facturier.api.models import ApiKey
    from facturier.audit.models import Event

    _draft(api, org)
    key = ApiKey.objects.get()
    event = Event.objects.filter(action="document.create").latest("id")
    assert key.prefix in event.actor_label and event.actor_id == org.owner.user_id
    assert key.last_used_at is not None


def test_a_domain_validation_error_lists_the_fields_it_names(api, org):
    r = api.post("/documents", {"customer_id": org.customer.pk,
                                "lines": [{**LINE, "vat_category": "E", "vat_rate": "0"}]})
    assert r.status_code == 422 and r.json()["code"] == "invalid_document"
    assert r.json()["errors"][0]["field"].startswith("lines")


def test_customers_are_created_found_by_siren_and_changed(api):
    r = api.post("/customers", {"code": "BOUL01", "name": "Boulangerie", "siren": "732829320",
                                "billing_address": {"line1": "1 rue", "postcode": "69001", "city": "Lyon"},
                                "contacts": [{"email": "compta@boul.test"}]})
    assert r.status_code == 201, r.content
    cid = r.json()["id"]
    assert [c["id"] for c in api.get("/customers?siren=732829320").json()["items"]] == [cid]
    assert [c["code"] for c in api.get("/customers?q=boulan").json()["items"]] == ["BOUL01"]
    r = api.patch(f"/customers/{cid}", {"name": "Boulangerie Martin"})
    assert r.status_code == 200 and r.json()["name"] == "Boulangerie Martin"
    bad = api.post("/customers", {"code": "X1", "name": "X", "siren": "123456789",
                                  "billing_address": {"line1": "1", "city": "Lyon"}})
    assert bad.status_code == 422 and any(e["field"] == "siren" for e in bad.json()["errors"])


def test_the_openapi_schema_and_docs_page_are_served(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    assert "/api/v1/documents" in paths and "/api/v1/documents/{document_id}/issue" in paths
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert b"<script>" not in page.content and b"cdn" not in page.content.lower()


@pytest.mark.parametrize("path", ["/pdf", "/facturx", "/cii", "/ubl"])
def test_files_of_an_issued_document_download_with_their_digest(api, issued, path):
    r = api.get(f"/documents/{issued.pk}{path}")
    assert r.status_code == 200, r.content[:500]
    assert r["Content-Digest"].startswith("sha-256=:")
    assert r.content[:5] in (b"%PDF-", b"<?xml")


def test_the_rate_count_lives_in_the_shared_cache_not_in_one_process(api, settings):
    from facturier.api import ratelimit

    settings.FACTURIER_API_RATE_LIMIT = 3
    assert [api.get("/documents").status_code for _ in range(2)] == [200, 200]
    ratelimit._windows.clear()  # another process: it knows nothing locally
    assert [api.get("/documents").status_code for _ in range(2)] == [200, 429]


def test_the_schema_declares_the_idempotency_header_on_writes_and_problem_answers(client):
    schema = json.loads(client.get("/api/v1/openapi.json").content)
    issue = schema["paths"]["/api/v1/documents/{document_id}/issue"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in issue["parameters"])
    assert "application/problem+json" in issue["responses"]["401"]["content"]
    listing = schema["paths"]["/api/v1/documents"]["get"]
    assert not any(p["name"] == "Idempotency-Key" for p in listing.get("parameters", []))


def test_a_body_over_the_limit_is_a_problem_too(api, settings):
    settings.FACTURIER_REQUEST_MAX_BYTES = 64 * 1024
    r = api.post("/documents", "x" * (65 * 1024))
    assert r.status_code == 413 and r["Content-Type"] == "application/problem+json"


def test_the_keys_page_is_for_members_who_manage_settings_and_shows_a_secret_once(client, org, owner):
    from facturier.api.models import ApiKey

    clerk = org.member("clerk")
    client.force_login(clerk.user)
    assert client.get("/settings/api-keys/").status_code == 403
    client.force_login(owner.user)
    r = client.post("/settings/api-keys/new/", {"name": "ERP", "scopes": ["read", "issue"]})
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    key = ApiKey.objects.get()
    secret = r.context["secret"]
    assert secret.startswith(key.prefix + "_") and key.scopes == ["read", "issue"]
    assert secret.encode() in r.content
    assert secret.encode() not in client.get("/settings/api-keys/").content
    assert key.digest != secret and len(key.digest) == 64
    r = client.post(f"/settings/api-keys/{key.pk}/revoke/")
    assert r.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    refused = client.post("/settings/api-keys/new/", {"name": "", "scopes": []})
    assert refused.status_code == 422


def test_another_key_cannot_have_a_write_replayed_to_it(api, owner, make_key, api_of, org):
    body = {"customer_id": org.customer.pk, "lines": [LINE]}
    assert api.post("/documents", body, key="shared-key").status_code == 201
    reader = api_of(make_key(owner, scopes=["read"]))
    r = reader.post("/documents", body, key="shared-key")
    assert r.status_code == 422 and r.json()["code"] == "idempotency_key_reused"


def test_the_schema_has_no_duplicate_keys(client):
    def refuse_duplicates(pairs):
        keys = [k for k, _v in pairs]
        assert len(keys) == len(set(keys)), keys
        return dict(pairs)

    json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=refuse_duplicates)
