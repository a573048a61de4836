"""A Factur-X made by the project, and the broken shapes real-world producers send.

Everything is made here, in the test session: the invoice is an engine model, its CII comes
from the project's writer, its visual from the project's Typst renderer, the container from
the project's packer. Each broken shape is that file changed with pikepdf the way a careless
producer leaves it — no file of ../shared is needed.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pikepdf
from lxml import etree

from facturier.engine.cii import Profile, write_cii
from facturier.engine.en16931.calculation import LineInput, compute_totals
from facturier.engine.en16931.codes import DocumentTypeCode, VatCategory
from facturier.engine.en16931.model import (
    Buyer,
    CreditTransfer,
    DocumentTotals,
    ElectronicAddress,
    Identifier,
    Invoice,
    InvoiceLine,
    Item,
    LineVat,
    PaymentInstructions,
    PostalAddress,
    Price,
    Seller,
    VatBreakdown,
)
from facturier.engine.facturx import pack_facturx
from facturier.engine.facturx.xmp import FX_NS, PDFA_EXTENSION_NS, PDFAID_NS, ZUGFERD2_XRECHNUNG_NS
from facturier.engine.pdf.render import Attachment, RenderOptions, render_invoice


def one_page_invoice() -> Invoice:
    """A plain French B2B invoice of two lines, as the project issues them."""
    inputs = [
        LineInput(quantity=Decimal("10"), net_price=Decimal("85.00"), vat_category=VatCategory.S,
                  vat_rate=Decimal("20")),
        LineInput(quantity=Decimal("3"), net_price=Decimal("12.00"), vat_category=VatCategory.S,
                  vat_rate=Decimal("5.5")),
    ]
    totals = compute_totals(inputs)
    return Invoice(
        number="FA-2026-00042",
        issue_date=dt.date(2026, 9, 1),
        type_code=DocumentTypeCode("380"),
        currency="EUR",
        due_date=dt.date(2026, 10, 1),
        seller=Seller(
            name="Atelier Lumière SAS",
            legal_registration=Identifier(value="884123456", scheme="0002"),
            vat_id="FR52884123456",
            electronic_address=ElectronicAddress(value="884123456", scheme="0225"),
            address=PostalAddress(country="FR", line1="12 rue de la République", city="Lyon", post_code="69002"),
        ),
        buyer=Buyer(
            name="Boulangerie Martin SARL",
            legal_registration=Identifier(value="412345670", scheme="0002"),
            vat_id="FR96412345670",
            electronic_address=ElectronicAddress(value="412345670", scheme="0225"),
            address=PostalAddress(country="FR", line1="3 avenue Client", city="Villeurbanne", post_code="69100"),
        ),
        payment=PaymentInstructions(
            means_code="58",
            credit_transfers=(CreditTransfer(account_id="FR7630006000011234567890189"),),
        ),
        totals=DocumentTotals(
            line_net_total=totals.line_total,
            tax_exclusive=totals.tax_exclusive,
            tax_total=totals.tax_total,
            tax_inclusive=totals.tax_inclusive,
            amount_due=totals.payable,
        ),
        vat_breakdown=tuple(
            VatBreakdown(taxable_amount=b.taxable_amount, tax_amount=b.tax_amount, category=b.category, rate=b.rate)
            for b in totals.vat_breakdown
        ),
        lines=tuple(
            InvoiceLine(
                id=str(i + 1),
                quantity=line.quantity,
                unit="C62",
                net_amount=net,
                price=Price(net_price=line.net_price),
                vat=LineVat(category=line.vat_category, rate=line.vat_rate),
                item=Item(name=f"Article {i + 1}"),
            )
            for i, (line, net) in enumerate(zip(inputs, totals.line_net_amounts, strict=True))
        ),
    )


def project_facturx(invoice: Invoice, profile: Profile = Profile.EN16931) -> bytes:
    """The Factur-X the project emits: CII written, visual rendered with the XML attached, XMP added."""
    xml = write_cii(invoice, profile=profile)
    relationship = "Alternative" if profile.rank >= 2 else "Data"
    visual = render_invoice(invoice, RenderOptions(
        attachments=(Attachment("factur-x.xml", xml, relationship=relationship, description="Factur-X"),)))
    return pack_facturx(visual, xml, conformance_level=profile.xmp_level)


# --- Changing a file with pikepdf -----------------------------------------------------------


def _saved(document: pikepdf.Pdf, **options) -> bytes:
    out = io.BytesIO()
    document.save(out, **options)
    return out.getvalue()


def _invoice_filespec(document: pikepdf.Pdf) -> pikepdf.Dictionary:
    return document.attachments["factur-x.xml"].obj


def _edit_xmp(document: pikepdf.Pdf, change: Callable[[etree._Element], None]) -> None:
    root = etree.fromstring(document.Root.Metadata.read_bytes())
    change(root)
    document.Root.Metadata.write(etree.tostring(root, encoding="utf-8"))


def _drop_namespace(namespace: str) -> Callable[[etree._Element], None]:
    """Remove every element and attribute of `namespace` from an XMP packet."""

    def change(root: etree._Element) -> None:
        for element in list(root.iter(f"{{{namespace}}}*")):
            element.getparent().remove(element)
        for element in root.iter():
            for attribute in [a for a in element.attrib if a.startswith(f"{{{namespace}}}")]:
                del element.attrib[attribute]
        etree.cleanup_namespaces(root)  # no declaration of the namespace left either

    return change


def _set_fx(name: str, value: str | None) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        element = next(root.iter(f"{{{FX_NS}}}{name}"))
        if value is None:
            element.getparent().remove(element)
        else:
            element.text = value

    return change


def _other_invoice_xml(document: pikepdf.Pdf) -> bytes:
    """The same invoice XML under another number: a second, different invoice."""
    xml = _invoice_filespec(document).EF.F.read_bytes()
    changed = xml.replace(b"FA-2026-00042", b"FA-2026-00043")
    assert changed != xml
    return changed


def _add_attachment(document: pikepdf.Pdf, name: str, data: bytes, *, in_tree: bool, in_af: bool) -> pikepdf.Object:
    spec = pikepdf.AttachedFileSpec(document, data, mime_type="text/xml", filename=name,
                                    relationship=pikepdf.Name.Alternative)
    filespec = document.make_indirect(spec.obj)
    if in_tree:
        document.attachments[name] = spec
        filespec = document.attachments[name].obj
    if in_af:
        document.Root.AF.append(filespec)
    return filespec


def no_output_intent(d: pikepdf.Pdf) -> bytes:
    del d.Root["/OutputIntents"]
    return _saved(d)


def no_pdfaid(d: pikepdf.Pdf) -> bytes:
    _edit_xmp(d, _drop_namespace(PDFAID_NS))
    return _saved(d)


def relationship_unspecified(d: pikepdf.Pdf) -> bytes:
    _invoice_filespec(d).AFRelationship = pikepdf.Name.Unspecified
    return _saved(d)


def relationship_missing(d: pikepdf.Pdf) -> bytes:
    del _invoice_filespec(d)["/AFRelationship"]
    return _saved(d)


def missing_from_af(d: pikepdf.Pdf) -> bytes:
    del d.Root["/AF"]
    return _saved(d)


def missing_from_name_tree(d: pikepdf.Pdf) -> bytes:
    del d.Root.Names["/EmbeddedFiles"]  # (pikepdf's `del d.attachments[...]` would drop it from /AF too)
    return _saved(d)


def two_different_invoices(d: pikepdf.Pdf) -> bytes:
    _add_attachment(d, "zugferd-invoice.xml", _other_invoice_xml(d), in_tree=True, in_af=True)
    return _saved(d)


def name_tree_and_af_disagree(d: pikepdf.Pdf) -> bytes:
    other = _add_attachment(d, "factur-x.xml", _other_invoice_xml(d), in_tree=False, in_af=False)
    d.Root.AF = pikepdf.Array([other])
    return _saved(d)


def xmp_level_contradicts_xml(d: pikepdf.Pdf) -> bytes:
    """Made from a BASIC Factur-X (see SHAPES): the XMP claims EN 16931."""
    _edit_xmp(d, _set_fx("ConformanceLevel", "EN 16931"))
    return _saved(d)


def unknown_level(d: pikepdf.Pdf) -> bytes:
    _edit_xmp(d, _set_fx("ConformanceLevel", "PREMIUM"))
    return _saved(d)


def order_document_type(d: pikepdf.Pdf) -> bytes:
    _edit_xmp(d, _set_fx("DocumentType", "ORDER"))
    return _saved(d)


def xmp_names_another_file(d: pikepdf.Pdf) -> bytes:
    _edit_xmp(d, _set_fx("DocumentFileName", "invoice.xml"))
    return _saved(d)


def no_xmp_version(d: pikepdf.Pdf) -> bytes:
    _edit_xmp(d, _set_fx("Version", None))
    return _saved(d)


def no_extension_schema(d: pikepdf.Pdf) -> bytes:
    _edit_xmp(d, _drop_namespace(PDFA_EXTENSION_NS))
    return _saved(d)


def _rename_invoice(d: pikepdf.Pdf, name: str) -> None:
    filespec = _invoice_filespec(d)
    filespec.F = filespec.UF = pikepdf.String(name)
    d.Root.Names.EmbeddedFiles.Names = pikepdf.Array([pikepdf.String(name), filespec])
    _edit_xmp(d, _set_fx("DocumentFileName", name))


def zugferd_name_with_facturx_xmp(d: pikepdf.Pdf) -> bytes:
    _rename_invoice(d, "zugferd-invoice.xml")
    return _saved(d)


def zugferd_xrechnung(invoice: Invoice) -> bytes:
    """An XRechnung as ZUGFeRD 2.x carries it: xrechnung.xml, declared in the ZUGFeRD XMP namespace."""
    xml = write_cii(invoice, specification_id="urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0")
    visual = render_invoice(invoice, RenderOptions(attachments=(Attachment("factur-x.xml", xml),)))
    with pikepdf.open(io.BytesIO(pack_facturx(visual, xml, conformance_level="XRECHNUNG"))) as d:
        _rename_invoice(d, "xrechnung.xml")
        d.Root.Metadata.write(d.Root.Metadata.read_bytes().replace(FX_NS.encode(), ZUGFERD2_XRECHNUNG_NS.encode()))
        return _saved(d)


def wrong_mime_type(d: pikepdf.Pdf) -> bytes:
    for key in ("/F", "/UF"):
        if key in _invoice_filespec(d).EF:
            _invoice_filespec(d).EF[key].Subtype = pikepdf.Name("/application/octet-stream")
    return _saved(d)


def font_not_embedded(d: pikepdf.Pdf) -> bytes:
    """The first font of the page loses its font file (as when a producer "saves space")."""
    _, font = next(iter(d.pages[0].Resources.Font.items()))
    descriptor = font.get("/FontDescriptor") or font.DescendantFonts[0].FontDescriptor
    for key in ("/FontFile", "/FontFile2", "/FontFile3"):
        if key in descriptor:
            del descriptor[key]
    return _saved(d)


def encrypted(d: pikepdf.Pdf) -> bytes:
    """Anyone may open it (empty user password), only the owner may change it."""
    return _saved(d, encryption=pikepdf.Encryption(owner="owner-secret", user="", R=4, aes=True))


def password_protected(d: pikepdf.Pdf) -> bytes:
    return _saved(d, encryption=pikepdf.Encryption(owner="owner-secret", user="secret", R=4, aes=True))


def pdf_20_header(d: pikepdf.Pdf) -> bytes:
    return _saved(d, force_version="2.0")


def pdf_20_in_catalog(d: pikepdf.Pdf) -> bytes:
    d.Root.Version = pikepdf.Name("/2.0")
    return _saved(d)


@dataclass(frozen=True)
class Shape:
    """A broken Factur-X: how it is made, what we report, what the referee reports."""

    make: Callable[[pikepdf.Pdf], bytes]
    rule: str
    """Our rule id that must fire."""
    words_en: tuple[str, ...]
    """Words the English message must hold (it names the problem)."""
    words_fr: tuple[str, ...]
    referee: str | None
    """The referee's finding id for it, or None where the referee does not check it."""
    profile: Profile = Profile.EN16931
    """The profile of the valid Factur-X it is made from."""

    @property
    def name(self) -> str:
        return self.make.__name__

    def build(self, valid: Callable[[Profile], bytes]) -> bytes:
        with pikepdf.open(io.BytesIO(valid(self.profile))) as document:
            return self.make(document)


