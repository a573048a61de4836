"""The EPC QR code of a SEPA credit transfer (EPC069-12 version 002), as a payload and an SVG.

A banking app that scans it pre-fills the transfer: beneficiary, IBAN, amount and the
reference the seller wants to see on the statement. Version 002 makes the BIC optional
inside the EEA, and character set 1 is UTF-8. The spec asks for error correction level M.
"""

from __future__ import annotations

import re
import struct
import zlib
from decimal import Decimal
from functools import cache, lru_cache

from stdnum import iban as iban_

__all__ = ["EpcError", "epc_payload", "qr_matrix", "qr_png", "qr_svg"]

MAX_PAYLOAD_BYTES = 331
"""EPC069-12 §5: the whole payload is at most 331 bytes."""
MAX_AMOUNT = Decimal("999999999.99")
_RF_REFERENCE = re.compile(r"^RF\d{2}[0-9A-Z]{1,21}$")
# A fixed mask spares qrcode's search of the best of eight (6 ms of the ~8 it takes): every
# mask is valid ISO/IEC 18004 and phones read the EPC codes made this way.
_MASK = 2


class EpcError(ValueError):
    """The data cannot make a valid EPC QR code (wrong IBAN, amount out of range, too long)."""


def _clip(text: str | None, size: int) -> str:
    text = " ".join((text or "").split())
    return text[:size]


def epc_payload(
    *,
    name: str,
    iban: str,
    amount: Decimal,
    remittance: str | None = None,
    bic: str | None = None,
    currency: str = "EUR",
    purpose: str | None = None,
    information: str | None = None,
) -> str:
    """The EPC069-12 v002 text: BCD / 002 / 1 / SCT / BIC / name / IBAN / EUR amount / purpose /
    structured reference (an ISO 11649 "RF…" reference) or unstructured remittance / information.
    """
    if currency != "EUR":
        raise EpcError("the EPC QR code is for euro transfers only")
    account = iban_.compact(iban or "")
    if not iban_.is_valid(account):
        raise EpcError(f"not a valid IBAN: {iban!r}")
    if not (Decimal("0.01") <= amount <= MAX_AMOUNT):
        raise EpcError(f"amount out of the EPC range 0.01–999999999.99: {amount}")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise EpcError(f"amount with more than two decimals: {amount}")
    beneficiary = _clip(name, 70)
    if not beneficiary:
        raise EpcError("the beneficiary name is missing")
    reference = _clip(remittance, 140)
    compact_ref = reference.replace(" ", "").upper()
    structured = compact_ref if _RF_REFERENCE.match(compact_ref) else ""
    fields = [
        "BCD",
        "002",
        "1",
        "SCT",
        (bic or "").replace(" ", "").upper(),
        beneficiary,
        account,
        f"EUR{amount:.2f}",
        _clip(purpose, 4),
        structured,
        "" if structured else reference,
        _clip(information, 70),
    ]
    while fields and not fields[-1]:
        fields.pop()
    payload = "\n".join(fields)
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        raise EpcError("the EPC QR payload exceeds 331 bytes")
    return payload


# --- QR encoding ------------------------------------------------------------------------------
# qrcode builds the bit stream one bit at a time and divides polynomials with objects: 1.2 ms
# a code, a quarter of an invoice's render budget. Here the parts that depend only on the
# version (function patterns, the order in which data modules are visited, the mask over
# them) are taken from qrcode once per version, and each payload only costs its byte-mode
# bit stream, the Reed-Solomon remainders and one pass over the data modules. The tests
# compare the result with qrcode's own matrix module by module.

_EXP = [0] * 512
_LOG = [0] * 256
_x = 1
for _i in range(255):
    _EXP[_i] = _x
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0x100:
        _x ^= 0x11D
for _i in range(255, 512):
    _EXP[_i] = _EXP[_i - 255]


@cache
def _generator(degree: int) -> tuple[int, ...]:
    """Coefficients (highest first, leading 1 dropped) of ∏ (x − αⁱ), i < degree."""
    poly = [1]
    for i in range(degree):
        nxt = [0] * (len(poly) + 1)
        for j, coef in enumerate(poly):
            nxt[j] ^= coef
            if coef:
                nxt[j + 1] ^= _EXP[_LOG[coef] + i]
        poly = nxt
    return tuple(poly[1:])


def _rs_remainder(data: bytes, degree: int) -> list[int]:
    generator = [_LOG[g] for g in _generator(degree)]
    rem = [0] * degree
    for byte in data:
        factor = byte ^ rem[0]
        rem = rem[1:] + [0]
        if factor:
            lf = _LOG[factor]
            for i, lg in enumerate(generator):
                rem[i] ^= _EXP[lf + lg]
    return rem


@cache
def _blocks(version: int) -> tuple[tuple[int, int], ...]:
    """(total, data) codewords of each block at level M."""
    import qrcode.base  # here, not at start-up: only rendering a PDF with a QR code needs it
    from qrcode.constants import ERROR_CORRECT_M

    return tuple((b.total_count, b.data_count) for b in qrcode.base.rs_blocks(version, ERROR_CORRECT_M))


