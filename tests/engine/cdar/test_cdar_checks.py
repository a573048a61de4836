"""Broken, unknown and hostile messages: each refused with the rule or the reason that says why."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cdar_material import AT, BUYER, CASHED, EXAMPLES, INVOICE_DATE, SELLER
from lxml import etree

from facturier.engine import cdar
from facturier.engine.cdar import CdarError, status_message
from facturier.engine.cdar.validate import CDV_RULES
from facturier.engine.validation import schematron
from facturier.engine.validation.lean import lean_stylesheet
from facturier.engine.validation.material import conformance_file
from facturier.engine.xml import CDAR, RAM

NS = {"rsm": CDAR, "ram": RAM}
REF = "/rsm:CrossDomainAcknowledgementAndResponse/rsm:AcknowledgementDocument/ram:ReferenceReferencedDocument"


def _valid(status: str = "212", **kw) -> bytes:
    values = dict(status=status, invoice_number="FA-1", invoice_date=INVOICE_DATE, seller=SELLER, buyer=BUYER, at=AT,
                  amounts_cashed=CASHED if status == "212" else ())
    values.update(kw)
    return cdar.build(status_message(**values))


def _edit(data: bytes, change: Callable[[etree._Element], None]) -> bytes:
    root = etree.fromstring(data)
    change(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _one(root: etree._Element, path: str) -> etree._Element:
    (el,) = root.xpath(path, namespaces=NS)
    return el


def _remove(path: str) -> Callable[[etree._Element], None]:
    def change(root):
        for el in root.xpath(path, namespaces=NS):
            el.getparent().remove(el)
    return change


def _set(path: str, text: str) -> Callable[[etree._Element], None]:
    def change(root):
        _one(root, path).text = text
    return change


BROKEN = [
    ("212 without the amount cashed", "212", _remove(f"{REF}/ram:SpecifiedDocumentStatus"), "BR-FR-CDV-14_MDT-207"),
    ("212 without the VAT rate", "212", _remove(f"{REF}//ram:ValuePercent"), "BR-FR-CDV-14_MDT-207"),
    ("refusal without reason", "210", _remove(f"{REF}/ram:SpecifiedDocumentStatus/ram:ReasonCode"),
     "BR-FR-CDV-15_MDT-113"),
    ("reason not in the list", "207", _set(f"{REF}//ram:ReasonCode", "PAS_CONTENT"), "BR-FR-CDV-CL-09_MDT-113"),
    ("reason of another status", "213", _set(f"{REF}//ram:ReasonCode", "TX_TVA_ERR"), "BR-FR-CDV-CL-09_MDT-113_213"),
    ("phase not 23 or 305", "205", _set("//rsm:AcknowledgementDocument/ram:TypeCode", "999"), "BR-FR-CDV-09_MDT-77"),
    ("platform phase sent by a buyer", "200", _set("//ram:SenderTradeParty/ram:RoleCode", "BY"),
     "BR-FR-CDV-CL-02_MDT-21_305"),
    ("buyer status without the buyer's SIREN", "205",
     _remove("//rsm:ExchangedDocument/ram:IssuerTradeParty/ram:GlobalID"), "BR-FR-CDV-07_MDT-38_yes"),
    ("recipient without address", "205", _remove("//ram:RecipientTradeParty/ram:URIUniversalCommunication"),
     "BR-FR-CDV-08_MDT-73"),
    ("invoice type not French", "205", _set(f"{REF}/ram:TypeCode", "325"), "BR-FR-04_MDT-91"),
    ("no invoice date", "205", _remove(f"{REF}/ram:FormattedIssueDateTime"), "BR-FR-CDV-11_MDG-35"),
    ("no status", "205", _remove(f"{REF}/ram:ProcessConditionCode"), "BR-FR-CDV-12_MDT-105"),
    ("no seller id", "205", _remove(f"{REF}/ram:IssuerTradeParty/ram:GlobalID"), "BR-FR-CDV-13_MDT-129"),
    ("billing framework not in the list", "205",
     _set("//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID", "B2X"), "BR-FR-CDV-CL-01_MDT-2"),
    ("document status of the other phase", "205", _set(f"{REF}/ram:StatusCode", "10"), "BR-FR-CDV-CL-05_MDT-88_23"),
    ("unknown action", "207", _set(f"{REF}//ram:RequestedActionCode", "XYZ"), "BR-FR-CDV-CL-10_MDT-121"),
    ("PPF profile with the buyer as recipient", "205",
     _set("//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", cdar.GUIDELINE_PPF), "BR-FR-CDV-02_MDT-3"),
]


@pytest.mark.parametrize(("status", "change", "rule"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_broken_message_fails_with_the_rule_it_breaks(status, change, rule):
    kw = {"reason_code": "TX_TVA_ERR", "action_code": "NIN"} if status in ("207", "210") else {}
    if status == "213":
        kw = {"reason_code": "REJ_SEMAN"}
    good = _valid(status, **kw)
    assert cdar.validate(good).ok
    report = cdar.validate(_edit(good, change))
    assert not report.ok
    assert rule in report.error_rule_ids, sorted(report.rule_ids)
    finding = next(f for f in report.errors if f.rule == rule)
    assert finding.source == "fr-cdv" and finding.message.fr and finding.xpath.startswith("/rsm:")


def test_an_element_out_of_place_fails_the_xsd(xsd_dir):
    def swap(root):
        ref = _one(root, REF)
        ref.insert(0, _one(root, f"{REF}/ram:ProcessConditionCode"))

    report = cdar.validate(_edit(_valid("205"), swap), xsd_dir=xsd_dir)
    assert report.xsd_checked and "XSD" in report.error_rule_ids
    assert "CDAR D22B" in next(f for f in report.errors if f.rule == "XSD").message.en


def test_without_the_xsd_folder_the_report_says_the_xsd_did_not_run(tmp_path):
    report = cdar.validate(_valid(), xsd_dir=tmp_path)  # a folder without the schema
    assert report.ok and not report.xsd_checked and not report.passed
    (not_run,) = report.not_run
    assert "XSD" in not_run.reason.en and "XSD" in not_run.reason.fr and "FACTURIER_SPECS_DIR" in not_run.reason.en


def test_the_xsd_folder_is_found_in_a_specifications_folder(tmp_path, xsd_dir):
    assert cdar.xsd_dir_in(xsd_dir.parent.parent) == xsd_dir
    assert cdar.xsd_dir_in(tmp_path) is None and cdar.xsd_dir_in(None) is None


def test_an_unknown_status_code_is_refused_with_a_clear_message():
    data = _edit(_valid("205"), _set(f"{REF}/ram:ProcessConditionCode", "299"))
    with pytest.raises(CdarError) as caught:
        cdar.parse(data)
    assert "« 299 »" in caught.value.message.fr and "'299'" in caught.value.message.en
    assert "212" in caught.value.message.en  # the known codes are listed
    # The rules themselves only warn on an unknown code (bilateral codes are allowed).
    assert "BR-FR-CDV-CL-06_MDT-105" in cdar.validate(data).rule_ids


@pytest.mark.parametrize("data", [b"", b"<rsm:Cross", b"not xml at all", b"\x00\x01\x02"])
def test_malformed_xml_is_refused(data):
    with pytest.raises(CdarError) as caught:
        cdar.parse(data)
    assert "illisible" in caught.value.message.fr and "cannot be read" in caught.value.message.en
    report = cdar.validate(data)
    assert not report.ok and report.error_rule_ids == {"XML"}


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<rsm:CrossDomainAcknowledgementAndResponse xmlns:rsm="%s" xmlns:ram="%s">
<rsm:ExchangedDocument><ram:ID>&x;</ram:ID></rsm:ExchangedDocument>
</rsm:CrossDomainAcknowledgementAndResponse>""" % (CDAR.encode(), RAM.encode())


