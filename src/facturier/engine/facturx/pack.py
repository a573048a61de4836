"""Pack a PDF/A-3 visual and a CII XML into a Factur-X file, as an incremental update.

The visual's bytes are never rewritten: the attachment, the new XMP packet and the new
catalog are appended after the original `%%EOF` with their own cross-reference section
(ISO 32000-1 §7.5.6), so the input stays a byte-for-byte prefix of the output. That keeps
packing cheap (no re-serialisation of fonts and pages) and leaves whatever the renderer
certified — PDF/A identification, output intent, embedded fonts — exactly as it was.

pikepdf (qpdf) only reads here: it cannot append an update, so the update is written by
hand from objects it parsed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zlib

import pikepdf

from facturier.engine.errors import Message, PdfError
from facturier.engine.facturx import xmp as xmp_
from facturier.engine.facturx.unpack import INVOICE_FILENAMES, open_pdf

LEVELS = ("MINIMUM", "BASIC WL", "BASIC", "EN 16931", "EXTENDED", "XRECHNUNG")
"""The values of fx:ConformanceLevel (Factur-X 1.0x, ZUGFeRD 2.x)."""
RELATIONSHIPS = ("Data", "Alternative", "Source")
"""The /AFRelationship values Factur-X allows for the invoice XML."""

_LEVEL_ALIASES = {level.replace(" ", "").lower(): level for level in LEVELS}
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF", re.S)
_INDIRECT_HEADER = re.compile(rb"\d+\s+\d+\s+obj\b")
_GUIDELINE = re.compile(rb"GuidelineSpecifiedDocumentContextParameter>\s*<(?:[\w.-]+:)?ID\b[^>]*>\s*([^<\s]+)")


def normalise_level(conformance_level: str) -> str:
    """'EN 16931' from 'EN 16931', 'en16931' or 'EN16931'; ValueError for an unknown level."""
    level = _LEVEL_ALIASES.get(conformance_level.replace(" ", "").replace("_", "").lower())
    if level is None:
        raise ValueError(f"unknown Factur-X conformance level {conformance_level!r}; one of {LEVELS}")
    return level


def _pdf_string(text: str) -> bytes:
    return pikepdf.String(text).unparse()


def _pdf_date(moment: dt.datetime) -> str:
    moment = moment.astimezone(dt.UTC)
    return f"D:{moment:%Y%m%d%H%M%S}+00'00'"


def _previous_xref(pdf: bytes) -> tuple[int, bool]:
    """Offset of the last cross-reference section, and whether it is a stream."""
    tail_start = max(0, len(pdf) - 2048)
    matches = list(_STARTXREF.finditer(pdf, tail_start))
    offset = int(matches[-1].group(1)) if matches else -1
    if 0 <= offset < len(pdf):
        if pdf.startswith(b"xref", offset):
            return offset, False
        if _INDIRECT_HEADER.match(pdf, offset):
            return offset, True
    raise PdfError(
        Message(
            fr="Le PDF n'a pas de table de références croisées lisible à la fin du fichier ; "
            "il ne peut pas être complété. Régénérez le PDF.",
            en="The PDF has no readable cross-reference section at its end, so it cannot be "
            "updated. Regenerate the PDF.",
        )
    )


def _names_of(filespec: pikepdf.Object) -> set[str]:
    names = set()
    for key in ("/UF", "/F"):
        value = filespec.get(key) if isinstance(filespec, pikepdf.Dictionary) else None
        if isinstance(value, pikepdf.String):
            names.add(str(value).lower())
    return names


def _dictionary(entries: dict[str, bytes]) -> bytes:
    return b"<<" + b"".join(pikepdf.Name(k).unparse() + b" " + v for k, v in entries.items()) + b">>"


def _kept_entries(obj: pikepdf.Object, *, without: tuple[str, ...]) -> dict[str, bytes]:
    return {k: obj.get(k).unparse() for k in obj if k not in without}


class _Update:
    """The objects of one incremental update, numbered and serialised."""

    def __init__(self, next_number: int):
        self.next_number = next_number
        self.objects: dict[int, tuple[int, bytes]] = {}

    def allocate(self) -> int:
        self.next_number += 1
        return self.next_number - 1

    def put(self, number: int, body: bytes, *, generation: int = 0) -> None:
        self.objects[number] = (generation, body)

    @staticmethod
    def stream(entries: dict[str, bytes], data: bytes) -> bytes:
        entries = {**entries, "/Length": str(len(data)).encode()}
        return _dictionary(entries) + b"\nstream\n" + data + b"\nendstream"

    def write(self, out: bytearray) -> dict[int, tuple[int, int]]:
        offsets = {}
        for number in sorted(self.objects):
            generation, body = self.objects[number]
            offsets[number] = (len(out), generation)
            out += b"%d %d obj\n%s\nendobj\n" % (number, generation, body)
        return offsets


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
    out += b"trailer\n" + _dictionary(trailer) + b"\n"
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
    out += b"%d 0 obj\n%s\nendobj\n" % (number, _Update.stream(entries, rows))
    return start


def level_of_guideline(xml: bytes) -> str | None:
    """The conformance level a CII's guideline id (BT-24) names, or None when it names none."""
    found = _GUIDELINE.search(xml, 0, 64 * 1024)
    if found is None:
        return None
    guideline = found.group(1).decode("ascii", "replace").lower()
    if "xrechnung" in guideline or "xeinkauf" in guideline:
        return "XRECHNUNG"
    for marker, level in (("extended", "EXTENDED"), ("basicwl", "BASIC WL"), ("minimum", "MINIMUM")):
        if marker in guideline:
            return level
    if guideline.endswith(":basic"):
        return "BASIC"
    if guideline == "urn:cen.eu:en16931:2017" or guideline.endswith(":en16931"):
        return "EN 16931"
    return None