@cache
def _layout(version: int) -> tuple[tuple[tuple[bool | None, ...], ...], tuple[tuple[int, int, bool], ...]]:
    """The version's function patterns (None where data go) and the data modules in placement
    order, each with whether the mask flips it."""
    import qrcode
    import qrcode.util
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(version=version, error_correction=ERROR_CORRECT_M, border=0, mask_pattern=_MASK)
    n = code.modules_count = version * 4 + 17
    code.modules = [[None] * n for _ in range(n)]
    code.setup_position_probe_pattern(0, 0)
    code.setup_position_probe_pattern(n - 7, 0)
    code.setup_position_probe_pattern(0, n - 7)
    code.setup_position_adjust_pattern()
    code.setup_timing_pattern()
    code.setup_type_info(False, _MASK)
    if version >= 7:
        code.setup_type_number(False)
    mask = qrcode.util.mask_func(_MASK)
    order = []
    row, step = n - 1, -1
    for right in range(n - 1, 0, -2):
        col = right - 1 if right <= 6 else right  # column 6 is the vertical timing pattern
        while True:
            for c in (col, col - 1):
                if code.modules[row][c] is None:
                    order.append((row, c, bool(mask(row, c))))
            row += step
            if row < 0 or row >= n:
                row -= step
                step = -step
                break
    return tuple(tuple(r) for r in code.modules), tuple(order)


def _codewords(data: bytes) -> tuple[int, bytes]:
    """(version, final interleaved codewords) of `data` in byte mode at level M."""
    for version in range(1, 41):
        count_bits = 8 if version < 10 else 16
        capacity = sum(d for _, d in _blocks(version)) * 8
        used = 4 + count_bits + 8 * len(data)
        if used <= capacity:
            break
    else:
        raise EpcError("the payload is too long for a QR code")
    stream = ((0b0100 << count_bits | len(data)) << 8 * len(data)) | int.from_bytes(data, "big")
    bits = used + min(4, capacity - used)  # terminator
    bits += -bits % 8
    stream <<= bits - used
    body = stream.to_bytes(bits // 8, "big")
    pad = bytes((0xEC, 0x11)) * (capacity // 16 + 1)
    body += pad[: capacity // 8 - len(body)]
    blocks, ecc, offset = [], [], 0
    for total, size in _blocks(version):
        block = body[offset:offset + size]
        offset += size
        blocks.append(block)
        ecc.append(_rs_remainder(block, total - size))
    out = bytearray()
    for i in range(max(len(b) for b in blocks)):
        out.extend(b[i] for b in blocks if i < len(b))
    for i in range(max(len(e) for e in ecc)):
        out.extend(e[i] for e in ecc if i < len(e))
    return version, bytes(out)


@lru_cache(maxsize=256)
def qr_matrix(payload: str) -> tuple[tuple[bool, ...], ...]:
    """The QR modules (True = dark), without quiet zone, at error correction level M, byte mode."""
    version, codewords = _codewords(payload.encode("utf-8"))
    template, order = _layout(version)
    modules = [list(row) for row in template]
    stream = int.from_bytes(codewords, "big")
    total = 8 * len(codewords)
    for k, (r, c, flip) in enumerate(order):
        dark = k < total and (stream >> (total - 1 - k)) & 1 == 1
        modules[r][c] = dark != flip
    return tuple(tuple(row) for row in modules)


@lru_cache(maxsize=256)
def qr_svg(payload: str, *, quiet_zone: int = 4) -> str:
    """The QR code as a small SVG: one path of horizontal runs, one unit per module."""
    matrix = qr_matrix(payload)
    size = len(matrix) + 2 * quiet_zone
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        width = len(row)
        while x < width:
            if row[x]:
                start = x
                while x < width and row[x]:
                    x += 1
                runs.append(f"M{start + quiet_zone} {y + quiet_zone}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@lru_cache(maxsize=256)
def qr_png(payload: str, *, quiet_zone: int = 4, scale: int = 4) -> bytes:
    """The QR code as a 1-bit PNG, `scale` pixels a module, so that it stays sharp even in a
    viewer that smooths images (Typst also marks it not to be interpolated). Typst lays a
    small PNG out in a fraction of the time an SVG path of a few hundred runs takes."""
    matrix = qr_matrix(payload)
    size = (len(matrix) + 2 * quiet_zone) * scale
    width = (size + 7) // 8
    white = "1" * (quiet_zone * scale)
    dark_run, light_run = "0" * scale, "1" * scale  # 1-bit grey: 1 is white
    blank = b"\x00" + ((1 << 8 * width) - 1).to_bytes(width, "big")
    raw = bytearray(blank * (quiet_zone * scale))
    for row in matrix:
        bits = white + "".join(dark_run if dark else light_run for dark in row) + white
        raw += (b"\x00" + int(bits.ljust(8 * width, "1"), 2).to_bytes(width, "big")) * scale
    raw += blank * (quiet_zone * scale)
    header = struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", zlib.compress(bytes(raw), 6))
            + _png_chunk(b"IEND", b""))
