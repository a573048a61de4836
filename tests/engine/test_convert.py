"""Conversion between CII and UBL keeps every EN 16931 term, and says clearly what it refuses."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from lxml import etree

from facturier.engine.convert import conversion, convert, first_difference, read_invoice
from facturier.engine.en16931.model import without_blank_texts
from facturier.engine.errors import ConversionRefused, MalformedXML, UnsupportedDocument
from facturier.engine.ubl import Customization, as_carried, read_ubl, write_ubl
from facturier.engine.xml import CAC, CBC, RAM, RSM, UBL_CREDIT_NOTE, UBL_INVOICE


def conformance_dir() -> Path:
    """Where the official examples are read from: the one place to repoint them."""
    return Path(__file__).resolve().parents[2] / "conformance"


CONFORMANCE = conformance_dir()
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
    # force: EXTENDED sub-lines are refused by default (see the corpus test below); here the
    # point is what the writer carries when asked to write
    back = read_ubl(convert(path.read_bytes(), to="ubl", force=True))
    # `as_carried` is the documented list of what UBL holds differently (BT-8 code list,
    # IBAN flag, BT-110 with a breakdown, zero price discount, extension terms…)
    assert first_difference(as_carried(without_blank_texts(original)), back, ignore=BT24) is None


@needs_cii
@no_material
@pytest.mark.parametrize("path", UBL_EXAMPLES, ids=[_id(p) for p in UBL_EXAMPLES])
def test_ubl_example_converted_to_cii_keeps_every_term(path):
    from facturier.engine.cii import read_cii

    original = read_ubl(path.read_bytes())
    profile = "extended-ctc-fr" if _extended(path) else None
    back = read_cii(convert(path.read_bytes(), to="cii", profile=profile, force=True))
    # every EN 16931 term; the Factur-X EXTENDED terms too when the target is EXTENDED-CTC-FR
    ignore = BT24 if _extended(path) else BT24 | EXTENSION_TERMS
    expected = cii_carried(without_blank_texts(original), extended=_extended(path))
    assert first_difference(expected, back, ignore=ignore) is None


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
      inside GrossPriceProductTradePrice, whose ChargeAmount (BT-148) is mandatory: it is
      derived as BT-146 + BT-147;
    - BT-6 equal to BT-5 is not written (BR-53 would then ask for a second TaxTotalAmount in
      the same currency), and BT-111 with it;
    - VATEX exemption codes in their published capitals;
    - BT-29 seller identifiers: CII writes those without a scheme (ram:ID) before those with
      one (ram:GlobalID), as its schema orders them.
    """
    import dataclasses

    replace = dataclasses.replace
    lines = tuple(
        replace(line, price=replace(line.price, gross_price=line.price.net_price + line.price.discount))
        if line.price.gross_price is None and line.price.discount is not None
        else line
        for line in invoice.lines
    )
    ids = invoice.seller.identifiers
    seller = replace(invoice.seller, identifiers=tuple(sorted(ids, key=lambda i: i.scheme is not None)))
    preceding = invoice.preceding_invoices if extended else invoice.preceding_invoices[:1]
    totals, tax_currency = invoice.totals, invoice.tax_currency
    if (totals.tax_currency or tax_currency) == invoice.currency:
        totals, tax_currency = replace(totals, tax_currency=None, tax_total_accounting=None), None
    breakdown = tuple(
        replace(v, exemption_code=v.exemption_code.upper()) if (v.exemption_code or "").lower().startswith("vatex-")
        else v
        for v in invoice.vat_breakdown
    )
    return replace(invoice, lines=lines, seller=seller, preceding_invoices=preceding, totals=totals,
                   tax_currency=tax_currency, vat_breakdown=breakdown, issue_date_zone=None)


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


# --- every official example, both ways: valid, or refused with its reason ------------------

CORPUS_GLOBS = (
    "en16931-1.3.16/examples/cii/*.xml",
    "en16931-1.3.16/examples/ubl/*.xml",
    "en16931-1.3.16/examples/ubl-testfiles/*.xml",
    "xrechnung-3.0.2/instances/**/*.xml",
    "zugferd-2.5.2/examples/*/*.xml",
    "facturx-lib-fixtures/xml/*.xml",
)
NOT_INVOICES = ("facturx-lib-fixtures/xml/order-x-", "facturx-lib-fixtures/xml/zugferd-")
"""Order-X orders and ZUGFeRD 1.0 documents: refused as unsupported before any conversion."""


