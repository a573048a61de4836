"""Customers: create, read, change, list and search (by code, SIREN or name)."""

from __future__ import annotations

from django.utils import timezone
from ninja import Query, Router, Schema, Status

from facturier.api.context import acting
from facturier.api.models import Scope
from facturier.api.schemas import CustomerIn, CustomerOut, CustomerPage, CustomerPatch
from facturier.parties.models import AddressKind, Customer
from facturier.parties.selectors import address_at, customer_get, customer_list
from facturier.parties.services import customer_create, customer_update

router = Router(tags=["customers"])


class CustomerQuery(Schema):
    q: str = ""
    code: str = ""
    siren: str = ""
    cursor: str = ""
    limit: int = 50


def customer_out(c: Customer) -> dict:
    address = address_at(customer=c, kind=AddressKind.BILLING, on=timezone.localdate())
    return {
        "id": c.pk, "code": c.code, "name": c.name, "siren": c.siren, "siret": c.siret, "vat_number": c.vat_number,
        "electronic_address": c.electronic_address, "electronic_address_scheme": c.electronic_address_scheme,
        "is_public_sector": c.is_public_sector, "language": c.language, "preferred_channel": c.preferred_channel,
        "buyer_reference": c.buyer_reference, "accepts_einvoices": c.accepts_einvoices,
        "billing_address": None if address is None else {
            "line1": address.line1, "line2": address.line2, "postcode": address.postcode, "city": address.city,
            "country": address.country, "effective_from": address.effective_from},
        "contacts": [{"name": k.name, "email": k.email, "phone": k.phone, "role": k.role,
                      "receives_invoices": k.receives_invoices} for k in c.contacts.all()],
    }


@router.get("", response=CustomerPage, summary="List or search customers",
            description="Ordered by code; `q` searches code and name (and an exact SIREN), `code` is a code prefix. "
                        "Pass `next_cursor` back as `cursor` for the next page.")
def list_customers(request, query: Query[CustomerQuery]):
    by = acting(request, Scope.READ)
    qs = customer_list(organisation=by.organisation, search=query.q.strip(), code_prefix=query.code.strip())
    if query.siren.strip():
        qs = qs.filter(siren=query.siren.strip())
    if query.cursor:
        qs = qs.filter(code__gt=query.cursor)
    size = max(1, min(query.limit, 200))
    rows = list(qs.prefetch_related("contacts")[:size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return {"items": [customer_out(c) for c in rows], "next_cursor": rows[-1].code if more and rows else None}


@router.post("", response={201: CustomerOut}, summary="Create a customer")
def create_customer(request, payload: CustomerIn):
    by = acting(request, Scope.DOCUMENTS_WRITE)
    data = payload.dict(exclude_unset=True)
    billing = data.pop("billing_address")
    delivery = data.pop("delivery_address", None)
    contacts = data.pop("contacts", [])
    effective_from = data.pop("effective_from", None) or timezone.localdate()
    fields = {k: v for k, v in data.items() if v is not None}
    customer = customer_create(by=by, billing_address=billing, delivery_address=delivery, contacts=contacts,
                               effective_from=effective_from, **fields)
    return Status(201, customer_out(customer))


@router.get("/{int:customer_id}", response=CustomerOut, summary="Get a customer")
def get_customer(request, customer_id: int):
    by = acting(request, Scope.READ)
    return customer_out(customer_get(organisation=by.organisation, pk=customer_id))


@router.patch("/{int:customer_id}", response=CustomerOut, summary="Change a customer",
              description="Only the fields sent change. A new address is not set here (addresses have history).")
def update_customer(request, customer_id: int, payload: CustomerPatch):
    by = acting(request, Scope.DOCUMENTS_WRITE)
    fields = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return customer_out(customer_update(by=by, customer_id=customer_id, **fields))
