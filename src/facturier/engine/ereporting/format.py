"""The e-reporting file format (flux 10): every element name and code of the XML, here and only here.

NOT THE OFFICIAL FORMAT. No public XSD for flux 10 exists in our material (only public summaries:
see ../shared/specs/README.md), so this is our own XML, built from the public description:
one declarant, one period, initial or rectification, with the sections 10.1 (transactions one by
one), 10.2 (their payments), 10.3 (B2C aggregated per day, category and VAT rate) and 10.4 (B2C
payments aggregated per day and rate), and declared totals. Every name lives in the constants
below and `write`/`parse` use nothing else, so following the official format when it is published
means changing this module (and `NAMESPACE`'s version), not the builders or the rules.

Amounts are written with two decimals, rates in percent with two decimals, dates as ISO 8601.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal, InvalidOperation

from lxml import etree

from facturier.engine.ereporting.model import (
    Category,
    DailyPayments,
    DailySummary,
    Declarant,
    Flow,
    Nature,
    PaymentRecord,
    Regime,
    Report,
    TaxSubtotal,
    Totals,
    Transaction,
)
from facturier.engine.errors import Message
from facturier.engine.xml import parse_xml

NAMESPACE = "urn:facturier:ereporting:flux10:draft-1"
FLOW_SYNTAX = "FRR"
"""The Flow Service's `flowSyntax` of e-reporting files (AFNOR XP Z12-013 Flow Service 1.3.0, FlowSyntax)."""

ROOT = "EReport"
HEADER, REPORT_ID, NATURE, RECTIFIES, ISSUED_AT, FLOW, CURRENCY = (
    "Header", "ReportId", "Nature", "RectifiedReportId", "IssueDateTime", "Flow", "CurrencyCode")
DECLARANT, SIREN, NAME, REGIME = "Declarant", "Siren", "Name", "VatRegime"
PERIOD, START, END = "Period", "StartDate", "EndDate"
# 10.1 transactions, one by one
TRANSACTIONS, TRANSACTION = "Transactions", "Transaction"
NUMBER, ISSUE_DATE, TYPE_CODE, CATEGORY = "InvoiceNumber", "IssueDate", "TypeCode", "Category"
BUYER, COUNTRY, VAT_ID = "Buyer", "CountryCode", "VatId"
SUBTOTAL, RATE, TAXABLE, TAX = "TaxSubtotal", "Rate", "TaxableAmount", "TaxAmount"
# 10.2 their payments
PAYMENTS, PAYMENT, INVOICE_DATE, PAYMENT_DATE, AMOUNT = (
    "Payments", "Payment", "InvoiceDate", "PaymentDate", "Amount")
# 10.3 B2C aggregated
SUMMARIES, SUMMARY, DATE, COUNT = "AggregatedTransactions", "DailySummary", "Date", "TransactionCount"
# 10.4 B2C payments aggregated
PAYMENT_SUMMARIES, PAYMENT_SUMMARY, PAYMENT_COUNT = "AggregatedPayments", "DailyPayments", "PaymentCount"
TOTALS, TOTAL_TAXABLE, TOTAL_TAX, TOTAL_PAID, ENTRIES = (
    "Totals", "TaxableAmount", "TaxAmount", "PaidAmount", "EntryCount")

NATURE_CODES = {Nature.INITIAL: "IN", Nature.RECTIFICATION: "RE"}
FLOW_CODES = {Flow.TRANSACTIONS: "TR", Flow.PAYMENTS: "PA"}
REGIME_CODES = {Regime.NORMAL: "RN", Regime.NORMAL_QUARTERLY: "RNT", Regime.SIMPLIFIED: "RS", Regime.FRANCHISE: "FB"}
SECTION_IDS = {TRANSACTIONS: "10.1", PAYMENTS: "10.2", SUMMARIES: "10.3", PAYMENT_SUMMARIES: "10.4"}


class FormatError(ValueError):
    """The file is not an e-reporting file of this format; `message` says what is wrong in both languages."""

    def __init__(self, message: Message):
        super().__init__(message.en)
        self.message = message


