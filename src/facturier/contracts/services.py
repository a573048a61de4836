"""Writes on subscription contracts, and the generation of what they invoice.

Generation is exactly once per contract and period: the period's `ContractPeriod` row (unique on
contract and period start) and its draft are created in one transaction, under the contract's row
lock; what follows (issue, then send) is a step of its own, recorded on that row, so a worker killed
between two steps resumes the next one instead of starting the period again. Issuing goes through
`invoicing.services.document_issue`, the one gate: when it refuses, the draft stays, the row says why
and the organisation gets a notification.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Membership, Right
from facturier.accounts.services import require_right
from facturier.audit.services import audit_record
from facturier.contracts import calendar
from facturier.contracts.models import (
    FREQUENCY_MONTHS,
    Action,
    Contract,
    ContractPeriod,
    ContractSettings,
    ContractState,
    Frequency,
    Outcome,
    Timing,
)
from facturier.errors import FacturierError, localized
from facturier.invoicing.content import InvalidDocument, as_lines, validate_content
from facturier.invoicing.models import Document, Kind
from facturier.invoicing.numbering import NotChronological
from facturier.parties.selectors import customer_get

log = logging.getLogger(__name__)
BATCH = 500  # contracts whose next period is generated in one transaction
EDITABLE = {"name", "reference", "lines", "end_date", "occurrences", "revision_percent", "action"}
CALENDAR = {"frequency", "every_months", "start_date", "day_of_month", "timing"}


class Problem:
    """A field's message, translated and its dates localized when read (so the screen's language wins)."""

    def __init__(self, template, **params):
        self.template, self.params = template, params

    def __str__(self) -> str:
        return str(self.template) % {k: localized(v) for k, v in self.params.items()}


class InvalidContract(FacturierError):
    """The contract cannot be saved; `errors` maps each field to its messages."""

    code = "invalid_contract"

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        field, problems = next(iter(errors.items()))
        super().__init__(_("The contract cannot be saved: %(field)s — %(problem)s"), field=field,
                         problem=problems[0])


class ContractStateError(FacturierError):
    code = "contract_state"


def step_of(contract: Contract) -> int:
    return FREQUENCY_MONTHS.get(contract.frequency) or contract.every_months


def _lines_json(lines: list[Any], currency: str) -> list[dict[str, Any]]:
    data = as_lines(lines)
    validate_content(kind=Kind.INVOICE, currency=currency, lines=data, allowances_charges=[])
    return [{k: (str(v) if isinstance(v, Decimal) else v) for k, v in
             {f: getattr(line, f) for f in line.__slots__}.items()} for line in data]


def _validate(contract: Contract) -> None:
    errors: dict[str, list[str]] = {}
    if not contract.name.strip():
        errors["name"] = [Problem(_("Give the contract a name."))]
    if contract.frequency not in Frequency.values:
        errors["frequency"] = [Problem(_("Unknown frequency."))]
    elif contract.frequency == Frequency.EVERY_N_MONTHS and not 1 <= (contract.every_months or 0) <= 120:
        errors["every_months"] = [Problem(_("Every N months: N is between 1 and 120."))]
    if contract.timing not in Timing.values:
        errors["timing"] = [Problem(_("Choose in advance or in arrears."))]
    if contract.action not in Action.values:
        errors["action"] = [Problem(_("Unknown action."))]
    if not 1 <= (contract.day_of_month or 0) <= 31:
        errors["day_of_month"] = [Problem(_("The day of the month is between 1 and 31 (31: the last day)."))]
    elif contract.start_date and contract.start_date != calendar.month_day(
            contract.start_date.year, contract.start_date.month, contract.day_of_month):
        errors["start_date"] = [Problem(_("The start date must fall on the contract's day of the month (%(day)s; "
                                          "31 means the last day of the month)."), day=contract.day_of_month)]
    if contract.end_date and contract.start_date and contract.end_date < contract.start_date:
        errors["end_date"] = [Problem(_("The end date (%(end)s) is before the start date (%(start)s)."),
                                      end=contract.end_date, start=contract.start_date)]
    if contract.occurrences is not None and contract.occurrences < 1:
        errors["occurrences"] = [Problem(_("The number of invoices is at least 1."))]
    if contract.revision_percent is not None:
        try:
            revision = Decimal(contract.revision_percent)
        except (InvalidOperation, TypeError, ValueError):
            revision = None
        if revision is None or not Decimal(-50) <= revision <= Decimal(100):
            errors["revision_percent"] = [Problem(_("The yearly revision is a percentage between -50 and 100."))]
    if errors:
        raise InvalidContract(errors)


def _schedule(contract: Contract) -> None:
    """Set `next_due` from `next_index`; a contract with no period left ends."""
    nxt = next(calendar.periods(contract.start_date, step=step_of(contract), day=contract.day_of_month,
                                in_advance=contract.timing == Timing.IN_ADVANCE, from_index=contract.next_index,
                                end_date=contract.end_date, occurrences=contract.occurrences), None)
    contract.next_due = nxt.due if nxt else None
    if nxt is None:
        contract.state = ContractState.ENDED


def _summary(contract: Contract) -> dict[str, Any]:
    return {"state": contract.state, "name": contract.name, "frequency": contract.frequency,
            "next_due": str(contract.next_due) if contract.next_due else None, "lines": len(contract.lines)}


def contract_create(*, by: Membership, customer_id: int, name: str, lines: list[Any], start_date: dt.date,
                    frequency: str = Frequency.MONTHLY, every_months: int = 1, end_date: dt.date | None = None,
                    occurrences: int | None = None, timing: str = Timing.IN_ADVANCE, day_of_month: int | None = None,
                    revision_percent: Decimal | None = None, action: str = Action.DRAFT, reference: str = "",
                    currency: str = "EUR", source: Document | None = None) -> Contract:
    """A running contract; the worker invoices its periods as they fall due (the past ones at once)."""
    require_right(by, Right.ISSUE)
    if action == Action.ISSUE_AND_SEND:
        require_right(by, Right.SEND)
    try:
        line_data = _lines_json(lines, currency)
    except InvalidDocument as e:
        raise InvalidContract({f"lines.{k}" if not k.startswith("lines") else k: v for k, v in e.errors.items()})
    with transaction.atomic():
        customer = customer_get(organisation=by.organisation, pk=customer_id)
        contract = Contract(organisation=by.organisation, customer=customer, name=name, reference=reference,
                            lines=line_data, currency=currency, frequency=frequency,
                            every_months=every_months or 1, start_date=start_date, end_date=end_date,
                            occurrences=occurrences, timing=timing,
                            day_of_month=day_of_month or (start_date.day if start_date else 0),
                            revision_percent=revision_percent, action=action, source=source, acting=by)
        _validate(contract)
        _schedule(contract)
        contract.save()
        audit_record(actor=by, subject=contract, action="contract.create", after=_summary(contract))
    return contract


def contract_from_invoice(*, by: Membership, document_id: int, **fields) -> Contract:
    """A contract repeating an issued invoice: its customer, its lines and its currency."""
    from facturier.invoicing.selectors import document_get, line_data_of

    document = document_get(organisation=by.organisation, pk=document_id)
    if document.is_draft or document.kind not in (Kind.INVOICE, Kind.CORRECTIVE, Kind.FINAL):
        raise ContractStateError(_("Only an issued invoice can start a contract."))
    fields.setdefault("name", f"{document.customer.name} — {document.number}")
    fields.setdefault("reference", document.contract_reference)
    return contract_create(by=by, customer_id=document.customer_id, lines=fields.pop("lines", None)
                           or line_data_of(document), currency=document.currency, source=document, **fields)


def _locked(by: Membership, contract_id: int) -> Contract:
    contract = Contract.objects.select_for_update().filter(organisation=by.organisation, pk=contract_id).first()
    if contract is None:
        raise ContractStateError(_("No such contract."))
    return contract


def contract_update(*, by: Membership, contract_id: int, **changes) -> Contract:
    """Change a contract; the next invoices use the change. Its calendar is fixed once a period is invoiced."""
    require_right(by, Right.ISSUE)
    unknown = set(changes) - EDITABLE - CALENDAR
    if unknown:
        raise InvalidContract({", ".join(sorted(unknown)): [str(_("unknown field"))]})
    with transaction.atomic():
        contract = _locked(by, contract_id)
        if contract.state == ContractState.ENDED:
            raise ContractStateError(_("This contract has ended: it can no longer change."))
        if set(changes) & CALENDAR and contract.next_index > 0:
            raise InvalidContract({sorted(set(changes) & CALENDAR)[0]: [str(_(
                "Invoices were already generated: the calendar can no longer change. End this contract "
                "and start a new one."))]})
        if changes.get("action") == Action.ISSUE_AND_SEND:
            require_right(by, Right.SEND)
        before = _summary(contract)
        if "lines" in changes:
            try:
                changes["lines"] = _lines_json(changes["lines"], contract.currency)
            except InvalidDocument as e:
                raise InvalidContract(e.errors)
        for name, value in changes.items():
            setattr(contract, name, value)
        _validate(contract)
        contract.acting = by
        _schedule(contract)
        contract.save()
        audit_record(actor=by, subject=contract, action="contract.update", before=before, after=_summary(contract))
    return contract


def contract_pause(*, by: Membership, contract_id: int) -> Contract:
    """Stop invoicing. The periods that fall due while paused are skipped, never invoiced later."""
    return _set_state(by, contract_id, ContractState.PAUSED, allowed=(ContractState.RUNNING,))


def contract_resume(*, by: Membership, contract_id: int, on: dt.date | None = None) -> Contract:
    """Invoice again from the first period due on or after the resumption date; the periods due while
    the contract was paused are recorded as skipped."""
    on = on or timezone.localdate()
    with transaction.atomic():
        contract = _set_state(by, contract_id, ContractState.RUNNING, allowed=(ContractState.PAUSED,))
        contract = Contract.objects.select_for_update().get(pk=contract.pk)
        step, in_advance = step_of(contract), contract.timing == Timing.IN_ADVANCE
        skipped = []
        for p in calendar.periods(contract.start_date, step=step, day=contract.day_of_month, in_advance=in_advance,
                                  from_index=contract.next_index, end_date=contract.end_date,
                                  occurrences=contract.occurrences):
            if p.due >= on:
                break
            skipped.append(ContractPeriod(contract=contract, index=p.index, start=p.start, end=p.end, due=p.due,
                                          action=contract.action, outcome=Outcome.SKIPPED,
                                          reason=str(_("The contract was paused."))))
            contract.next_index = p.index + 1
        ContractPeriod.objects.bulk_create(skipped)
        contract.paused_at = None
        _schedule(contract)
        contract.save()
    return contract


def contract_end(*, by: Membership, contract_id: int) -> Contract:
    """End the contract now: nothing more is invoiced."""
    return _set_state(by, contract_id, ContractState.ENDED, allowed=(ContractState.RUNNING, ContractState.PAUSED))


def _set_state(by: Membership, contract_id: int, to: str, *, allowed: tuple[str, ...]) -> Contract:
    require_right(by, Right.ISSUE)
    with transaction.atomic():
        contract = _locked(by, contract_id)
        if contract.state not in allowed:
            raise ContractStateError(_("This contract is %(state)s: it cannot be %(verb)s."),
                                     state=contract.get_state_display().lower(),
                                     verb={ContractState.PAUSED: _("paused"), ContractState.RUNNING: _("resumed"),
                                           ContractState.ENDED: _("ended")}[to])
        before = contract.state
        contract.state = to
        if to == ContractState.PAUSED:
            contract.paused_at = timezone.localdate()
        if to == ContractState.ENDED:
            contract.next_due = None
        contract.save()
        verb = {ContractState.PAUSED: "pause", ContractState.RUNNING: "resume", ContractState.ENDED: "end"}[to]
        audit_record(actor=by, subject=contract, action=f"contract.{verb}", before={"state": before},
                     after={"state": to})
    return contract


def settings_update(*, by: Membership, allow_backdating: bool) -> ContractSettings:
    require_right(by, Right.MANAGE_SETTINGS)
    with transaction.atomic():
        row, _created = ContractSettings.objects.select_for_update().get_or_create(organisation=by.organisation)
        before = row.allow_backdating
        row.allow_backdating = bool(allow_backdating)
        row.save()
        audit_record(actor=by, subject=row, action="contract.settings", before={"allow_backdating": before},
                     after={"allow_backdating": row.allow_backdating}, organisation=by.organisation)
    return row


# --- Generation ------------------------------------------------------------------------------------


def lines_for(contract: Contract, period: calendar.Period) -> list[dict[str, Any]]:
    """The contract's lines as they are now, with the price revised at each anniversary passed."""
    years = calendar.anniversaries(contract.start_date, period.start)
    return [{**line, "unit_price": calendar.revised_price(Decimal(line["unit_price"]),
                                                          percent=contract.revision_percent, years=years,
                                                          currency=contract.currency)}
            for line in contract.lines]


