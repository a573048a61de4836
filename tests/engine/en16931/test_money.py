"""Money: exact decimals and the one rounding rule."""

from __future__ import annotations

from decimal import Decimal

import pytest

from facturier.engine.en16931.money import currency_exponent, parse_decimal, round_amount
from facturier.engine.errors import CalculationError

D = Decimal


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [
        ("EUR", 2),
        ("USD", 2),
        ("HUF", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("XOF", 0),
        ("XAF", 0),
        ("CLP", 0),
        ("ISK", 0),
        ("BHD", 3),
        ("KWD", 3),
        ("OMR", 3),
        ("TND", 3),
        ("JOD", 3),
        ("IQD", 3),
        ("LYD", 3),
        ("CLF", 4),
        ("jpy", 0),
        ("ZZZ", 2),
    ],
)
def test_currency_exponent_follows_iso_4217_minor_units(currency, exponent):
    assert currency_exponent(currency) == exponent


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("0.005", "EUR", "0.01"),
        ("0.0049999", "EUR", "0.00"),
        ("2.675", "EUR", "2.68"),  # a float would give 2.67: 2.675 is 2.67499999… in binary
        ("-0.005", "EUR", "-0.01"),  # half away from zero: a credit mirrors its invoice
        ("1.5", "JPY", "2"),
        ("2.5", "JPY", "3"),
        ("0.0005", "KWD", "0.001"),
        ("10", "EUR", "10.00"),
    ],
)
def test_round_amount_rounds_half_up_to_the_currency_exponent(value, currency, expected):
    result = round_amount(D(value), currency)

    assert result == D(expected)
    assert str(result) == expected  # the exponent is exact, ready for the XML


def test_rounded_zero_has_no_sign():
    assert str(round_amount(D("-0.001"))) == "0.00"


def test_round_amount_refuses_floats():
    with pytest.raises(CalculationError) as exc:
        round_amount(0.1)

    assert "virgule flottante" in exc.value.message.fr
    assert "floating-point" in exc.value.message.en


def test_round_amount_refuses_nan():
    with pytest.raises(CalculationError):
        round_amount(D("NaN"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12.30", "12.30"), (" -4 ", "-4"), ("+0.5", "0.5"), (".5", "0.5"), ("7.", "7"), ("00012", "12")],
)
def test_parse_decimal_reads_xml_decimals_exactly(text, expected):
    assert parse_decimal(text) == D(expected)


def test_parse_decimal_keeps_the_written_scale():
    assert str(parse_decimal("12.30")) == "12.30"


def test_parse_decimal_accepts_decimals_and_ints():
    assert parse_decimal(D("1.10")) == D("1.10")
    assert parse_decimal(3) == D(3)


@pytest.mark.parametrize("text", ["NaN", "nan", "Infinity", "-inf", "1e3", "1,5", "", " ", "12 000", "abc"])
def test_parse_decimal_refuses_what_is_not_a_plain_decimal(text):
    with pytest.raises(CalculationError) as exc:
        parse_decimal(text)

    assert "1234.56" in exc.value.message.fr
    assert "1234.56" in exc.value.message.en


@pytest.mark.parametrize("value", [0.1, 1.0, True, D("NaN"), D("Infinity"), D("-Infinity"), None])
def test_parse_decimal_refuses_floats_booleans_and_non_finite_values(value):
    with pytest.raises(CalculationError):
        parse_decimal(value)
