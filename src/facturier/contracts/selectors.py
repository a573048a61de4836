"""Reads on contracts, every one scoped by organisation."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet

from facturier.accounts.models import Organisation
from facturier.contracts import calendar
from facturier.contracts.models import Contract, ContractPeriod, Timing
from facturier.contracts.services import lines_for, step_of
from facturier.engine.en16931.money import round_amount


def contracts_of(*, organisation: Organisation, state: str = "") -> QuerySet[Contract]:
    qs = Contract.objects.filter(organisation=organisation).select_related("customer")
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("state", "next_due", "id")


def contract_get(*, organisation: Organisation, pk: int) -> Contract:
    """The contract if it belongs to the organisation; Contract.DoesNotExist otherwise."""
    return contracts_of(organisation=organisation).get(pk=pk)


def periods_of(*, organisation: Organisation, contract: Contract) -> QuerySet[ContractPeriod]:
    return (ContractPeriod.objects.filter(contract__organisation=organisation, contract=contract)
            .select_related("document").order_by("-start"))


def next_amount(contract: Contract) -> Decimal | None:
    """The total excluding VAT of the next invoice (with its revision), or None when nothing is left."""
    if contract.next_due is None:
        return None
    p = calendar.period(contract.start_date, index=contract.next_index, step=step_of(contract),
                        day=contract.day_of_month, in_advance=contract.timing == Timing.IN_ADVANCE)
    total = Decimal(0)
    for line in lines_for(contract, p):
        net = Decimal(line["quantity"]) * Decimal(line["unit_price"]) / Decimal(line.get("price_base_quantity") or 1)
        net -= net * Decimal(line.get("discount_percent") or 0) / Decimal(100)
        total += round_amount(net, contract.currency)
    return total


def contract_of_documents(*, organisation: Organisation, document_ids: list[int]) -> dict[int, str]:
    return dict(ContractPeriod.objects.filter(contract__organisation=organisation, document_id__in=document_ids)
                .values_list("document_id", "contract__name"))
