"""The document model in the screens: the organisation's default (and its own template) in the
settings, a customer's override on the customer form."""

from __future__ import annotations

from django.urls import reverse

from facturier.accounts.models import DocumentTemplate

ORG = {"name": "Acme", "default_language": "fr", "payment_terms_days": "30", "due_date_rule": "net",
       "late_penalty_rate": "12,15", "facturx_profile": "en16931", "sealing_level": "B-T", "tsa_url": ""}
OWN = '#import "lib.typ": *\n#invoice(invoice-data())\n'


def test_the_settings_save_the_model_and_the_organisations_own_template(signed_in, org):
    url = reverse("web:settings_organisation")
    response = signed_in.post(url, {**ORG, "document_template": "custom", "custom_template": ""})
    assert response.status_code == 422  # the own model chosen, but not written
    response = signed_in.post(url, {**ORG, "document_template": "custom", "custom_template": OWN})
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.document_template, org.custom_template.strip()) == (DocumentTemplate.CUSTOM, OWN.strip())
    assert "Document model" in signed_in.get(reverse("web:settings")).content.decode()


def test_the_customer_form_saves_the_customers_own_model(signed_in, org):
    response = signed_in.post(reverse("web:customer_edit", args=[org.customer.pk]), {
        "code": "C001", "name": "Mairie", "preferred_channel": "email", "is_public_sector": "on",
        "document_template": "standard"})
    assert response.status_code == 302
    org.customer.refresh_from_db()
    assert org.customer.is_public_sector and org.customer.document_template == DocumentTemplate.STANDARD


def test_an_own_template_that_would_not_print_is_refused_when_saved(signed_in, org, issued):
    url = reverse("web:settings_organisation")
    response = signed_in.post(url, {**ORG, "document_template": "custom", "custom_template": "#let x = (\n"})
    assert response.status_code == 422
    assert "does not compile" in response.content.decode()
    org.refresh_from_db()
    assert org.custom_template == ""
