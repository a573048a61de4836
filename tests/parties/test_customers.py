"""Customers: identifiers checked, codes unique per organisation, addresses with history, consent."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from facturier.audit.models import Event
from facturier.parties.models import AddressKind, ConsentOrigin, Customer
from facturier.parties.selectors import address_at, customer_list
from facturier.parties.services import address_add, consent_accept, consent_refuse, customer_create, customer_update

pytestmark = pytest.mark.django_db
ADDRESS = {"line1": "1 rue Neuve", "postcode": "69001", "city": "Lyon"}


def create(owner, **fields):
    return customer_create(by=owner, billing_address=ADDRESS, effective_from=dt.date(2026, 1, 1),
                           **{"code": "NEW1", "name": "Nouveau client", **fields})


@pytest.mark.parametrize(("field", "value", "words"), [
    ("siren", "123456789", "SIREN 123456789 is invalid (check digit)"),
    ("siret", "41234567000018", "SIRET 41234567000018 is invalid"),
    ("vat_number", "FR00412345670", "VAT number FR00412345670 is invalid"),
    ("code", "a b", "Letters, digits"),
])
def test_an_invalid_identifier_is_refused_with_its_value_and_nothing_is_written(owner, field, value, words):
    before = Customer.objects.count()
    with pytest.raises(ValidationError) as refused:
        create(owner, **{field: value})
    assert any(words in message for message in refused.value.messages)
    assert Customer.objects.count() == before


def test_a_siret_of_another_company_is_refused(owner):
    with pytest.raises(ValidationError) as refused:
        create(owner, siren="412345670", siret="50012345000016")
    assert "does not belong to the SIREN" in " ".join(refused.value.messages)


def test_an_unknown_country_is_refused(owner):
    with pytest.raises(ValidationError):
        customer_create(by=owner, code="X1", name="X", effective_from=dt.date(2026, 1, 1),
                        billing_address={**ADDRESS, "country": "ZZ"})
    assert not Customer.objects.filter(code="X1").exists()


def test_customer_codes_are_unique_per_organisation_only(owner, other_org):
    create(owner, code="SAME")
    with pytest.raises(ValidationError) as refused:
        create(owner, code="SAME")
    assert "already used" in " ".join(refused.value.messages)
    customer_create(by=other_org.owner, code="SAME", name="Ailleurs", billing_address=ADDRESS,
                    effective_from=dt.date(2026, 1, 1))


def test_a_foreign_customer_has_an_identifier_with_its_scheme(owner):
    customer = create(owner, code="DE1", vat_number="DE136695976", foreign_identifier="HRB 1",
                      foreign_identifier_scheme="0204")
    assert customer.vat_number == "DE136695976"
    with pytest.raises(ValidationError):
        create(owner, code="DE2", foreign_identifier="HRB 1", foreign_identifier_scheme="GLN")


def test_addresses_keep_their_history(owner, org):
    address_add(by=owner, customer=org.customer, kind=AddressKind.BILLING, effective_from=dt.date(2026, 6, 1),
                line1="9 quai Neuf", postcode="13001", city="Marseille")
    assert address_at(customer=org.customer, kind=AddressKind.BILLING, on=dt.date(2026, 5, 31)).city == "Paris"
    assert address_at(customer=org.customer, kind=AddressKind.BILLING, on=dt.date(2026, 6, 1)).city == "Marseille"
    assert address_at(customer=org.customer, kind=AddressKind.DELIVERY, on=dt.date(2026, 6, 1)) is None


def test_consent_is_accepted_by_default_and_a_refusal_is_recorded_with_its_origin(owner, org):
    customer = org.customer
    assert customer.accepts_einvoices
    consent_refuse(by=None, customer_id=customer.pk, organisation_id=org.pk, on=dt.date(2026, 2, 3),
                   origin=ConsentOrigin.LINK)
    customer.refresh_from_db()
    assert not customer.accepts_einvoices
    assert (customer.consent_refused_on, customer.consent_refusal_origin) == (dt.date(2026, 2, 3), "link")
    consent_accept(by=owner, customer_id=customer.pk, organisation_id=org.pk, origin=ConsentOrigin.MANUAL)
    customer.refresh_from_db()
    assert customer.accepts_einvoices
    assert list(Event.objects.filter(subject_id=str(customer.pk), action__startswith="consent")
                .values_list("action", flat=True).order_by("id")) == ["consent.refuse", "consent.accept"]


def test_customers_are_listed_by_code_prefix_and_searched(owner, org):
    create(owner, code="ABC1", name="Alpha")
    create(owner, code="ABD2", name="Beta")
    assert [c.code for c in customer_list(organisation=org, code_prefix="AB")] == ["ABC1", "ABD2"]
    assert [c.code for c in customer_list(organisation=org, search="beta")] == ["ABD2"]


def test_an_update_is_audited_with_before_and_after(owner, org):
    customer_update(by=owner, customer_id=org.customer.pk, name="Client Renommé")
    event = Event.objects.get(action="customer.update")
    assert event.before["name"] == "Client Un SARL" and event.after["name"] == "Client Renommé"
