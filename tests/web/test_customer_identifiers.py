"""The customer form's identifiers: an EU VAT number checked with advice, a foreign identifier (scheme + value)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from facturier.parties.models import Customer


def _data(**values):
    return {"code": "CH01", "name": "Horlogerie Suisse SA", "preferred_channel": "email",
            "effective_from": "2026-01-01", "line1": "1 rue du Rhône", "city": "Genève", "country": "CH", **values}


@pytest.mark.parametrize("number", ["CHE-123.456.789 MWST", "GB123456789", "12345"])
def test_a_vat_number_from_outside_the_eu_is_a_field_error_not_an_error_page(signed_in, number):
    response = signed_in.post(reverse("web:customer_new"), _data(vat_number=number))
    assert response.status_code == 422
    errors = response.context["form"].errors["vat_number"]
    assert "is not an intra-EU VAT number" in errors[0] and "foreign identifier" in errors[0]
    assert not Customer.objects.filter(code="CH01").exists()


def test_the_same_number_on_an_existing_customer_is_a_field_error_too(signed_in, org):
    customer = org.customer
    response = signed_in.post(reverse("web:customer_edit", args=[customer.pk]),
                              _data(code=customer.code, vat_number="CHE-123.456.789 MWST"))
    assert response.status_code == 422 and "vat_number" in response.context["form"].errors


def test_a_wrong_eu_vat_number_says_what_is_wrong(signed_in):
    response = signed_in.post(reverse("web:customer_new"), _data(vat_number="FR00412345670"))
    assert response.status_code == 422
    assert "is invalid (check digit)" in response.context["form"].errors["vat_number"][0]


def test_a_swiss_customer_is_saved_with_its_foreign_identifier(signed_in, org):
    response = signed_in.post(reverse("web:customer_new"), _data(foreign_identifier_scheme="0183",
                                                                 foreign_identifier="CHE-123.456.789"))
    assert response.status_code == 302
    customer = Customer.objects.get(organisation=org, code="CH01")
    assert (customer.foreign_identifier_scheme, customer.foreign_identifier) == ("0183", "CHE-123.456.789")
    page = signed_in.get(reverse("web:customer_edit", args=[customer.pk])).content.decode()
    assert 'value="0183"' in page and 'value="CHE-123.456.789"' in page
    detail = signed_in.get(reverse("web:customer", args=[customer.pk])).content.decode()
    assert "CHE-123.456.789" in detail


@pytest.mark.parametrize("values, field", [
    ({"foreign_identifier_scheme": "0183"}, "foreign_identifier"),
    ({"foreign_identifier": "CHE-123.456.789"}, "foreign_identifier_scheme"),
    ({"foreign_identifier_scheme": "CH", "foreign_identifier": "CHE-123.456.789"}, "foreign_identifier_scheme"),
])
def test_a_foreign_identifier_needs_both_its_scheme_and_its_value(signed_in, values, field):
    response = signed_in.post(reverse("web:customer_new"), _data(**values))
    assert response.status_code == 422 and field in response.context["form"].errors


def test_the_french_customer_form_labels_every_field_as_a_label(signed_in, owner, org):
    owner.user.language = "fr"
    owner.user.save(update_fields=["language"])
    page = signed_in.get(reverse("web:customer_edit", args=[org.customer.pk])).content.decode()
    assert "Code service Chorus Pro" in page and "Identifiant étranger : schéma" in page
    assert "Foreign identifier" not in page
