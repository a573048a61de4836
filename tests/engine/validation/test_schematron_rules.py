"""The official schematron XSLTs: chosen by syntax and profile, compiled once, never a silent pass."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from lxml import etree
from validation_material import EN16931_CII_EXAMPLE, EN16931_UBL_EXAMPLE

from facturier.engine.errors import RuleSetUnavailable, UnsupportedDocument
from facturier.engine.validation import RuleSet, Severity, material, rule_sets_for, run_rules, validate
from facturier.engine.validation import schematron as sch
from facturier.engine.validation.material import conformance_dir
from facturier.engine.xml import NS_CII, RAM, DocumentKind, detect, parse_xml, profile_hint

FX = "urn:factur-x.eu:1p0:"
IDS = {
    "minimum": f"{FX}minimum",
    "basicwl": f"{FX}basicwl",
    "basic": f"urn:cen.eu:en16931:2017#compliant#{FX}basic",
    "en16931": "urn:cen.eu:en16931:2017",
    "extended": f"urn:cen.eu:en16931:2017#conformant#{FX}extended",
    "extended-ctc-fr": "urn:cen.eu:en16931:2017#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr",
    "xrechnung": "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
    "peppol": "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0",
    "comfort": "urn:cen.eu:en16931:2017#compliant#urn:zugferd.de:2p0:comfort",
    "cius": "urn:cen.eu:en16931:2017#compliant#urn:example.org:some-cius",
}


def kind(syntax="cii", guideline=None, root=None) -> DocumentKind:
    root = root or ("CrossIndustryInvoice" if syntax == "cii" else "Invoice")
    gid = IDS.get(guideline, guideline)
    return DocumentKind(syntax=syntax, root=root, guideline_id=gid, profile_hint=profile_hint(gid))


def names(k: DocumentKind, french: bool = False) -> list[str]:
    return [rs.name for rs in rule_sets_for(k, french=french)]


# --- which rule sets -------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["basic", "en16931"])
def test_cii_of_an_en16931_factur_x_profile_is_judged_by_cen_and_its_profile_rules(profile):
    assert names(kind(guideline=profile)) == ["en16931-cii", f"facturx-{profile}"]
    assert names(kind(guideline=profile), french=True) == ["en16931-cii", f"facturx-{profile}", "fr-cii"]


@pytest.mark.parametrize("profile", ["minimum", "basicwl", "extended"])
def test_cii_below_or_beyond_en16931_is_judged_by_its_profile_rules_alone(profile):
    # MINIMUM and BASIC WL carry less than an EN 16931 invoice; EXTENDED is a superset with
    # its own copy of the rules: the referee does not run the CEN rules on them either.
    assert names(kind(guideline=profile)) == [f"facturx-{profile}"]


@pytest.mark.parametrize("guideline", [None, "comfort", "cius"])
def test_cii_claiming_no_factur_x_profile_is_judged_by_the_cen_rules(guideline):
    assert names(kind(guideline=guideline)) == ["en16931-cii"]


@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_xrechnung_adds_the_xrechnung_rules_to_the_cen_rules(syntax):
    assert names(kind(syntax, "xrechnung")) == [f"en16931-{syntax}", f"xrechnung-{syntax}"]


@pytest.mark.parametrize("syntax", ["cii", "ubl"])
def test_peppol_asks_for_the_peppol_rules_which_are_not_carried(syntax):
    assert names(kind(syntax, "peppol")) == [f"en16931-{syntax}", "peppol-bis3"]
    assert sch.RULE_SETS["peppol-bis3"].path is None


def test_extended_ctc_fr_adds_its_french_rules():
    assert names(kind(guideline="extended-ctc-fr")) == ["facturx-extended"]
    assert names(kind(guideline="extended-ctc-fr"), french=True) == ["facturx-extended", "fr-cii", "fr-extended-cii"]
    ubl = kind("ubl", "extended-ctc-fr")
    assert names(ubl, french=True) == ["en16931-ubl", "fr-ubl", "fr-extended-ubl"]


@pytest.mark.parametrize("root", ["Invoice", "CreditNote"])
def test_ubl_is_judged_by_the_en16931_rules_plus_br_fr_when_french(root):
    assert names(kind("ubl", "en16931", root)) == ["en16931-ubl"]
    assert names(kind("ubl", "en16931", root), french=True) == ["en16931-ubl", "fr-ubl"]


def test_every_carried_rule_set_is_in_the_conformance_folder():
    for rs in sch.RULE_SETS.values():
        if rs.path:
            assert (conformance_dir() / rs.path).is_file(), rs.path


@pytest.mark.parametrize(
    ("rule", "owner"),
    [("BR-CL-04", "en16931"), ("CII-SR-465", "en16931"), ("UBL-CR-001", "en16931"), ("FX-SCH-A-000595", "facturx"),
     ("BR-DE-15", "xrechnung"), ("BR-DEX-01", "xrechnung"), ("BR-FR-05", "fr"), ("PEPPOL-EN16931-R001", "peppol")],
)
def test_each_rule_belongs_to_the_set_that_defines_it(rule, owner):
    assert sch.rule_owner(rule) == owner


# --- running them ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cii_example(conformance_dir):
    return parse_xml((conformance_dir / EN16931_CII_EXAMPLE).read_bytes())


def test_official_cii_example_passes_its_profile_rules(cii_example):
    report = run_rules(cii_example, detect(cii_example))
    assert report.passed, [(f.rule, f.message.en) for f in report.fatal]
    assert report.checks == ("en16931-cii", "facturx-en16931")


def test_official_ubl_example_passes_the_en16931_rules(conformance_dir):
    root = parse_xml((conformance_dir / EN16931_UBL_EXAMPLE).read_bytes())
    report = run_rules(root, detect(root))
    assert report.passed
    assert report.checks == ("en16931-ubl",)


def test_official_examples_lack_french_data_so_br_fr_fails_them(cii_example):
    report = run_rules(cii_example, detect(cii_example), french=True)
    assert report.checks == ("en16931-cii", "facturx-en16931", "fr-cii")
    assert not report.passed
    assert all(f.source == "fr-cii" for f in report.fatal)
    assert any(rule.startswith("BR-FR-") for rule in report.fatal_rule_ids)


def test_validate_names_every_check_that_ran(conformance_dir):
    report = validate((conformance_dir / EN16931_CII_EXAMPLE).read_bytes(), french=True)
    assert report.checks == ("xsd", "en16931-cii", "facturx-en16931", "fr-cii")
    assert report.not_run == ()


def test_validate_refuses_an_order_x(conformance_dir):
    with pytest.raises(UnsupportedDocument, match="Order-X"):
        validate((conformance_dir / "facturx-lib-fixtures/xml/order-x-basic.xml").read_bytes())


def test_each_xslt_is_compiled_once_and_reused(cii_example):
    run_rules(cii_example, detect(cii_example))
    path = str(conformance_dir() / sch.RULE_SETS["en16931-cii"].path)
    compiled = sch._executables[path]
    run_rules(cii_example, detect(cii_example))
    assert sch._executables[path] is compiled
    assert len(sch._processor) == 1


def test_concurrent_runs_from_threads_agree(cii_example):
    k = detect(cii_example)
    expected = run_rules(cii_example, k)
    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = list(pool.map(lambda _: run_rules(cii_example, k), range(8)))
    assert all(r == expected for r in reports)


# --- never a silent pass ---------------------------------------------------------------------

CRASHING_XSLT = """<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="/"><xsl:value-of select="error()"/></xsl:template>
</xsl:stylesheet>"""


@pytest.fixture
def fake_rules(monkeypatch, tmp_path):
    """Make every document judged by one rule set, read from tmp_path."""

    def use(rule_set: RuleSet, text: str | None) -> None:
        if text is not None:
            (tmp_path / rule_set.path).write_text(text)
        monkeypatch.setattr(material, "_configured", [tmp_path])
        monkeypatch.setattr(sch, "rule_sets_for", lambda kind, french=False: (rule_set,))
        monkeypatch.setattr(sch, "_executables", {})

    return use


def test_missing_rule_set_raises(fake_rules, cii_example):
    fake_rules(RuleSet("ghost", "ghost.xslt", "Ghost", "en16931"), None)
    with pytest.raises(RuleSetUnavailable) as exc:
        run_rules(cii_example, detect(cii_example))
    assert "Ghost" in exc.value.message.fr and "Ghost" in exc.value.message.en


def test_rule_set_that_does_not_compile_raises(fake_rules, cii_example):
    fake_rules(RuleSet("broken", "broken.xslt", "Broken", "en16931"), "<xsl:stylesheet")
    with pytest.raises(RuleSetUnavailable):
        run_rules(cii_example, detect(cii_example))


def test_rule_set_that_crashes_on_a_document_raises(fake_rules, cii_example):
    fake_rules(RuleSet("crash", "crash.xslt", "Crash", "en16931"), CRASHING_XSLT)
    with pytest.raises(RuleSetUnavailable):
        run_rules(cii_example, detect(cii_example))


def test_rule_set_that_crashes_on_a_schema_valid_document_fails_validate(fake_rules, conformance_dir):
    fake_rules(RuleSet("crash", "crash.xslt", "Crash", "en16931"), CRASHING_XSLT)
    with pytest.raises(RuleSetUnavailable):
        validate((conformance_dir / EN16931_CII_EXAMPLE).read_bytes())


def test_crash_on_a_schema_invalid_document_is_reported_next_to_the_schema_errors(fake_rules, conformance_dir):
    fake_rules(RuleSet("crash", "crash.xslt", "Crash", "en16931"), CRASHING_XSLT)
    data = (conformance_dir / EN16931_CII_EXAMPLE).read_bytes().replace(b"<ram:ID>12115118</ram:ID>", b"")
    report = validate(data)
    assert not report.passed
    assert {"XSD", "RULES-CRASH"} <= report.fatal_rule_ids
    assert report.checks == ("xsd", "crash")


def test_transformation_output_that_is_not_svrl_is_not_a_pass(fake_rules, cii_example):
    silent = """<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
      <xsl:output method="text"/><xsl:template match="/"/></xsl:stylesheet>"""
    fake_rules(RuleSet("silent", "silent.xslt", "Silent", "en16931"), silent)
    with pytest.raises(RuleSetUnavailable):
        run_rules(cii_example, detect(cii_example))


# --- reading SVRL ----------------------------------------------------------------------------

SVRL = """<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl">
  <svrl:fired-rule context="/"/>
  <svrl:failed-assert id="BR-CO-10" location="/*:CrossIndustryInvoice[namespace-uri()='urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100'][1]/*:SupplyChainTradeTransaction[namespace-uri()='urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100'][1]" test="x">
    <svrl:text>[BR-CO-10]-Sum of Invoice line net amount (BT-106) = Σ Invoice line net amount (BT-131).</svrl:text>
  </svrl:failed-assert>
  <svrl:failed-assert id="PEPPOL-R008" flag="warning" location="/x" test="x"><svrl:text>Empty element</svrl:text></svrl:failed-assert>
  <svrl:failed-assert id="BR-FR-05" flag="fatal" location="/x" test="x"><svrl:text>SIREN absent</svrl:text></svrl:failed-assert>
  <svrl:failed-assert role="information" location="/x" test="x"><svrl:text>[BR-XX-1] just so you know</svrl:text></svrl:failed-assert>
  <svrl:failed-assert location="/x" test="x"><svrl:text>no id at all</svrl:text></svrl:failed-assert>
  <svrl:successful-report id="NOTE" location="/x" test="x"><svrl:text>noted</svrl:text></svrl:successful-report>
