"""The 11 official CDV examples: read, checked, written back identical."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from cdar_material import EXAMPLES
from lxml import etree

from facturier.engine import cdar


def _canonical(data: bytes) -> bytes:
    """The document without comments, blank text and unused namespace declarations, canonicalised."""
    parser = etree.XMLParser(remove_blank_text=True, remove_comments=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(data.removeprefix(b"\xef\xbb\xbf"), parser)
    etree.cleanup_namespaces(root)
    return etree.tostring(root, method="c14n")


def test_there_are_eleven_official_examples():
    assert len(EXAMPLES) == 11


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_official_example_reads_with_the_status_its_name_gives(path):
    message = cdar.parse(path.read_bytes())
    assert message.status_code == path.stem.split("-CDV-")[1][:3]
    assert message.invoice.number == path.stem.split("_")[1]
    assert message.status.name_fr


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_official_example_passes_the_br_fr_cdv_rules(path):
    report = cdar.validate(path.read_bytes())
    assert report.ok, [(f.rule, f.message.fr) for f in report.findings]
    assert "fr-cdv" in report.checks
    # Without the XSD folder the report says the XSD could not run: not a full pass.
    assert not report.xsd_checked and not report.passed
    assert "XSD" in report.not_run[0].reason.en


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_official_example_passes_the_xsd_read_in_place(path, xsd_dir):
    report = cdar.validate(path.read_bytes(), xsd_dir=xsd_dir)
    assert report.xsd_checked and report.passed, [(f.rule, f.message.en) for f in report.findings]
    assert report.checks == ("xsd", "fr-cdv")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_official_example_round_trips(path):
    message = cdar.parse(path.read_bytes())
    written = cdar.build(message)
    assert cdar.parse(written) == message
    # Element for element and attribute for attribute, the same document (comments aside).
    assert _canonical(written) == _canonical(path.read_bytes())


def _example(stem_part: str) -> bytes:
    return next(p for p in EXAMPLES if stem_part in p.name).read_bytes()


def test_the_payment_received_example_gives_the_amount_cashed_per_vat_rate():
    message = cdar.parse(_example("212_Encaissee.xml"))
    assert message.amounts_cashed == (cdar.AmountCashed(Decimal("20.00"), Decimal("12000"), "EUR"),)
    assert message.seller_siren == "100000009" and message.buyer_siren == "200000008"
    assert message.issuer.role == "SE" and message.to_tax_authority
    assert message.type_code == cdar.PHASE_PROCESSING
    assert message.invoice.issue_date == date(2025, 7, 1) and message.invoice.type_code == "380"
    assert message.issue_datetime == datetime(2025, 8, 2, 10, 5)
    assert message.status_datetime == datetime(2025, 8, 2, 10, 0)
    assert message.status.to_tax_authority


def test_the_dispute_example_gives_its_reason_and_the_action_asked():
    message = cdar.parse(_example("UC5_"))
    assert message.status_code == "207" and message.status.reason_required
    assert message.reason_code == "TX_TVA_ERR" and message.reason_text == "Taux de TVA erroné"
    assert message.reason.text("en") == "Wrong VAT rate"
    assert message.action_code == "CNF" and cdar.ACTIONS["CNF"].text("fr") == "Émettre un avoir total"
    disputed, expected = message.invoice.details[0].characteristics
    assert (disputed.type_code, disputed.percent, disputed.id) == ("DIV", Decimal("10.00"), "BT-152")
    assert (expected.type_code, expected.percent) == ("DVA", Decimal("20.00"))


def test_the_payment_sent_example_gives_the_amount_and_its_date():
    (amount,) = cdar.parse(_example("211_")).invoice.details[0].characteristics
    assert (amount.type_code, amount.amount, amount.value_date) == ("MPA", Decimal("12000"), date(2025, 7, 30))


def test_the_copies_for_the_tax_administration_name_it_alone():
    for name in ("200_Deposee_POUR_PPF", "212_Encaissee_POUR_PPF"):
        message = cdar.parse(_example(name))
        assert message.guideline == cdar.GUIDELINE_PPF and message.business_process is None
        (ppf,) = message.recipients
        assert (ppf.role, ppf.global_id, ppf.global_id_scheme) == ("DFH", "0000", "0238")
        assert message.sender.global_id == "0003"


def test_a_platform_status_is_issued_by_the_platform_without_an_id():
    message = cdar.parse(_example("202_Recue"))
    assert message.type_code == cdar.PHASE_TRANSMISSION
    assert (message.sender.role, message.issuer.role, message.issuer.global_id) == ("WK", "WK", None)
    assert [r.role for r in message.recipients] == ["SE", "BY"]
    assert message.recipients[0].address == "100000009_STATUTS"