def flow_type(report: Report) -> str:
    """The Flow Service's `flowType` (FlowType enum: FRR 10.1 … 10.4, or MultiFlowReport for several)."""
    kinds = [name for name, present in (
        ("UnitaryCustomerTransactionReport", report.transactions),
        ("AggregatedCustomerTransactionReport", report.summaries),
        ("UnitaryCustomerPaymentReport", report.payments),
        ("AggregatedCustomerPaymentReport", report.payment_summaries)) if present]
    if len(kinds) == 1:
        return kinds[0]
    if not kinds:  # an empty report (nothing sold in the period) still reports its period
        return ("AggregatedCustomerTransactionReport" if report.flow is Flow.TRANSACTIONS
                else "AggregatedCustomerPaymentReport")
    return "MultiFlowReport"


def processing_rule(report: Report) -> str:
    """The Flow Service's `processingRule`: B2C e-reporting, or B2BInt when only international B2B is reported."""
    if (report.transactions or report.payments) and not (report.summaries or report.payment_summaries):
        return "B2BInt"
    return "B2C"


def _q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _amount(value: Decimal) -> str:
    # Written as it is: the rules refuse an amount that is not to the cent instead of hiding it.
    return format(value, "f")


def file_name(report: Report) -> str:
    return f"ereporting-{report.declarant.siren}-{FLOW_CODES[report.flow]}-{report.start:%Y%m%d}-{report.report_id}.xml"


def write(report: Report) -> bytes:
    """The report as XML, written incrementally (the sections are streamed, not built as a tree)."""
    out = io.BytesIO()
    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(_q(ROOT), nsmap={None: NAMESPACE}):
            xf.write(_header(report))
            if report.flow is Flow.TRANSACTIONS:
                with xf.element(_q(TRANSACTIONS), section=SECTION_IDS[TRANSACTIONS]):
                    for t in report.transactions:
                        xf.write(_transaction(t))
                with xf.element(_q(SUMMARIES), section=SECTION_IDS[SUMMARIES]):
                    for s in report.summaries:
                        xf.write(_leaf_group(SUMMARY, ((DATE, s.day.isoformat()), (CATEGORY, str(s.category)),
                                                       (RATE, _amount(s.rate)), (TAXABLE, _amount(s.taxable)),
                                                       (TAX, _amount(s.tax)), (COUNT, str(s.count)))))
            else:
                with xf.element(_q(PAYMENTS), section=SECTION_IDS[PAYMENTS]):
                    for p in report.payments:
                        xf.write(_leaf_group(PAYMENT, (
                            (NUMBER, p.invoice_number), (INVOICE_DATE, p.invoice_date.isoformat()),
                            (PAYMENT_DATE, p.payment_date.isoformat()), (RATE, _amount(p.rate)),
                            (AMOUNT, _amount(p.amount)))))
                with xf.element(_q(PAYMENT_SUMMARIES), section=SECTION_IDS[PAYMENT_SUMMARIES]):
                    for q in report.payment_summaries:
                        xf.write(_leaf_group(PAYMENT_SUMMARY, ((DATE, q.day.isoformat()), (RATE, _amount(q.rate)),
                                                               (AMOUNT, _amount(q.amount)),
                                                               (PAYMENT_COUNT, str(q.count)))))
            totals = report.totals or Totals()
            xf.write(_leaf_group(TOTALS, ((TOTAL_TAXABLE, _amount(totals.taxable)), (TOTAL_TAX, _amount(totals.tax)),
                                          (TOTAL_PAID, _amount(totals.paid)), (ENTRIES, str(totals.entries)))))
    return out.getvalue()


def _leaf_group(name: str, children) -> etree._Element:
    element = etree.Element(_q(name), nsmap={None: NAMESPACE})
    for child, text in children:
        etree.SubElement(element, _q(child)).text = text
    return element