</svrl:schematron-output>"""  # noqa: E501


def test_svrl_unflagged_failed_assert_is_fatal_and_flagged_warnings_are_warnings():
    rs = RuleSet("facturx-en16931", "x.xslt", "X", "facturx")
    findings = {f.rule: f for f in sch._findings(SVRL, rs)}
    assert set(findings) == {"BR-CO-10", "PEPPOL-R008", "BR-FR-05", "BR-XX-1", "FACTURX-EN16931-ASSERT"}
    assert findings["BR-CO-10"].severity is Severity.FATAL
    assert findings["FACTURX-EN16931-ASSERT"].severity is Severity.FATAL
    assert findings["BR-FR-05"].severity is Severity.FATAL
    assert findings["PEPPOL-R008"].severity is Severity.WARNING
    assert findings["BR-XX-1"].severity is Severity.WARNING
    co10 = findings["BR-CO-10"]
    assert co10.xpath == "/rsm:CrossIndustryInvoice[1]/rsm:SupplyChainTradeTransaction[1]"
    assert co10.message.fr == co10.message.en
    assert co10.message.en.startswith("[BR-CO-10]-Sum of Invoice line net amount")
    assert co10.source == "facturx-en16931"


def test_code_lists_loaded_once_give_the_same_findings_as_the_untouched_xslt(broken_variants):
    root = parse_xml(broken_variants["cii-unknown-currency"].read_bytes())
    rs = sch.RULE_SETS["facturx-en16931"]
    text = sch.etree.tostring(root, encoding="unicode")
    with sch._saxon_lock:
        untouched = (
            sch._saxon().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(conformance_dir() / rs.path))
        )
        node = sch._saxon().parse_xml(xml_text=text)
        expected = sch._findings(untouched.transform_to_string(xdm_node=node), rs)
        with_code_lists_once = sch._findings(sch._executable(rs).transform_to_string(xdm_node=node), rs)
    assert with_code_lists_once == expected
    assert "FX-SCH-A-000595" in {f.rule for f in expected}


def test_a_missing_conformance_folder_is_unavailable_never_a_pass(monkeypatch, tmp_path, cii_example):
    monkeypatch.setattr(material, "_configured", [tmp_path / "nowhere"])
    monkeypatch.setattr(sch, "_executables", {})
    with pytest.raises(RuleSetUnavailable) as exc:
        run_rules(cii_example, detect(cii_example))
    assert "FACTURIER_CONFORMANCE_DIR" in exc.value.message.en and str(tmp_path / "nowhere") in exc.value.message.fr


# --- code lists, severities and copies across sets -----------------------------------------------


def _example(conformance_dir, guideline: str):
    """The CEN CII example 1 under another guideline id, as a tree to change."""
    root = parse_xml((conformance_dir / EN16931_CII_EXAMPLE).read_bytes())
    (gid,) = root.xpath("//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", namespaces=NS_CII)
    gid.text = IDS[guideline]
    return root


def _set(root, xpath: str, value: str, attribute: str | None = None) -> None:
    el = root.xpath(xpath, namespaces=NS_CII)[0]
    if attribute:
        el.set(attribute, value)
    else:
        el.text = value


@pytest.mark.parametrize("guideline", ["xrechnung", "peppol", "cius"])
def test_cii_with_bad_codes_under_a_cius_guideline_id_is_invalid(conformance_dir, guideline):
    root = _example(conformance_dir, guideline)
    _set(root, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode", "999")
    _set(root, "//ram:BilledQuantity", "FOOBAR", "unitCode")
    _set(root, "//ram:SellerTradeParty/ram:PostalTradeAddress/ram:CountryID", "XX")
    _set(root, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode", "4711")
    report = validate(etree.tostring(root))
    assert not report.passed
    assert {"BR-CL-01", "BR-CL-23", "BR-CL-14", "BR-CL-16"} <= report.fatal_rule_ids, sorted(report.fatal_rule_ids)
    assert "en16931-cii" in report.checks


def test_peppol_document_is_never_valid_and_says_which_rules_did_not_run(conformance_dir):
    report = validate(etree.tostring(_example(conformance_dir, "peppol")))
    assert not report.fatal
    assert not report.passed
    (not_run,) = report.not_run
    assert not_run.check == "peppol-bis3" and "Peppol" in not_run.reason.en and "Peppol" in not_run.reason.fr


@pytest.mark.parametrize(("guideline", "source"), [("en16931", "en16931-cii"), ("xrechnung", "en16931-cii"),
                                                   ("extended", "facturx-extended")])
def test_a_rule_copied_into_two_sets_is_reported_once_with_the_owning_sets_severity(conformance_dir, guideline,
                                                                                   source):
    # CII-SR-465 (one BT-41 only) is a warning in CEN 1.3.16; the Factur-X XSLTs carry a copy
    # without a flag (an error). EXTENDED is not judged by CEN: there the Factur-X copy applies.
    root = _example(conformance_dir, guideline)
    (legal,) = root.xpath("//ram:SellerTradeParty/ram:SpecifiedLegalOrganization", namespaces=NS_CII)
    contact = etree.Element(f"{{{RAM}}}DefinedTradeContact")
    etree.SubElement(contact, f"{{{RAM}}}PersonName").text = "Jan"
    etree.SubElement(contact, f"{{{RAM}}}DepartmentName").text = "Verkoop"
    legal.addnext(contact)
    report = run_rules(root, detect(root))
    found = [f for f in report.findings if f.rule == "CII-SR-465"]
    assert [f.source for f in found] == [source]
    assert found[0].severity is (Severity.WARNING if source == "en16931-cii" else Severity.FATAL)


def test_warm_up_compiles_and_runs_each_rule_set_and_validation_then_runs_as_usual():
    xml = (conformance_dir() / EN16931_CII_EXAMPLE).read_bytes()
    root = parse_xml(xml)
    names = ("en16931-cii", "facturx-en16931", "fr-cii", "en16931-ubl")

    sch.warm_up(names)

    for name in names:
        assert str(conformance_dir() / sch.RULE_SETS[name].path) in sch._executables
    report = run_rules(root, detect(root), french=True)
    assert report.checks and {f.rule for f in report.findings} == {f.rule for f in run_rules(
        root, detect(root), french=True).findings}
