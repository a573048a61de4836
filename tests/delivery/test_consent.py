"""The consent campaign: selection, one e-mail each with signed links, printed letters, answers by link."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from facturier.audit.models import Event
from facturier.delivery.consent import CampaignFilter, campaign_customers, campaign_send, link_token
from facturier.delivery.models import ConsentAnswer
from facturier.delivery.outbox import outbox_flush
from facturier.parties.models import Customer

pytestmark = pytest.mark.django_db


def codes(customers):
    return [c.code for c in customers]


def test_customers_are_selected_by_prefix_period_letter_and_email(org, customers, issue):
    issue(customers["C002"], on=dt.date(2026, 3, 2))
    issue(customers["C003"], on=dt.date(2026, 3, 3))
    issue(customers["X001"], on=dt.date(2026, 3, 4))
    assert codes(campaign_customers(organisation=org, f=CampaignFilter())) == ["C001", "C002", "X001"]
    assert codes(campaign_customers(organisation=org, f=CampaignFilter(include_without_email=True))) == [
        "C001", "C002", "C003", "X001"]
    assert codes(campaign_customers(organisation=org, f=CampaignFilter(code_prefix="C", include_without_email=True,
                                                                       order="name"))) == ["C001", "C002", "C003"]
    assert codes(campaign_customers(organisation=org, f=CampaignFilter(code="X001"))) == ["X001"]
    between = CampaignFilter(invoiced_between=(dt.date(2026, 3, 3), dt.date(2026, 3, 31)), include_without_email=True)
    assert codes(campaign_customers(organisation=org, f=between)) == ["C003", "X001"]
    Customer.objects.filter(code="X001").update(consent_letter_sent_on=dt.date(2026, 1, 1))
    assert codes(campaign_customers(organisation=org, f=between)) == ["C003"]
    assert codes(campaign_customers(organisation=org, f=CampaignFilter(
        invoiced_between=between.invoiced_between, include_without_email=True, include_already_sent=True))) == [
        "C003", "X001"]


def test_the_campaign_mails_those_with_an_address_and_prints_the_others(org, owner, mail, smtp_server, customers,
                                                                       client):
    ids = [customers[c].pk for c in ("C002", "C003")]
    result = campaign_send(by=owner, customer_ids=ids, on=dt.date(2026, 4, 1))
    assert result.emailed == [customers["C002"].pk] and result.to_print == [customers["C003"].pk]
    assert result.pdf.startswith(b"%PDF")
    assert Customer.objects.get(code="C003").consent_letter_sent_on == dt.date(2026, 4, 1)
    assert Customer.objects.get(code="C002").consent_letter_sent_on is None  # not until the server accepts it

    assert outbox_flush(organisation_id=org.pk).sent == 1
    assert Customer.objects.get(code="C002").consent_letter_sent_on == timezone.localdate()
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["a@deux.test", "b@deux.test"]
    body = received.message.get_body().get_content()
    assert received.message["Subject"] == "Vos factures par voie électronique — Acme"
    assert "Acme souhaite vous adresser désormais ses factures" in body
    assert "a@deux.test, b@deux.test" in body and "compta@acme.test" in body
    accept = re.search(r"https://factures\.example(/consent/\S+/accept/)", body).group(1)
    refuse = re.search(r"https://factures\.example(/consent/\S+/refuse/)", body).group(1)

    page = client.get(refuse)  # following the link only asks: mail scanners follow links too
    assert page.status_code == 200 and "Je refuse les factures électroniques" in page.content.decode()
    assert Customer.objects.get(code="C002").accepts_einvoices
    client.post(refuse)
    refused = Customer.objects.get(code="C002")
    assert (refused.consent_refused_on, refused.consent_refusal_origin) == (timezone.localdate(), "link")
    assert Event.objects.filter(action="consent.refuse", subject_id=str(refused.pk)).exists()

    answered = client.post(accept, {"email": "factures@deux.test"})
    assert answered.status_code == 200 and "votre accord est enregistré" in answered.content.decode()
    accepted = Customer.objects.get(code="C002")
    assert accepted.accepts_einvoices
    assert accepted.contacts.filter(email="factures@deux.test", receives_invoices=True).exists()
    assert [(a.accepted, a.origin, a.email) for a in ConsentAnswer.objects.order_by("at", "id")] == [
        (False, "link", ""), (True, "link", "factures@deux.test")]


def test_a_tampered_link_is_refused_and_changes_nothing(org, customers, client):
    token = link_token(customers["C002"])
    forged = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    response = client.post(f"/consent/{forged}/refuse/")
    assert response.status_code == 400 and "Ce lien n&#x27;est pas valide" in response.content.decode()
    assert Customer.objects.get(code="C002").accepts_einvoices


def test_an_invalid_other_address_is_refused_with_a_message(org, customers, client):
    token = link_token(customers["C002"])
    response = client.post(f"/consent/{token}/accept/", {"email": "not an address"})
    assert response.status_code == 422
    assert not ConsentAnswer.objects.exists()


def test_printed_letters_are_one_page_per_customer(org, owner, customers):
    import io

    import pikepdf

    result = campaign_send(by=owner, customer_ids=[customers[c].pk for c in ("C001", "C002", "C003")],
                           print_all=True, on=dt.date(2026, 4, 1))
    assert result.emailed == []
    with pikepdf.open(io.BytesIO(result.pdf)) as pdf:
        assert len(pdf.pages) == 3
    assert set(Customer.objects.filter(code__in=["C001", "C002", "C003"])
               .values_list("consent_letter_sent_on", flat=True)) == {dt.date(2026, 4, 1)}


def test_a_letter_abroad_names_the_country_on_the_window_envelope(org, owner, tmp_path):
    import subprocess

    from facturier.parties.services import customer_create

    german = customer_create(by=owner, code="D001", name="Bäckerei Müller GmbH", effective_from=dt.date(2020, 1, 1),
                             billing_address={"line1": "Unter den Linden 1", "postcode": "10117", "city": "Berlin",
                                              "country": "DE"}, contacts=[])

    result = campaign_send(by=owner, customer_ids=[german.pk], print_all=True, on=dt.date(2026, 4, 1))

    (tmp_path / "letters.pdf").write_bytes(result.pdf)
    text = subprocess.run(["pdftotext", str(tmp_path / "letters.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "10117 Berlin\nALLEMAGNE" in text


def test_the_answer_page_speaks_the_customers_language(org, customers, client):
    Customer.objects.filter(code="X001").update(language="en")
    page = client.get(f"/consent/{link_token(customers['X001'])}/accept/")
    assert "I accept electronic invoices" in page.content.decode()