SHAPES = (
    Shape(no_output_intent, "FX-PDF-05", ("output intent", "GTS_PDFA1", "ICC"), ("OutputIntent", "ICC"),
          "PDFA-OUTPUTINTENT"),
    Shape(no_pdfaid, "FX-PDF-03", ("pdfaid:part", "PDF/A-3"), ("pdfaid:part", "PDF/A-3"), "PDFA-PART"),
    Shape(relationship_unspecified, "FX-PDF-13", ("AFRelationship", "Unspecified"), ("AFRelationship", "Unspecified"),
          "FX-AFRELATIONSHIP"),
    Shape(relationship_missing, "FX-PDF-13", ("AFRelationship", "missing"), ("AFRelationship", "absente"),
          "FX-AFRELATIONSHIP"),
    Shape(missing_from_af, "FX-PDF-14", ("factur-x.xml", "/AF"), ("factur-x.xml", "/AF"), "FX-AF"),
    Shape(missing_from_name_tree, "FX-PDF-15", ("factur-x.xml", "/EmbeddedFiles"),
          ("factur-x.xml", "/EmbeddedFiles"), "FX-ATTACHMENT"),
    Shape(two_different_invoices, "FX-PDF-16", ("two different", "factur-x.xml", "zugferd-invoice.xml"),
          ("deux factures XML différentes", "factur-x.xml", "zugferd-invoice.xml"), None),
    Shape(name_tree_and_af_disagree, "FX-PDF-16", ("factur-x.xml (/EmbeddedFiles)", "factur-x.xml (/AF)"),
          ("factur-x.xml (/EmbeddedFiles)", "factur-x.xml (/AF)"), "FX-AF"),
    Shape(xmp_level_contradicts_xml, "FX-PDF-24", ("EN 16931", "BASIC"), ("EN 16931", "BASIC"), "FX-XMP-LEVEL",
          profile=Profile.BASIC),
    Shape(unknown_level, "FX-PDF-23", ("PREMIUM",), ("PREMIUM",), "FX-XMP-LEVEL"),
    Shape(order_document_type, "FX-PDF-20", ("DocumentType", "ORDER", "INVOICE"),
          ("DocumentType", "ORDER", "INVOICE"), "FX-XMP-TYPE"),
    Shape(xmp_names_another_file, "FX-PDF-21", ("invoice.xml", "factur-x.xml"), ("invoice.xml", "factur-x.xml"),
          "FX-XMP-FILENAME"),
    Shape(no_xmp_version, "FX-PDF-22", ("Version",), ("version",), None),
    Shape(no_extension_schema, "FX-PDF-25", ("extension schema", FX_NS), ("schéma d'extension", FX_NS),
          "FX-XMP-EXTENSION"),
    Shape(zugferd_name_with_facturx_xmp, "FX-PDF-11", ("zugferd-invoice.xml", "factur-x.xml"),
          ("zugferd-invoice.xml", "factur-x.xml"), "FX-FILENAME"),
    Shape(wrong_mime_type, "FX-PDF-12", ("MIME", "application/octet-stream", "text/xml"),
          ("MIME", "application/octet-stream", "text/xml"), None),
    Shape(font_not_embedded, "FX-PDF-06", ("Fonts not embedded",), ("Polices non intégrées",), "PDFA-FONTS"),
    Shape(encrypted, "FX-PDF-02", ("encrypted",), ("chiffré",), "PDFA-ENCRYPT"),
    Shape(password_protected, "FX-PDF-02", ("encrypted",), ("chiffré",), "PDF-OPEN"),
    Shape(pdf_20_header, "FX-PDF-01", ("2.0", "PDF 1.7"), ("2.0", "PDF 1.7"), "PDFA-VERSION"),
    Shape(pdf_20_in_catalog, "FX-PDF-01", ("2.0", "catalog /Version"), ("2.0", "PDF 1.7"), "PDFA-VERSION"),
)
