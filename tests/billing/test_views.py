"""The operator's screens (platform operators only) and a company's own plan page."""

from __future__ import annotations

import csv
import io

import pytest

from facturier.billing.services import meter

from .conftest import at


@pytest.fixture(autouse=True)
def _plain_static(settings):
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture
def platform_operator(db, client):
    from facturier.accounts.models import User

    user = User.objects.create_user("ops@platform.test", "correct horse battery", is_platform_operator=True,
                                    language="en")
    client.force_login(user)
    return client


@pytest.fixture
def metered(org, other_org, plans, subscribe):
    import datetime as dt

    subscribe(org, plans["pro"], today=dt.date.today(), anniversary=dt.date.today())
    subscribe(other_org, plans["free"], today=dt.date.today(), anniversary=dt.date.today())
    meter(organisation_id=org.pk, count=911, at=at(dt.date.today()))


def test_a_company_member_cannot_open_the_operator_screens(org, owner, client, plans):
    client.force_login(owner.user)
    for url in ("/operator/subscriptions/", "/operator/plans/", f"/operator/subscriptions/{org.pk}/"):
        assert client.get(url).status_code == 403


def test_the_operator_sees_plan_period_count_tranche_renewal_and_state_and_filters_them(platform_operator,
                                                                                      metered, plans):
    page = platform_operator.get("/operator/subscriptions/").content.decode()
    assert "Acme" in page and "Globex" in page and "911" in page and "Intégral" in page
    filtered = platform_operator.get("/operator/subscriptions/", {"plan": plans["free"].pk}).content.decode()
    assert "Globex" in filtered and "Acme" not in filtered
    assert "Globex" not in platform_operator.get("/operator/subscriptions/", {"q": "acm"}).content.decode()


def test_the_csv_export_holds_every_filtered_subscription(platform_operator, metered):
    response = platform_operator.get("/operator/subscriptions/", {"format": "csv", "state": "active"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Organisation", "Short name", "Plan"]
    by_slug = {r[1]: r for r in rows[1:]}
    assert set(by_slug) == {"acme", "globex"}
    assert by_slug["acme"][6:9] == ["911", "2", "189.00"]


def test_the_operator_creates_a_plan_and_subscribes_an_organisation(platform_operator, org):
    from facturier.billing.models import Plan, Subscription

    response = platform_operator.post("/operator/plans/new/", {
        "name": "Sur mesure", "period_months": 12, "included_invoices": 10, "tranche_size": 900,
        "tranche_price": "60.00", "base_price": "300.00", "archive": "on", "email_delivery": "on", "is_active": "on"})
    assert response.status_code == 302
    plan = Plan.objects.get(name="Sur mesure")
    assert (plan.api, plan.archive, plan.period_months) == (False, True, 12)
    response = platform_operator.post(f"/operator/subscriptions/{org.pk}/", {
        "plan": plan.pk, "state": "trial", "anniversary": "2026-01-31"})
    assert response.status_code == 302
    subscription = Subscription.objects.get(organisation=org)
    assert (subscription.plan, subscription.state, str(subscription.period_start)) == (plan, "trial", "2026-01-31")


def test_a_company_sees_what_its_plan_lacks_and_which_plan_offers_it(org, owner, client, plans, subscribe):
    owner.user.language = "en"
    owner.user.save(update_fields=["language"])
    client.force_login(owner.user)
    assert "no plans" in client.get("/settings/plan/").content.decode()
    subscribe(org, plans["free"])
    page = client.get("/settings/plan/").content.decode()
    assert 'data-capability="api"' in page
    offered = page.split('data-capability="api"')[1].split("</li>")[0]
    assert "not included in your plan" in offered and "Intégral" in offered
    archive = page.split('data-capability="archive"')[1].split("</li>")[0]
    assert "included in your plan" in archive and "not included" not in archive
