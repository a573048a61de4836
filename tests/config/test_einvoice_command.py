"""`facturier einvoice validate|convert|extract|inspect` on real files."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

CONFORMANCE = Path(__file__).resolve().parents[2] / "conformance"
CII = CONFORMANCE / "en16931-1.3.16" / "examples" / "cii" / "CII_example1.xml"
PDF = CONFORMANCE / "facturx-lib-fixtures" / "pdf" / "invoice_EN16931.pdf"
PEPPOL = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"


def run(*args) -> int:
    try:
        call_command("einvoice", *map(str, args))
    except SystemExit as e:
        return e.code
    return 0


def test_validate_accepts_an_official_example_and_refuses_a_broken_copy(tmp_path, capsys):
    assert run("validate", CII) == 0
    assert "valid" in capsys.readouterr().out
    broken = tmp_path / "broken.xml"
    broken.write_bytes(CII.read_bytes().replace(b"<ram:ID>12115118</ram:ID>", b"<ram:ID></ram:ID>", 1))
    assert run("validate", broken) == 1
    assert "BR-02" in capsys.readouterr().out


def test_validate_names_every_rule_set_that_ran(capsys):
    assert run("validate", "--fr", CII) == 1
    out = capsys.readouterr().out
    assert "rules run: xsd, en16931-cii, facturx-en16931, fr-cii" in out
    assert "could not run" not in out


def test_a_peppol_invoice_is_never_called_valid_and_the_rules_that_could_not_run_are_named(tmp_path, capsys):
    peppol = tmp_path / "peppol.xml"
    peppol.write_bytes(CII.read_bytes().replace(b"<ram:ID>urn:cen.eu:en16931:2017</ram:ID>",
                                                f"<ram:ID>{PEPPOL}</ram:ID>".encode(), 1))
    assert run("validate", peppol) == 1
    out = capsys.readouterr().out
    assert "INVALID" in out and "could not run: peppol-bis3" in out and "Peppol BIS Billing 3.0" in out
    assert run("validate", "--json", peppol) == 1
    (result,) = json.loads(capsys.readouterr().out)
    assert result["valid"] is False
    assert result["checks"] == ["xsd", "en16931-cii"]
    assert [n["check"] for n in result["not_run"]] == ["peppol-bis3"]
    assert result["not_run"][0]["reason"]


def test_validate_with_the_french_rules_refuses_an_invoice_without_siren(capsys):
    assert run("validate", "--fr", CII) == 1
    assert "BR-FR" in capsys.readouterr().out


def test_validate_reports_malformed_xml_clearly(tmp_path, capsys):
    bad = tmp_path / "bad.xml"
    bad.write_text("<Invoice><unclosed></Invoice>")
    assert run("validate", bad) == 1
    assert "XML" in capsys.readouterr().err


def test_convert_to_ubl_gives_a_valid_ubl(tmp_path):
    out = tmp_path / "out.xml"
    assert run("convert", CII, out, "--to", "ubl") == 0
    assert b"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" in out.read_bytes()
    assert run("validate", out) == 0


def test_extract_and_inspect_a_factur_x_pdf(tmp_path, capsys):
    out = tmp_path / "factur-x.xml"
    assert run("extract", PDF, out) == 0
    assert out.read_bytes().lstrip().startswith(b"<?xml") or b"CrossIndustryInvoice" in out.read_bytes()
    assert run("inspect", PDF) == 0
    summary = capsys.readouterr().out
    assert "Factur-X attachment" in summary and "line(s)" in summary


def test_a_missing_file_is_a_clear_error():
    with pytest.raises(CommandError, match="No such file"):
        call_command("einvoice", "inspect", "/nonexistent.xml")


def test_a_missing_conformance_folder_is_a_system_check_warning_and_no_file_is_called_valid(settings, tmp_path,
                                                                                            capsys):
    from facturier.config.checks import conformance_material
    from facturier.engine.validation import configure

    assert conformance_material(None) == []
    settings.CONFORMANCE_DIR = tmp_path / "nowhere"
    (warning,) = conformance_material(None)
    assert warning.id == "facturier.W003" and "FACTURIER_CONFORMANCE_DIR" in warning.hint
    configure(settings.CONFORMANCE_DIR)
    try:
        assert run("validate", CII) == 1
    finally:
        configure(CONFORMANCE)
    assert "FACTURIER_CONFORMANCE_DIR" in capsys.readouterr().err
MINIMUM = CONFORMANCE / "zugferd-2.5.2" / "examples" / "minimum" / "factur-x-1.xml"


def test_convert_says_the_official_verdict_on_what_it_wrote(tmp_path, capsys):
    out = tmp_path / "out.xml"
    assert run("convert", CII, out, "--to", "ubl") == 0
    said = capsys.readouterr().out
    assert "valid" in said and "en16931-ubl" in said


def test_convert_of_a_minimum_invoice_stops_and_lists_what_it_lacks(tmp_path):
    out = tmp_path / "out.xml"
    with pytest.raises(CommandError) as refused:
        run("convert", MINIMUM, out, "--to", "ubl")
    assert "MINIMUM" in str(refused.value) and "BR-16" in str(refused.value) and "--force" in str(refused.value)
    assert not out.exists()


def test_convert_with_force_writes_it_and_says_it_is_invalid(tmp_path, capsys):
    out = tmp_path / "out.xml"
    assert run("convert", MINIMUM, out, "--to", "ubl", "--force") == 1
    assert out.stat().st_size > 0
    said = capsys.readouterr().out
    assert "INVALID" in said and "BR-16" in said


def test_a_file_over_the_size_limit_is_refused_from_its_size(tmp_path):
    big = tmp_path / "big.xml"
    with big.open("wb") as f:  # sparse: nothing is written to disk, nothing is read
        f.truncate(200 * 1024 * 1024)
    with pytest.raises(CommandError, match="limit"):
        call_command("einvoice", "inspect", str(big))
    with pytest.raises(CommandError, match="limit"):
        call_command("einvoice", "inspect", "--max-bytes", "1000", str(CII))


def test_an_unknown_encoding_is_refused_clearly(tmp_path, capsys):
    odd = tmp_path / "odd.xml"
    odd.write_bytes(CII.read_bytes().replace(b'encoding="utf-8"', b'encoding="FOO-BAR"', 1))
    assert b"FOO-BAR" in odd.read_bytes()
    assert run("validate", odd) == 1
    assert "FOO-BAR" in capsys.readouterr().err


def test_inspect_never_prints_megabytes(tmp_path, capsys):
    long_name = "Société " + "x" * 2_000_000
    doc = tmp_path / "long.xml"
    doc.write_bytes(CII.read_bytes().replace(b"<ram:Name>De Koksmaat</ram:Name>",
                                             f"<ram:Name>{long_name}</ram:Name>".encode(), 1))
    assert long_name.encode() in doc.read_bytes()
    with pytest.raises(CommandError, match="Name"):  # refused by the text limit…
        call_command("einvoice", "inspect", str(doc))
    assert run("inspect", "--max-text", "3000000", doc) == 0  # …and when allowed, shown short
    summary = capsys.readouterr().out
    assert "Société xxx" in summary and len(summary) < 10_000


CDAR_212 = CONFORMANCE / "fr-ctc-1.4.0.03" / "cdar-examples" / "UC1_F202500003_07-CDV-212_Encaissee.xml"


def test_validate_judges_a_life_cycle_message_by_the_cdar_rules(tmp_path, capsys, settings):
    settings.SPECS_DIR = tmp_path / "no-specs"  # the XSD is beside the checkout only: its absence is said
    assert run("validate", CDAR_212) == 1  # never "valid" while a check could not run
    out = capsys.readouterr().out
    assert "rules run: fr-cdv" in out and "could not run" in out and "CDAR D22B" in out
    broken = tmp_path / "212-without-status.xml"
    broken.write_bytes(CDAR_212.read_bytes().replace(b"<ram:ProcessConditionCode>212</ram:ProcessConditionCode>",
                                                     b"<ram:ProcessConditionCode>999</ram:ProcessConditionCode>", 1))
    assert broken.read_bytes() != CDAR_212.read_bytes()
    assert run("validate", "--json", broken) == 1
    (result,) = json.loads(capsys.readouterr().out)
    assert result["valid"] is False
    assert any(f["rule"].startswith("BR-FR-CDV") for f in result["findings"])


def test_validate_calls_an_official_life_cycle_message_valid_when_the_xsd_ran(capsys, settings):
    from facturier.engine.cdar import xsd_dir_in

    if xsd_dir_in(settings.SPECS_DIR) is None:
        pytest.skip(f"CDAR D22B XSD not found under {settings.SPECS_DIR} (../shared/specs absent)")
    assert run("validate", CDAR_212) == 0
    assert "rules run: xsd, fr-cdv" in capsys.readouterr().out
