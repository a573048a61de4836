"""What is in scope of e-reporting for a period, read from the database as a stream; and the reports.

Scope, from the buyer as frozen on the document at issue (never today's customer record):
- B2C: a buyer with no SIREN, no VAT number, no foreign company identifier and not public sector
  (an individual, in France or abroad);
- international B2B: a company buyer (VAT number or foreign identifier) whose billing address is
  outside France and which has no SIREN;
- everything else (French companies, public sector) goes through e-invoicing and is left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import QuerySet
from django.db.models.fields.json import KeyTextTransform, KeyTransform

from facturier.engine.ereporting.currency import DocumentCurrency
from facturier.invoicing.models import Document, Kind, Payment, State
from facturier.platforms.ereporting.models import EReport

CHUNK = 2000
B2C, INTERNATIONAL, DOMESTIC = "b2c", "international", "domestic"


def _true(value) -> bool:
    return value in (True, 1, "1", "true", "True")


def scope_of(*, siren, vat_number, foreign_identifier, public, country) -> str:
    """B2C, international B2B or domestic (out of scope) from the buyer's frozen identifiers."""
    if _true(public) or siren:
        return DOMESTIC
    if not vat_number and not foreign_identifier:
        return B2C
    return INTERNATIONAL if (country or "FR") != "FR" else DOMESTIC


_BUYER = {
    "b_siren": ("siren",), "b_vat": ("vat_number",), "b_foreign": ("foreign_identifier",),
    "b_public": ("is_public_sector",), "b_country": ("billing_address", "country"), "b_name": ("name",),
}


def _key(field: str, path: tuple[str, ...]):
    # KeyTextTransform on an explicit field path: KT("document__buyer_snapshot__siren") does not follow the
    # relation (Django 5.2 reads "document" as the JSON column), this does.
    source = field
    for key in path[:-1]:
        source = KeyTransform(key, source)
    return KeyTextTransform(path[-1], source)


_MONEY = ("currency", "tax_currency", "tax_total", "tax_total_accounting", "tax_exchange_rate")


def _money(currency, tax_currency, tax_total, tax_total_accounting, exchange_rate) -> DocumentCurrency:
    return DocumentCurrency(currency=currency or "EUR", tax_currency=tax_currency or currency or "EUR",
                            tax_total=tax_total, tax_total_accounting=tax_total_accounting,
                            exchange_rate=exchange_rate)


def _with_buyer(qs: QuerySet, prefix: str = "") -> QuerySet:
    return qs.annotate(**{alias: _key(f"{prefix}buyer_snapshot", path) for alias, path in _BUYER.items()})


@dataclass(frozen=True, slots=True)
class DocumentRow:
    scope: str
    number: str
    kind: str
    issue_date: dt.date
    operation: str
    breakdown: list
    buyer_name: str
    buyer_country: str
    buyer_vat: str
    type_code: str
    money: DocumentCurrency
    """The document's currency and its VAT stated in the VAT accounting currency (converted to euros by the
    caller)."""

    @property
    def sign(self) -> int:
        return -1 if self.kind == Kind.CREDIT_NOTE else 1


def issued_documents(*, organisation, start: dt.date, end: dt.date) -> Iterator[DocumentRow]:
    """Every issued document of the period that e-reporting covers (B2C or international B2B), streamed."""
    from facturier.invoicing.models import TYPE_CODES

    qs = _with_buyer(Document.objects.filter(organisation=organisation, issue_date__gte=start, issue_date__lte=end)
                     .exclude(state=State.DRAFT)).order_by("issue_date", "id")
    fields = ("number", "kind", "issue_date", "operation_category", "vat_breakdown", *_MONEY, *_BUYER)
    for (number, kind, issue_date, operation, breakdown, *money, siren, vat, foreign, public, country,
         name) in qs.values_list(*fields).iterator(chunk_size=CHUNK):
        scope = scope_of(siren=siren, vat_number=vat, foreign_identifier=foreign, public=public, country=country)
        if scope == DOMESTIC:
            continue
        yield DocumentRow(scope=scope, number=number, kind=kind, issue_date=issue_date, operation=operation,
                          breakdown=breakdown or [], buyer_name=name or "", buyer_country=country or "",
                          buyer_vat=vat or "", type_code=TYPE_CODES.get(kind, "380"), money=_money(*money))


