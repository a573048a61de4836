"""What the simulated platform checks in a submitted invoice (with the engine, Django-free)."""

from __future__ import annotations

from dataclasses import dataclass, field

from facturier.engine.errors import EngineError

# The Flow Service's ReasonCode values (ack details) and the life-cycle reason codes of a rejection.
IRRECEVABLE = "501"
REJECTED = "213"
ROUTING_ERROR = "221"


@dataclass
class Verdict:
    ok: bool
    status: str = ""  # "" when ok, else 501 (the file is not an invoice it can read), 213 (rules), 221 (routing)
    ack_reason: str = ""  # the Flow Service's ReasonCode for the acknowledgement (501 only)
    reason_code: str = ""  # the life-cycle reason code
    reason: str = ""
    findings: list[dict] = field(default_factory=list)
    number: str = ""
    issue_date: str = ""  # YYYYMMDD
    type_code: str = "380"
    seller_siren: str = ""
    seller_name: str = ""
    buyer_siren: str = ""
    buyer_name: str = ""


def _siren(party) -> str:
    reg = getattr(party, "legal_registration", None)
    if reg is not None and getattr(reg, "value", None):
        value = str(reg.value).replace(" ", "")
        return value[:9] if len(value) in (9, 14) and value.isdigit() else value
    vat = getattr(party, "vat_id", None) or ""
    if vat.upper().startswith("FR") and len(vat) == 13:
        return vat[4:]
    return ""


def inspect(data: bytes, *, mode: str = "schema") -> Verdict:
    """Read the file (Factur-X PDF, CII or UBL); `mode`: "rules" runs the XSD and the official rules,
    "schema" the XSD only, "off" nothing but reading."""
    if not data:
        return Verdict(False, IRRECEVABLE, "EmptyFlow", "IRR_VIDE_F", "The file is empty.")
    xml = data
    if data[:5] == b"%PDF-":
        from facturier.engine.facturx.unpack import unpack_facturx

        try:
            xml = unpack_facturx(data).xml
        except EngineError as e:
            return Verdict(False, IRRECEVABLE, "FlowTypeError", "IRR_TYPE_F", f"Not a Factur-X PDF: {e}")
    from facturier.engine.convert import read_invoice
    from facturier.engine.xml import detect, parse_xml

    try:
        root = parse_xml(xml)
        kind = detect(root)
    except EngineError as e:
        return Verdict(False, IRRECEVABLE, "InvalidSchema", "IRR_SYNTAX", f"Not an invoice: {e}")
    if mode in ("schema", "rules"):
        from facturier.engine.validation import validate, validate_xsd

        try:
            report = validate(xml, french=True) if mode == "rules" else validate_xsd(root, kind)
        except EngineError as e:
            return Verdict(False, IRRECEVABLE, "OtherTechnicalError", "AUTRE", f"Cannot be checked: {e}")
        fatal = list(report.fatal)
        if fatal:
            findings = [{"rule": f.rule, "message": f.message.en, "xpath": f.xpath or ""} for f in fatal[:20]]
            if any(f.rule == "XSD" or f.source == "xsd" for f in fatal):
                return Verdict(False, IRRECEVABLE, "InvalidSchema", "IRR_SYNTAX",
                               "The XML does not follow its schema: " + findings[0]["message"], findings)
            return Verdict(False, REJECTED, "", "REJ_SEMAN",
                           "Business rules failed: " + ", ".join(sorted({f["rule"] for f in findings})), findings)
    try:
        invoice, _syntax = read_invoice(xml)
    except EngineError as e:
        return Verdict(False, IRRECEVABLE, "InvalidSchema", "IRR_SYNTAX", f"The invoice cannot be read: {e}")
    return Verdict(True, number=invoice.number, issue_date=invoice.issue_date.strftime("%Y%m%d"),
                   type_code=str(invoice.type_code), seller_siren=_siren(invoice.seller),
                   seller_name=invoice.seller.name, buyer_siren=_siren(invoice.buyer), buyer_name=invoice.buyer.name)
