"""The official schematron XSLTs: chosen by syntax and profile, compiled once, never a silent pass."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from validation_material import EN16931_CII_EXAMPLE, EN16931_UBL_EXAMPLE

from facturier.engine.errors import RuleSetUnavailable, UnsupportedDocument
from facturier.engine.validation import RuleSet, Severity, rule_sets_for, run_rules, validate
from facturier.engine.validation import schematron as sch
from facturier.engine.validation.xsd import package_data_dir
from facturier.engine.xml import DocumentKind, detect, parse_xml


def kind(syntax="cii", profile=None, root=None) -> DocumentKind:
    root = root or ("CrossIndustryInvoice" if syntax == "cii" else "Invoice")
    return DocumentKind(syntax=syntax, root=root, guideline_id=None, profile_hint=profile)


def names(k: DocumentKind, french: bool = False) -> list[str]:
    return [rs.name for rs in rule_sets_for(k, french=french)]


# --- which rule sets -------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["minimum", "basicwl", "basic", "en16931", "extended"])
def test_cii_is_judged_by_the_factur_x_rules_of_its_profile(profile):
    assert names(kind(profile=profile)) == [f"facturx-{profile}"]
    assert names(kind(profile=profile), french=True) == [f"facturx-{profile}", "fr-cii"]


@pytest.mark.parametrize("profile", [None, "xrechnung", "peppol"])
def test_cii_claiming_no_factur_x_profile_is_judged_by_the_en16931_rules(profile):
    assert names(kind(profile=profile)) == ["en16931-cii"]


def test_extended_ctc_fr_adds_its_french_rules():
    assert names(kind(profile="extended-ctc-fr")) == ["facturx-extended"]
    assert names(kind(profile="extended-ctc-fr"), french=True) == ["facturx-extended", "fr-cii", "fr-extended-cii"]
    ubl = kind("ubl", "extended-ctc-fr")
    assert names(ubl, french=True) == ["en16931-ubl", "fr-ubl", "fr-extended-ubl"]


@pytest.mark.parametrize("root", ["Invoice", "CreditNote"])
def test_ubl_is_judged_by_the_en16931_rules_plus_br_fr_when_french(root):
    assert names(kind("ubl", "en16931", root)) == ["en16931-ubl"]
    assert names(kind("ubl", "peppol", root), french=True) == ["en16931-ubl", "fr-ubl"]


def test_every_rule_set_ships_in_the_package():
    for rs in sch.RULE_SETS.values():
        assert (package_data_dir() / rs.path).is_file(), rs.path


# --- running them ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cii_example(conformance_dir):
    return parse_xml((conformance_dir / EN16931_CII_EXAMPLE).read_bytes())


def test_official_cii_example_passes_its_profile_rules(cii_example):
    report = run_rules(cii_example, detect(cii_example))
    assert report.passed, [(f.rule, f.message.en) for f in report.fatal]
    assert report.checks == ("facturx-en16931",)


def test_official_ubl_example_passes_the_en16931_rules(conformance_dir):
    root = parse_xml((conformance_dir / EN16931_UBL_EXAMPLE).read_bytes())
    report = run_rules(root, detect(root))
    assert report.passed
    assert report.checks == ("en16931-ubl",)


def test_official_examples_lack_french_data_so_br_fr_fails_them(cii_example):
    report = run_rules(cii_example, detect(cii_example), french=True)
    assert report.checks == ("facturx-en16931", "fr-cii")
    assert not report.passed
    assert all(f.source == "fr-cii" for f in report.fatal)
    assert any(rule.startswith("BR-FR-") for rule in report.fatal_rule_ids)


def test_validate_names_every_check_that_ran(conformance_dir):
    report = validate((conformance_dir / EN16931_CII_EXAMPLE).read_bytes(), french=True)
    assert report.checks == ("xsd", "facturx-en16931", "fr-cii")


def test_validate_refuses_an_order_x(conformance_dir):
    with pytest.raises(UnsupportedDocument, match="Order-X"):
        validate((conformance_dir / "facturx-lib-fixtures/xml/order-x-basic.xml").read_bytes())


def test_each_xslt_is_compiled_once_and_reused(cii_example):
    run_rules(cii_example, detect(cii_example))
    path = sch.RULE_SETS["facturx-en16931"].path
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
        monkeypatch.setattr(sch, "package_data_dir", lambda: tmp_path)
        monkeypatch.setattr(sch, "rule_sets_for", lambda kind, french=False: (rule_set,))
        monkeypatch.setattr(sch, "_executables", {})

    return use


def test_missing_rule_set_raises(fake_rules, cii_example):
    fake_rules(RuleSet("ghost", "ghost.xslt", "Ghost"), None)
    with pytest.raises(RuleSetUnavailable) as exc:
        run_rules(cii_example, detect(cii_example))
    assert "Ghost" in exc.value.message.fr and "Ghost" in exc.value.message.en


def test_rule_set_that_does_not_compile_raises(fake_rules, cii_example):
    fake_rules(RuleSet("broken", "broken.xslt", "Broken"), "<xsl:stylesheet")
    with pytest.raises(RuleSetUnavailable):
        run_rules(cii_example, detect(cii_example))


def test_rule_set_that_crashes_on_a_document_raises(fake_rules, cii_example):
    fake_rules(RuleSet("crash", "crash.xslt", "Crash"), CRASHING_XSLT)
    with pytest.raises(RuleSetUnavailable):
        run_rules(cii_example, detect(cii_example))


def test_rule_set_that_crashes_on_a_schema_valid_document_fails_validate(fake_rules, conformance_dir):
    fake_rules(RuleSet("crash", "crash.xslt", "Crash"), CRASHING_XSLT)
    with pytest.raises(RuleSetUnavailable):
        validate((conformance_dir / EN16931_CII_EXAMPLE).read_bytes())


def test_crash_on_a_schema_invalid_document_is_reported_next_to_the_schema_errors(fake_rules, conformance_dir):
    fake_rules(RuleSet("crash", "crash.xslt", "Crash"), CRASHING_XSLT)
    data = (conformance_dir / EN16931_CII_EXAMPLE).read_bytes().replace(b"<ram:ID>12115118</ram:ID>", b"")
    report = validate(data)
    assert not report.passed
    assert {"XSD", "RULES-CRASH"} <= report.fatal_rule_ids
    assert report.checks == ("xsd", "crash")


def test_transformation_output_that_is_not_svrl_is_not_a_pass(fake_rules, cii_example):
    silent = """<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
      <xsl:output method="text"/><xsl:template match="/"/></xsl:stylesheet>"""
    fake_rules(RuleSet("silent", "silent.xslt", "Silent"), silent)
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
    rs = RuleSet("facturx-en16931", "x.xslt", "X")
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


def test_svrl_rules_of_an_unclaimed_profile_are_left_out():
    rs = RuleSet("en16931-cii", "x.xslt", "X", drop="FX-SCH-")
    svrl = SVRL.replace('id="BR-FR-05"', 'id="FX-SCH-A-000556"')
    assert "FX-SCH-A-000556" not in {f.rule for f in sch._findings(svrl, rs)}


def test_code_lists_loaded_once_give_the_same_findings_as_the_untouched_xslt(broken_variants):
    root = parse_xml(broken_variants["cii-unknown-currency"].read_bytes())
    rs = sch.RULE_SETS["facturx-en16931"]
    text = sch.etree.tostring(root, encoding="unicode")
    with sch._saxon_lock:
        untouched = (
            sch._saxon().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(package_data_dir() / rs.path))
        )
        node = sch._saxon().parse_xml(xml_text=text)
        expected = sch._findings(untouched.transform_to_string(xdm_node=node), rs)
    report = run_rules(root, detect(root))
    assert report.findings == tuple(expected)
    assert "FX-SCH-A-000595" in report.fatal_rule_ids