def _header(report: Report) -> etree._Element:
    header = etree.Element(_q(HEADER), nsmap={None: NAMESPACE})
    etree.SubElement(header, _q(REPORT_ID)).text = report.report_id
    etree.SubElement(header, _q(NATURE)).text = NATURE_CODES[report.nature]
    if report.rectifies:
        etree.SubElement(header, _q(RECTIFIES)).text = report.rectifies
    etree.SubElement(header, _q(ISSUED_AT)).text = report.issued_at.isoformat()
    etree.SubElement(header, _q(FLOW)).text = FLOW_CODES[report.flow]
    etree.SubElement(header, _q(CURRENCY)).text = report.currency
    declarant = etree.SubElement(header, _q(DECLARANT))
    etree.SubElement(declarant, _q(SIREN)).text = report.declarant.siren
    etree.SubElement(declarant, _q(NAME)).text = report.declarant.name
    etree.SubElement(declarant, _q(REGIME)).text = REGIME_CODES[report.declarant.regime]
    period = etree.SubElement(header, _q(PERIOD))
    etree.SubElement(period, _q(START)).text = report.start.isoformat()
    etree.SubElement(period, _q(END)).text = report.end.isoformat()
    return header


def _transaction(t: Transaction) -> etree._Element:
    element = _leaf_group(TRANSACTION, ((NUMBER, t.number), (ISSUE_DATE, t.issue_date.isoformat()),
                                        (TYPE_CODE, t.type_code), (CATEGORY, str(t.category))))
    buyer = etree.SubElement(element, _q(BUYER))
    etree.SubElement(buyer, _q(NAME)).text = t.buyer_name
    etree.SubElement(buyer, _q(COUNTRY)).text = t.buyer_country
    if t.buyer_vat_id:
        etree.SubElement(buyer, _q(VAT_ID)).text = t.buyer_vat_id
    for s in t.subtotals:
        sub = etree.SubElement(element, _q(SUBTOTAL))
        etree.SubElement(sub, _q(RATE)).text = _amount(s.rate)
        etree.SubElement(sub, _q(TAXABLE)).text = _amount(s.taxable)
        etree.SubElement(sub, _q(TAX)).text = _amount(s.tax)
    return element


# Reading back ------------------------------------------------------------------------------------

def _bad(fr: str, en: str) -> FormatError:
    return FormatError(Message(fr=fr, en=en))


def _text(parent, name: str, *, required: bool = True) -> str:
    child = parent.find(_q(name))
    if child is None or child.text is None:
        if required:
            where = etree.QName(parent).localname
            raise _bad(f"Élément {name} manquant dans {where}.", f"Element {name} missing in {where}.")
        return ""
    return child.text.strip()


def _date(parent, name: str) -> dt.date:
    value = _text(parent, name)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _bad(f"Date invalide dans {name} : « {value} » (attendu AAAA-MM-JJ).",
                   f"Invalid date in {name}: “{value}” (expected YYYY-MM-DD).") from None


def _decimal(parent, name: str) -> Decimal:
    value = _text(parent, name)
    try:
        return Decimal(value)
    except InvalidOperation:
        raise _bad(f"Montant invalide dans {name} : « {value} ».", f"Invalid amount in {name}: “{value}”.") from None


def _int(parent, name: str) -> int:
    value = _text(parent, name)
    if not value.isdigit():
        raise _bad(f"Nombre entier attendu dans {name} : « {value} ».", f"Whole number expected in {name}: “{value}”.")
    return int(value)


def _code(table: dict, value: str, name: str):
    for key, code in table.items():
        if code == value:
            return key
    raise _bad(f"Code inconnu dans {name} : « {value} ».", f"Unknown code in {name}: “{value}”.")


def _category(value: str) -> Category | str:
    """The category, or the text as read when it is unknown: the rules say so (ER-CAT-01), with the rest."""
    try:
        return Category(value)
    except ValueError:
        return value


