"""Conversion between CII and UBL keeps every EN 16931 term, and says clearly what it refuses."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from lxml import etree

from facturier.engine.convert import convert, first_difference, read_invoice
from facturier.engine.errors import MalformedXML, UnsupportedDocument
from facturier.engine.ubl import Customization, as_carried, read_ubl, write_ubl
from facturier.engine.xml import CBC, RSM, UBL_CREDIT_NOTE, UBL_INVOICE

CONFORMANCE = Path(__file__).resolve().parents[2] / "conformance"
HAS_CII = importlib.util.find_spec("facturier.engine.cii") is not None
needs_cii = pytest.mark.skipif(not HAS_CII, reason="facturier.engine.cii (CII reader and writer) is not available")

BT24 = {"process.specification_id"}
"""BT-24 names the profile or customisation written, never the one read."""


def _files(*patterns: str) -> list[Path]:
    if not CONFORMANCE.is_dir():
        return []
    return [p for pattern in patterns for p in sorted(CONFORMANCE.glob(pattern)) if p.is_file()]


UBL_EXAMPLES = _files(
    "en16931-1.3.16/examples/ubl/*",
    "en16931-1.3.16/examples/ubl-testfiles/*.xml",
    "xrechnung-3.0.2/instances/**/*_ubl.xml",
    "facturx-lib-fixtures/xml/ubl-*.xml",
)
# MINIMUM and BASIC WL are below EN 16931 (no lines): they have no UBL form.
CII_EXAMPLES = _files(
    "en16931-1.3.16/examples/cii/*.xml",
    "xrechnung-3.0.2/instances/**/*_uncefact.xml",
    "zugferd-2.5.2/examples/basic/*.xml",
    "zugferd-2.5.2/examples/en16931/*.xml",
    "zugferd-2.5.2/examples/extended/*.xml",
    "facturx-lib-fixtures/xml/factur-x-basic.xml",
    "facturx-lib-fixtures/xml/factur-x-en16931.xml",
    "facturx-lib-fixtures/xml/factur-x-extended.xml",
)


def _id(path: Path) -> str:
    return path.resolve().relative_to(CONFORMANCE.resolve()).as_posix()


def _extended(path: Path) -> bool:
    return "extended-ctc-fr" in path.name


no_material = pytest.mark.skipif(not UBL_EXAMPLES, reason=f"official conformance material not found at {CONFORMANCE}")


# --- field by field, over every official example -------------------------------------------


@needs_cii
@no_material
@pytest.mark.parametrize("path", CII_EXAMPLES, ids=[_id(p) for p in CII_EXAMPLES])
def test_cii_example_converted_to_ubl_keeps_every_term(path):
    from facturier.engine.cii import read_cii

    original = read_cii(path.read_bytes())
    back = read_ubl(convert(path.read_bytes(), to="ubl"))
    # `as_carried` is the documented list of what UBL holds differently (BT-8 code list,
    # IBAN flag, BT-110 with a breakdown, zero price discount, extension terms…)
    assert first_difference(as_carried(original), back, ignore=BT24) is None


@needs_cii
@no_material
@pytest.mark.parametrize("path", UBL_EXAMPLES, ids=[_id(p) for p in UBL_EXAMPLES])
def test_ubl_example_converted_to_cii_keeps_every_term(path):
    from facturier.engine.cii import read_cii

    original = read_ubl(path.read_bytes())
    profile = "extended-ctc-fr" if _extended(path) else None
    back = read_cii(convert(path.read_bytes(), to="cii", profile=profile))
    # every EN 16931 term; the Factur-X EXTENDED terms too when the target is EXTENDED-CTC-FR
    ignore = BT24 if _extended(path) else BT24 | EXTENSION_TERMS
    assert first_difference(cii_carried(original, extended=_extended(path)), back, ignore=ignore) is None


EXTENSION_TERMS = {
    "buyer.tax_registration_id",
    "buyer.legal_form",
    "preceding_invoices.type_code",
    "lines.subtype",
    "lines.parent_line_id",
    "lines.vat.exemption_reason",
    "lines.vat.exemption_code",
    "allowances_charges.vat_exemption_reason",
    "allowances_charges.vat_exemption_code",
}
"""Factur-X EXTENDED terms of the model (no EN 16931 BT), left out of an EN 16931 profile."""


def cii_carried(invoice, *, extended: bool = False):
    """``invoice`` as CII holds it, for a model read from UBL: the documented differences.

    - BG-3: CII D16B has one InvoiceReferencedDocument in the header settlement, so an
      EN 16931 profile document keeps the first preceding invoice only (EXTENDED has more);
    - BT-147 (item price discount) without BT-148 (gross price): CII carries a discount only
      inside GrossPriceProductTradePrice, whose ChargeAmount (BT-148) is mandatory;
    - BT-29 seller identifiers: CII writes those without a scheme (ram:ID) before those with
      one (ram:GlobalID), as its schema orders them.
    """
    import dataclasses

    replace = dataclasses.replace
    lines = tuple(
        replace(line, price=replace(line.price, discount=None))
        if line.price.gross_price is None and line.price.discount is not None
        else line
        for line in invoice.lines
    )
    ids = invoice.seller.identifiers
    seller = replace(invoice.seller, identifiers=tuple(sorted(ids, key=lambda i: i.scheme is not None)))
    preceding = invoice.preceding_invoices if extended else invoice.preceding_invoices[:1]
    return replace(invoice, lines=lines, seller=seller, preceding_invoices=preceding)


# --- the conversion itself ------------------------------------------------------------------


def _ubl_example() -> bytes:
    return (CONFORMANCE / "en16931-1.3.16/examples/ubl/ubl-tc434-example1.xml").read_bytes()


@no_material
def test_ubl_to_ubl_rewrites_for_the_chosen_customisation():
    out = etree.fromstring(convert(_ubl_example(), to="ubl", profile="peppol-bis3"))
    assert out.tag == f"{{{UBL_INVOICE}}}Invoice"
    assert out.findtext(f"{{{CBC}}}CustomizationID") == Customization.PEPPOL_BIS3.customization_id
    assert out.findtext(f"{{{CBC}}}ProfileID") == "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


@no_material
def test_profile_may_be_the_enum_member_itself():
    out = etree.fromstring(convert(_ubl_example(), to="ubl", profile=Customization.EXTENDED_CTC_FR))
    assert "extended-ctc-fr" in out.findtext(f"{{{CBC}}}CustomizationID")


@needs_cii
@no_material
def test_ubl_becomes_cii_and_back():
    cii = convert(_ubl_example(), to="cii")
    assert etree.fromstring(cii).tag == f"{{{RSM}}}CrossIndustryInvoice"
    ubl = convert(cii, to="ubl")
    assert etree.fromstring(ubl).tag == f"{{{UBL_INVOICE}}}Invoice"
    assert read_invoice(ubl)[1] == "ubl" and read_invoice(cii)[1] == "cii"


@needs_cii
@no_material
def test_a_credit_note_in_cii_becomes_a_ubl_credit_note():
    source = (CONFORMANCE / "en16931-1.3.16/examples/ubl/ubl-tc434-creditnote1.xml").read_bytes()
    ubl = etree.fromstring(convert(convert(source, to="cii"), to="ubl"))
    assert ubl.tag == f"{{{UBL_CREDIT_NOTE}}}CreditNote"


@no_material
def test_unknown_profile_is_refused_with_the_choices():
    with pytest.raises(UnsupportedDocument) as err:
        convert(_ubl_example(), to="ubl", profile="zugferd-1")
    assert "peppol-bis3" in err.value.message.en and "peppol-bis3" in err.value.message.fr


@no_material
def test_unknown_target_syntax_is_refused():
    with pytest.raises(UnsupportedDocument):
        convert(_ubl_example(), to="pdf")  # type: ignore[arg-type]


def test_a_document_that_is_no_invoice_is_refused():
    with pytest.raises(UnsupportedDocument):
        convert(b"<order xmlns='urn:example'/>", to="ubl")


def test_a_doctype_is_refused_before_anything_is_read():
    hostile = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Invoice>&a;</Invoice>'
    with pytest.raises(MalformedXML):
        convert(hostile, to="cii")


# --- the field-by-field comparison used above -------------------------------------------------


@no_material
def test_first_difference_names_the_path_of_the_first_change():
    import dataclasses

    inv = read_ubl(_ubl_example())
    line = dataclasses.replace(inv.lines[1], quantity=inv.lines[1].quantity + 1)
    changed = dataclasses.replace(inv, lines=(inv.lines[0], line, *inv.lines[2:]))
    diff = first_difference(inv, changed)
    assert diff is not None and diff.startswith("lines[1].quantity: ")
    assert first_difference(inv, inv) is None
    assert first_difference(inv, changed, ignore={"lines.quantity"}) is None


@no_material
def test_first_difference_sees_a_missing_item():
    import dataclasses

    inv = read_ubl(_ubl_example())
    shorter = dataclasses.replace(inv, lines=inv.lines[:-1])
    assert first_difference(inv, shorter) == f"lines: {len(inv.lines)} items != {len(inv.lines) - 1} items"


@no_material
def test_written_ubl_reads_back_identical_through_convert():
    inv = read_ubl(_ubl_example())
    assert first_difference(inv, read_invoice(write_ubl(inv))[0], ignore=BT24) is None
