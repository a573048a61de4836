"""Streaming aggregation of documents and payments into the report's sections.

The aggregators take one row at a time and keep only the running sums per key (day × category
× rate, or day × rate): a month of 100,000 sales holds a few hundred sums in memory, whatever
the number of documents, so the caller can stream rows straight from the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from facturier.engine.ereporting.model import Category, DailyPayments, DailySummary, PaymentRecord, TaxSubtotal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

MARGIN_SCHEME_CODES = frozenset({"VATEX-EU-D", "VATEX-EU-F", "VATEX-EU-I", "VATEX-EU-J"})
"""VATEX codes of the margin schemes (travel agents, second-hand goods, works of art, antiques): TMA1."""
NOT_TAXABLE_IN_FRANCE = frozenset({"K", "G", "O"})
"""EN 16931 VAT categories of operations not taxable in France (intra-EU, export, outside scope): TNT1."""


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def rate_of(rate) -> Decimal:
    """A VAT rate in percent with two decimals (none — outside scope — is 0.00)."""
    return ZERO if rate in (None, "") else Decimal(str(rate)).quantize(CENT)


def category_of(*, operation: str, vat_category: str, exemption_code: str = "") -> Category:
    """The 10.3 category of a VAT group of a B2C document.

    `operation` is the document's operation category (goods, services, both). A mixed document's
    lines do not say which are goods: ASSUMPTION, it is reported as services (TPS1), whose VAT
    falls due on payment, so its payments are reported too rather than lost.
    """
    if (exemption_code or "").upper() in MARGIN_SCHEME_CODES:
        return Category.TMA1
    if vat_category in NOT_TAXABLE_IN_FRANCE:
        return Category.TNT1
    return Category.TLB1 if operation == "goods" else Category.TPS1


@dataclass(slots=True)
class _Sum:
    taxable: Decimal
    tax: Decimal
    count: int


class DailyAggregator:
    """10.3: B2C sales summed per day, category and rate."""

    def __init__(self) -> None:
        self._sums: dict[tuple[dt.date, Category, Decimal], _Sum] = {}

    def add_document(self, *, day: dt.date, operation: str, breakdown: Iterable[dict], sign: int = 1) -> None:
        """One document's VAT breakdown (rows with category, rate, taxable_amount, tax_amount,
        exemption_code); `sign` −1 for a credit note."""
        seen: set[tuple] = set()
        for row in breakdown:
            category = category_of(operation=operation, vat_category=row.get("category") or "S",
                                   exemption_code=row.get("exemption_code") or "")
            key = (day, category, rate_of(row.get("rate")))
            taxable = Decimal(str(row["taxable_amount"]))
            tax = Decimal(str(row["tax_amount"]))
            if sign < 0:
                taxable, tax = -taxable, -tax
            entry = self._sums.get(key)
            if entry is None:
                self._sums[key] = _Sum(taxable, tax, 1)
                seen.add(key)
                continue
            entry.taxable += taxable
            entry.tax += tax
            if key not in seen:
                entry.count += 1
                seen.add(key)

    def summaries(self) -> tuple[DailySummary, ...]:
        return tuple(DailySummary(day=day, category=category, rate=rate, taxable=s.taxable, tax=s.tax, count=s.count)
                     for (day, category, rate), s in sorted(self._sums.items(), key=lambda kv: kv[0]))


def split_payment(amount: Decimal, breakdown: Sequence[dict]) -> list[tuple[Decimal, Decimal]]:
    """A payment (VAT included) shared between the document's VAT rates pro rata their amounts VAT included,
    to the cent, the rounding remainder on the largest share: [(rate, amount)], summing to `amount` exactly."""
    groups: dict[Decimal, Decimal] = {}
    for row in breakdown:
        rate = rate_of(row.get("rate"))
        groups[rate] = groups.get(rate, ZERO) + Decimal(str(row["taxable_amount"])) + Decimal(str(row["tax_amount"]))
    total = sum(groups.values(), ZERO)
    if not groups:
        return []
    if total == 0 or len(groups) == 1:
        return [(next(iter(groups)), amount)] if len(groups) == 1 else [(r, ZERO) for r in groups]
    shares = [(rate, cents(amount * part / total)) for rate, part in groups.items()]
    remainder = amount - sum((s for _, s in shares), ZERO)
    if remainder:
        biggest = max(range(len(shares)), key=lambda i: abs(shares[i][1]))
        rate, share = shares[biggest]
        shares[biggest] = (rate, share + remainder)
    return shares


class PaymentAggregator:
    """10.4: B2C payments summed per day and rate (each payment split between the document's rates)."""

    def __init__(self) -> None:
        self._sums: dict[tuple[dt.date, Decimal], list] = {}

    def add_payment(self, *, day: dt.date, amount: Decimal, breakdown: Sequence[dict]) -> None:
        for rate, share in split_payment(amount, breakdown):
            entry = self._sums.setdefault((day, rate), [ZERO, 0])
            entry[0] += share
            entry[1] += 1

    def summaries(self) -> tuple[DailyPayments, ...]:
        return tuple(DailyPayments(day=day, rate=rate, amount=s[0], count=s[1])
                     for (day, rate), s in sorted(self._sums.items()))


def payment_records(*, invoice_number: str, invoice_date: dt.date, payment_date: dt.date, amount: Decimal,
                    breakdown: Sequence[dict]) -> list[PaymentRecord]:
    """10.2: one payment of an international B2B service, per VAT rate."""
    return [PaymentRecord(invoice_number=invoice_number, invoice_date=invoice_date, payment_date=payment_date,
                          rate=rate, amount=share) for rate, share in split_payment(amount, breakdown)]


def subtotals(breakdown: Iterable[dict], sign: int = 1) -> tuple[TaxSubtotal, ...]:
    """10.1: a document's VAT breakdown per rate (categories of the same rate added up)."""
    groups: dict[Decimal, list[Decimal]] = {}
    for row in breakdown:
        entry = groups.setdefault(rate_of(row.get("rate")), [ZERO, ZERO])
        entry[0] += Decimal(str(row["taxable_amount"]))
        entry[1] += Decimal(str(row["tax_amount"]))
    return tuple(TaxSubtotal(rate=rate, taxable=sign * t, tax=sign * v) for rate, (t, v) in sorted(groups.items()))
