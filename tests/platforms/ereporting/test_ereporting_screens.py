"""The e-reporting screen and the dashboard calendar: build now, download, findings, settings, isolation,
French and English."""

from __future__ import annotations

import pytest
from django.test import Client
from ereport_helpers import line

from facturier.platforms.ereporting.models import EReport, State


@pytest.fixture(autouse=True)
def _plain_static(settings):
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


def signed_in(member, language="en") -> Client:
    member.user.language = language
    member.user.save()
    c = Client()
    c.force_login(member.user)
    return c


def test_build_now_builds_checks_and_offers_the_file(org, simplified, people, sell, month):
    person, _abroad = people
    start, _end = month
    sell(person, [line("10.00")], start)
    client = signed_in(org.owner)
    page = client.get("/ereporting/").content.decode()
    assert "Build now" in page and start.strftime("%Y-%m-%d") in page
    answer = client.post("/ereporting/build/", {"flow": "transactions", "start": start.isoformat()})
    assert answer.status_code == 302
    report = EReport.objects.get(organisation=org, flow="transactions", period_start=start)
    assert report.state == State.CHECKED
    page = client.get("/ereporting/").content.decode()
    assert "built and checked" in page and "Checked" in page
    download = client.get(f"/ereporting/{report.pk}/download/")
    assert download["Content-Type"] == "application/xml"
    assert b"<AggregatedTransactions" in download.content
    assert b"<TaxableAmount>10.00</TaxableAmount>" in download.content


def test_a_period_not_over_cannot_be_built(org, simplified):
    from django.utils import timezone

    client = signed_in(org.owner)
    this_month = timezone.localdate().replace(day=1)
    client.post("/ereporting/build/", {"flow": "transactions", "start": this_month.isoformat()})
    page = client.get("/ereporting/").content.decode()
    assert "This period is not over yet" in page
    assert EReport.objects.get(organisation=org).state == State.DRAFT


def test_findings_are_shown_in_the_readers_language(org, simplified, month):
    from facturier.accounts.models import LegalProfile

    LegalProfile.objects.filter(organisation=org).update(siren="123456789")
    start, _end = month
    client = signed_in(org.owner, "fr")
    client.post("/ereporting/build/", {"flow": "transactions", "start": start.isoformat()})
    page = client.get("/ereporting/").content.decode()
    assert "ER-SIREN-01" in page and "Le SIREN du déclarant" in page
    assert "Construit, non valide" in page and "son contrôle a échoué" in page


def test_the_dashboard_shows_the_next_due_dates(org, simplified):
    page = signed_in(org.owner).get("/").content.decode()
    assert "E-reporting due dates" in page
    assert signed_in(org.owner, "fr").get("/").content.decode().count("Échéances d'e-reporting") == 1


def test_settings_change_the_calendar(org, simplified):
    client = signed_in(org.owner)
    client.post("/ereporting/settings/", {"regime": "normal", "start_date": "2026-09-01", "auto_submit": "on"})
    org.ereporting_profile.refresh_from_db()
    assert org.ereporting_profile.regime == "normal"
    page = client.get("/ereporting/").content.decode()
    assert page.count('data-flow="transactions"') > page.count('data-flow="payments"')  # ten-day periods


def test_another_organisations_report_is_not_found(org, other_org, simplified, month):
    start, _end = month
    signed_in(org.owner).post("/ereporting/build/", {"flow": "transactions", "start": start.isoformat()})
    report = EReport.objects.get(organisation=org)
    theirs = signed_in(other_org.owner)
    assert theirs.get(f"/ereporting/{report.pk}/download/").status_code == 404
    assert theirs.post(f"/ereporting/{report.pk}/submit/").status_code == 404


def test_a_viewer_sees_the_reports_but_cannot_build(org, simplified, month):
    from facturier.accounts.models import Role

    viewer = org.member(Role.VIEWER)
    start, _end = month
    client = signed_in(viewer)
    assert "Build now" not in client.get("/ereporting/").content.decode()
    assert client.post("/ereporting/build/", {"flow": "transactions", "start": start.isoformat()}).status_code == 403
    assert not EReport.objects.filter(organisation=org).exists()


