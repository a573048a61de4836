"""A customer sees its own issued documents, and only those: lists, pages, archived files, consent."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import pytest

from facturier.archive.models import ArtefactKind
from facturier.engine.pdf.render import format_amount


@pytest.fixture
def neighbours(org, other_org, owner, issue_archived, lines):
    """Documents the contact must never reach: another customer's (same organisation), another organisation's
    (whose customer has the same code), and a draft of its own customer."""
    from facturier.invoicing.services import draft_create
    from facturier.parties.services import customer_create

    other_customer = customer_create(
        by=owner, code="C002", name="Client Deux SAS", siren="500123450", effective_from=dt.date(2020, 1, 1),
        billing_address={"line1": "3 rue Autre", "postcode": "69003", "city": "Lyon"},
        contacts=[{"name": "Autre", "email": "autre@client.test"}])
    return {
        "other customer": issue_archived(customer=other_customer),
        "other organisation": issue_archived(member=other_org.owner),
        "draft": draft_create(by=owner, customer_id=org.customer.pk, lines=lines),
    }


def test_the_list_shows_the_customers_issued_documents_with_status_and_amount_due(portal, org, archived, neighbours):
    response = portal.get(f"/portal/{org.slug}/")
    assert response.status_code == 200
    assert [row["document"].pk for row in response.context["rows"]] == [archived.pk]
    page = response.content.decode()
    assert archived.number in page and "Issued" in page
    assert archived.amount_due > 0
    assert format_amount(archived.amount_due, "EUR", "en") == response.context["rows"][0]["due"] == "€1,770.56"
    assert "€1,770.56" in page


@pytest.mark.parametrize("which", ["other customer", "other organisation", "draft"])
@pytest.mark.parametrize("suffix", ["", "facturx/", "xml/"])
def test_no_url_reaches_another_customers_document_nor_a_draft(portal, org, archived, neighbours, which, suffix):
    target = neighbours[which]
    response = portal.get(f"/portal/{org.slug}/documents/{target.pk}/{suffix}")
    assert response.status_code == 404


def test_another_organisations_portal_does_not_open_with_this_session(portal, other_org, archived, neighbours):
    own = portal.get(f"/portal/{other_org.slug}/documents/{archived.pk}/")
    theirs = portal.get(f"/portal/{other_org.slug}/documents/{neighbours['other organisation'].pk}/facturx/")
    assert own.status_code == theirs.status_code == 302
    assert own["Location"].startswith(f"/portal/{other_org.slug}/login/")


def test_an_unknown_file_kind_is_not_found(portal, org, archived):
    assert portal.get(f"/portal/{org.slug}/documents/{archived.pk}/status/").status_code == 404


@pytest.mark.parametrize(("suffix", "kind"), [("facturx/", ArtefactKind.FACTURX_PDF), ("xml/", ArtefactKind.XML)])
def test_downloads_are_the_archived_files_byte_for_byte_with_their_fingerprint(portal, org, archived, suffix, kind):
    from facturier.archive.selectors import archived_content, document_archive

    entry = document_archive(organisation=org, document_id=archived.pk, kind=kind)
    response = portal.get(f"/portal/{org.slug}/documents/{archived.pk}/{suffix}")
    assert response.status_code == 200
    assert response.content == archived_content(entry)
    assert hashlib.sha256(response.content).hexdigest() == entry.fingerprint
    digest = base64.b64encode(hashlib.sha256(response.content).digest()).decode()
    assert response["Repr-Digest"] == f"sha-256=:{digest}:"
    assert response["Content-Disposition"] == f'attachment; filename="{entry.filename}"'
    page = portal.get(f"/portal/{org.slug}/documents/{archived.pk}/").content.decode()
    assert entry.fingerprint in page


def test_the_pdf_served_is_what_the_archive_says_the_portal_serves(portal, org, archived):
    from facturier.archive.selectors import archived_document_file

    _name, content = archived_document_file(organisation=org, document_id=archived.pk)
    assert portal.get(f"/portal/{org.slug}/documents/{archived.pk}/facturx/").content == content
    assert content.startswith(b"%PDF-")


def test_the_customer_refuses_then_accepts_e_mailed_invoices_recorded_as_consent_answers(portal, org):
    from facturier.audit.models import Event
    from facturier.delivery.models import ConsentAnswer

    response = portal.post(f"/portal/{org.slug}/consent/", {"answer": "refuse"})
    assert response.status_code == 302
    org.customer.refresh_from_db()
    assert not org.customer.accepts_einvoices
    assert ConsentAnswer.objects.filter(customer=org.customer, accepted=False).count() == 1
    portal.post(f"/portal/{org.slug}/consent/", {"answer": "accept"})
    org.customer.refresh_from_db()
    assert org.customer.accepts_einvoices
    assert ConsentAnswer.objects.filter(customer=org.customer, accepted=True).count() == 1
    assert set(ConsentAnswer.objects.filter(customer=org.customer).values_list("origin", flat=True)) == {"portal"}
    assert Event.objects.filter(organisation=org, action="portal.consent").count() == 2


def test_consent_needs_a_post(portal, org):
    assert portal.get(f"/portal/{org.slug}/consent/").status_code == 405


def test_the_mails_portal_link_leads_to_the_documents_page_in_its_organisations_portal(client, org, archived):
    from facturier.delivery.wording import portal_link

    link = portal_link(archived)
    assert link == f"https://factures.example/portal/{org.slug}/documents/{archived.pk}/"
    response = client.get(link.removeprefix("https://factures.example"))
    assert response.status_code == 302
    assert response["Location"] == f"/portal/{org.slug}/login/?next=/portal/{org.slug}/documents/{archived.pk}/"


def test_the_portal_shows_the_organisations_logo_and_colour(client, org, owner):
    from django.core.files.base import ContentFile

    from facturier.portal.models import PortalBranding

    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAAB"
                           "JRU5ErkJggg==")
    org.logo.save("logo.png", ContentFile(png))
    page = client.get(f"/portal/{org.slug}/login/").content.decode()
    assert f'src="/portal/{org.slug}/logo/"' in page and "--accent: #3d4a5c" in page
    assert client.get(f"/portal/{org.slug}/logo/").getvalue() == png
    PortalBranding.objects.create(organisation=org, accent_colour="#0a7d4f")
    assert "--accent: #0a7d4f" in client.get(f"/portal/{org.slug}/login/").content.decode()


def test_an_unknown_organisation_has_no_portal(client, db):
    assert client.get("/portal/nobody/login/").status_code == 404


def test_a_long_list_comes_in_pages_most_recent_first(portal, org, archived, issue_archived, settings):
    from facturier.portal import views

    second = issue_archived()
    original, views.PAGE_SIZE = views.PAGE_SIZE, 1
    try:
        first_page = portal.get(f"/portal/{org.slug}/")
        next_page = portal.get(f"/portal/{org.slug}/?page=2")
    finally:
        views.PAGE_SIZE = original
    assert [r["document"].pk for r in first_page.context["rows"]] == [second.pk]
    assert [r["document"].pk for r in next_page.context["rows"]] == [archived.pk]
    assert 'rel="next"' in first_page.content.decode()
