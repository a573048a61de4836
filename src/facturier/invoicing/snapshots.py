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
from facturier.parties.selectors import address_at, billing_address_at


def buyer_snapshot(document: Document, on: dt.date) -> dict[str, Any]:
    customer = document.customer
    billing = document.billing_address or billing_address_at(customer=customer, on=on)
    delivery = document.delivery_address or address_at(customer=customer, kind=AddressKind.DELIVERY, on=on)
    return {
        "code": customer.code, "name": customer.name, "siren": customer.siren, "siret": customer.siret,
        "vat_number": customer.vat_number, "foreign_identifier": customer.foreign_identifier,
        "foreign_identifier_scheme": customer.foreign_identifier_scheme,
        "is_public_sector": customer.is_public_sector, "chorus_service_code": customer.chorus_service_code,
        "electronic_address": customer.electronic_address,
        "electronic_address_scheme": customer.electronic_address_scheme,
        "email": next((c.email for c in customer.contacts.all() if c.receives_invoices and c.email), ""),
        "billing_address": billing.snapshot(),
        "delivery_address": delivery.snapshot() if delivery else None,
    }


def seller_snapshot(document: Document, on: dt.date) -> dict[str, Any]:
    organisation = document.organisation
    return {
        **legal_profile_at(organisation=organisation, on=on).snapshot(),
        "vat_regime": organisation.vat_regime,
        "electronic_address": organisation.electronic_address,
        "electronic_address_scheme": organisation.electronic_address_scheme,
        "late_penalty_rate": str(organisation.late_penalty_rate),
    }