def _notify(contract: Contract, text: str, document: Document | None = None) -> None:
    from facturier.delivery.models import Notification

    Notification.objects.create(organisation_id=contract.organisation_id, kind="contract.refused",
                                text=text[:500], document=document)


def generate_next(*, contract_id: int, today: dt.date) -> ContractPeriod | None:
    """Create the next period due of one contract, and its draft, in one transaction; None if nothing is due."""
    from facturier.invoicing.services import draft_create

    with transaction.atomic():
        contract = Contract.objects.select_for_update().filter(pk=contract_id).first()
        if contract is None or contract.state != ContractState.RUNNING or not contract.next_due \
                or contract.next_due > today:
            return None
        p = calendar.period(contract.start_date, index=contract.next_index, step=step_of(contract),
                            day=contract.day_of_month, in_advance=contract.timing == Timing.IN_ADVANCE)
        row = ContractPeriod(contract=contract, index=p.index, start=p.start, end=p.end, due=p.due,
                             action=contract.action)
        member = contract.acting
        try:
            if member is None:
                raise ContractStateError(_("Nobody invoices in the name of this contract any more: edit it."))
            row.document = draft_create(by=member, customer_id=contract.customer_id, lines=lines_for(contract, p),
                                        currency=contract.currency, contract_reference=contract.reference,
                                        period_start=p.start, period_end=p.end)
            row.outcome = Outcome.DRAFT if contract.action == Action.DRAFT else Outcome.PENDING
        except FacturierError as e:
            row.outcome, row.reason = Outcome.REFUSED, e.message
            _notify(contract, str(_("Contract %(name)s: the invoice of %(start)s could not be created: %(why)s")
                                  % {"name": contract.name, "start": localized(p.start), "why": e.message}))
        row.save()
        contract.next_index = p.index + 1
        _schedule(contract)
        contract.save(update_fields=["next_index", "next_due", "state"])
    return row


