"""The e-reporting report (flux 10) as frozen values: what one file tells the tax administration.

Flux 10 of the 2026 reform carries what e-invoicing does not: 10.1 the transactions one by one
(international B2B), 10.2 the payments of those transactions when they are services, 10.3 the
sales to individuals (B2C) aggregated per day and category, 10.4 the payments of B2C services
aggregated per day and VAT rate. A report covers one period of the declarant's calendar
(`calendar.py`); transactions and payments have their own calendars, so one report carries either
the transaction sections (10.1 + 10.3) or the payment sections (10.2 + 10.4).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal("0.00")


class Regime(StrEnum):
    """The declarant's VAT regime, which sets the reporting calendar."""

    NORMAL = "normal"
    """Réel normal, monthly VAT returns: transactions by ten-day period, payments monthly."""
    NORMAL_QUARTERLY = "normal_quarterly"
    """Réel normal with quarterly returns: monthly."""
    SIMPLIFIED = "simplified"
    """Réel simplifié: monthly."""
    FRANCHISE = "franchise"
    """Franchise en base (art. 293 B du CGI): every two months."""


class Flow(StrEnum):
    """What a report carries: transactions (10.1 + 10.3) or payments (10.2 + 10.4)."""

    TRANSACTIONS = "transactions"
    PAYMENTS = "payments"


class Nature(StrEnum):
    INITIAL = "initial"
    RECTIFICATION = "rectification"
    """Replaces a report already sent for the same period; names it (`Report.rectifies`)."""


class Category(StrEnum):
    """Category of an aggregated B2C transaction (10.3)."""

    TLB1 = "TLB1"
    """Deliveries of goods subject to VAT."""
    TPS1 = "TPS1"
    """Services subject to VAT."""
    TNT1 = "TNT1"
    """Deliveries and services not taxable in France (intra-EU distance sales, exports, outside scope)."""
    TMA1 = "TMA1"
    """Operations under a margin scheme (second-hand goods, works of art, antiques, travel agents)."""


@dataclass(frozen=True, slots=True)
class Declarant:
    siren: str
    name: str
    regime: Regime


@dataclass(frozen=True, slots=True)
class TaxSubtotal:
    """The taxable base and VAT of one VAT rate (percent, e.g. 20.00)."""

    rate: Decimal
    taxable: Decimal
    tax: Decimal


@dataclass(frozen=True, slots=True)
class Transaction:
    """10.1 One transaction not covered by e-invoicing (an invoice to a buyer outside France)."""

    number: str
    issue_date: dt.date
    type_code: str
    """UNTDID 1001: 380 invoice, 381 credit note, 384 corrective, 386 deposit."""
    category: Category
    buyer_name: str
    buyer_country: str
    buyer_vat_id: str
    subtotals: tuple[TaxSubtotal, ...]


@dataclass(frozen=True, slots=True)
class DailySummary:
    """10.3 The B2C sales of one day, one category and one VAT rate."""

    day: dt.date
    category: Category
    rate: Decimal
    taxable: Decimal
    tax: Decimal
    count: int
    """How many documents contributed (a credit note counts, with negative amounts)."""


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """10.2 A payment received for a reported transaction of services, for one VAT rate (VAT included)."""

    invoice_number: str
    invoice_date: dt.date
    payment_date: dt.date
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class DailyPayments:
    """10.4 The payments received one day for B2C services at one VAT rate (VAT included)."""

    day: dt.date
    rate: Decimal
    amount: Decimal
    count: int


@dataclass(frozen=True, slots=True)
class Totals:
    """What the report declares as its totals; the checks recompute them from the sections."""

    taxable: Decimal = ZERO
    tax: Decimal = ZERO
    paid: Decimal = ZERO
    entries: int = 0


@dataclass(frozen=True, slots=True)
class Report:
    """One e-reporting file: one declarant, one period, one flow; initial or rectification."""

    report_id: str
    nature: Nature
    flow: Flow
    declarant: Declarant
    start: dt.date
    end: dt.date
    issued_at: dt.datetime
    currency: str = "EUR"
    rectifies: str = ""
    """The id of the report this one rectifies (a rectification only)."""
    transactions: tuple[Transaction, ...] = ()
    summaries: tuple[DailySummary, ...] = ()
    payments: tuple[PaymentRecord, ...] = ()
    payment_summaries: tuple[DailyPayments, ...] = ()
    totals: Totals | None = field(default=None)
    """As declared in the file; `computed_totals(report)` is what the sections add up to."""


def computed_totals(report: Report) -> Totals:
    taxable = tax = paid = ZERO
    for t in report.transactions:
        for s in t.subtotals:
            taxable += s.taxable
            tax += s.tax
    for d in report.summaries:
        taxable += d.taxable
        tax += d.tax
    for p in report.payments:
        paid += p.amount
    for q in report.payment_summaries:
        paid += q.amount
    entries = len(report.transactions) + len(report.summaries) + len(report.payments) + len(report.payment_summaries)
    return Totals(taxable=taxable, tax=tax, paid=paid, entries=entries)
