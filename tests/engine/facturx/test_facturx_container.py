"""The Factur-X container check: what the project emits passes; the shapes careless producers send do not.

Every broken shape is refused by the engine check, by `facturier einvoice validate` (text and
--json, with the rule id and a message naming the problem), and — where it checks the same
thing — by the referee.
"""

from __future__ import annotations

import io
import json
import random
from functools import cache
from pathlib import Path

import pikepdf
import pytest
from container_shapes import SHAPES, Shape, one_page_invoice, project_facturx, zugferd_xrechnung
from django.core.management import call_command
from django.utils import translation

from facturier.engine.cii import Profile, read_cii
from facturier.engine.errors import EngineError, InputTooLarge, PdfError
from facturier.engine.facturx import pack_facturx
from facturier.engine.facturx.container import CHECK, check_container
from facturier.engine.facturx.pack import level_of_guideline
from facturier.engine.pdf.certificates import load_pkcs12, make_self_signed
from facturier.engine.pdf.render import Attachment, RenderOptions, render_invoice
from facturier.engine.pdf.seal import Sealer
from facturier.engine.xml import parse_xml


@cache
def valid(profile: Profile = Profile.EN16931) -> bytes:
    """The one-page Factur-X the project makes of the sample invoice, at `profile`."""
    return project_facturx(one_page_invoice(), profile)


@cache
def broken(shape: Shape) -> bytes:
    return shape.build(valid)


def validate_cli(path: Path, *options: str, language: str = "en") -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with translation.override(language):
        try:
            call_command("einvoice", "validate", *options, str(path), stdout=out, stderr=err)
            code = 0
        except SystemExit as e:
            code = e.code
    return code, out.getvalue() + err.getvalue()


def container_rules(pdf: bytes) -> set[str]:
    return {f.rule for f in check_container(pdf).fatal}


@pytest.mark.parametrize("profile", list(Profile), ids=lambda p: p.name)
def test_every_profile_the_project_emits_passes_the_container_check(profile):
    report = check_container(valid(profile))

    assert report.findings == () and report.passed
    assert report.checks == (CHECK,)


def test_a_sealed_factur_x_passes_the_container_check():
    identity = load_pkcs12(make_self_signed("ACME SAS", "ACME SAS", days=30, key_type="ec", password="pw"), "pw")
    sealed = Sealer(identity, level="B-B").seal(valid(), reason="Facture FA-2026-00042", location="Lyon")

    assert check_container(sealed).findings == ()


def test_an_xrechnung_in_a_zugferd_container_passes():
    assert check_container(zugferd_xrechnung(one_page_invoice())).findings == ()


def test_an_old_comfort_level_does_not_pass_for_an_en16931_invoice():
    with pikepdf.open(io.BytesIO(valid())) as document:
        document.Root.Metadata.write(document.Root.Metadata.read_bytes().replace(b">EN 16931<", b">COMFORT<"))
        out = io.BytesIO()
        document.save(out)

    assert container_rules(out.getvalue()) == {"FX-PDF-24"}


def test_validate_says_a_sound_factur_x_is_valid_and_names_the_container_check(tmp_path):
    path = tmp_path / "facture.pdf"
    path.write_bytes(valid())

    code, output = validate_cli(path, "--json")

    assert code == 0, output
    [verdict] = json.loads(output)
    assert verdict["valid"] is True and CHECK in verdict["checks"]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.name)
def test_the_container_check_reports_each_broken_shape_with_its_rule_and_a_message_naming_it(shape):
    report = check_container(broken(shape))

    assert not report.passed
    [finding, *_] = [f for f in report.fatal if f.rule == shape.rule] or [None]
    assert finding is not None, [f.rule for f in report.findings]
    assert finding.source == CHECK
    assert all(word in finding.message.en for word in shape.words_en), finding.message.en
    assert all(word in finding.message.fr for word in shape.words_fr), finding.message.fr


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.name)
def test_validate_refuses_each_broken_shape_in_text_and_in_json(shape, tmp_path):
    path = tmp_path / f"{shape.name}.pdf"
    path.write_bytes(broken(shape))

    code, text = validate_cli(path, language="fr")
    assert code == 1
    assert f"{path}: INVALID" in text and shape.rule in text
    assert all(word in text for word in shape.words_fr), text

    code, output = validate_cli(path, "--json", language="en")
    assert code == 1
    [verdict] = json.loads(output)
    assert verdict["valid"] is False and CHECK in verdict["checks"]
    [finding] = [f for f in verdict["findings"] if f["rule"] == shape.rule][:1]
    assert finding["severity"] == "fatal" and finding["source"] == CHECK and finding["path"]
    assert all(word in finding["message"] for word in shape.words_en), finding["message"]