def corpus() -> list[tuple[str, str]]:
    base = conformance_dir()
    if not base.is_dir():
        return []
    files = sorted({p.relative_to(base).as_posix() for g in CORPUS_GLOBS for p in base.glob(g) if p.is_file()})
    return [(rel, to) for rel in files if not rel.startswith(NOT_INVOICES) for to in ("cii", "ubl")]


_SUB_LINES = "sub-lines"
EXPECTED_REFUSALS: dict[str, tuple[str, str]] = {
    # file (relative to conformance_dir()) -> (what the refusal names, why the source itself cannot)
    "en16931-1.3.16/examples/ubl/FT G2G_TD01 con Allegato, Bonifico e Split Payment.xml|cii": (
        "FX-SCH-A-000587", "VAT category B (Italian split payment) is not in the Factur-X code lists"),
    "xrechnung-3.0.2/instances/business-cases/extension/04.05a-INVOICE_uncefact.xml|cii": (
        "FX-SCH-A-000579", "party identifier schemes XR01/XR03 are not ISO 6523 ICD codes"),
    "xrechnung-3.0.2/instances/business-cases/extension/04.05a-INVOICE_uncefact.xml|ubl": (
        "BR-CL-10", "party identifier schemes XR01/XR03 are not ISO 6523 ICD codes"),
    "xrechnung-3.0.2/instances/business-cases/extension/05.01a-INVOICE_ubl.xml|cii": (
        "BR-CO-16", "the source fails BR-CO-16 itself (BT-115 is not BT-112 - BT-113 + BT-114)"),
    "xrechnung-3.0.2/instances/business-cases/extension/05.01a-INVOICE_ubl.xml|ubl": (
        "BR-CO-16", "the source fails BR-CO-16 itself (BT-115 is not BT-112 - BT-113 + BT-114)"),
    "xrechnung-3.0.2/instances/technical-cases/cvd/02.01a-cvd_INVOICE_ubl.xml|cii": (
        "FX-SCH-A-000297", "item classification list CVD is not in UNTDID 7143 (BR-CL-13)"),
    "xrechnung-3.0.2/instances/technical-cases/cvd/02.01a-cvd_INVOICE_ubl.xml|ubl": (
        "BR-CL-13", "item classification list CVD is not in UNTDID 7143 (the source fails BR-CL-13 itself)"),
    "xrechnung-3.0.2/instances/technical-cases/cvd/02.01a-cvd_INVOICE_uncefact.xml|cii": (
        "FX-SCH-A-000297", "item classification list CVD is not in UNTDID 7143 (BR-CL-13)"),
    "xrechnung-3.0.2/instances/technical-cases/cvd/02.01a-cvd_INVOICE_uncefact.xml|ubl": (
        "BR-CL-13", "item classification list CVD is not in UNTDID 7143 (BR-CL-13)"),
}
for _to in ("cii", "ubl"):
    for _rel in ("facturx-lib-fixtures/xml/factur-x-minimum.xml", "zugferd-2.5.2/examples/minimum/factur-x-1.xml",
                 "zugferd-2.5.2/examples/minimum/factur-x-2.xml"):
        EXPECTED_REFUSALS[f"{_rel}|{_to}"] = ("BR-16", "MINIMUM has no lines, no VAT breakdown (BR-16, BR-CO-18)")
    for _rel in ("facturx-lib-fixtures/xml/factur-x-basicwl.xml", "zugferd-2.5.2/examples/basicwl/factur-x-1.xml",
                 "zugferd-2.5.2/examples/basicwl/factur-x-2.xml"):
        EXPECTED_REFUSALS[f"{_rel}|{_to}"] = ("BR-16", "BASIC WL has no lines (BR-16, BR-CO-10)")
    for _n in (4, 5, 10, 22, 23, 25):
        EXPECTED_REFUSALS[f"zugferd-2.5.2/examples/extended/factur-x-{_n}.xml|{_to}"] = (
            _SUB_LINES, "EXTENDED group / detail sub-lines have no EN 16931 form")
    for _n in ("04.01a", "04.02a", "04.03a", "04.04a"):
        EXPECTED_REFUSALS[f"xrechnung-3.0.2/instances/business-cases/extension/{_n}-INVOICE_ubl.xml|{_to}"] = (
            _SUB_LINES, "XRechnung extension sub invoice lines have no EN 16931 form")