def pack_facturx(
    pdf: bytes,
    xml: bytes,
    *,
    conformance_level: str,
    filename: str = "factur-x.xml",
    document_type: str = "INVOICE",
    relationship: str | None = None,
    modified: dt.datetime | None = None,
) -> bytes:
    """A Factur-X file: `pdf` (a PDF/A-3 visual) with `xml` attached, as an incremental update.

    `conformance_level` is the fx:ConformanceLevel ("EN 16931", "BASIC WL"…; "en16931" is
    accepted) and must agree with the XML's guideline id. `relationship` defaults to what
    Factur-X prescribes: Data for MINIMUM and BASIC WL, Alternative for the others.
    `modified` dates the attachment; by default the visual's own /ModDate, so that packing is
    reproducible. An invoice XML already attached (by the renderer, or by an earlier packing)
    is replaced, never duplicated; other attachments are kept.

    Raises ValueError for arguments the caller got wrong, PdfError for a visual that cannot
    be opened, is encrypted or is not declared PDF/A-3.
    """
    level = normalise_level(conformance_level)
    if relationship is None:
        relationship = "Data" if level in ("MINIMUM", "BASIC WL") else "Alternative"
    if relationship not in RELATIONSHIPS:
        raise ValueError(f"AFRelationship must be one of {RELATIONSHIPS}, not {relationship!r}")
    if not xml.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise ValueError("the invoice to attach is not XML")
    declared = level_of_guideline(xml)
    if declared is not None and declared != level:
        raise ValueError(f"conformance level {level!r} but the XML's guideline id names {declared!r}")

    document = open_pdf(pdf)
    previous_xref = _previous_xref(pdf)
    catalog = document.Root
    metadata = catalog.get("/Metadata")
    if not isinstance(metadata, pikepdf.Stream):
        raise PdfError(_NOT_PDFA, detail="no XMP metadata")
    current_xmp = metadata.read_bytes()
    pdfa_part = xmp_.read_facts(current_xmp).pdfa_part
    if pdfa_part != "3":
        raise PdfError(_NOT_PDFA, detail=f"pdfaid:part is {pdfa_part!r}")

    update = _Update(int(document.trailer.get("/Size", 0)))
    replaced = {name.lower() for name in INVOICE_FILENAMES} | {filename.lower()}
    filespec = _put_attachment(update, xml, filename, relationship, _mod_date(document, modified))
    names = _put_embedded_files(update, catalog.get("/Names"), replaced, filename, filespec)
    af = [f.unparse() for f in (catalog.get("/AF") or []) if not (_names_of(f) & replaced)]
    af.append(filespec)

    # The XMP packet, extended, under its own object number (streams are always indirect).
    new_xmp = xmp_.with_facturx(current_xmp, conformance_level=level, filename=filename, document_type=document_type)
    update.put(
        metadata.objgen[0],
        update.stream({"/Type": b"/Metadata", "/Subtype": b"/XML"}, new_xmp),
        generation=metadata.objgen[1],
    )

    # The catalog, same object number, everything else kept as it was.
    catalog_entries = _kept_entries(catalog, without=("/AF", "/Names", "/Metadata"))
    catalog_entries["/Metadata"] = metadata.unparse()
    catalog_entries["/Names"] = names
    catalog_entries["/AF"] = b"[" + b" ".join(af) + b"]"
    update.put(catalog.objgen[0], _dictionary(catalog_entries), generation=catalog.objgen[1])

    return _append(pdf, update, document, previous_xref)


