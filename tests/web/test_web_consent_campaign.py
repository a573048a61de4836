"""Settings → Consent campaign: choose customers, e-mail the letters, download the printed ones."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from facturier.delivery.models import OutboxMessage
from facturier.parties.models import Customer

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def customers(org, owner):
    """C001 (with e-mail, from the shared fixture), C002 Zeta (with e-mail), D001 Alpha (no e-mail)."""
    from facturier.parties.services import customer_create

    address = {"line1": "3 rue des Clients", "postcode": "75002", "city": "Paris"}
    zeta = customer_create(by=owner, code="C002", name="Zeta SA", effective_from=dt.date(2020, 1, 1),
                           billing_address=address, contacts=[{"name": "AP", "email": "ap@zeta.test"}])
    alpha = customer_create(by=owner, code="D001", name="Alpha SARL", effective_from=dt.date(2020, 1, 1),
                            billing_address=address)
    return {"c001": org.customer, "zeta": zeta, "alpha": alpha}


@pytest.fixture
def mail(owner, smtp_server, settings):
    from facturier.delivery.services import mail_settings_save

    settings.FACTURIER_BASE_URL = "https://factures.example"
    return mail_settings_save(by=owner, host=smtp_server.host, port=smtp_server.port, security="none",
                              username=smtp_server.user, password=smtp_server.password,
                              sender_address="factures@acme.test", reply_to="compta@acme.test")


def _shown(response) -> list[str]:
    return [row["c"].code for row in response.context["rows"]]


@pytest.mark.parametrize("query, expected", [
    ({}, ["C001", "C002"]),
    ({"include_without_email": "on"}, ["C001", "C002", "D001"]),
    ({"include_without_email": "on", "order": "name"}, ["D001", "C001", "C002"]),
    ({"code_prefix": "C00"}, ["C001", "C002"]),
    ({"code": "C002"}, ["C002"]),
])
def test_customers_are_chosen_by_code_prefix_email_and_sorted(signed_in, customers, query, expected):
    response = signed_in.get(reverse("web:settings_consent"), {"search": "1", **query})
    assert response.status_code == 200
    assert _shown(response) == expected


def test_customers_invoiced_between_two_dates(signed_in, customers, issued):
    response = signed_in.get(reverse("web:settings_consent"), {
        "search": "1", "invoiced_from": "2026-03-01", "invoiced_to": "2026-03-31"})
    assert _shown(response) == ["C001"]
    outside = signed_in.get(reverse("web:settings_consent"), {
        "search": "1", "invoiced_from": "2026-04-01", "invoiced_to": "2026-04-30"})
    assert _shown(outside) == []


def test_reversed_dates_are_explained_and_kept(signed_in, customers):
    response = signed_in.get(reverse("web:settings_consent"), {
        "search": "1", "invoiced_from": "2026-05-01", "invoiced_to": "2026-04-01", "code_prefix": "C0"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "The end date must not be before the start date." in page
    assert 'value="2026-05-01"' in page and 'value="C0"' in page


def test_sending_emails_those_with_an_address_and_prints_the_others(signed_in, customers, mail, smtp_server):
    ids = [customers["c001"].pk, customers["zeta"].pk, customers["alpha"].pk]
    response = signed_in.post(reverse("web:settings_consent_send"), {"ids": ids, "action": "send",
                                                                     "query": "search=1"})
    assert response.status_code == 302 and "letters=" in response["Location"]
    queued = OutboxMessage.objects.filter(organisation=customers["c001"].organisation, batch="consent")
    assert sorted(m.customer_id for m in queued) == sorted([customers["c001"].pk, customers["zeta"].pk])
    assert Customer.objects.get(pk=customers["alpha"].pk).consent_letter_sent_on is not None
    page = signed_in.get(response["Location"])
    link = reverse("web:settings_consent_letters", args=[page.context["letters"]])
    assert link in page.content.decode()
    pdf = signed_in.get(link)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_print_every_letter_emails_nobody(signed_in, customers, org):
    response = signed_in.post(reverse("web:settings_consent_send"), {
        "ids": [customers["c001"].pk, customers["zeta"].pk], "action": "print"})
    assert "letters=" in response["Location"]
    assert not OutboxMessage.objects.filter(organisation=org).exists()


def test_sending_without_mail_server_says_so(signed_in, customers, org):
    response = signed_in.post(reverse("web:settings_consent_send"), {"ids": [customers["zeta"].pk],
                                                                     "action": "send"}, follow=True)
    assert "no mail server set up yet" in response.content.decode()
    assert not OutboxMessage.objects.filter(organisation=org).exists()


def test_another_organisations_customers_and_letters_are_out_of_reach(signed_in, customers, other_org, client_of):
    theirs = signed_in.post(reverse("web:settings_consent_send"), {"ids": [other_org.customer.pk],
                                                                    "action": "print"})
    assert "letters=" not in theirs["Location"]
    assert Customer.objects.get(pk=other_org.customer.pk).consent_letter_sent_on is None
    mine = signed_in.post(reverse("web:settings_consent_send"), {"ids": [customers["zeta"].pk], "action": "print"})
    token = mine["Location"].rpartition("letters=")[2]
    other = client_of(other_org.owner)
    assert other.get(reverse("web:settings_consent_letters", args=[token])).status_code == 404
    assert other.get(reverse("web:settings_consent_letters", args=["..%2F..%2Fsecret_key"])).status_code == 404


def test_the_campaign_needs_the_send_right(client_of, org, customers):
    viewer = client_of(org.member("viewer"))
    assert viewer.get(reverse("web:settings_consent")).status_code == 403
    assert viewer.post(reverse("web:settings_consent_send"), {"ids": [customers["zeta"].pk],
                                                              "action": "print"}).status_code == 403
    assert Customer.objects.get(pk=customers["zeta"].pk).consent_letter_sent_on is None
