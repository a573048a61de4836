"""The contracts resource: create (from scratch or from an invoice), list, get, pause/resume/end, refusals."""

from __future__ import annotations

import datetime as dt

from facturier.contracts.services import generate_due

LINE = {"name": "Infogérance", "quantity": "1", "unit_price": "250.00", "vat_rate": "20"}


def test_a_contract_is_created_listed_paused_resumed_and_ended_through_the_api(api, org):
    key = "0b9c3c1e-5d6e-4f70-8a1b-2c3d4e5f6a7b"
    body = {"customer_id": org.customer.pk, "name": "Infogérance", "lines": [LINE], "start_date": "2026-01-31",
            "frequency": "quarterly", "timing": "arrears", "revision_percent": "2.5"}
    created = api.post("/contracts", body, key=key)
    assert created.status_code == 201, created.content
    again = api.post("/contracts", body, key=key)  # the same Idempotency-Key: the first answer, no second contract
    assert again.json()["id"] == created.json()["id"]
    contract = created.json()
    assert contract["state"] == "running" and contract["next_due"] == "2026-04-30"
    assert contract["next_amount"] == "250.00"
    generate_due(today=dt.date(2026, 5, 1))
    got = api.get(f"/contracts/{contract['id']}").json()
    assert [(p["start"], p["end"], p["outcome"]) for p in got["periods"]] == [("2026-01-31", "2026-04-29", "draft")]
    assert [c["id"] for c in api.get("/contracts?state=running").json()["items"]] == [contract["id"]]
    assert api.post(f"/contracts/{contract['id']}/pause").json()["state"] == "paused"
    assert api.post(f"/contracts/{contract['id']}/resume").json()["state"] == "running"
    assert api.post(f"/contracts/{contract['id']}/end").json()["state"] == "ended"
    refused = api.post(f"/contracts/{contract['id']}/pause")
    assert refused.status_code == 422 and refused["Content-Type"].startswith("application/problem+json")


def test_an_end_before_the_start_is_a_problem_in_french(api_of, owner, make_key, org):
    api = api_of(make_key(owner), language="fr")
    answer = api.post("/contracts", {"customer_id": org.customer.pk, "name": "x", "lines": [LINE],
                                     "start_date": "2026-03-01", "end_date": "2026-02-01"})
    assert answer.status_code == 422
    assert "La date de fin (01/02/2026) précède la date de début (01/03/2026)" in answer.json()["detail"]


def test_a_contract_from_an_issued_invoice_and_tenant_isolation(api, issued, other_org, make_key, api_of):
    created = api.post("/contracts", {"from_document_id": issued.pk, "start_date": "2026-04-02"})
    assert created.status_code == 201, created.content
    assert [line["name"] for line in created.json()["lines"]] == ["Développement", "Écran", "Livre"]
    stranger = api_of(make_key(other_org.owner))
    assert stranger.get(f"/contracts/{created.json()['id']}").status_code == 404
    assert stranger.post("/contracts", {"from_document_id": issued.pk, "start_date": "2026-04-02"}).status_code == 404
    assert stranger.get("/contracts").json()["items"] == []
