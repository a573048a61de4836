"""Balanced entries for each issued document, payment, payment cancellation and bad-debt write-off.

Pure functions over plain rows (dicts read in bulk by the transfer service), so a transfer of a
hundred thousand documents makes no query per document. Every entry is built as signed amounts
(debit positive, credit negative) whose sum is checked to be zero before anything is written; the
customer line is the balancing line of sums of rounded amounts, never an independently rounded total.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from facturier.accounting.mapping import ZERO, AccountingRefused, Mapping, account_label, rate_key
from facturier.engine.en16931.money import round_amount

KIND_LABELS = {"invoice": "Facture", "credit_note": "Avoir", "deposit": "Facture d'acompte",
               "corrective": "Facture rectificative", "final": "Facture de solde"}


@dataclass(slots=True)
class LineDraft:
    account: str
    amount: Decimal  # debit > 0, credit < 0
    aux: str = ""
    aux_label: str = ""
    currency_amount: Decimal | None = None
    currency: str = ""
    lettering: str = ""
    lettering_date: dt.date | None = None


@dataclass(slots=True)
class EntryDraft:
    journal: str  # "sales", "bank", "misc"
    date: dt.date
    piece_ref: str
    piece_date: dt.date
    label: str
    origin: str
    document_id: int
    payment_id: int | None = None
    write_off_id: int | None = None
    lines: list[LineDraft] = field(default_factory=list)
    group: int = 0  # the document whose customer lines letter together (a credit note letters with its invoice)
    fiscal_year: dt.date | None = None  # given with the number, at transfer
    number: int = 0

    def add(self, account: str, amount: Decimal, **kw) -> None:
        if amount:
            self.lines.append(LineDraft(account=account, amount=amount, **kw))

    @property
    def balance(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines if line.amount > 0), ZERO)


class Unbalanced(AccountingRefused):
    code = "accounting_unbalanced"


CENT = Decimal("0.01")


def check_balanced(entry: EntryDraft) -> None:
    """The one rule, checked on every entry before a transfer writes anything: debits equal credits, every
    line in cents, at least two lines."""
    balance = ZERO
    for line in entry.lines:
        if line.amount.as_tuple().exponent < -2 and line.amount != line.amount.quantize(CENT):
            balance = None
            break
        balance += line.amount
    if balance != 0 or len(entry.lines) < 2:
        raise Unbalanced(_("The entry of %(piece)s does not balance (%(balance)s); nothing was transferred."),
                         piece=entry.piece_ref, balance=entry.balance)


def to_eur(doc: dict, amount: Decimal) -> Decimal:
    if doc["currency"] == "EUR":
        return amount
    rate = doc["tax_exchange_rate"]
    if not rate:
        raise AccountingRefused(_("%(document)s is in %(currency)s without an exchange rate to EUR; nothing was "
                                  "transferred."),
                                document=doc["number"], currency=doc["currency"])
    return round_amount(amount * rate)


def on_receipts(doc: dict) -> bool:
    """VAT on services is due when paid, unless the seller opted for VAT on debits."""
    return doc["operation_category"] == "services" and not doc["vat_on_debits"]


def _customer_kw(doc: dict, m: Mapping, currency_amount: Decimal | None) -> dict:
    kw = {"aux": m.customer(doc["customer_code"]), "aux_label": doc["customer_name"][:200]}
    if doc["currency"] != "EUR" and currency_amount is not None:
        kw.update(currency_amount=abs(currency_amount), currency=doc["currency"])
    return kw


def vat_rows(doc: dict, m: Mapping) -> list[tuple[dict, Decimal, Decimal, str]]:
    """(breakdown row, taxable in EUR, VAT in EUR, collected-VAT account) per row of the VAT breakdown; computed
    once per document (its entry, each payment's VAT move and a write-off use them)."""
    rows = doc.get("_vat_rows")
    if rows is not None:
        return rows
    rows = doc["_vat_rows"] = []
    for row in doc["vat_breakdown"]:
        tax = to_eur(doc, Decimal(row["tax_amount"]))
        account = m.vat_account(row["category"], row["rate"], doc["number"]) if tax else ""
        rows.append((row, to_eur(doc, Decimal(row["taxable_amount"])), tax, account))
    return rows


def document_entry(doc: dict, m: Mapping, deposits: list[dict] = ()) -> EntryDraft:
    """VE: customer (411 + auxiliary) against revenue per rate (706/707, 4191 for a deposit) and VAT per rate
    (44571x, or the waiting account 44574 when VAT is due on receipts). A credit note is the mirror image.
    A final invoice's deposit deductions go back to 4191 instead of reducing revenue."""
    sign = Decimal(-1) if doc["kind"] == "credit_note" else Decimal(1)
    label = f"{KIND_LABELS[doc['kind']]} {doc['number']} {doc['customer_name']}"[:200]
    entry = EntryDraft(journal="sales", date=doc["issue_date"], piece_ref=doc["number"], piece_date=doc["issue_date"],
                       label=label, origin="document", document_id=doc["id"], group=doc.get("group") or doc["id"])
    deducted: dict[str, Decimal] = {}
    for deposit in deposits:
        for row in deposit["vat_breakdown"]:
            key = f"{row['category']}|{row['rate']}"
            deducted[key] = deducted.get(key, ZERO) + to_eur(doc, Decimal(row["taxable_amount"]))
    families = doc.get("families") or {}
    for row, taxable, tax, vat_account in vat_rows(doc, m):
        extra = deducted.pop(f"{row['category']}|{row['rate']}", ZERO)
        revenue = (m.s.deposits_account if doc["kind"] == "deposit"
                   else m.revenue_account(doc["operation_category"], row["category"], row["rate"]))
        rest = taxable
        if doc["kind"] != "deposit":
            # The lines of a mapped item family go to its account; the rest of the rate (lines of no mapped
            # family, document-level allowances and charges) stays on the rate's revenue account.
            for account, net in families.get(rate_key(row["category"], row["rate"]), ()):
                part = to_eur(doc, net)
                entry.add(account, -sign * part)
                rest -= part
        entry.add(revenue, -sign * (rest + extra))
        if extra:
            entry.add(m.s.deposits_account, sign * extra)
        if tax:
            entry.add(m.s.vat_pending_account if on_receipts(doc) else vat_account, -sign * tax)
    for extra in deducted.values():  # a deposit rate the final invoice no longer has
        entry.add(m.s.deposits_account, sign * extra)
        entry.add(m.s.services_account, -sign * extra)
    entry.lines.insert(0, LineDraft(account=m.s.customer_account, amount=-entry.balance,
                                    **_customer_kw(doc, m, sign * doc["tax_inclusive"])))
    return entry


def _vat_moved(doc: dict, m: Mapping, paid_before: Decimal, paid_after: Decimal) -> list[tuple[str, Decimal]]:
    """The VAT that becomes due with a payment (VAT on receipts), per rate: the difference of the shares of
    the cumulated payments, so that the parts add up to the whole VAT once the document is paid."""
    total = doc["tax_inclusive"]
    if not total or not on_receipts(doc):
        return []
    if total > 0 and paid_before <= 0 and paid_after >= total:  # paid at once: all of the VAT moves
        return [(account, round_amount(tax)) for _row, _taxable, tax, account in vat_rows(doc, m) if tax]
    before, after = min(paid_before, total) / total, min(paid_after, total) / total
    moved = []
    for _row, _taxable, tax, account in vat_rows(doc, m):
        if tax:
            part = round_amount(tax * max(after, Decimal(0))) - round_amount(tax * max(before, Decimal(0)))
            if part:
                moved.append((account, part))
    return moved


def payment_entry(doc: dict, pay: dict, m: Mapping, paid_before: Decimal) -> EntryDraft:
    """BQ: bank (512 per payment method) against the customer; a refund of a credit note the other way.
    With VAT on receipts, the VAT paid moves from the waiting account to the collected-VAT account of its rate."""
    sign = Decimal(-1) if doc["kind"] == "credit_note" else Decimal(1)
    amount = to_eur(doc, pay["amount"])
    label = f"Règlement {doc['number']} {doc['customer_name']}"[:200]
    entry = EntryDraft(journal="bank", date=pay["date"], piece_ref=pay["reference"][:60] or doc["number"],
                       piece_date=pay["date"], label=label, origin="payment", document_id=doc["id"],
                       payment_id=pay["id"], group=doc.get("group") or doc["id"])
    entry.add(m.bank_account(pay["method"]), sign * amount)
    entry.add(m.s.customer_account, -sign * amount, **_customer_kw(doc, m, pay["amount"]))
    for account, part in _vat_moved(doc, m, paid_before, paid_before + pay["amount"]):
        entry.add(m.s.vat_pending_account, sign * part)
        entry.add(account, -sign * part)
    return entry


def cancellation_entry(original: EntryDraft, pay: dict) -> EntryDraft:
    """BQ: the exact mirror of the payment's transferred entry, dated the day of the cancellation."""
    entry = EntryDraft(journal="bank", date=pay["cancel_date"], piece_ref=original.piece_ref,
                       piece_date=pay["cancel_date"], label=f"Annulation {original.label}"[:200],
                       origin="payment_cancel", document_id=original.document_id, payment_id=pay["id"],
                       group=original.group)
    for line in original.lines:
        entry.lines.append(LineDraft(account=line.account, amount=-line.amount, aux=line.aux, aux_label=line.aux_label,
                                     currency_amount=line.currency_amount, currency=line.currency))
    return entry


def write_off_entry(doc: dict, wo: dict, m: Mapping) -> EntryDraft:
    """OD: the bad debt (654, or 6714 per settings) for its amount before VAT, the VAT recovered (the collected
    VAT account of each rate; the waiting account when that VAT was never due, VAT on receipts), against the
    customer for the whole amount written off."""
    amount = to_eur(doc, wo["amount"])
    share = wo["amount"] / doc["tax_inclusive"] if doc["tax_inclusive"] else Decimal(0)
    label = f"Créance irrécouvrable {doc['number']} {doc['customer_name']}"[:200]
    entry = EntryDraft(journal="misc", date=wo["date"], piece_ref=doc["number"], piece_date=wo["date"], label=label,
                       origin="write_off", document_id=doc["id"], write_off_id=wo["id"],
                       group=doc.get("group") or doc["id"])
    vat = ZERO
    for _row, _taxable, tax, account in vat_rows(doc, m):
        part = round_amount(tax * share) if tax else ZERO
        if part:
            entry.add(m.s.vat_pending_account if on_receipts(doc) else account, part)
            vat += part
    entry.lines.insert(0, LineDraft(account=m.s.write_off_account, amount=amount - vat))
    entry.add(m.s.customer_account, -amount, **_customer_kw(doc, m, wo["amount"]))
    return entry


def label_of(account: str) -> str:
    return account_label(account)