def complete(*, period_id: int, today: dt.date) -> ContractPeriod:
    """The action after the draft: issue (dated as due when allowed), then queue the sending."""
    from facturier.delivery.services import send_documents
    from facturier.invoicing.services import document_issue

    row = ContractPeriod.objects.select_related("contract", "contract__acting").get(pk=period_id)
    contract, member = row.contract, row.contract.acting
    if row.outcome == Outcome.PENDING:
        backdate = ContractSettings.objects.filter(organisation_id=contract.organisation_id,
                                                   allow_backdating=True).exists()
        dates = [row.due, today] if backdate and row.due < today else [today]
        with transaction.atomic():
            row = ContractPeriod.objects.select_for_update().get(pk=period_id)
            if row.outcome != Outcome.PENDING:
                return row
            try:
                if member is None:
                    raise ContractStateError(_("Nobody invoices in the name of this contract any more: edit it."))
                for i, date in enumerate(dates):
                    try:
                        with transaction.atomic():
                            document_issue(by=member, document_id=row.document_id, issue_date=date)
                        break
                    except NotChronological as e:
                        if i == len(dates) - 1:
                            raise
                        row.reason = str(Problem(_("Dated %(today)s, not %(due)s: %(why)s"),
                                                 today=today, due=row.due, why=e.message))
                row.outcome = Outcome.ISSUED
            except FacturierError as e:
                row.outcome, row.reason = Outcome.REFUSED, e.message
                _notify(contract, str(_("Contract %(name)s: the invoice of %(start)s was not issued: %(why)s")
                                      % {"name": contract.name, "start": localized(row.start), "why": e.message}),
                        document=row.document)
            row.save(update_fields=["outcome", "reason"])
    if row.outcome == Outcome.ISSUED and row.action == Action.ISSUE_AND_SEND:
        with transaction.atomic():
            row = ContractPeriod.objects.select_for_update().get(pk=period_id)
            if row.outcome != Outcome.ISSUED:
                return row
            try:
                result = send_documents(by=member, document_ids=[row.document_id])
                refusals = [r.reason for r in result.refused]
            except FacturierError as e:
                refusals = [e.message]
            if refusals:
                row.action = Action.ISSUE  # nothing more to do for this period: the member sends it by hand
                row.reason = str(_("Not sent: %(why)s") % {"why": "; ".join(refusals)})
                _notify(contract, str(_("Contract %(name)s: the invoice of %(start)s was issued but not sent: "
                                        "%(why)s") % {"name": contract.name, "start": localized(row.start),
                                                      "why": "; ".join(refusals)}), document=row.document)
            else:
                row.outcome = Outcome.SENT
            row.save(update_fields=["outcome", "reason", "action"])
    return row