def test_an_external_entity_is_refused_and_never_read():
    with pytest.raises(CdarError) as caught:
        cdar.parse(XXE)
    assert "DOCTYPE" in caught.value.message.en and "root:" not in str(caught.value)
    report = cdar.validate(XXE)
    assert report.error_rule_ids == {"XML"}
    assert all("root:" not in f.message.en for f in report.findings)


def test_an_entity_expansion_bomb_is_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><r>&b;</r>'
    with pytest.raises(CdarError):
        cdar.parse(bomb)


def test_an_invoice_is_not_a_life_cycle_message():
    invoice = b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>'
    with pytest.raises(CdarError) as caught:
        cdar.parse(invoice)
    assert "CrossIndustryInvoice" in caught.value.message.en
    assert cdar.validate(invoice).error_rule_ids == {"CDAR"}


def test_a_message_about_several_invoices_is_refused_rather_than_half_read():
    def duplicate(root):
        ref = _one(root, REF)
        ref.addnext(etree.fromstring(etree.tostring(ref)))

    with pytest.raises(CdarError) as caught:
        cdar.parse(_edit(_valid("205"), duplicate))
    assert "2" in caught.value.message.en and "one invoice" in caught.value.message.en


def test_a_message_without_its_invoice_number_is_refused():
    with pytest.raises(CdarError) as caught:
        cdar.parse(_edit(_valid("205"), _remove(f"{REF}/ram:IssuerAssignedID")))
    assert "MDT-87" in caught.value.message.en


def test_an_unreadable_date_is_refused():
    data = _edit(_valid("205"), _set("//rsm:ExchangedDocument/ram:IssueDateTime/*", "2026-09-02"))
    with pytest.raises(CdarError) as caught:
        cdar.parse(data)
    assert "2026-09-02" in caught.value.message.fr


def test_an_oversized_message_is_refused_before_parsing():
    with pytest.raises(CdarError):
        cdar.parse(b"<a>" + b" " * (3 * 1024 * 1024) + b"</a>")


def _published_findings(xml: bytes) -> list[tuple[str, str, str | None]]:
    """The findings of the BR-FR-CDV XSLT exactly as published (no lean cuts)."""
    with schematron._saxon_lock:
        path = conformance_file(CDV_RULES.path, CDV_RULES.title)
        exe = schematron._saxon().new_xslt30_processor().compile_stylesheet(
            stylesheet_text=path.read_text(encoding="utf-8"), base_uri=path.as_uri())
        node = schematron._saxon().parse_xml(xml_text=xml.decode("utf-8").removeprefix("\ufeff"))
        svrl = exe.transform_to_string(xdm_node=node)
    return sorted((f.rule, f.severity.value, f.xpath) for f in schematron._findings(svrl, CDV_RULES))


def test_the_rules_as_run_find_exactly_what_the_published_xslt_finds():
    text = conformance_file(CDV_RULES.path, CDV_RULES.title).read_text(encoding="utf-8")
    assert lean_stylesheet(text).count("<svrl:failed-assert") == text.count("<svrl:failed-assert")
    documents = [p.read_bytes() for p in EXAMPLES]
    for _, status, change, _ in BROKEN:
        kw = {"reason_code": "REJ_SEMAN"} if status == "213" else (
            {"reason_code": "TX_TVA_ERR", "action_code": "NIN"} if status in ("207", "210") else {})
        documents.append(_edit(_valid(status, **kw), change))
    fired = 0
    for xml in documents:
        published = _published_findings(xml)
        ours = sorted((f.rule, f.severity.value, f.xpath) for f in cdar.validate(xml).findings)
        assert ours == published
        fired += len(published)
    assert fired >= len(BROKEN)