def test_identical_copies_of_the_invoice_under_two_names_are_not_a_disagreement():
    with pikepdf.open(io.BytesIO(valid())) as document:
        xml = document.attachments["factur-x.xml"].get_file().read_bytes()
        spec = pikepdf.AttachedFileSpec(document, xml, mime_type="text/xml", filename="zugferd-invoice.xml",
                                        relationship=pikepdf.Name.Alternative)
        document.attachments["zugferd-invoice.xml"] = spec
        document.Root.AF.append(document.attachments["zugferd-invoice.xml"].obj)
        out = io.BytesIO()
        document.save(out)

    assert "FX-PDF-16" not in container_rules(out.getvalue())


def test_bytes_that_are_not_a_readable_pdf_are_an_error_not_a_verdict():
    with pytest.raises(PdfError):
        check_container(valid()[: len(valid()) // 2])


def test_a_corrupted_factur_x_gets_findings_or_a_clear_error_never_a_crash():
    rng = random.Random(20261206)
    outcomes = set()
    for _ in range(400):
        data = bytearray(valid())
        for _ in range(rng.randint(1, 12)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            outcomes.add("passed" if check_container(bytes(data)).passed else "findings")
        except EngineError as e:
            assert e.message.fr and e.message.en
            outcomes.add("error")
    assert outcomes == {"passed", "findings", "error"}


def test_a_pdf_above_the_limit_is_refused_before_it_is_read():
    with pytest.raises(InputTooLarge):
        check_container(valid(), max_bytes=len(valid()) - 1)


# --- The referee, when it is there ----------------------------------------------------------


def test_the_referee_accepts_what_passes_the_container_check(referee, tmp_path):
    paths = []
    for profile in (Profile.MINIMUM, Profile.BASIC, Profile.EN16931):
        paths.append(tmp_path / f"{profile.name}.pdf")
        paths[-1].write_bytes(valid(profile))

    paths.append(tmp_path / "xrechnung.pdf")
    paths[-1].write_bytes(zugferd_xrechnung(one_page_invoice()))

    verdicts = referee(paths)

    assert {p: referee.fatal_findings(v) for p, v in verdicts.items() if not v["passed"]} == {}


def test_the_referee_agrees_on_every_broken_shape_it_checks(referee, tmp_path):
    checked = [s for s in SHAPES if s.referee is not None]
    paths = {}
    for shape in checked:
        path = tmp_path / f"{shape.name}.pdf"
        path.write_bytes(broken(shape))
        paths[str(path)] = shape

    verdicts = referee(list(paths))

    disagreements = {}
    for path, shape in paths.items():
        found = {f["id"] for r in verdicts[path]["results"] for f in r["findings"] if f["flag"] == "fatal"}
        if verdicts[path]["passed"] or shape.referee not in found:
            disagreements[shape.name] = sorted(found)
    assert disagreements == {}


# --- Official material ----------------------------------------------------------------------


def test_the_official_factur_x_sample_passes_the_container_check(official_sample_pdf):
    assert check_container(official_sample_pdf).findings == ()


def test_every_official_cii_example_packed_by_the_project_passes_the_container_check(conformance_dir):
    examples = sorted(conformance_dir.glob("zugferd-2.5.2/examples/*/*.xml"))
    examples += sorted(conformance_dir.glob("facturx-lib-fixtures/xml/factur-x-*.xml"))
    examples += sorted(conformance_dir.glob("en16931-1.3.16/examples/cii/*.xml"))
    failures, packed = {}, 0
    for example in examples:
        xml = example.read_bytes()
        level = level_of_guideline(xml)
        if level is None or level == "XRECHNUNG":
            continue  # the project emits Factur-X profiles only
        relationship = "Data" if level in ("MINIMUM", "BASIC WL") else "Alternative"
        visual = render_invoice(read_cii(parse_xml(xml)), RenderOptions(
            attachments=(Attachment(filename="factur-x.xml", data=xml, relationship=relationship),)))
        report = check_container(pack_facturx(visual, xml, conformance_level=level))
        packed += 1
        if report.findings:
            failures[example.name] = [f.message.en for f in report.findings]
    assert failures == {}
    assert packed >= 60