def parse(data: bytes) -> Report:
    """Read a file of this format back into a `Report` (raises `FormatError` saying what is wrong)."""
    from facturier.engine.errors import EngineError

    try:
        root = parse_xml(data)
    except EngineError as e:
        raise FormatError(e.message) from e
    if root.tag != _q(ROOT):
        raise _bad(f"Ce n'est pas un fichier d'e-reporting (élément racine {etree.QName(root).localname}).",
                   f"Not an e-reporting file (root element {etree.QName(root).localname}).")
    header = root.find(_q(HEADER))
    if header is None:
        raise _bad("En-tête (Header) manquant.", "Header missing.")
    declarant = header.find(_q(DECLARANT))
    period = header.find(_q(PERIOD))
    if declarant is None or period is None:
        raise _bad("Déclarant ou période manquant dans l'en-tête.", "Declarant or period missing in the header.")
    try:
        issued_at = dt.datetime.fromisoformat(_text(header, ISSUED_AT))
    except ValueError:
        raise _bad("Date et heure d'émission invalides.", "Invalid issue date and time.") from None
    transactions, summaries, payments, payment_summaries = [], [], [], []
    for t in root.iterfind(f"{_q(TRANSACTIONS)}/{_q(TRANSACTION)}"):
        buyer = t.find(_q(BUYER))
        if buyer is None:
            raise _bad("Acheteur manquant dans une transaction.", "Buyer missing in a transaction.")
        transactions.append(Transaction(
            number=_text(t, NUMBER), issue_date=_date(t, ISSUE_DATE), type_code=_text(t, TYPE_CODE),
            category=_category(_text(t, CATEGORY)), buyer_name=_text(buyer, NAME),
            buyer_country=_text(buyer, COUNTRY), buyer_vat_id=_text(buyer, VAT_ID, required=False),
            subtotals=tuple(TaxSubtotal(rate=_decimal(s, RATE), taxable=_decimal(s, TAXABLE), tax=_decimal(s, TAX))
                            for s in t.iterfind(_q(SUBTOTAL)))))
    for s in root.iterfind(f"{_q(SUMMARIES)}/{_q(SUMMARY)}"):
        summaries.append(DailySummary(day=_date(s, DATE), category=_category(_text(s, CATEGORY)),
                                      rate=_decimal(s, RATE), taxable=_decimal(s, TAXABLE), tax=_decimal(s, TAX),
                                      count=_int(s, COUNT)))
    for p in root.iterfind(f"{_q(PAYMENTS)}/{_q(PAYMENT)}"):
        payments.append(PaymentRecord(invoice_number=_text(p, NUMBER), invoice_date=_date(p, INVOICE_DATE),
                                      payment_date=_date(p, PAYMENT_DATE), rate=_decimal(p, RATE),
                                      amount=_decimal(p, AMOUNT)))
    for q in root.iterfind(f"{_q(PAYMENT_SUMMARIES)}/{_q(PAYMENT_SUMMARY)}"):
        payment_summaries.append(DailyPayments(day=_date(q, DATE), rate=_decimal(q, RATE), amount=_decimal(q, AMOUNT),
                                               count=_int(q, PAYMENT_COUNT)))
    totals_el = root.find(_q(TOTALS))
    totals = None if totals_el is None else Totals(
        taxable=_decimal(totals_el, TOTAL_TAXABLE), tax=_decimal(totals_el, TOTAL_TAX),
        paid=_decimal(totals_el, TOTAL_PAID), entries=_int(totals_el, ENTRIES))
    return Report(
        report_id=_text(header, REPORT_ID), nature=_code(NATURE_CODES, _text(header, NATURE), NATURE),
        flow=_code(FLOW_CODES, _text(header, FLOW), FLOW),
        declarant=Declarant(siren=_text(declarant, SIREN), name=_text(declarant, NAME),
                            regime=_code(REGIME_CODES, _text(declarant, REGIME), REGIME)),
        start=_date(period, START), end=_date(period, END), issued_at=issued_at,
        currency=_text(header, CURRENCY), rectifies=_text(header, RECTIFIES, required=False),
        transactions=tuple(transactions), summaries=tuple(summaries), payments=tuple(payments),
        payment_summaries=tuple(payment_summaries), totals=totals)
