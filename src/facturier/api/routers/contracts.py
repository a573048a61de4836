"""Subscription contracts: list, get, create (from scratch or from an issued invoice), pause, resume, end."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Query, Router, Schema, Status
from pydantic import Field

from facturier.api.context import acting
from facturier.api.models import Scope
from facturier.api.schemas import DecimalString, LineIn, Out, Strict

router = Router(tags=["contracts"])


class ContractIn(Strict):
    customer_id: int | None = Field(default=None, description="Required unless `from_document_id` is given.")
    from_document_id: int | None = Field(default=None, description="An issued invoice whose customer, lines and "
                                                                   "currency the contract repeats.")
    name: str | None = None
    reference: str = ""
    lines: list[LineIn] | None = None
    start_date: dt.date
    frequency: str = Field(default="monthly", description="monthly, quarterly, half_yearly, yearly or every_n")
    every_months: int = 1
    end_date: dt.date | None = None
    occurrences: int | None = None
    timing: str = Field(default="advance", description="advance or arrears")
    day_of_month: int | None = Field(default=None, description="1–31 (31: the last day); the start date's day "
                                                               "when omitted")
    revision_percent: DecimalString | None = None
    action: str = Field(default="draft", description="draft, issue or send")


class PeriodOut(Out):
    start: dt.date
    end: dt.date
    due: dt.date
    outcome: str
    reason: str
    document_id: int | None


class ContractOut(Out):
    id: int
    name: str
    reference: str
    customer_id: int
    state: str
    frequency: str
    every_months: int
    timing: str
    day_of_month: int
    start_date: dt.date
    end_date: dt.date | None
    occurrences: int | None
    revision_percent: Decimal | None
    action: str
    currency: str
    next_due: dt.date | None
    next_amount: Decimal | None
    lines: list[dict]
    periods: list[PeriodOut]


class ContractPage(Out):
    items: list[ContractOut]


class ContractQuery(Schema):
    state: str = ""


def contract_out(contract) -> dict:
    from facturier.contracts.selectors import next_amount, periods_of

    return {
        "id": contract.pk, "name": contract.name, "reference": contract.reference,
        "customer_id": contract.customer_id, "state": contract.state, "frequency": contract.frequency,
        "every_months": contract.every_months, "timing": contract.timing, "day_of_month": contract.day_of_month,
        "start_date": contract.start_date, "end_date": contract.end_date, "occurrences": contract.occurrences,
        "revision_percent": contract.revision_percent, "action": contract.action, "currency": contract.currency,
        "next_due": contract.next_due, "next_amount": next_amount(contract), "lines": contract.lines,
        "periods": [{"start": p.start, "end": p.end, "due": p.due, "outcome": p.outcome, "reason": p.reason,
                     "document_id": p.document_id}
                    for p in periods_of(organisation=contract.organisation, contract=contract)],
    }


@router.get("", response=ContractPage, summary="List contracts", description="Filter with `state` "
            "(running, paused, ended).")
def list_contracts(request, query: Query[ContractQuery]):
    from facturier.contracts.selectors import contracts_of

    by = acting(request, Scope.READ)
    return {"items": [contract_out(c) for c in contracts_of(organisation=by.organisation, state=query.state)]}


@router.get("/{int:contract_id}", response=ContractOut, summary="Get a contract and the periods it invoiced")
def get_contract(request, contract_id: int):
    from facturier.contracts.selectors import contract_get

    by = acting(request, Scope.READ)
    return contract_out(contract_get(organisation=by.organisation, pk=contract_id))


@router.post("", response={201: ContractOut}, summary="Create a running contract",
             description="From scratch (`customer_id`, `lines`) or from an issued invoice (`from_document_id`). "
                         "The worker invoices each period once as it falls due. An end before the start, or a "
                         "number of invoices below 1, is refused (422).")
def create_contract(request, payload: ContractIn):
    from facturier.contracts.services import contract_create, contract_from_invoice

    by = acting(request, Scope.ISSUE)
    data = payload.dict(exclude_unset=True)
    source = data.pop("from_document_id", None)
    lines = data.pop("lines", None)
    customer_id = data.pop("customer_id", None)
    fields = {k: v for k, v in data.items() if v is not None or k in ("end_date", "occurrences")}
    if source is not None:
        if lines is not None:
            fields["lines"] = lines
        contract = contract_from_invoice(by=by, document_id=source, **fields)
    else:
        from facturier.contracts.services import InvalidContract

        if customer_id is None or not lines:
            raise InvalidContract({"customer_id" if customer_id is None else "lines": ["required"]})
        fields.setdefault("name", "")
        contract = contract_create(by=by, customer_id=customer_id, lines=lines, **fields)
    return Status(201, contract_out(contract))


def _verb(verb: str, summary: str):
    @router.post(f"/{{int:contract_id}}/{verb}", response=ContractOut, summary=summary, operation_id=f"{verb}_contract")
    def endpoint(request, contract_id: int):
        from facturier.contracts import services

        by = acting(request, Scope.ISSUE)
        contract = getattr(services, f"contract_{verb}")(by=by, contract_id=contract_id)
        return contract_out(contract)

    return endpoint


pause_contract = _verb("pause", "Pause a contract (the periods due while paused are skipped)")
resume_contract = _verb("resume", "Resume a paused contract")
end_contract = _verb("end", "End a contract: nothing more is invoiced")
