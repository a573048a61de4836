"""Reads on customers, always within one organisation."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Organisation
from facturier.errors import FacturierError
from facturier.parties.models import Address, AddressKind, Customer


class NoAddress(FacturierError):
    code = "no_address"


def customer_list(*, organisation: Organisation, search: str = "", code_prefix: str = "") -> QuerySet[Customer]:
    qs = Customer.objects.filter(organisation=organisation)
    if code_prefix:
        qs = qs.filter(code__startswith=code_prefix)
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(name__icontains=search) | Q(siren=search))
    return qs.order_by("code")


def customer_get(*, organisation: Organisation, pk: int, for_update: bool = False) -> Customer:
    """The customer if it belongs to the organisation; Customer.DoesNotExist otherwise."""
    qs = Customer.objects.filter(organisation=organisation)
    if for_update:
        qs = qs.select_for_update()
    return qs.get(pk=pk)


def address_at(*, customer: Customer, kind: AddressKind, on: dt.date) -> Address | None:
    """The address of that kind in force on a date (the latest one not after it)."""
    return (Address.objects.filter(customer=customer, kind=kind, effective_from__lte=on)
            .order_by("-effective_from").first())


def addresses_at(*, customer: Customer, kinds: tuple[AddressKind, ...], on: dt.date) -> dict[str, Address]:
    """The addresses of these kinds in force on a date, in one query: {kind: address} (a kind absent has none)."""
    found: dict[str, Address] = {}
    for address in Address.objects.filter(customer=customer, kind__in=kinds, effective_from__lte=on).order_by(
            "kind", "-effective_from"):
        found.setdefault(address.kind, address)
    return found


def no_billing_address(customer: Customer, on: dt.date) -> NoAddress:
    return NoAddress(_("The customer %(code)s has no billing address in force on %(date)s."),
                     code=customer.code, date=on)


def billing_address_at(*, customer: Customer, on: dt.date) -> Address:
    address = address_at(customer=customer, kind=AddressKind.BILLING, on=on)
    if address is None:
        raise no_billing_address(customer, on)
    return address
