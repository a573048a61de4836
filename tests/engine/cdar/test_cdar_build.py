"""Messages Facturier writes: every status, with the parties the official examples show, passes the checks."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from cdar_material import AT, BUYER, CASHED, INVOICE_DATE, REASON_FOR, SELLER

from facturier.engine import cdar
from facturier.engine.cdar import CdarError, Platform, status_message

REQUIRED = ("200", "202", "203", "204", "205", "206", "207", "210", "212", "213", "221", "501")
"""The statuses issue 14 needs written (the seller's 212, and what the PA simulator sends)."""


def _message(status: str, **kw) -> cdar.CdarMessage:
    values = dict(
        status=status,
        invoice_number="FA-2026-0042",
        invoice_date=None if status == "501" else INVOICE_DATE,
        seller=SELLER,
        buyer=BUYER,
        at=AT,
        reason_code=REASON_FOR.get(status),
        amounts_cashed=CASHED if status == "212" else (),
    )
    values.update(kw)
    return status_message(**values)


def test_the_required_statuses_are_all_in_the_table():
    assert set(REQUIRED) <= set(cdar.STATUSES)


@pytest.mark.parametrize("status", list(cdar.STATUSES))
def test_every_status_builds_a_message_the_br_fr_cdv_rules_accept_and_that_reads_back(status):
    message = _message(status)
    data = cdar.build(message)
    report = cdar.validate(data)
    assert report.ok, [(f.rule, f.message.fr) for f in report.findings]
    assert cdar.parse(data) == message


@pytest.mark.parametrize("status", list(cdar.STATUSES))
def test_every_status_builds_a_message_the_xsd_accepts(status, xsd_dir):
    for for_ppf in (False, True):
        data = cdar.build(_message(status, for_ppf=for_ppf, platform=Platform("0003", "PA-E Vendeur")))
        report = cdar.validate(data, xsd_dir=xsd_dir)
        assert report.passed, (for_ppf, [(f.rule, f.message.en) for f in report.findings])


def _roles(parties) -> list[tuple[str, str | None]]:
    return [(p.role, p.global_id) for p in parties]


def test_payment_received_is_set_by_the_seller_for_the_buyer_and_the_tax_administration():
    message = _message("212")
    assert message.type_code == "23"
    assert _roles([message.issuer]) == [("SE", "100000009")]
    assert _roles(message.recipients) == [("BY", "200000008"), ("DFH", "9998")]
    assert message.recipients[0].address == "200000008" and message.recipients[0].address_scheme == "0225"
    assert message.amounts_cashed == CASHED
    assert message.invoice.document_status == "47"


def test_a_platform_status_goes_to_the_seller_status_address():
    message = _message("200")
    assert message.type_code == "305"
    assert _roles([message.sender, message.issuer]) == [("WK", None), ("WK", None)]
    assert _roles(message.recipients) == [("SE", "100000009"), ("DFH", "9998")]
    assert message.recipients[0].address == "100000009_STATUTS"


def test_received_and_made_available_also_go_to_the_buyer():
    for status in ("202", "203"):
        assert _roles(_message(status).recipients) == [("SE", "100000009"), ("BY", "200000008")]


def test_a_buyer_status_names_the_buyer_as_issuer_and_goes_to_the_seller():
    message = _message("204")
    assert _roles([message.issuer]) == [("BY", "200000008")]
    assert _roles(message.recipients) == [("SE", "100000009")]


def test_a_refusal_goes_to_the_tax_administration_too_with_its_reason():
    message = _message("210", reason_code="DOUBLON", action_code="CNF")
    assert _roles(message.recipients) == [("SE", "100000009"), ("DFH", "9998")]
    assert (message.reason_code, message.reason_text, message.action_code) == ("DOUBLON", "Facture en double", "CNF")
    assert cdar.validate(cdar.build(message)).ok


def test_the_copy_for_the_tax_administration_names_the_platform_and_the_ppf_alone():
    message = _message("212", for_ppf=True, platform=Platform("0003", "PA-E Vendeur"))
    assert message.guideline == cdar.GUIDELINE_PPF and message.business_process is None
    assert _roles([message.sender]) == [("WK", "0003")]
    assert _roles(message.recipients) == [("DFH", "0000")]
    assert cdar.validate(cdar.build(message)).ok


def test_an_inadmissible_file_needs_no_invoice_date():
    message = _message("501")
    assert message.invoice.issue_date is None
    assert cdar.validate(cdar.build(message)).ok


def test_times_are_written_as_french_local_time():
    message = _message("205", at=datetime(2026, 9, 2, 8, 30, tzinfo=UTC))
    assert message.status_datetime == datetime(2026, 9, 2, 10, 30)  # UTC+2 in September
    assert b"20260902103000" in cdar.build(message)


def test_the_default_message_id_tells_invoice_status_time_type_and_date():
    assert _message("205").message_id == "FA-2026-0042_205_20260902103000#380_20260901"


def test_a_status_that_needs_a_reason_is_refused_without_one():
    for status in ("206", "207", "208", "210", "213", "501"):
        with pytest.raises(CdarError) as caught:
            _message(status, reason_code=None)
        assert "motif" in caught.value.message.fr and "reason" in caught.value.message.en


def test_a_reason_the_status_does_not_accept_is_refused():
    with pytest.raises(CdarError) as caught:
        _message("213", reason_code="TX_TVA_ERR")
    assert "TX_TVA_ERR" in caught.value.message.en and "213" in caught.value.message.en


def test_payment_received_without_amounts_is_refused():
    with pytest.raises(CdarError) as caught:
        _message("212", amounts_cashed=())
    assert "VAT rate" in caught.value.message.en


def test_an_unknown_status_is_refused_when_building():
    with pytest.raises(CdarError) as caught:
        _message("299")
    assert "299" in caught.value.message.fr and "299" in caught.value.message.en


def test_amounts_keep_their_value_and_rates_two_decimals():
    data = cdar.build(_message("212"))
    assert b'<ram:ValueAmount currencyID="EUR">1000.00</ram:ValueAmount>' in data
    assert b"<ram:ValuePercent>5.50</ram:ValuePercent>" in data
    assert cdar.parse(data).amounts_cashed[1] == cdar.AmountCashed(Decimal("5.5"), Decimal("211"), "EUR")
