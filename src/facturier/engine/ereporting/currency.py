"""Documents not in euros, reported in euros from what the document itself states.

French VAT is declared in euros: an invoice in USD states its VAT in the VAT accounting currency
(BT-6 = EUR) with the VAT total in that currency (BT-111). The report converts the document's
amounts with the rate the document used — the exchange rate stored with it when there is one (the
one BT-111 was computed from), otherwise the rate BT-111 / BT-110 implies — and never with a rate
of its own: a document in another currency that states no euro VAT figure is not reported but
named in a finding (ER-CUR-02), so its report stays unsubmittable until it is corrected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from facturier.engine.errors import Message
from facturier.engine.validation.report import Finding, Severity

EURO = "EUR"
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class DocumentCurrency:
    """What a document states about its currencies and its VAT in the VAT accounting currency."""

    currency: str
    """BT-5 Invoice currency code."""
    tax_currency: str
    """BT-6 VAT accounting currency code (the same as BT-5 when the document states none)."""
    tax_total: Decimal | None
    """BT-110 Invoice total VAT amount, in BT-5."""
    tax_total_accounting: Decimal | None
    """BT-111 Invoice total VAT amount in accounting currency (BT-6)."""
    exchange_rate: Decimal | None = None
    """One unit of BT-5 in BT-6, when the document was made with one (not an EN 16931 term: ours)."""

    @property
    def in_euros(self) -> bool:
        return (self.currency or EURO).upper() == EURO


def euro_rate(doc: DocumentCurrency) -> Decimal | None:
    """How many euros one unit of the document's currency is worth, as the document states it; None when it
    states no euro VAT figure (then nothing of it can be reported without inventing a rate)."""
    if doc.in_euros:
        return Decimal(1)
    if (doc.tax_currency or "").upper() != EURO:
        return None
    if doc.exchange_rate is not None and doc.exchange_rate > 0:
        return Decimal(doc.exchange_rate)
    if doc.tax_total_accounting is not None and doc.tax_total:
        return Decimal(doc.tax_total_accounting) / Decimal(doc.tax_total)
    return None


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def breakdown_in_euros(breakdown: Sequence[dict], doc: DocumentCurrency, rate: Decimal) -> list[dict]:
    """The VAT breakdown (rows with taxable_amount and tax_amount) converted to euros, each amount to the cent.

    When the document states its VAT total in euros (BT-111) the converted VAT adds up to exactly that figure:
    the rounding difference (a cent or so over several rates) goes on the row with the largest VAT."""
    if doc.in_euros:
        return list(breakdown)
    rows = [{**row, "taxable_amount": str(_cents(Decimal(str(row["taxable_amount"])) * rate)),
             "tax_amount": str(_cents(Decimal(str(row["tax_amount"])) * rate))} for row in breakdown]
    stated = doc.tax_total_accounting
    if stated is not None and rows:
        difference = Decimal(stated) - sum((Decimal(r["tax_amount"]) for r in rows), Decimal("0.00"))
        if difference:
            biggest = max(range(len(rows)), key=lambda i: abs(Decimal(rows[i]["tax_amount"])))
            rows[biggest]["tax_amount"] = str(Decimal(rows[biggest]["tax_amount"]) + difference)
    return rows


def amount_in_euros(amount: Decimal, rate: Decimal) -> Decimal:
    """A payment (VAT included) in the document's currency, in euros."""
    return _cents(Decimal(amount) * rate)


def missing_euro_figure(*, number: str, doc: DocumentCurrency, path: str = "") -> Finding:
    """ER-CUR-02: a document in another currency with no VAT stated in euros, named so it can be corrected."""
    currency = doc.currency
    return Finding(
        rule="ER-CUR-02", severity=Severity.FATAL, path=path or f"documents[{number}]", source="ereporting",
        message=Message(
            fr=f"Le document {number} est en {currency} et n'indique pas sa TVA en euros (devise de comptabilisation "
               f"de la TVA BT-6 = EUR avec le total de TVA en euros BT-111, ou un taux de change) : il ne peut pas "
               f"être déclaré. Annulez-le par un avoir et émettez-le de nouveau avec la devise de TVA EUR et le taux "
               f"de change du jour, puis reconstruisez le rapport.",
            en=f"Document {number} is in {currency} and does not state its VAT in euros (VAT accounting currency "
               f"BT-6 = EUR with the VAT total in euros BT-111, or an exchange rate): it cannot be reported. Cancel "
               f"it with a credit note and issue it again with EUR as VAT currency and the day's exchange rate, then "
               f"rebuild the report."))
