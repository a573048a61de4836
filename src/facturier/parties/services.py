"""Writes on customers: creation and edits, addresses with history, consent."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from facturier.accounts.models import Membership, Right
from facturier.accounts.services import require_right
from facturier.audit.services import audit_record
from facturier.parties.models import Address, AddressKind, ConsentOrigin, Contact, Customer
from facturier.parties.selectors import customer_get

CUSTOMER_FIELDS = {
    "code", "name", "siren", "siret", "vat_number", "foreign_identifier", "foreign_identifier_scheme",
    "is_public_sector", "chorus_service_code", "language", "payment_terms_days", "due_date_rule", "notes",
    "preferred_channel", "electronic_address", "electronic_address_scheme", "document_template",
    "preferred_format", "preferred_connector_id", "buyer_reference",
}


def customer_create(*, by: Membership, billing_address: dict, effective_from: dt.date,
                    contacts: list[dict] = (), delivery_address: dict | None = None, **fields) -> Customer:
    """A customer with its first billing address (and contacts); all or nothing."""
    require_right(by, Right.EDIT)
    unknown = set(fields) - CUSTOMER_FIELDS
    if unknown:
        raise TypeError(f"unknown customer fields: {sorted(unknown)}")
    with transaction.atomic():
        customer = Customer(organisation=by.organisation, **fields)
        customer.full_clean()
        customer.save()
        address_add(by=by, customer=customer, kind=AddressKind.BILLING, effective_from=effective_from,
                    **billing_address)
        if delivery_address:
            address_add(by=by, customer=customer, kind=AddressKind.DELIVERY, effective_from=effective_from,
                        **delivery_address)
        for contact in contacts:
            c = Contact(customer=customer, **contact)
            c.full_clean()
            c.save()
        audit_record(actor=by, subject=customer, action="customer.create", after=_fields_of(customer))
    return customer


def customer_update(*, by: Membership, customer_id: int, **fields) -> Customer:
    require_right(by, Right.EDIT)
    unknown = set(fields) - CUSTOMER_FIELDS
    if unknown:
        raise TypeError(f"unknown customer fields: {sorted(unknown)}")
    with transaction.atomic():
        customer = customer_get(organisation=by.organisation, pk=customer_id, for_update=True)
        before = _fields_of(customer)
        for name, value in fields.items():
            setattr(customer, name, value)
        customer.full_clean()
        customer.save()
        audit_record(actor=by, subject=customer, action="customer.update", before=before,
                     after=_fields_of(customer))
    return customer


def address_add(*, by: Membership, customer: Customer, kind: AddressKind, effective_from: dt.date,
                **fields) -> Address:
    """A new address from a date on. Earlier documents keep the address they were issued with."""
    require_right(by, Right.EDIT)
    if customer.organisation_id != by.organisation_id:
        raise Customer.DoesNotExist
    address, _created = Address.objects.update_or_create(
        customer=customer, kind=kind, effective_from=effective_from, defaults=fields)
    address.full_clean()
    address.save()
    return address


def consent_refuse(*, by: Membership | None, customer_id: int, organisation_id: int, on: dt.date,
                   origin: ConsentOrigin) -> Customer:
    """Record that the customer refused e-invoices (by the letter's link or by hand)."""
    if by is not None:
        require_right(by, Right.EDIT)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id, organisation_id=organisation_id)
        customer.consent_refused_on = on
        customer.consent_refusal_origin = origin
        customer.save(update_fields=["consent_refused_on", "consent_refusal_origin"])
        audit_record(actor=by, organisation=customer.organisation, subject=customer, action="consent.refuse",
                     after={"on": on.isoformat(), "origin": str(origin)})
    return customer


def consent_accept(*, by: Membership | None, customer_id: int, organisation_id: int,
                   origin: ConsentOrigin) -> Customer:
    if by is not None:
        require_right(by, Right.EDIT)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id, organisation_id=organisation_id)
        customer.consent_refused_on = None
        customer.consent_refusal_origin = ""
        customer.save(update_fields=["consent_refused_on", "consent_refusal_origin"])
        audit_record(actor=by, organisation=customer.organisation, subject=customer, action="consent.accept",
                     after={"origin": str(origin)})
    return customer


def _fields_of(customer: Customer) -> dict:
    return {name: getattr(customer, name) for name in sorted(CUSTOMER_FIELDS)}
