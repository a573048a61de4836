"""The letter's wording: who to contact for a refusal, even before any mail server is set."""

import pytest

from facturier.accounts.models import LegalProfile
from facturier.delivery.consent import letter_text

pytestmark = pytest.mark.django_db


def test_without_mail_settings_the_refusal_contact_is_the_legal_e_mail_then_the_postal_address(org, customers):
    customer = customers["C002"]
    LegalProfile.objects.filter(organisation=org).update(email="compta@acme.test")
    _subject, body = letter_text(customer, None)
    assert "compta@acme.test" in body
    assert "%4" not in body and "%1" not in body

    LegalProfile.objects.filter(organisation=org).update(email="", phone="")
    legal = LegalProfile.objects.filter(organisation=org).latest("effective_from")
    _subject, body = letter_text(customer, None)
    assert f"{legal.postcode} {legal.city}" in body
