"""Third-party invoices for the import tests: the repository's official examples, rewritten so that the
seller is the test organisation (its VAT id and SIREN) and each has its own number, wrapped in a
Factur-X PDF when a PDF is wanted, and broken on purpose when a refusal is wanted."""

from __future__ import annotations

import io
import zipfile
from functools import cache
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[2] / "conformance"
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
ACME_SIREN, ACME_VAT = "884123456", "FR52884123456"

CII_EXAMPLES = sorted((ROOT / "en16931-1.3.16/examples/cii").glob("*.xml"))
UBL_EXAMPLES = sorted((ROOT / "en16931-1.3.16/examples/ubl").glob("*.xml"))
XRECHNUNG = sorted((ROOT / "xrechnung-3.0.2/instances/business-cases").rglob("*.xml"))
ZUGFERD = sorted((ROOT / "zugferd-2.5.2/examples/en16931").glob("*.xml"))


def _set_cii_seller(root, siren: str, vat: str) -> None:
    seller = root.find(".//ram:SellerTradeParty", NS)
    regs = seller.findall("ram:SpecifiedTaxRegistration", NS)
    vat_el = next((r.find("ram:ID", NS) for r in regs if r.find("ram:ID", NS).get("schemeID") == "VA"), None)
    if vat_el is None:
        reg = etree.SubElement(seller, f"{{{NS['ram']}}}SpecifiedTaxRegistration")
        vat_el = etree.SubElement(reg, f"{{{NS['ram']}}}ID", schemeID="VA")
    vat_el.text = vat
    legal = seller.find("ram:SpecifiedLegalOrganization/ram:ID", NS)
    if legal is not None:
        legal.text = siren
        legal.set("schemeID", "0002")


def _set_ubl_seller(root, siren: str, vat: str) -> None:
    party = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    done = False
    for scheme in party.findall("cac:PartyTaxScheme", NS):
        if scheme.findtext("cac:TaxScheme/cbc:ID", namespaces=NS) == "VAT":
            scheme.find("cbc:CompanyID", NS).text = vat
            done = True
    if not done:
        raise ValueError("no seller VAT id to rewrite")
    legal = party.find("cac:PartyLegalEntity/cbc:CompanyID", NS)
    if legal is not None:
        legal.text = siren
        legal.set("schemeID", "0002")


def as_seller(xml: bytes, *, number: str | None = None, siren: str = ACME_SIREN, vat: str = ACME_VAT) -> bytes:
    """The same invoice, issued by the given seller, with `number` as its BT-1 when given."""
    root = etree.fromstring(xml)
    if root.tag.endswith("CrossIndustryInvoice"):
        _set_cii_seller(root, siren, vat)
        if number:
            root.find("rsm:ExchangedDocument/ram:ID", NS).text = number
    else:
        _set_ubl_seller(root, siren, vat)
        if number:
            root.find("cbc:ID", NS).text = number
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def facturx(xml: bytes) -> bytes:
    """A Factur-X PDF (PDF/A-3 visual rendered by the engine, the XML attached as it is)."""
    from facturier.engine.cii.read import read_cii
    from facturier.engine.facturx.pack import level_of_guideline, pack_facturx
    from facturier.engine.pdf.render import Attachment, RenderOptions, render_invoice

    invoice = read_cii(xml)
    level = level_of_guideline(xml) or "EN 16931"
    relationship = "Data" if level in ("MINIMUM", "BASIC WL") else "Alternative"
    visual = render_invoice(invoice, RenderOptions(attachments=(Attachment(
        filename="factur-x.xml", data=xml, relationship=relationship, description="Factur-X"),)))
    return pack_facturx(visual, xml, conformance_level=level)


@cache
def valid_sources() -> tuple[tuple[str, bytes], ...]:
    """(name, original bytes) of the official examples that pass the official rules as they are."""
    from facturier.engine.validation import validate

    found = []
    for path in [*CII_EXAMPLES, *UBL_EXAMPLES, *ZUGFERD, *XRECHNUNG]:
        data = path.read_bytes()
        try:
            rewritten = as_seller(data, number="X")
            if validate(rewritten).passed:
                found.append((f"{path.parent.name}-{path.name}", data))
        except Exception:  # noqa: BLE001 - an example we cannot rewrite is simply not used
            continue
    return tuple(found)


def zip_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


# --- broken on purpose, each breaking one official rule ----------------------------------------------------


def _bump(el) -> None:
    from decimal import Decimal

    el.text = str(Decimal(el.text) + 1)


def _cii_mutations():
    def type_code(root):
        root.find("rsm:ExchangedDocument/ram:TypeCode", NS).text = "999"

    def grand_total(root):
        _bump(root.find(".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount", NS))

    def line_total(root):
        _bump(root.find(".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:LineTotalAmount", NS))

    return [(type_code, "BR-CL-01"), (grand_total, "BR-CO-15"), (line_total, "BR-CO-10")]


def _ubl_mutations():
    def type_code(root):
        root.find("cbc:InvoiceTypeCode", NS).text = "999"

    def grand_total(root):
        _bump(root.find("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", NS))

    def line_total(root):
        _bump(root.find("cac:LegalMonetaryTotal/cbc:LineExtensionAmount", NS))

    return [(type_code, "BR-CL-01"), (grand_total, "BR-CO-15"), (line_total, "BR-CO-10")]


def broken(xml: bytes, which: int) -> tuple[bytes, str]:
    """The invoice with one official rule broken; (bytes, the rule id it breaks)."""
    root = etree.fromstring(xml)
    mutations = _cii_mutations() if root.tag.endswith("CrossIndustryInvoice") else _ubl_mutations()
    mutate, rule = mutations[which % len(mutations)]
    mutate(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8"), rule
