"""Many contract drafts at once: the worker's daily run over thousands of contracts due.

A chunk of due contracts is locked and each one's next period gets its draft — built as
`invoicing.services.draft_create` builds one (the same header defaults, content checks, EN 16931 totals
and audit event) — and its `ContractPeriod` row, all in one transaction: exactly once holds as for one
contract (the unique key on contract and period start), at a fraction of the queries. A contract this
path cannot take (its member lost the right, its lines no longer pass the checks) is left to the
one-by-one path, which records why.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models.signals import post_save

from facturier.accounts.models import Right
from facturier.audit.models import Event
from facturier.contracts import calendar
from facturier.contracts.models import Action, Contract, ContractPeriod, ContractState, Outcome, Timing
from facturier.errors import FacturierError
from facturier.invoicing.content import as_lines, line_discount_amount, totals_of, validate_content
from facturier.invoicing.models import Document, Kind, Line


def generate_drafts(*, contract_ids: list[int], today: dt.date) -> tuple[list[ContractPeriod], list[int]]:
    """(the periods made, the contracts left to the one-by-one path)."""
    from facturier.contracts.services import _schedule, lines_for, step_of
    from facturier.invoicing.services import _breakdown_rows, _default_series, _header_defaults

    made: list[tuple[Contract, calendar.Period, Document, list]] = []
    left: list[int] = []
    with transaction.atomic():
        contracts = list(Contract.objects.select_for_update(of=("self",)).filter(
            pk__in=contract_ids, state=ContractState.RUNNING, next_due__lte=today)
            .select_related("customer", "acting__user", "acting__organisation", "organisation").order_by("pk"))
        series_of, defaults_of = {}, {}
        for contract in contracts:
            member = contract.acting
            if member is None or not member.has_right(Right.EDIT):
                left.append(contract.pk)
                continue
            p = calendar.period(contract.start_date, index=contract.next_index, step=step_of(contract),
                                day=contract.day_of_month, in_advance=contract.timing == Timing.IN_ADVANCE)
            try:
                lines = as_lines(lines_for(contract, p))
                validate_content(kind=Kind.INVOICE, currency=contract.currency, lines=lines, allowances_charges=[])
                if contract.organisation_id not in series_of:
                    series_of[contract.organisation_id] = _default_series(contract.organisation, Kind.INVOICE)
            except FacturierError:
                left.append(contract.pk)
                continue
            key = (member.pk, contract.customer_id)
            if key not in defaults_of:
                defaults_of[key] = _header_defaults(member, contract.customer)
            totals = totals_of(currency=contract.currency, lines=lines, allowances_charges=[])
            document = Document(
                organisation_id=contract.organisation_id, kind=Kind.INVOICE, customer=contract.customer,
                series=series_of[contract.organisation_id], created_by=member.user, **defaults_of[key],
                currency=contract.currency, contract_reference=contract.reference, period_start=p.start,
                period_end=p.end, line_total=totals.line_total, allowance_total=totals.allowance_total,
                charge_total=totals.charge_total, tax_exclusive=totals.tax_exclusive, tax_total=totals.tax_total,
                tax_total_accounting=totals.tax_total_accounting, tax_inclusive=totals.tax_inclusive,
                rounding=totals.rounding, payable=totals.payable, amount_due=totals.payable,
                vat_breakdown=_breakdown_rows(totals, lines))
            made.append((contract, p, document, list(zip(lines, totals.line_net_amounts, strict=True))))
        if not made:
            return [], left
        Document.objects.bulk_create([m[2] for m in made])
        Line.objects.bulk_create([
            Line(document=document, position=i + 1, name=line.name, description=line.description,
                 quantity=Decimal(line.quantity), unit=line.unit, unit_price=Decimal(line.unit_price),
                 gross_price=line.gross_price, price_base_quantity=Decimal(line.price_base_quantity),
                 discount_percent=Decimal(line.discount_percent),
                 discount_amount=line_discount_amount(line, document.currency), vat_category=line.vat_category,
                 vat_rate=None if line.vat_category == "O" else Decimal(line.vat_rate),
                 exemption_reason=line.exemption_reason, exemption_code=line.exemption_code, net_amount=net,
                 note=line.note, family=line.family.strip()[:30])
            for _c, _p, document, pairs in made for i, (line, net) in enumerate(pairs)])
        rows = ContractPeriod.objects.bulk_create([
            ContractPeriod(contract=contract, index=p.index, start=p.start, end=p.end, due=p.due, document=document,
                           action=contract.action,
                           outcome=Outcome.DRAFT if contract.action == Action.DRAFT else Outcome.PENDING)
            for contract, p, document, _pairs in made])
        events = Event.objects.bulk_create([
            Event(organisation_id=contract.organisation_id, actor=contract.acting.user,
                  actor_label=str(contract.acting.user), action="document.create",
                  subject_type=Document._meta.label_lower, subject_id=str(document.pk),
                  subject_label=str(document)[:200],
                  after={"state": document.state, "number": "", "customer": contract.customer.code,
                         "payable": str(document.payable), "lines": len(pairs), "contract": contract.pk})
            for contract, _p, document, pairs in made])
        for event in events:  # bulk_create sends no post_save: each event is chained into the journal (and
            # heard by the webhooks) as `audit_record` would have it, in this transaction
            post_save.send(sender=Event, instance=event, created=True, raw=False, using=event._state.db,
                           update_fields=None)
        for contract, p, _document, _pairs in made:
            contract.next_index = p.index + 1
            _schedule(contract)
        Contract.objects.bulk_update([m[0] for m in made], ["next_index", "next_due", "state"])
    return rows, left