def _mod_date(document: pikepdf.Pdf, modified: dt.datetime | None) -> str:
    if modified is not None:
        return _pdf_date(modified)
    info = document.trailer.get("/Info")
    info_date = info.get("/ModDate") if isinstance(info, pikepdf.Dictionary) else None
    return str(info_date) if isinstance(info_date, pikepdf.String) else _pdf_date(dt.datetime.now(dt.UTC))


def _put_attachment(update: _Update, xml: bytes, filename: str, relationship: str, mod_date: str) -> bytes:
    """Add the embedded file and its file specification; returns a reference to the latter."""
    params = {
        "/ModDate": _pdf_string(mod_date),
        "/Size": str(len(xml)).encode(),
        "/CheckSum": b"<" + hashlib.md5(xml).hexdigest().encode() + b">",  # ISO 32000 prescribes MD5
    }
    embedded = update.allocate()
    stream_entries = {
        "/Type": b"/EmbeddedFile",
        "/Subtype": b"/text#2Fxml",
        "/Filter": b"/FlateDecode",
        "/Params": _dictionary(params),
    }
    update.put(embedded, update.stream(stream_entries, zlib.compress(xml, 6)))
    filespec = update.allocate()
    filespec_entries = {
        "/Type": b"/Filespec",
        "/F": _pdf_string(filename),
        "/UF": _pdf_string(filename),
        "/Desc": _pdf_string("Factur-X invoice" if filename == "factur-x.xml" else "Invoice XML"),
        "/AFRelationship": b"/" + relationship.encode(),
        "/EF": b"<</F %d 0 R /UF %d 0 R>>" % (embedded, embedded),
    }
    update.put(filespec, _dictionary(filespec_entries))
    return b"%d 0 R" % filespec


def _put_embedded_files(
    update: _Update, names: pikepdf.Object | None, replaced: set[str], filename: str, filespec: bytes
) -> bytes:
    """A fresh flat /EmbeddedFiles name tree: the other attachments and ours.

    Returns the catalog's new /Names value: the same indirect reference when the names
    dictionary was indirect (its new version is in the update), else the dictionary itself.
    """
    entries: list[tuple[bytes, bytes, bytes]] = []  # (sort key, key, value)
    if isinstance(names, pikepdf.Dictionary) and isinstance(names.get("/EmbeddedFiles"), pikepdf.Dictionary):
        for key, value in pikepdf.NameTree(names.EmbeddedFiles).items():
            if key.lower() not in replaced and not (_names_of(value) & replaced):
                name = pikepdf.String(key)
                entries.append((bytes(name), name.unparse(), value.unparse()))
    name = pikepdf.String(filename)
    entries.append((bytes(name), name.unparse(), filespec))
    entries.sort()  # name trees are ordered by the bytes of their keys
    tree = update.allocate()
    update.put(tree, b"<</Names [" + b" ".join(k + b" " + v for _, k, v in entries) + b"]>>")

    is_dictionary = isinstance(names, pikepdf.Dictionary)
    names_entries = _kept_entries(names, without=("/EmbeddedFiles",)) if is_dictionary else {}
    names_entries["/EmbeddedFiles"] = b"%d 0 R" % tree
    if is_dictionary and names.is_indirect:
        update.put(names.objgen[0], _dictionary(names_entries), generation=names.objgen[1])
        return names.unparse()
    return _dictionary(names_entries)


def _append(pdf: bytes, update: _Update, document: pikepdf.Pdf, previous_xref: tuple[int, bool]) -> bytes:
    """The original bytes, then the update's objects, cross-reference section and trailer."""
    xref_offset, xref_is_stream = previous_xref
    out = bytearray(pdf)
    if not pdf.endswith((b"\n", b"\r")):
        out += b"\n"
    offsets = update.write(out)
    xref_number = update.allocate() if xref_is_stream else None
    trailer = {"/Size": str(update.next_number).encode(), "/Root": document.Root.unparse()}
    for key in ("/Info", "/ID"):
        if key in document.trailer:
            trailer[key] = document.trailer.get(key).unparse()
    trailer["/Prev"] = str(xref_offset).encode()
    if xref_number is not None:
        start = _write_xref_stream(out, offsets, trailer, xref_number)
    else:
        start = _write_xref_table(out, offsets, trailer)
    out += b"startxref\n%d\n%%%%EOF\n" % start
    return bytes(out)


_NOT_PDFA = Message(
    fr="Le PDF n'est pas déclaré PDF/A-3 (métadonnées XMP pdfaid) : un Factur-X exige un "
    "PDF/A-3. Produisez le visuel avec le standard PDF/A-3b.",
    en="The PDF is not declared PDF/A-3 (XMP pdfaid metadata): Factur-X requires PDF/A-3. "
    "Render the visual with the PDF/A-3b standard.",
)
