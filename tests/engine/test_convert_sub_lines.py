"""Sub-lines: Factur-X EXTENDED line hierarchies become XRechnung extension sub-lines
(cac:SubInvoiceLine) when the totals allow it, come back to CII EXTENDED, and are refused
with the reason everywhere else."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from facturier.engine.convert import conversion, first_difference
from facturier.engine.en16931.model import ElectronicAddress, ProcessControl, VatBreakdown, without_blank_texts
from facturier.engine.en16931.sublines import derive_subtypes, in_tree_order, nesting_problems
from facturier.engine.errors import ConversionRefused
from facturier.engine.ubl import Customization, as_carried, read_ubl, write_ubl
from facturier.engine.validation import validate
from facturier.engine.xml import CAC, CBC

CONFORMANCE = Path(__file__).resolve().parents[2] / "conformance"
ORACLE = Path(__file__).resolve().parents[2] / ".." / "shared" / "tools" / "einvoice-oracle" / "einvoice-oracle"
EXTENDED = CONFORMANCE / "zugferd-2.5.2" / "examples" / "extended"
XR_EXTENSION = CONFORMANCE / "xrechnung-3.0.2" / "instances" / "business-cases" / "extension"
NS = {"cac": CAC, "cbc": CBC}
TARGET = "xrechnung-extension"

WITH_SUB_LINES = ["factur-x-4.xml", "factur-x-5.xml", "factur-x-10.xml", "factur-x-22.xml", "factur-x-25.xml"]
"""The official Factur-X EXTENDED examples whose hierarchy UBL sub-lines can hold (23 cannot: below)."""
XRECHNUNG_CIUS = {"PEPPOL-EN16931-R001", "PEPPOL-EN16931-R010", "PEPPOL-EN16931-R020", "BR-DE-15"}
"""XRechnung's own requirements these German Factur-X examples do not meet (business process,
electronic addresses, buyer reference): nothing to do with their lines."""


def _cii(name: str) -> bytes:
    return (EXTENDED / name).read_bytes()


def _lines_of(ubl: bytes) -> tuple[list[tuple[str, str | None]], list[Decimal], Decimal]:
    """(id, parent id) of every line and sub-line, the top-level amounts, and BT-106."""
    root = etree.fromstring(ubl)
    tree = []
    for el in root.iter(f"{{{CAC}}}InvoiceLine", f"{{{CAC}}}SubInvoiceLine"):
        parent = el.getparent()
        tree.append((el.findtext(f"{{{CBC}}}ID"), parent.findtext(f"{{{CBC}}}ID")
                     if etree.QName(parent).localname == "SubInvoiceLine" or etree.QName(parent).localname
                     == "InvoiceLine" else None))
    top = [Decimal(v) for v in root.xpath("cac:InvoiceLine/cbc:LineExtensionAmount/text()", namespaces=NS)]
    bt106 = Decimal(root.xpath("string(cac:LegalMonetaryTotal/cbc:LineExtensionAmount)", namespaces=NS))
    return tree, top, bt106


def _hierarchy(invoice) -> set[tuple[str, str | None, str]]:
    return {(line.id, line.parent_line_id, line.subtype or "DETAIL") for line in invoice.lines}


def _complete_for_xrechnung(invoice):
    """The German example as XRechnung wants it: a business process, electronic addresses and a
    buyer reference (Leitweg-ID); the lines are untouched."""
    replace = dataclasses.replace
    return replace(
        invoice,
        buyer_reference="04011000-12345-03",
        process=ProcessControl(specification_id=invoice.process.specification_id,
                               business_process="urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"),
        seller=replace(invoice.seller, electronic_address=ElectronicAddress("rechnung@lieferant.example", "EM")),
        buyer=replace(invoice.buyer, electronic_address=ElectronicAddress("eingang@kunde.example", "EM")),
    )


def _constructed_cii(name: str = "factur-x-4.xml", *, reduced_group: bool = True) -> bytes:
    """A CII EXTENDED invoice built from an official example with sub-lines, complete for
    XRechnung; with ``reduced_group`` its second group and that group's detail lines are at the
    reduced rate of 7 %, so the invoice has two VAT rates, each on its own sub-tree."""
    from facturier.engine.cii import Profile, read_cii, write_cii

    replace = dataclasses.replace
    inv = _complete_for_xrechnung(read_cii(_cii(name)))
    if reduced_group:
        reduced = replace(inv.lines[0].vat, rate=Decimal("7.00"))
        lines = tuple(replace(li, vat=reduced) if "02" in (li.id, li.parent_line_id) else li for li in inv.lines)
        by_rate: dict[Decimal, Decimal] = {}
        for li in lines:
            if li.counts_in_totals:
                by_rate[li.vat.rate] = by_rate.get(li.vat.rate, Decimal(0)) + li.net_amount
        breakdown = tuple(
            VatBreakdown(taxable_amount=base, tax_amount=(base * rate / 100).quantize(Decimal("0.01")),
                         category=inv.vat_breakdown[0].category, rate=rate)
            for rate, base in sorted(by_rate.items())
        )
        tax = sum((b.tax_amount for b in breakdown), Decimal(0))
        gross = inv.totals.tax_exclusive + tax
        totals = replace(inv.totals, tax_total=tax, tax_inclusive=gross, amount_due=gross - (inv.totals.prepaid or 0))
        inv = replace(inv, lines=lines, vat_breakdown=breakdown, totals=totals)
    return write_cii(inv, profile=Profile.EXTENDED)


def _referee(tmp_path: Path, xml: bytes, *flags: str) -> dict:
    if not ORACLE.is_file():
        pytest.skip(f"the referee einvoice-oracle is not available at {ORACLE}")
    out = tmp_path / "judged.xml"
    out.write_bytes(xml)
    proc = subprocess.run([str(ORACLE), *flags, "--json", str(out)], capture_output=True, text=True, timeout=600,
                          check=False)
    reports = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert reports, proc.stderr[-1500:]
    return reports[0]


def _fatal(report: dict) -> list[str]:
    return [f"{r['artefact']}:{f['id']}" for r in report["results"] for f in r["findings"] if f["flag"] == "fatal"]


# --- the official Factur-X EXTENDED examples ------------------------------------------------


@pytest.mark.parametrize("name", WITH_SUB_LINES)
def test_official_extended_sub_lines_become_nested_xrechnung_sub_lines_with_the_same_totals(name):
    from facturier.engine.cii import read_cii

    source = read_cii(_cii(name))
    # forced: these German examples lack what XRechnung asks of any invoice (see XRECHNUNG_CIUS)
    result = conversion(_cii(name), to="ubl", profile=TARGET, force=True)
    assert set(result.report.fatal_rule_ids) <= XRECHNUNG_CIUS, result.report.fatal_rule_ids
    tree, top, bt106 = _lines_of(result.xml)
    # every line is there, each under its own parent, and only the top-level lines make BT-106
    assert sorted(tree) == sorted((line.id, line.parent_line_id) for line in source.lines)
    assert sum(top) == bt106 == source.totals.line_net_total
    assert etree.fromstring(result.xml).findtext(f"{{{CBC}}}CustomizationID") == (
        Customization.XRECHNUNG_EXTENSION.customization_id)
    # read back, the nesting says the sub-types the source gave, and every other term is kept
    # as `as_carried` documents it
    back = read_ubl(result.xml)
    assert _hierarchy(back) == _hierarchy(source)
    expected = as_carried(without_blank_texts(source), Customization.XRECHNUNG_EXTENSION)
    assert first_difference(expected, back, ignore={"process.specification_id"}) is None


def test_a_group_line_of_mixed_vat_rates_is_refused_for_xrechnung_naming_the_lines():
    # factur-x-23: group lines 1 and 1.3 hold items at 7 % and 19 % and have no VAT category
    with pytest.raises(ConversionRefused) as refused:
        conversion(_cii("factur-x-23.xml"), to="ubl", profile=TARGET)
    for text in (refused.value.message.en, refused.value.message.fr):
        assert "1, 1.3" in text and "BR-DEX-03" in text and "SubInvoiceLine" in text


def test_without_the_xrechnung_extension_sub_lines_are_still_refused_and_the_way_out_is_named():
    for to in ("ubl", "cii"):
        with pytest.raises(ConversionRefused) as refused:
            conversion(_cii("factur-x-4.xml"), to=to)
        assert "xrechnung-extension" in refused.value.message.en
        assert "xrechnung-extension" in refused.value.message.fr
    with pytest.raises(ConversionRefused):
        conversion(_cii("factur-x-4.xml"), to="ubl", profile="xrechnung")  # the CIUS itself has none


# --- a constructed invoice, judged by both validators ----------------------------------------


@pytest.mark.parametrize("name", ["factur-x-4.xml", "factur-x-5.xml", "factur-x-10.xml"])
def test_a_complete_extended_invoice_with_sub_lines_converts_to_a_valid_xrechnung_extension(name, tmp_path):
    cii = _constructed_cii(name, reduced_group=name == "factur-x-4.xml")
    assert validate(cii).passed  # the constructed source is itself a valid Factur-X EXTENDED
    result = conversion(cii, to="ubl", profile=TARGET)
    assert result.valid, [f"{f.rule} {f.xpath}" for f in result.report.fatal]
    assert "xrechnung-ubl" in result.report.checks
    tree, top, bt106 = _lines_of(result.xml)
    assert any(parent is not None for _, parent in tree)
    assert sum(top) == bt106
    assert not _fatal(_referee(tmp_path, result.xml, "--xrechnung"))


def test_xrechnung_sub_lines_come_back_to_cii_extended_as_they_were(tmp_path):
    from facturier.engine.cii import read_cii

    cii = _constructed_cii()
    ubl = conversion(cii, to="ubl", profile=TARGET).xml
    back = conversion(ubl, to="cii", profile="extended")
    assert back.valid, [f"{f.rule} {f.xpath}" for f in back.report.fatal]
    assert _hierarchy(read_cii(back.xml)) == _hierarchy(read_cii(cii))
    assert not _fatal(_referee(tmp_path, back.xml))


def test_top_level_lines_that_do_not_add_up_to_the_detail_lines_are_refused():
    from facturier.engine.cii import Profile, read_cii, write_cii

    inv = read_cii(_constructed_cii(reduced_group=False))
    # one detail line at 7 % under a group at 19 %: the UBL reading (top-level lines) would
    # tax it at 19 %, the Factur-X one (detail lines) at 7 %
    lines = tuple(dataclasses.replace(li, vat=dataclasses.replace(li.vat, rate=Decimal("7.00")))
                  if li.id == "0101" else li for li in inv.lines)
    changed = dataclasses.replace(inv, lines=lines)
    assert nesting_problems(changed)
    with pytest.raises(ConversionRefused) as refused:
        conversion(write_cii(changed, profile=Profile.EXTENDED), to="ubl", profile=TARGET, validate_output=False)
    assert "per VAT category and rate" in refused.value.message.en
    assert "par catégorie et taux de TVA" in refused.value.message.fr


# --- the XRechnung extension examples themselves ------------------------------------------


@pytest.mark.parametrize("name", ["04.01a-INVOICE_ubl.xml", "04.02a-INVOICE_ubl.xml", "04.03a-INVOICE_ubl.xml",
                                  "04.04a-INVOICE_ubl.xml"])
def test_official_xrechnung_sub_lines_are_read_and_kept(name):
    data = (XR_EXTENSION / name).read_bytes()
    source = etree.fromstring(data)
    count = len(source.xpath("//cac:InvoiceLine | //cac:SubInvoiceLine", namespaces=NS))
    invoice = read_ubl(data)
    assert len(invoice.lines) == count  # no sub-line is dropped any more
    same = conversion(data, to="ubl", profile=TARGET)
    assert same.valid and same.warnings == ()
    assert len(_lines_of(same.xml)[0]) == count
    to_cii = conversion(data, to="cii", profile="extended")
    assert to_cii.valid, [f"{f.rule} {f.xpath}" for f in to_cii.report.fatal]


# --- the hierarchy helpers ---------------------------------------------------------------------


def test_derived_sub_types_make_the_counted_lines_stand_for_the_top_level_ones():
    from facturier.engine.cii import read_cii

    for name in WITH_SUB_LINES:
        source = read_cii(_cii(name))
        stripped = [dataclasses.replace(li, subtype=None) for li in in_tree_order(source.lines)]
        derived = derive_subtypes(stripped)
        counted = sum((li.net_amount for li in derived if li.counts_in_totals), Decimal(0))
        assert counted == source.totals.line_net_total, name
        assert _hierarchy(dataclasses.replace(source, lines=derived)) == _hierarchy(source), name


def test_a_line_naming_an_unknown_parent_or_a_loop_of_parents_is_a_nesting_problem():
    from facturier.engine.cii import read_cii

    inv = read_cii(_cii("factur-x-4.xml"))
    orphan = dataclasses.replace(inv, lines=tuple(
        dataclasses.replace(li, parent_line_id="99") if li.id == "0101" else li for li in inv.lines))
    assert any("0101" in m.en and "parent line that the invoice does not have" in m.en
               for m in nesting_problems(orphan))
    loop = dataclasses.replace(inv, lines=tuple(
        dataclasses.replace(li, parent_line_id="0201") if li.id == "02" else li for li in inv.lines))
    assert any("own ancestors" in m.en for m in nesting_problems(loop))
    # written anyway (forced), the writer still ends: the loop is not followed
    assert write_ubl(loop, customization=Customization.XRECHNUNG_EXTENSION)