@needs_cii
@pytest.mark.skipif(not corpus(), reason=f"official conformance material not found at {conformance_dir()}")
@pytest.mark.parametrize(("rel", "to"), corpus(), ids=[f"{rel}->{to}" for rel, to in corpus()])
def test_official_example_converted_passes_the_official_rules_or_is_refused_with_its_reason(rel, to):
    data = (conformance_dir() / rel).read_bytes()
    expected = EXPECTED_REFUSALS.get(f"{rel}|{to}")
    if expected is None:
        result = conversion(data, to=to)
        assert result.valid, [f"{f.rule} {f.xpath}" for f in result.report.fatal]
        return
    marker, _why = expected
    with pytest.raises(ConversionRefused) as refused:
        conversion(data, to=to)
    assert marker in refused.value.message.en and marker in refused.value.message.fr.replace("sous-lignes", _SUB_LINES)
    forced = conversion(data, to=to, force=True)  # --force still writes it, and says it is invalid
    assert forced.xml and forced.report is not None


# --- what used to be lost or broken ------------------------------------------------------------

EMPTY = "//*[not(*) and not(normalize-space())]"


def _empty_elements(xml: bytes) -> list[str]:
    tree = etree.fromstring(xml)
    return [etree.QName(el).localname for el in tree.xpath(EMPTY) if etree.QName(el).localname
            != "ApplicableHeaderTradeDelivery"]  # required by the CII schema, even with nothing in it


def _cii_example() -> bytes:
    return (CONFORMANCE / "en16931-1.3.16/examples/cii/CII_example1.xml").read_bytes()


@needs_cii
@no_material
def test_a_payment_reference_without_payment_means_gets_a_means_code_in_ubl_never_an_empty_one():
    root = etree.fromstring(_cii_example())
    for means in root.xpath("//ram:SpecifiedTradeSettlementPaymentMeans", namespaces={"ram": RAM}):
        means.getparent().remove(means)
    result = conversion(etree.tostring(root), to="ubl")
    out = etree.fromstring(result.xml)
    ns = {"cac": CAC, "cbc": CBC}
    assert out.xpath("cac:PaymentMeans/cbc:PaymentMeansCode/text()", namespaces=ns) == ["1"]
    assert out.xpath("cac:PaymentMeans/cbc:PaymentID/text()", namespaces=ns) == ["Deb. 10202 / Fact. 12115118"]
    assert result.valid and _empty_elements(result.xml) == []


@needs_cii
@no_material
def test_blank_texts_in_the_model_are_never_written_as_empty_elements():
    import dataclasses

    from facturier.engine.cii import write_cii

    inv = read_ubl(_ubl_example())
    line = inv.lines[0]
    blank = dataclasses.replace(
        inv,
        seller=dataclasses.replace(inv.seller, legal_form="", trading_name="  "),
        lines=(dataclasses.replace(line, note="", item=dataclasses.replace(line.item, description=" ")),
               *inv.lines[1:]),
    )
    assert _empty_elements(write_ubl(blank)) == []
    assert _empty_elements(write_cii(blank)) == []


@needs_cii
@no_material
def test_an_item_price_discount_without_gross_price_gets_its_gross_price_derived():
    from decimal import Decimal

    source = (CONFORMANCE / "en16931-1.3.16/examples/ubl/ubl-tc434-example2.xml").read_bytes()
    line = next(li for li in read_ubl(source).lines if li.price.discount and li.price.gross_price is None)
    result = conversion(source, to="cii")
    assert result.valid
    ns = {"ram": RAM}
    (item,) = etree.fromstring(result.xml).xpath(
        f"//ram:IncludedSupplyChainTradeLineItem[ram:AssociatedDocumentLineDocument/ram:LineID='{line.id}']",
        namespaces=ns,
    )
    gross = item.xpath("string(.//ram:GrossPriceProductTradePrice/ram:ChargeAmount)", namespaces=ns)
    discount = item.xpath("string(.//ram:GrossPriceProductTradePrice//ram:ActualAmount)", namespaces=ns)
    assert Decimal(gross) == line.price.net_price + line.price.discount
    assert Decimal(discount) == line.price.discount


