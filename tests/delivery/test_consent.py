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

    # The answer spent the letter's links: the other one shows the answer given and changes nothing.
    again = client.post(accept, {"email": "factures@deux.test"})
    assert again.status_code == 200 and "Cette lettre a déjà reçu une réponse" in again.content.decode()
    assert not Customer.objects.get(code="C002").accepts_einvoices
    assert ConsentAnswer.objects.count() == 1


def test_an_answer_spends_the_link_and_only_a_new_letter_changes_it(org, customers, client):
    token = link_token(customers["C002"])
    assert client.post(f"/consent/{token}/refuse/").status_code == 200
    for _ in range(2):
        page = client.post(f"/consent/{token}/accept/")
        assert "a déjà reçu une réponse" in page.content.decode() and "refusées le" in page.content.decode()
    assert not Customer.objects.get(code="C002").accepts_einvoices

    newer = link_token(customers["C002"])  # a new letter from the company
    assert client.get(f"/consent/{newer}/accept/").content.decode().count("déjà reçu") == 0
    client.post(f"/consent/{newer}/accept/")
    assert Customer.objects.get(code="C002").accepts_einvoices
    assert [a.accepted for a in ConsentAnswer.objects.order_by("at", "id")] == [False, True]


def test_another_address_is_added_only_once_its_owner_confirms_and_the_known_addresses_are_told(
        org, customers, client, mailoutbox):
    token = link_token(customers["C002"])
    answered = client.post(f"/consent/{token}/accept/", {"email": "factures@deux.test"})
    assert answered.status_code == 200 and "votre accord est enregistré" in answered.content.decode()
    assert "factures@deux.test" in answered.content.decode()
    customer = Customer.objects.get(code="C002")
    assert customer.accepts_einvoices
    assert not customer.contacts.filter(email="factures@deux.test").exists()  # not before its owner confirms

    [confirmation] = mailoutbox
    assert confirmation.to == ["factures@deux.test"]
    link = re.search(r"https?://[^/\s]+(/consent/address/\S+/)", confirmation.body).group(1)
    assert confirmation.subject == "Confirmez cette adresse pour les factures de Acme"
    assert client.get(link).status_code == 200  # following the link only asks
    assert not customer.contacts.filter(email="factures@deux.test").exists()

    client.post(link)
    assert customer.contacts.filter(email="factures@deux.test", receives_invoices=True).exists()
    told = mailoutbox[1]
    assert told.to == ["a@deux.test", "b@deux.test"] and "factures@deux.test" in told.body
    client.post(link)  # a second confirmation changes nothing and tells nobody again
    assert len(mailoutbox) == 2 and customer.contacts.filter(email="factures@deux.test").count() == 1
    assert [(a.accepted, a.email) for a in ConsentAnswer.objects.all()] == [(True, "factures@deux.test")]


def test_when_the_confirmation_cannot_be_mailed_nothing_is_recorded_and_the_customer_is_told(
        org, customers, client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _dead_port()
    token = link_token(customers["C002"])
    answered = client.post(f"/consent/{token}/accept/", {"email": "factures@deux.test"})
    assert answered.status_code == 503 and "rien n&#x27;a été modifié" in answered.content.decode()
    assert not ConsentAnswer.objects.exists()
    assert client.post(f"/consent/{token}/accept/").status_code == 200  # the link was not spent
    assert ConsentAnswer.objects.count() == 1


def test_consent_tokens_never_reach_the_logs(org, customers, client, caplog):
    token = link_token(customers["C002"])
    forged = token[:-2] + ("aa" if not token.endswith("aa") else "bb")
    with caplog.at_level("INFO"):
        client.post(f"/consent/{forged}/refuse/")
        client.post(f"/consent/{token}/accept/", {"email": "not an address"})
    assert caplog.records, "the 400 and 422 answers are logged"
    assert all(token[:20] not in r.getMessage() and forged[:20] not in r.getMessage() for r in caplog.records)


def _dead_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
