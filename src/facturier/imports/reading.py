"""One received file → the engine's verdict and invoice, then → the rows of an issued document.

Nothing here touches the database: `read_file` runs the engine (unpack, parse, the official
rules exactly as `facturier einvoice validate` runs them), `document_rows` maps the engine's
EN 16931 invoice to unsaved Document/Line/AllowanceCharge rows. The service decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from facturier.engine.en16931.model import Invoice
from facturier.engine.errors import EngineError, Message
from facturier.engine.validation import Finding, Report, Severity
from facturier.engine.xml import Limits

PDF_MAGIC = b"%PDF-"
CREDIT_CODES = {"381", "261", "262", "396", "502", "503"}
KIND_OF_CODE = {"386": "deposit", "500": "deposit", "384": "corrective", "471": "corrective", "472": "corrective",
                "473": "corrective"}
FRAMEWORK_CATEGORY = {"B": "goods", "S": "services", "M": "both"}
CENT = Decimal("0.01")


@dataclass(slots=True)
class Reading:
    """What the engine made of one file."""

    is_pdf: bool
    xml: bytes | None = None
    invoice: Invoice | None = None
    syntax: str = ""
    guideline: str = ""
    report: Report = field(default_factory=Report)
    error: EngineError | None = None
    error_rule: str = ""


def _rule_of(error: EngineError, is_pdf: bool) -> str:
    from facturier.engine.errors import InputTooLarge, MalformedXML, PdfError, UnsupportedDocument

    if isinstance(error, InputTooLarge):
        return "IMPORT-TOO-LARGE"
    if isinstance(error, PdfError):
        return "IMPORT-PDF-NO-XML" if is_pdf else "IMPORT-PDF"
    if isinstance(error, MalformedXML):
        return "IMPORT-MALFORMED-XML"
    if isinstance(error, UnsupportedDocument):
        return "IMPORT-UNKNOWN-SYNTAX"
    return "IMPORT-UNREADABLE"


def is_french(invoice: Invoice) -> bool:
    seller = invoice.seller
    if seller.address is not None and seller.address.country:
        return seller.address.country.upper() == "FR"
    return bool(seller.vat_id and seller.vat_id.upper().startswith("FR"))


def read_file(data: bytes, *, limits: Limits) -> Reading:
    """Unpack, read and validate one file; an unreadable file comes back with its error, never raises."""
    from facturier.engine.cii.read import read_cii
    from facturier.engine.facturx.container import check_container
    from facturier.engine.facturx.unpack import unpack_facturx
    from facturier.engine.ubl.read import read_ubl
    from facturier.engine.validation import validate_tree
    from facturier.engine.xml import detect, parse_xml

    is_pdf = data.lstrip()[:5] == PDF_MAGIC
    reading = Reading(is_pdf=is_pdf)
    container = Report()
    try:
        if is_pdf:
            container = check_container(data, max_bytes=limits.max_bytes)
            try:
                reading.xml = unpack_facturx(data, max_bytes=limits.max_bytes).xml
            except EngineError as e:
                reading.report = container
                reading.error, reading.error_rule = e, "IMPORT-PDF-NO-XML"
                return reading
        else:
            reading.xml = data
        root = parse_xml(reading.xml, limits=limits)
        kind = detect(root)
        reading.syntax = ("facturx-" if is_pdf else "") + kind.syntax
        reading.guideline = (kind.guideline_id or "")[:200]
        reading.invoice = read_cii(root) if kind.syntax == "cii" else read_ubl(root)
        reading.report = container.merge(validate_tree(root, kind, french=is_french(reading.invoice)))
    except EngineError as e:
        reading.report = container
        reading.error, reading.error_rule = e, _rule_of(e, is_pdf)
    return reading


def finding(rule: str, fr: str, en: str, *, severity: Severity = Severity.FATAL) -> Finding:
    return Finding(rule=rule, severity=severity, message=Message(fr=fr, en=en), source="import")


# --- engine invoice → document rows --------------------------------------------------------------


def digits(value: str | None) -> str:
    return re.sub(r"\s", "", value or "")


def _unlabelled_may_be_french(party) -> bool:
    """An identifier without a scheme is read as a SIREN/SIRET only for a party that may be French: one whose
    address says another country is not (a Norwegian organisation number also has nine digits)."""
    country = getattr(getattr(party, "address", None), "country", "") or ""
    return country.upper() in ("", "FR")


def siren_of(party) -> str:
    reg = party.legal_registration
    if reg is not None and re.fullmatch(r"\d{9}", digits(reg.value)) and (
            reg.scheme == "0002" or (reg.scheme in (None, "") and _unlabelled_may_be_french(party))):
        return digits(reg.value)
    siret = siret_of(party)
    if siret:
        return siret[:9]
    vat = (party.vat_id or "").upper().replace(" ", "")
    if re.fullmatch(r"FR[0-9A-Z]{2}\d{9}", vat):
        return vat[4:]
    return ""


def siret_of(party) -> str:
    candidates = list(party.identifiers)
    if party.legal_registration is not None:
        candidates.append(party.legal_registration)
    for ident in candidates:
        value = digits(ident.value)
        if re.fullmatch(r"\d{14}", value) and (
                ident.scheme == "0009" or (ident.scheme in (None, "") and _unlabelled_may_be_french(party))):
            return value
    return ""


def _text(value, size: int) -> str:
    return " ".join(str(value).split())[:size] if value else ""


def _dec(value, places: str = "0.000001") -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value).quantize(Decimal(places))
    except InvalidOperation:
        return None


def kind_of(invoice: Invoice) -> str:
    code = str(getattr(invoice.type_code, "value", invoice.type_code))
    if code in CREDIT_CODES:
        return "credit_note"
    return KIND_OF_CODE.get(code, "invoice")


def _address_dict(address) -> dict:
    if address is None:
        return {"line1": "", "line2": "", "postcode": "", "city": "", "country": ""}
    return {"line1": _text(address.line1, 200), "line2": _text(address.line2, 200),
            "postcode": _text(address.post_code, 20), "city": _text(address.city, 100),
            "country": (address.country or "")[:2].upper()}


def seller_snapshot_of(invoice: Invoice) -> dict:
    """The seller as the producer wrote it (the keys of a legal profile's snapshot)."""
    s = invoice.seller
    address = _address_dict(s.address)
    iban = bic = ""
    if invoice.payment and invoice.payment.credit_transfers:
        iban = invoice.payment.credit_transfers[0].account_id or ""
        bic = invoice.payment.credit_transfers[0].service_provider_id or ""
    return {
        "legal_name": s.name, "legal_form": s.legal_form or "", "share_capital": None,
        "siren": siren_of(s), "siret": siret_of(s), "vat_number": s.vat_id or "", "registration": "",
        "address_line1": address["line1"], "address_line2": address["line2"], "postcode": address["postcode"],
        "city": address["city"], "country": address["country"],
        "email": (s.contact.email if s.contact else None) or "",
        "phone": (s.contact.phone if s.contact else None) or "",
        "iban": iban, "bic": bic, "vat_regime": "",
        "electronic_address": s.electronic_address.value if s.electronic_address else "",
        "electronic_address_scheme": s.electronic_address.scheme if s.electronic_address else "",
        "imported": True,
    }


def buyer_snapshot_of(invoice: Invoice, customer) -> dict:
    b = invoice.buyer
    return {
        "code": customer.code, "name": b.name, "siren": siren_of(b), "siret": siret_of(b),
        "vat_number": b.vat_id or "", "foreign_identifier": "", "foreign_identifier_scheme": "",
        "is_public_sector": customer.is_public_sector, "chorus_service_code": "",
        "electronic_address": b.electronic_address.value if b.electronic_address else "",
        "electronic_address_scheme": b.electronic_address.scheme if b.electronic_address else "",
        "email": (b.contact.email if b.contact else None) or "",
        "billing_address": {"name": "", **_address_dict(b.address)},
        "delivery_address": None,
    }


def header_of(invoice: Invoice) -> dict:
    """The document's header fields from the invoice, each cut to its column."""
    category = "services"
    if invoice.process and invoice.process.business_process:
        category = FRAMEWORK_CATEGORY.get(invoice.process.business_process[:1].upper(), "services")
    plain_notes = [n.text for n in invoice.notes if not n.subject_code and n.text]
    coded = {n.subject_code: n.text for n in invoice.notes if n.subject_code}
    t = invoice.totals
    tax_currency = invoice.tax_currency or invoice.currency
    return {
        "kind": kind_of(invoice), "number": invoice.number, "issue_date": invoice.issue_date,
        "due_date": invoice.due_date, "delivery_date": invoice.delivery.actual_date if invoice.delivery else None,
        "currency": invoice.currency[:3], "tax_currency": tax_currency[:3],
        "buyer_reference": _text(invoice.buyer_reference, 100),
        "purchase_order": _text(invoice.purchase_order_reference, 100),
        "contract_reference": _text(invoice.contract_reference, 100),
        "operation_category": category,
        "payment_terms_text": _text(invoice.payment_terms, 300),
        "late_penalty_text": _text(coded.get("PMD"), 300), "indemnity_text": _text(coded.get("PMT"), 300),
        "discount_terms_text": _text(coded.get("AAB"), 300),
        "note": "\n".join(plain_notes)[:10_000],
        "line_total": _money(t.line_net_total), "allowance_total": _money(t.allowance_total),
        "charge_total": _money(t.charge_total), "tax_exclusive": _money(t.tax_exclusive),
        "tax_total": _money(t.tax_total), "tax_total_accounting": _dec(t.tax_total_accounting, "0.01"),
        "tax_inclusive": _money(t.tax_inclusive), "prepaid": _money(t.prepaid), "rounding": _money(t.rounding),
        "payable": _money(t.amount_due), "amount_due": _money(t.amount_due),
        "vat_breakdown": [
            {"category": str(getattr(b.category, "value", b.category)),
             "rate": None if b.rate is None else str(_dec(b.rate, "0.01")),
             "taxable_amount": str(_money(b.taxable_amount)), "tax_amount": str(_money(b.tax_amount)),
             "exemption_reason": b.exemption_reason or "", "exemption_code": b.exemption_code or ""}
            for b in invoice.vat_breakdown],
    }


def _money(value) -> Decimal:
    return _dec(value, "0.01") or Decimal("0.00")


def lines_of(invoice: Invoice) -> list[dict]:
    rows = []
    for i, line in enumerate(invoice.lines, start=1):
        discount = sum((a.amount for a in line.allowances_charges if not a.is_charge), Decimal(0))
        percent = next((a.percentage for a in line.allowances_charges if not a.is_charge and a.percentage), None)
        rows.append({
            "position": i, "name": _text(line.item.name, 200) or "—", "description": line.item.description or "",
            "quantity": _dec(line.quantity) or Decimal(0), "unit": (line.unit or "C62")[:3],
            "unit_price": _dec(line.price.net_price) or Decimal(0), "gross_price": _dec(line.price.gross_price),
            "price_base_quantity": _dec(line.price.base_quantity) or Decimal(1),
            "discount_percent": _dec(percent, "0.0001") or Decimal(0), "discount_amount": _money(discount),
            "vat_category": str(getattr(line.vat.category, "value", line.vat.category))[:2],
            "vat_rate": _dec(line.vat.rate, "0.01"), "exemption_reason": _text(line.vat.exemption_reason, 300),
            "exemption_code": _text(line.vat.exemption_code, 30), "net_amount": _money(line.net_amount),
            "note": _text(line.note, 300)})
    return rows


def allowances_charges_of(invoice: Invoice) -> list[dict]:
    return [{"is_charge": ac.is_charge, "amount": _money(ac.amount), "base_amount": _dec(ac.base_amount, "0.01"),
             "percent": _dec(ac.percentage, "0.0001"),
             "vat_category": str(getattr(ac.vat_category, "value", ac.vat_category))[:2],
             "vat_rate": _dec(ac.vat_rate, "0.01"), "reason": _text(ac.reason, 200),
             "reason_code": _text(ac.reason_code, 3)}
            for ac in invoice.allowances_charges]
