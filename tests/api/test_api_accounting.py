"""The accounting endpoints: transfer a period, list and cancel transfers, download the checked FEC."""

import pytest

from facturier.accounting.services import settings_save

pytestmark = pytest.mark.django_db


def test_transfer_then_download_the_fec_then_cancel(api, owner, issued):
    assert api.post("/accounting/transfers", {"start": "2026-01-01", "end": "2026-12-31"}).status_code == 422
    settings_save(by=owner, values={})
    made = api.post("/accounting/transfers", {"start": "2026-01-01", "end": "2026-12-31"})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["documents"] == 1 and body["total_debit"] == body["total_credit"] == str(issued.tax_inclusive)
    assert [t["id"] for t in api.get("/accounting/transfers").json()] == [body["id"]]
    fec = api.get("/accounting/fec?start=2026-01-01&end=2026-12-31")
    assert fec.status_code == 200
    assert fec["Content-Disposition"] == 'attachment; filename="884123456FEC20261231.txt"'
    text = b"".join(fec.streaming_content).decode()
    assert text.startswith("JournalCode\tJournalLib\tEcritureNum") and issued.number in text
    csv = api.get("/accounting/fec?start=2026-01-01&end=2026-12-31&format=sage")
    assert b"".join(csv.streaming_content).decode().startswith("Journal;Date")
    assert api.post(f"/accounting/transfers/{body['id']}/cancel").json()["state"] == "cancelled"


def test_another_organisation_sees_none_of_it(api, owner, issued, other_org, make_key, api_of):
    settings_save(by=owner, values={})
    api.post("/accounting/transfers", {"start": "2026-01-01", "end": "2026-12-31"})
    other = api_of(make_key(other_org.owner))
    assert other.get("/accounting/transfers").json() == []
    assert other.post(f"/accounting/transfers/{api.get('/accounting/transfers').json()[0]['id']}/cancel"
                      ).status_code == 404
