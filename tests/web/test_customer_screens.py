"""Customers: list, search, detail with documents, consent, addresses with history, forms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from facturier.parties.models import Customer

NEW = {"code": "C002", "name": "Deux SAS", "siren": "", "siret": "", "vat_number": "", "language": "",
       "payment_terms_days": "", "due_date_rule": "", "preferred_channel": "email", "chorus_service_code": "",
       "notes": "", "effective_from": "2026-01-01", "line1": "3 rue Neuve", "line2": "", "postcode": "69003",
       "city": "Lyon", "country": "fr", "contact_email": "achats@deux.test"}


def test_list_and_search(signed_in, org):
    page = signed_in.get(reverse("web:customers"))
    assert page.status_code == 200 and "Client Un SARL" in page.content.decode()
    assert list(signed_in.get(reverse("web:customers"), {"q": "zzz"}).context["customers"]) == []


def test_detail_shows_documents_consent_and_addresses(signed_in, org, issued):
    page = signed_in.get(reverse("web:customer", args=[org.customer.pk]))
    content = page.content.decode()
    assert issued.number in content and "2 avenue Client" in content and "accepts e-mailed invoices" in content


def test_create_a_customer(signed_in, org):
    response = signed_in.post(reverse("web:customer_new"), NEW)
    assert response.status_code == 302
    customer = Customer.objects.get(organisation=org, code="C002")
    assert customer.addresses.get().country == "FR"
    assert customer.contacts.get().email == "achats@deux.test"


def test_customer_form_errors_are_inline_and_keep_the_input(signed_in, org):
    response = signed_in.post(reverse("web:customer_new"), {**NEW, "code": "C001", "siren": "123456789"})
    assert response.status_code == 422
    content = response.content.decode()
    assert 'value="Deux SAS"' in content and 'value="123456789"' in content
    assert not Customer.objects.filter(name="Deux SAS").exists()
    assert response.context["form"].errors


def test_edit_a_customer(signed_in, org):
    data = {k: v for k, v in NEW.items() if k in ("code", "name", "preferred_channel")}
    response = signed_in.post(reverse("web:customer_edit", args=[org.customer.pk]),
                              {**data, "code": "C001", "name": "Client Renommé"})
    assert response.status_code == 302
    org.customer.refresh_from_db()
    assert org.customer.name == "Client Renommé"


def test_a_new_address_keeps_the_history(signed_in, org):
    url = reverse("web:customer_address_add", args=[org.customer.pk])
    response = signed_in.post(url, {"kind": "billing", "effective_from": "2026-06-01", "line1": "9 quai Neuf",
                                    "postcode": "69005", "city": "Lyon", "country": "FR"})
    assert response.status_code == 302
    assert org.customer.addresses.count() == 2
    bad = signed_in.post(url, {"kind": "billing", "effective_from": "", "line1": "", "city": "Lyon",
                               "country": "FR"})
    assert bad.status_code == 422 and "This field is required." in bad.content.decode()


def test_an_address_abroad_is_listed_with_its_country_named(signed_in, org):
    url = reverse("web:customer_address_add", args=[org.customer.pk])
    signed_in.post(url, {"kind": "delivery", "effective_from": "2026-06-01", "line1": "Rue de la Loi 16",
                         "postcode": "1000", "city": "Bruxelles", "country": "BE"})

    page = signed_in.get(reverse("web:customer", args=[org.customer.pk])).content.decode()

    assert "Rue de la Loi 16, 1000 Bruxelles, Belgium" in page
    assert "(FR)" not in page  # at home, no country at all


def test_consent_refusal_and_acceptance(signed_in, org):
    url = reverse("web:customer_consent", args=[org.customer.pk])
    signed_in.post(url, {"accept": "0"})
    org.customer.refresh_from_db()
    assert org.customer.consent_refused_on == dt.date.today() or org.customer.consent_refused_on is not None
    signed_in.post(url, {"accept": "1"})
    org.customer.refresh_from_db()
    assert org.customer.consent_refused_on is None


@pytest.mark.parametrize("name, method", [("web:customer", "get"), ("web:customer_edit", "get"),
                                          ("web:customer_edit", "post"), ("web:customer_address_add", "post"),
                                          ("web:customer_consent", "post")])
def test_another_organisations_customer_is_not_found(client_of, other_org, org, name, method):
    stranger = client_of(other_org.owner)
    response = getattr(stranger, method)(reverse(name, args=[org.customer.pk]), {"accept": "0", "code": "X",
                                                                                 "name": "X"})
    assert response.status_code == 404
    org.customer.refresh_from_db()
    assert org.customer.consent_refused_on is None and org.customer.name == "Client Un SARL"


def test_a_viewer_reads_but_cannot_create(client_of, org):
    viewer = client_of(org.member("viewer"))
    assert viewer.get(reverse("web:customers")).status_code == 200
    assert viewer.get(reverse("web:customer_new")).status_code == 403


def test_date_fields_show_their_value_to_the_browser_in_french(signed_in, org):
    """A date picker reads only ISO dates: the French format would leave "effective from" empty."""
    page = signed_in.get(reverse("web:customer_new"), HTTP_ACCEPT_LANGUAGE="fr")
    today = dt.date.today().isoformat()
    assert f'type="date" name="effective_from" value="{today}"' in page.content.decode()


def test_the_detail_links_to_the_customer_portal_access(signed_in, org):
    page = signed_in.get(reverse("web:customer", args=[org.customer.pk]))
    assert reverse("portal_admin:customer", args=[org.customer.pk]) in page.content.decode()
