"""Legal data by effective date: the profile in force on a date, frozen into invoices issued that day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from facturier.accounts.models import LegalProfile
from facturier.accounts.selectors import legal_profile_at
from facturier.accounts.services import NoLegalProfile, legal_profile_add
from facturier.invoicing.models import Document, Series, State
from facturier.invoicing.services import document_issue, draft_create

SINCE = dt.date(2020, 1, 1)  # the conftest organisation's first profile
MOVED = dt.date(2025, 6, 1)

VALID = {"legal_name": "Acme SAS", "legal_form": "SAS", "siren": "884123456", "siret": "88412345600011",
         "vat_number": "FR52884123456", "address_line1": "1 rue du Test", "postcode": "69001", "city": "Lyon"}


@pytest.fixture
def moved(org):
    """Acme moves to Villeurbanne on MOVED (a new establishment, so a new SIRET)."""
    return legal_profile_add(organisation=org, effective_from=MOVED,
                             **{**VALID, "siret": "88412345600029", "address_line1": "10 cours Émile Zola",
                                "postcode": "69100", "city": "Villeurbanne"})


def issue(owner, customer, lines, on: dt.date) -> Document:
    draft = draft_create(by=owner, customer_id=customer.pk, lines=lines)
    return document_issue(by=owner, document_id=draft.pk, issue_date=on)


# --- legal_profile_at --------------------------------------------------------------------------------------


def test_profile_in_force_is_the_first_until_the_change(org, moved):
    first = org.legal_profiles.get(effective_from=SINCE)
    assert legal_profile_at(organisation=org, on=SINCE) == first
    assert legal_profile_at(organisation=org, on=MOVED - dt.timedelta(days=1)) == first


def test_profile_in_force_is_the_new_one_from_its_effective_date(org, moved):
    assert legal_profile_at(organisation=org, on=MOVED) == moved
    assert legal_profile_at(organisation=org, on=dt.date(2026, 1, 1)).city == "Villeurbanne"


def test_no_profile_before_the_first_one(org):
    from django.utils import translation

    with pytest.raises(NoLegalProfile) as caught:
        legal_profile_at(organisation=org, on=SINCE - dt.timedelta(days=1))
    assert org.name in caught.value.message
    with translation.override("en"):  # the date as the reader writes it, never ISO
        assert "31 Dec 2019" in caught.value.message
    with translation.override("fr"):
        assert "31/12/2019" in caught.value.message


def test_other_tenants_profiles_are_never_used(org, other_org):
    assert legal_profile_at(organisation=org, on=SINCE).siren == "884123456"
    assert legal_profile_at(organisation=other_org, on=SINCE).siren == "500123450"


# --- Seller snapshot at issue ----------------------------------------------------------------------------


def test_invoice_keeps_the_address_in_force_on_its_issue_date(org, owner, lines, moved):
    before = issue(owner, org.customer, lines, MOVED - dt.timedelta(days=1))
    on_the_day = issue(owner, org.customer, lines, MOVED)
    after = issue(owner, org.customer, lines, dt.date(2025, 9, 15))
    assert before.seller_snapshot["city"] == "Lyon"
    assert before.seller_snapshot["address_line1"] == "1 rue du Test"
    assert before.seller_snapshot["siret"] == "88412345600011"
    assert before.seller_snapshot["effective_from"] == SINCE.isoformat()
    for document in (on_the_day, after):
        assert document.seller_snapshot["city"] == "Villeurbanne"
        assert document.seller_snapshot["address_line1"] == "10 cours Émile Zola"
        assert document.seller_snapshot["siret"] == "88412345600029"
        assert document.seller_snapshot["effective_from"] == MOVED.isoformat()


def test_issued_snapshot_survives_a_later_change(org, owner, lines):
    document = issue(owner, org.customer, lines, dt.date(2025, 3, 1))
    with pytest.raises(ValidationError):  # a retroactive change is refused outright
        legal_profile_add(organisation=org, effective_from=dt.date(2025, 2, 1),
                          **{**VALID, "address_line1": "99 rue Rétroactive"})
    # Even a write that bypasses every check leaves the issued document's frozen copy alone.
    LegalProfile.objects.filter(organisation=org, effective_from=SINCE).update(city="Changed")
    document = Document.objects.get(pk=document.pk)
    assert document.seller_snapshot["city"] == "Lyon"
    assert document.seller_snapshot["address_line1"] == "1 rue du Test"


def test_issuing_before_the_first_profile_is_refused_and_consumes_no_number(org, owner, lines):
    draft = draft_create(by=owner, customer_id=org.customer.pk, lines=lines)
    with pytest.raises(NoLegalProfile):
        document_issue(by=owner, document_id=draft.pk, issue_date=SINCE - dt.timedelta(days=1))
    draft.refresh_from_db()
    assert draft.state == State.DRAFT and draft.seller_snapshot is None
    assert Series.objects.get(pk=draft.series_id).next_number == 1


# --- Validation of the identifiers -----------------------------------------------------------------------


@pytest.mark.parametrize("field, value", [
    ("siren", "123456789"),  # bad check digit
    ("siren", "12345"),  # bad length
    ("siret", "88412345600012"),  # bad check digit
    ("vat_number", "FR99884123456"),  # bad key
    ("iban", "FR7630006000011234567890188"),  # bad check digits
    ("bic", "NOTABIC"),
])
def test_invalid_identifier_is_refused_naming_the_value(org, field, value):
    count = LegalProfile.objects.count()
    with pytest.raises(ValidationError) as caught:
        legal_profile_add(organisation=org, effective_from=MOVED, **{**VALID, field: value})
    errors = caught.value.message_dict
    assert field in errors
    assert any(value in message for message in errors[field]), errors[field]
    assert LegalProfile.objects.count() == count


def test_siret_of_another_siren_is_refused_naming_both(org):
    with pytest.raises(ValidationError) as caught:
        legal_profile_add(organisation=org, effective_from=MOVED, **{**VALID, "siret": "41234567000019"})
    messages = caught.value.message_dict["siret"]
    assert any("41234567000019" in m and "884123456" in m for m in messages), messages
    assert not LegalProfile.objects.filter(organisation=org, effective_from=MOVED).exists()


def test_vat_number_of_another_company_is_refused(org):
    """A French VAT number embeds the SIREN (FR + key + SIREN): another company's is a typo."""
    with pytest.raises(ValidationError) as caught:
        legal_profile_add(organisation=org, effective_from=MOVED, **{**VALID, "vat_number": "FR96412345670"})
    assert "vat_number" in caught.value.message_dict
    assert not LegalProfile.objects.filter(organisation=org, effective_from=MOVED).exists()


def test_valid_profile_with_iban_and_bic_is_accepted(org):
    profile = legal_profile_add(organisation=org, effective_from=MOVED,
                                **{**VALID, "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP"})
    assert legal_profile_at(organisation=org, on=MOVED) == profile


def test_two_profiles_on_the_same_date_are_refused(org):
    with pytest.raises(ValidationError):
        legal_profile_add(organisation=org, effective_from=SINCE, **{**VALID, "city": "Paris"})
    assert org.legal_profiles.count() == 1
    assert legal_profile_at(organisation=org, on=SINCE).city == "Lyon"


def test_legal_data_cannot_change_under_issued_documents(issued, org):
    """A change dated on or before an issued document, or an edit of a profile in use, is refused."""
    from facturier.accounts.models import LegalProfileInUse

    with pytest.raises(ValidationError) as caught:
        legal_profile_add(organisation=org, effective_from=issued.issue_date, **{**VALID, "city": "Paris"})
    assert "effective_from" in caught.value.message_dict
    profile = legal_profile_at(organisation=org, on=issued.issue_date)
    profile.city = "Paris"
    with pytest.raises(LegalProfileInUse):
        profile.save()
    assert legal_profile_at(organisation=org, on=issued.issue_date).city == "Lyon"
