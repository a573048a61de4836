"""The EPC QR code (SEPA credit transfer, EPC069-12 v002) and the formatting of printed values."""

from __future__ import annotations

import datetime as dt
import shutil
import struct
import subprocess
import zlib
from decimal import Decimal

import pytest
import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.util import MODE_8BIT_BYTE, QRData

from facturier.engine.pdf.epc_qr import EpcError, epc_payload, qr_matrix, qr_png, qr_svg
from facturier.engine.pdf.render import format_amount, format_date, format_iban, format_number

IBAN = "FR7630006000011234567890189"


def test_payload_carries_the_epc069_12_fields_in_order():
    payload = epc_payload(name="Atelier Lumière SAS", iban="FR76 3000 6000 0112 3456 7890 189", bic="BNPAFRPP",
                          amount=Decimal("1500.00"), remittance="FA-2026-00042")
    assert payload.split("\n") == [
        "BCD", "002", "1", "SCT", "BNPAFRPP", "Atelier Lumière SAS", IBAN, "EUR1500.00", "", "", "FA-2026-00042",
    ]


def test_an_rf_creditor_reference_goes_in_the_structured_field():
    payload = epc_payload(name="ACME", iban=IBAN, amount=Decimal("12.5"), remittance="RF18 5390 0754 7034")
    lines = payload.split("\n")
    assert lines[7] == "EUR12.50"
    assert lines[9] == "RF18539007547034"
    assert len(lines) == 10  # no unstructured remittance after it


def test_bic_is_optional_and_trailing_empty_fields_are_dropped():
    payload = epc_payload(name="ACME", iban=IBAN, amount=Decimal("1"))
    assert payload == f"BCD\n002\n1\nSCT\n\nACME\n{IBAN}\nEUR1.00"


def test_long_names_and_references_are_clipped_to_the_epc_lengths():
    payload = epc_payload(name="N" * 90, iban=IBAN, amount=Decimal("1"), remittance="R" * 200)
    lines = payload.split("\n")
    assert len(lines[5]) == 70 and len(lines[10]) == 140
    assert len(payload.encode()) <= 331


@pytest.mark.parametrize("kwargs", [
    {"iban": "FR7630006000011234567890180"},  # bad check digits
    {"amount": Decimal("0")},
    {"amount": Decimal("1000000000.00")},
    {"amount": Decimal("1.001")},
    {"currency": "USD"},
    {"name": "  "},
])
def test_data_that_cannot_make_a_valid_code_is_refused(kwargs):
    values = {"name": "ACME", "iban": IBAN, "amount": Decimal("10")} | kwargs
    with pytest.raises(EpcError):
        epc_payload(**values)


@pytest.mark.parametrize("length", [1, 14, 42, 90, 150, 230, 331])
def test_the_matrix_is_the_qr_symbol_qrcode_makes_at_level_m(length):
    """Versions 1 to 13, with and without version information, one and several blocks."""
    payload = ("BCD\n002\n1\nSCT\n" + "Ü" * length)[:length]
    reference = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, mask_pattern=2)
    reference.add_data(QRData(payload.encode(), mode=MODE_8BIT_BYTE))
    reference.make(fit=True)
    assert [list(row) for row in qr_matrix(payload)] == reference.get_matrix()


def unpack_png(png: bytes) -> tuple[int, list[list[bool]]]:
    """(size, dark modules) of the 1-bit greyscale PNG that qr_png writes."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert width == height and depth == 1 and colour == 0
    idat, offset = b"", 8
    while offset < len(png):
        length, kind = struct.unpack(">I4s", png[offset:offset + 8])
        if kind == b"IDAT":
            idat += png[offset + 8:offset + 8 + length]
        offset += 12 + length
    raw = zlib.decompress(idat)
    stride = (width + 7) // 8 + 1
    rows = []
    for y in range(height):
        line = raw[y * stride + 1:(y + 1) * stride]
        rows.append([not (line[x // 8] >> (7 - x % 8)) & 1 for x in range(width)])
    return width, rows


@pytest.mark.parametrize("scale", [1, 3, 8])
def test_the_png_draws_each_module_as_a_square_inside_a_quiet_zone(scale):
    payload = epc_payload(name="ACME", iban=IBAN, amount=Decimal("10"), remittance="FA-1")
    matrix = qr_matrix(payload)
    size, pixels = unpack_png(qr_png(payload, scale=scale))
    assert size == (len(matrix) + 8) * scale
    assert not any(pixels[0]) and not any(row[0] for row in pixels)
    border = 4 * scale
    modules = [row[border:-border:scale] for row in pixels[border:-border:scale]]
    assert modules == [list(row) for row in matrix]
    assert all(pixels[y][x] == pixels[y - y % scale][x - x % scale] for y in range(size) for x in range(size))


def test_the_svg_is_square_with_its_quiet_zone():
    payload = epc_payload(name="ACME", iban=IBAN, amount=Decimal("10"))
    size = len(qr_matrix(payload)) + 8
    assert f'viewBox="0 0 {size} {size}"' in qr_svg(payload)


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg is not installed")
def test_the_printed_code_scans_back_to_the_payload(tmp_path):
    from test_render import make_invoice

    from facturier.engine.pdf import RenderOptions, render_invoice

    (tmp_path / "invoice.pdf").write_bytes(render_invoice(make_invoice(), RenderOptions()))
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(tmp_path / "invoice.pdf"), str(tmp_path / "page")],
                   check=True)
    # -Sbinary: the code's own bytes, which EPC version 002 says are UTF-8; without it zbar guesses a
    # charset and reads "è" as Shift-JIS.
    scanned = subprocess.run(["zbarimg", "--raw", "-q", "-Sbinary", str(tmp_path / "page-1.png")], check=True,
                             capture_output=True).stdout.decode("utf-8")
    assert scanned.startswith("BCD\n002\n1\nSCT\nBNPAFRPP\nAtelier Lumière SAS\nFR7630006000011234567890189\n"
                              "EUR1500.00")


# --- Formatting ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "currency", "language", "expected"), [
    ("1234.56", "EUR", "fr", "1\u202f234,56\u00a0€"),
    ("1234.56", "EUR", "en", "€1,234.56"),
    ("1234567.5", "EUR", "fr", "1\u202f234\u202f567,50\u00a0€"),
    ("-500", "EUR", "fr", "\u2212500,00\u00a0€"),
    ("-500", "EUR", "en", "-€500.00"),
    ("0.5", "CHF", "en", "0.50\u00a0CHF"),
    ("99.999", "USD", "fr", "100,00\u00a0USD"),
    ("12", "JPY", "en", "¥12"),
])
def test_amounts_are_written_the_readers_way(value, currency, language, expected):
    assert format_amount(Decimal(value), currency, language) == expected


def test_quantities_keep_their_decimals_without_trailing_zeros():
    assert format_number(Decimal("1.500"), "fr") == "1,5"
    assert format_number(Decimal("12000"), "en") == "12,000"
    assert format_number(Decimal("0.125"), "en") == "0.125"
    assert format_number(Decimal("1E+3"), "fr") == "1\u202f000"


def test_dates_are_dd_mm_yyyy_in_french_and_unambiguous_in_english():
    assert format_date(dt.date(2026, 3, 4), "fr") == "04/03/2026"
    assert format_date(dt.date(2026, 3, 4), "en") == "4 Mar 2026"


def test_iban_is_printed_in_groups_of_four():
    assert format_iban(IBAN) == "FR76 3000 6000 0112 3456 7890 189"
