"""The platform status on the screens: the document page (routing and history, in the reader's language), the
dashboard's column and filter, the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from pa_cdars import platform_status

from facturier.platforms.models import PlatformState
from facturier.platforms.statuses import status_apply

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def followed(org, issued):
    PlatformState.objects.create(document=issued, organisation=org, channel="platform",
                                 route_reason="French company in the directory: sent to the approved platform.")
    for i, code in enumerate(("200", "202", "204")):
        status_apply(org, platform_status(issued, code, at=T0 + dt.timedelta(minutes=i)), flow_id=f"s-{code}",
                     check=False)
    status_apply(org, platform_status(issued, "210", reason_code="TX_TVA_ERR", at=T0 + dt.timedelta(hours=1)),
                 flow_id="s-210", check=False)
    return issued


def _signed_in(owner, language="en"):
    owner.user.language = language
    owner.user.save(update_fields=["language"])
    client = Client()
    client.force_login(owner.user)
    client.cookies["django_language"] = language
    return client


def test_the_document_page_shows_the_routing_and_the_statuses_with_their_reasons(owner, followed):
    page = _signed_in(owner).get(f"/documents/{followed.pk}/").content.decode()
    assert "French company in the directory" in page
    assert "204 In process" in page and "210 Refused" in page
    assert "TX_TVA_ERR" in page and "credit note" in page


def test_the_document_page_speaks_french_to_a_french_reader(owner, followed):
    owner.user.language = "fr"
    owner.user.save(update_fields=["language"])
    page = _signed_in(owner, "fr").get(f"/documents/{followed.pk}/").content.decode()
    assert "210 Refusée" in page and "204 Prise en charge" in page


def test_the_dashboard_shows_a_platform_column_and_filters_on_it(owner, org, followed, lines):
    from facturier.invoicing.services import draft_create

    other = draft_create(by=owner, customer_id=org.customer.pk, lines=lines)
    client = _signed_in(owner)
    page = client.get("/").content.decode()
    assert "210 Refused" in page
    refused = client.get("/?platform=problem").content.decode()
    assert followed.number in refused and f"Draft no. {other.pk}" not in refused
    none = client.get("/?platform=205").content.decode()
    assert followed.number not in none


def test_the_api_gives_the_platform_status_and_its_history(owner, followed):
    from facturier.api.keys import key_create

    secret = key_create(by=owner, name="ERP", scopes=["read"])[1]
    answer = Client().get(f"/api/v1/documents/{followed.pk}/platform-status",
                          headers={"Authorization": f"Bearer {secret}", "Accept-Language": "en"})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["code"] == "210" and body["label"] == "210 Refused" and "TX_TVA_ERR" in body["reason"]
    assert [e["code"] for e in body["history"]] == ["200", "202", "204", "210"]


def test_the_api_says_when_a_document_never_went_to_a_platform(owner, issued):
    from facturier.api.keys import key_create

    secret = key_create(by=owner, name="ERP", scopes=["read"])[1]
    answer = Client().get(f"/api/v1/documents/{issued.pk}/platform-status",
                          headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 404
