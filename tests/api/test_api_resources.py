"""The resources beyond the main flow: credit notes, payment cancel, draft edits, archive files and proofs."""

from __future__ import annotations

import hashlib

LINE = {"name": "Audit", "quantity": "2", "unit_price": "650.00"}


def test_a_credit_note_is_drafted_for_one_line_of_an_issued_invoice(api, issued):
    line_id = issued.lines.order_by("position").first().pk
    r = api.post(f"/documents/{issued.pk}/credit-note", {"line_ids": [line_id]})
    assert r.status_code == 201, r.content
    note = r.json()
    assert note["kind"] == "credit_note" and note["state"] == "draft" and len(note["lines"]) == 1


def test_a_draft_is_changed_then_deleted(api, draft):
    r = api.patch(f"/documents/{draft.pk}", {"lines": [LINE], "buyer_reference": "PO-7"})
    assert r.status_code == 200, r.content
    assert r.json()["buyer_reference"] == "PO-7" and r.json()["totals"]["tax_exclusive"] == "1300.00"
    assert api.delete(f"/documents/{draft.pk}").status_code == 204
    assert api.get(f"/documents/{draft.pk}").status_code == 404


def test_a_payment_is_recorded_listed_and_cancelled(api, issued):
    r = api.post(f"/documents/{issued.pk}/payments", {"date": "2026-03-10", "amount": "100.00"})
    assert r.status_code == 201, r.content
    payment = r.json()
    assert payment["amount"] == "100.00"
    assert api.get(f"/documents/{issued.pk}").json()["state"] == "partially_paid"
    refused = api.post(f"/payments/{payment['id']}/cancel", {"reason": " "})
    assert refused.status_code == 422 and refused.json()["code"] == "settlement_refused"
    r = api.post(f"/payments/{payment['id']}/cancel", {"reason": "recorded twice"})
    assert r.status_code == 200 and r.json()["cancel_reason"] == "recorded twice"
    assert api.get(f"/documents/{issued.pk}").json()["state"] == "issued"
    assert [p["id"] for p in api.get(f"/documents/{issued.pk}/payments").json()] == [payment["id"]]


def test_a_float_amount_is_refused(api, issued):
    r = api.post(f"/documents/{issued.pk}/payments", {"date": "2026-03-10", "amount": 100.1})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "amount"


def test_archived_files_come_with_their_fingerprint_and_byte_for_byte(api, issued):
    from facturier.archive.services import archive_document

    archive_document(issued.pk)
    files = api.get(f"/documents/{issued.pk}/archive").json()
    assert {f["kind"] for f in files} >= {"facturx_pdf"}
    for f in files:
        content = api.get(f["download"].removeprefix("/api/v1"))
        assert content.status_code == 200
        assert hashlib.sha256(content.content).hexdigest() == f["sha256"]
    proof = api.get(f"/documents/{issued.pk}/archive/proof")
    assert proof.status_code in (200, 409)
    if proof.status_code == 409:
        assert proof.json()["code"] == "proof_pending"


def test_sending_a_draft_is_refused_with_the_reason(api, draft, mail):
    r = api.post(f"/documents/{draft.pk}/send", {})
    assert r.status_code == 422 and r.json()["code"] == "draft"
    assert api.get(f"/documents/{draft.pk}/delivery").json()["state"] is None


def test_a_line_item_family_is_taken_and_kept(api, draft):
    r = api.patch(f"/documents/{draft.pk}", {"lines": [{**LINE, "family": "AUDIT"}]})
    assert r.status_code == 200, r.content
    assert list(draft.lines.values_list("family", flat=True)) == ["AUDIT"]
    too_long = api.patch(f"/documents/{draft.pk}", {"lines": [{**LINE, "family": "X" * 31}]})
    assert too_long.status_code in (400, 422)
