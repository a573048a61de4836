"""Incremental updates (ISO 32000-1 §7.5.6), written by hand from objects pikepdf parsed.

pikepdf (qpdf) reads PDFs fast but cannot append an update: it rewrites the whole file.
Packing a Factur-X and sealing one both need the input to stay a byte-for-byte prefix of
the output (the renderer's PDF/A certification, and for a seal the signature's coverage),
so both append their new and changed objects here: objects first, then a cross-reference
section of the same kind as the previous one (table or stream) and a trailer chaining to it.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pikepdf

from facturier.engine.errors import Message, PdfError

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF", re.S)
_INDIRECT_HEADER = re.compile(rb"\d+\s+\d+\s+obj\b")


def previous_xref(pdf: bytes) -> tuple[int, bool]:
    """Offset of the last cross-reference section, and whether it is a stream."""
    tail_start = max(0, len(pdf) - 2048)
    matches = list(_STARTXREF.finditer(pdf, tail_start))
    offset = int(matches[-1].group(1)) if matches else -1
    if 0 <= offset < len(pdf):
        if pdf.startswith(b"xref", offset):
            return offset, False
        if _INDIRECT_HEADER.match(pdf, offset):
            return offset, True
    raise PdfError(_NO_XREF)


def dictionary(entries: dict[str, bytes]) -> bytes:
    """A PDF dictionary from names and already serialised values."""
    return b"<<" + b"".join(pikepdf.Name(k).unparse() + b" " + v for k, v in entries.items()) + b">>"


def kept_entries(obj: pikepdf.Object, *, without: tuple[str, ...] = ()) -> dict[str, bytes]:
    """A parsed dictionary's entries, serialised (references stay references), but `without`."""
    return {k: unparse(obj.get(k)) for k in obj if k not in without}


def unparse(value) -> bytes:
    """PDF syntax for what pikepdf hands out: objects, or the Python scalars it converts to."""
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, Decimal | float):
        return format(Decimal(str(value)), "f").encode()  # PDF reals have no exponent
    return value.unparse()


def pdf_string(text: str) -> bytes:
    return pikepdf.String(text).unparse()


def pdf_date(moment: dt.datetime) -> str:
    """A PDF date string's text (ISO 32000-1 §7.9.4), in UTC."""
    return f"D:{moment.astimezone(dt.UTC):%Y%m%d%H%M%S}+00'00'"


def reference(number: int, generation: int = 0) -> bytes:
    return b"%d %d R" % (number, generation)


class Update:
    """The objects of one incremental update, numbered and serialised."""

    def __init__(self, document: pikepdf.Pdf):
        self.document = document
        self.next_number = int(document.trailer.get("/Size", 0))
        self.objects: dict[int, tuple[int, bytes]] = {}
        self.offsets: dict[int, tuple[int, int]] = {}
        """Where `append_to` wrote each object, and its generation."""

    def allocate(self) -> int:
        self.next_number += 1
        return self.next_number - 1

    def put(self, number: int, body: bytes, *, generation: int = 0) -> None:
        self.objects[number] = (generation, body)

    def replace(self, obj: pikepdf.Object, body: bytes) -> None:
        """A new version of an existing indirect object, under its own number."""
        self.put(obj.objgen[0], body, generation=obj.objgen[1])

    def add(self, body: bytes) -> bytes:
        """A new object; returns a reference to it."""
        number = self.allocate()
        self.put(number, body)
        return reference(number)

    @staticmethod
    def stream(entries: dict[str, bytes], data: bytes) -> bytes:
        entries = {**entries, "/Length": str(len(data)).encode()}
        return dictionary(entries) + b"\nstream\n" + data + b"\nendstream"

    def append_to(self, pdf: bytes, *, trailer: dict[str, bytes] | None = None) -> bytearray:
        """The original bytes, then the objects, a cross-reference section and the trailer.

        `trailer` overrides entries of the previous trailer (/Root, /Info and /ID are kept).
        """
        xref_offset, xref_is_stream = previous_xref(pdf)
        out = bytearray(pdf)
        if not pdf.endswith((b"\n", b"\r")):
            out += b"\n"
        offsets = self.offsets
        for number in sorted(self.objects):
            generation, body = self.objects[number]
            offsets[number] = (len(out), generation)
            out += b"%d %d obj\n%s\nendobj\n" % (number, generation, body)
        xref_number = self.allocate() if xref_is_stream else None
        previous = self.document.trailer
        entries = {"/Size": str(self.next_number).encode(), "/Root": self.document.Root.unparse()}
        for key in ("/Info", "/ID"):
            if key in previous:
                entries[key] = previous.get(key).unparse()
        entries.update(trailer or {})
        entries["/Prev"] = str(xref_offset).encode()
        if xref_number is not None:
            start = _write_xref_stream(out, offsets, entries, xref_number)
        else:
            start = _write_xref_table(out, offsets, entries)
        out += b"startxref\n%d\n%%%%EOF\n" % start
        return out


def _subsections(numbers: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for n in numbers:
        if runs and runs[-1][-1] + 1 == n:
            runs[-1].append(n)
        else:
            runs.append([n])
    return runs


def _write_xref_table(out: bytearray, offsets: dict[int, tuple[int, int]], trailer: dict[str, bytes]) -> int:
    start = len(out)
    # Object 0's free entry again, as Acrobat writes it: some readers (pypdf) take a section
    # that does not start at 0 for a wrongly numbered table.
    out += b"xref\n0 1\n0000000000 65535 f\r\n"
    for run in _subsections(sorted(offsets)):
        out += b"%d %d\n" % (run[0], len(run))
        for n in run:
            offset, generation = offsets[n]
            out += b"%010d %05d n\r\n" % (offset, generation)
    out += b"trailer\n" + dictionary(trailer) + b"\n"
    return start


def _write_xref_stream(
    out: bytearray, offsets: dict[int, tuple[int, int]], trailer: dict[str, bytes], number: int
) -> int:
    start = len(out)
    offsets = {**offsets, number: (start, 0)}
    runs = _subsections(sorted(offsets))
    rows = b"".join(
        b"\x01" + offsets[n][0].to_bytes(4, "big") + offsets[n][1].to_bytes(2, "big") for run in runs for n in run
    )
    index = b"[" + b" ".join(b"%d %d" % (run[0], len(run)) for run in runs) + b"]"
    entries = {"/Type": b"/XRef", **trailer, "/W": b"[1 4 2]", "/Index": index}
    out += b"%d 0 obj\n%s\nendobj\n" % (number, Update.stream(entries, rows))
    return start


_NO_XREF = Message(
    fr="Le PDF n'a pas de table de références croisées lisible à la fin du fichier ; "
    "il ne peut pas être complété. Régénérez le PDF.",
    en="The PDF has no readable cross-reference section at its end, so it cannot be "
    "updated. Regenerate the PDF.",
)
