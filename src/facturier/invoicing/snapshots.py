"""The parties as frozen on a document at issue: legal data and addresses in force on the issue date.

The same builders give a draft its provisional parties (as of today), so a draft can be
checked and previewed exactly as it would be issued.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from facturier.accounts.selectors import legal_profile_at
from facturier.invoicing.models import Document
from facturier.parties.models import AddressKind
from facturier.parties.selectors import addresses_at, no_billing_address


def buyer_snapshot(document: Document, on: dt.date) -> dict[str, Any]:
    customer = document.customer
    billing, delivery = document.billing_address, document.delivery_address
    wanted = tuple(kind for kind, chosen in ((AddressKind.BILLING, billing), (AddressKind.DELIVERY, delivery))
                   if chosen is None)
    if wanted:  # the addresses in force on that date, read together
        in_force = addresses_at(customer=customer, kinds=wanted, on=on)
        billing = billing or in_force.get(AddressKind.BILLING)
        delivery = delivery or in_force.get(AddressKind.DELIVERY)
        if billing is None:
            raise no_billing_address(customer, on)
    address, scheme = customer.electronic_address, customer.electronic_address_scheme
    if not address and customer.siren:
        from facturier.platforms.routing import directory_address

        address, scheme = directory_address(customer) or ("", "")  # BT-49 as the PA directory gives it
    return {
        "code": customer.code, "name": customer.name, "siren": customer.siren, "siret": customer.siret,
        "vat_number": customer.vat_number, "foreign_identifier": customer.foreign_identifier,
        "foreign_identifier_scheme": customer.foreign_identifier_scheme,
        "is_public_sector": customer.is_public_sector, "chorus_service_code": customer.chorus_service_code,
        "electronic_address": address,
        "electronic_address_scheme": scheme,
        "email": invoice_email(customer),
        "billing_address": billing.snapshot(),
        "delivery_address": delivery.snapshot() if delivery else None,
    }


def invoice_email(customer) -> str:
    """The first contact's address that receives invoices (the contacts' order), or ""."""
    if "contacts" in getattr(customer, "_prefetched_objects_cache", {}):
        return next((c.email for c in customer.contacts.all() if c.receives_invoices and c.email), "")
    return (customer.contacts.filter(receives_invoices=True).exclude(email="")
            .values_list("email", flat=True).first() or "")


def seller_snapshot(document: Document, on: dt.date) -> dict[str, Any]:
    organisation = document.organisation
    return {
        **legal_profile_at(organisation=organisation, on=on).snapshot(),
        "vat_regime": organisation.vat_regime,
        "electronic_address": organisation.electronic_address,
        "electronic_address_scheme": organisation.electronic_address_scheme,
        "late_penalty_rate": str(organisation.late_penalty_rate),
    }