@dataclass(frozen=True, slots=True)
class PaymentRow:
    scope: str
    date: dt.date
    amount: object
    invoice_number: str
    invoice_date: dt.date
    breakdown: list
    money: DocumentCurrency


def received_payments(*, organisation, start: dt.date, end: dt.date) -> Iterator[PaymentRow]:
    """Payments of the period (not cancelled) on in-scope documents of services whose VAT is due on
    receipt (no option for debits): what 10.2 and 10.4 report. A refund on a credit note counts negative."""
    qs = (_with_buyer(Payment.objects.filter(organisation=organisation, date__gte=start, date__lte=end,
                                             cancelled_at__isnull=True, document__vat_on_debits=False,
                                             document__operation_category__in=("services", "both")),
                      prefix="document__")
          .exclude(document__state=State.DRAFT).order_by("date", "id"))
    fields = ("date", "amount", "document__kind", "document__number", "document__issue_date",
              "document__vat_breakdown", *(f"document__{f}" for f in _MONEY), *_BUYER)
    for (date, amount, kind, number, issue_date, breakdown, *money, siren, vat, foreign, public, country,
         _name) in qs.values_list(*fields).iterator(chunk_size=CHUNK):
        scope = scope_of(siren=siren, vat_number=vat, foreign_identifier=foreign, public=public, country=country)
        if scope == DOMESTIC:
            continue
        signed = -amount if kind == Kind.CREDIT_NOTE else amount
        yield PaymentRow(scope=scope, date=date, amount=signed, invoice_number=number, invoice_date=issue_date,
                         breakdown=breakdown or [], money=_money(*money))


def reports_of(*, organisation) -> QuerySet[EReport]:
    return EReport.objects.filter(organisation=organisation)


def report_get(*, organisation, pk: int) -> EReport:
    return reports_of(organisation=organisation).get(pk=pk)


@dataclass(frozen=True, slots=True)
class CalendarRow:
    flow: str
    flow_label: str
    start: dt.date
    end: dt.date
    due: dt.date
    ended: bool
    report: EReport | None
    """The latest report of the period (a rectification when one was made), or None."""

    @property
    def overdue(self) -> bool:
        return self.ended and self.due < dt.date.today() and (
            self.report is None or self.report.state in ("draft", "built", "checked"))


def calendar_rows(*, organisation, profile, today: dt.date, back_days: int = 92,
                  flows: tuple[str, ...] | None = None) -> list[CalendarRow]:
    """The periods from about three months back to the current one, with their due dates and reports,
    newest first."""
    from facturier.engine import ereporting as er
    from facturier.platforms.ereporting.models import Flow

    first = max(profile.start_date, today - dt.timedelta(days=back_days))
    flows = flows or tuple(Flow.values)
    latest: dict[tuple[str, dt.date], EReport] = {}
    for report in reports_of(organisation=organisation).filter(period_end__gte=first).order_by("id"):
        latest[(report.flow, report.period_start)] = report  # the last made wins: a rectification
    rows = []
    for flow in flows:
        for period in er.periods_between(er.Regime(profile.regime), er.Flow(flow), first, today):
            rows.append(CalendarRow(flow=flow, flow_label=Flow(flow).label, start=period.start, end=period.end,
                                    due=period.due, ended=period.end < today,
                                    report=latest.get((flow, period.start))))
    rows.sort(key=lambda r: (r.start, r.flow), reverse=True)
    return rows


def submissions_of(reports) -> dict[int, object]:
    """{submission id: the platform outbox's row} for the reports handed to the platform (empty when the
    platform outbox is not installed)."""
    ids = [r.submission_id for r in reports if r is not None and r.submission_id]
    if not ids:
        return {}
    try:
        from facturier.platforms.models import PlatformSubmission
    except ImportError:
        return {}
    return {s.pk: s for s in PlatformSubmission.objects.filter(pk__in=ids).only(
        "id", "state", "flow_id", "last_error", "attempts")}