def generate_due(*, today: dt.date | None = None, organisation_id: int | None = None) -> int:
    """Everything due up to `today`: first what a stopped worker left half done, then each missed period
    once, oldest first. Returns how many periods were created. Safe to run twice, or in two workers."""
    today = today or timezone.localdate()
    unfinished = ContractPeriod.objects.filter(outcome__in=(Outcome.PENDING, Outcome.ISSUED),
                                               action__in=(Action.ISSUE, Action.ISSUE_AND_SEND))
    due = Contract.objects.filter(state=ContractState.RUNNING, next_due__lte=today)
    if organisation_id is not None:
        unfinished = unfinished.filter(contract__organisation_id=organisation_id)
        due = due.filter(organisation_id=organisation_id)
    for period_id in unfinished.exclude(outcome=Outcome.ISSUED, action=Action.ISSUE).values_list("pk", flat=True):
        complete(period_id=period_id, today=today)
    from facturier.contracts.batch import generate_drafts

    created = 0
    while ids := list(due.order_by("next_due", "pk").values_list("pk", flat=True)[:BATCH]):
        rows, left = generate_drafts(contract_ids=ids, today=today)
        created += len(rows)
        for row in sorted(rows, key=lambda r: (r.due, r.pk)):  # oldest first: numbering follows the dates
            if row.outcome == Outcome.PENDING:
                complete(period_id=row.pk, today=today)
        for contract_id in left:  # one by one: each is created or refused, and moves on
            row = generate_next(contract_id=contract_id, today=today)
            if row is not None:
                created += 1
                if row.outcome == Outcome.PENDING:
                    complete(period_id=row.pk, today=today)
    return created