@needs_cii
@no_material
def test_a_vat_accounting_currency_equal_to_the_invoice_currency_is_written_once_in_cii():
    source = (CONFORMANCE / "en16931-1.3.16/examples/ubl/sample-discount-price.xml").read_bytes()
    result = conversion(source, to="cii")
    assert result.valid, [f.rule for f in result.report.fatal]
    out = etree.fromstring(result.xml)
    assert out.xpath("count(//ram:TaxTotalAmount)", namespaces={"ram": RAM}) == 1
    assert out.xpath("count(//ram:TaxCurrencyCode)", namespaces={"ram": RAM}) == 0


@needs_cii
@no_material
def test_a_minimum_invoice_is_refused_listing_what_it_lacks_unless_forced():
    source = (CONFORMANCE / "zugferd-2.5.2/examples/minimum/factur-x-1.xml").read_bytes()
    with pytest.raises(ConversionRefused) as refused:
        conversion(source, to="ubl")
    for text in (refused.value.message.en, refused.value.message.fr):
        assert "MINIMUM" in text and "BR-16" in text and "BR-10" in text
    forced = conversion(source, to="ubl", force=True)
    assert forced.valid is False and "BR-16" in forced.report.fatal_rule_ids


@needs_cii
@no_material
def test_extended_sub_lines_are_refused_for_an_en16931_target_with_the_reason():
    source = (CONFORMANCE / "zugferd-2.5.2/examples/extended/factur-x-23.xml").read_bytes()
    with pytest.raises(ConversionRefused) as refused:
        conversion(source, to="ubl")
    assert "sub-lines" in refused.value.message.en and "sous-lignes" in refused.value.message.fr
    assert "1.3.1" in refused.value.message.en  # the lines are named


@needs_cii
@no_material
def test_extended_data_the_target_cannot_carry_is_listed_in_warnings():
    source = (CONFORMANCE / "facturx-lib-fixtures/xml/factur-x-extended.xml").read_bytes()
    result = conversion(source, to="ubl")
    assert result.valid
    assert any("BT-46" in w.en and "BT-46" in w.fr for w in result.warnings)
    assert conversion(source, to="cii", profile="extended").warnings == ()


@needs_cii
@no_material
def test_a_time_zone_on_the_issue_date_is_kept_in_ubl_and_listed_when_cii_cannot_hold_it():
    source = _ubl_example().replace(b"<cbc:IssueDate>2015-01-09</cbc:IssueDate>",
                                    b"<cbc:IssueDate>2015-01-09+02:00</cbc:IssueDate>", 1)
    assert b"2015-01-09+02:00" in source
    to_ubl = conversion(source, to="ubl")
    assert to_ubl.valid and to_ubl.warnings == ()
    assert etree.fromstring(to_ubl.xml).findtext(f"{{{CBC}}}IssueDate") == "2015-01-09+02:00"
    to_cii = conversion(source, to="cii")
    assert to_cii.valid
    assert any("+02:00" in w.en and "BT-2" in w.en and "+02:00" in w.fr for w in to_cii.warnings)
    assert conversion(_ubl_example(), to="cii").warnings == ()


XRECHNUNG_UBL_CASES = _files("xrechnung-3.0.2/instances/business-cases/standard/01.0[1-5]a-INVOICE_ubl.xml")


@needs_cii
@pytest.mark.parametrize("path", XRECHNUNG_UBL_CASES, ids=_id)
def test_an_xrechnung_ubl_invoice_converts_to_xrechnung_cii_that_passes_the_xrechnung_rules(path):
    from facturier.engine.cii import XRECHNUNG_GUIDELINE_ID

    done = conversion(path.read_bytes(), to="cii", profile="xrechnung")
    assert done.valid, [f.rule for f in done.report.fatal]
    assert "xrechnung-cii" in done.report.checks and not any(c.startswith("facturx") for c in done.report.checks)
    assert etree.fromstring(done.xml).findtext(
        f".//{{{RAM}}}GuidelineSpecifiedDocumentContextParameter/{{{RAM}}}ID") == XRECHNUNG_GUIDELINE_ID
    assert first_difference(read_invoice(path.read_bytes())[0], read_invoice(done.xml)[0], ignore=BT24) is None
