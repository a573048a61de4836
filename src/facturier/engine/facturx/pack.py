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
from facturier.engine.pdf.incremental import Update, dictionary, kept_entries, pdf_date, pdf_string

LEVELS = ("MINIMUM", "BASIC WL", "BASIC", "EN 16931", "EXTENDED", "XRECHNUNG")
"""The values of fx:ConformanceLevel (Factur-X 1.0x, ZUGFeRD 2.x)."""
RELATIONSHIPS = ("Data", "Alternative", "Source")
"""The /AFRelationship values Factur-X allows for the invoice XML."""

_LEVEL_ALIASES = {level.replace(" ", "").lower(): level for level in LEVELS}
_GUIDELINE = re.compile(rb"GuidelineSpecifiedDocumentContextParameter>\s*<(?:[\w.-]+:)?ID\b[^>]*>\s*([^<\s]+)")


def normalise_level(conformance_level: str) -> str:
    """'EN 16931' from 'EN 16931', 'en16931' or 'EN16931'; ValueError for an unknown level."""
    level = _LEVEL_ALIASES.get(conformance_level.replace(" ", "").replace("_", "").lower())
    if level is None:
        raise ValueError(f"unknown Factur-X conformance level {conformance_level!r}; one of {LEVELS}")
    return level


def _names_of(filespec: pikepdf.Object) -> set[str]:
    names = set()
    for key in ("/UF", "/F"):
        value = filespec.get(key) if isinstance(filespec, pikepdf.Dictionary) else None
        if isinstance(value, pikepdf.String):
            names.add(str(value).lower())
    return names


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
    catalog = document.Root
    metadata = catalog.get("/Metadata")
    if not isinstance(metadata, pikepdf.Stream):
        raise PdfError(_NOT_PDFA, detail="no XMP metadata")
    current_xmp = metadata.read_bytes()
    pdfa_part = xmp_.read_facts(current_xmp).pdfa_part
    if pdfa_part != "3":
        raise PdfError(_NOT_PDFA, detail=f"pdfaid:part is {pdfa_part!r}")

    update = Update(document)
    replaced = {name.lower() for name in INVOICE_FILENAMES} | {filename.lower()}
    if modified is not None or not _attached_as_is(catalog, xml, filename, relationship, replaced):
        filespec = _put_attachment(update, xml, filename, relationship, _mod_date(document, modified))
        names = _put_embedded_files(update, catalog.get("/Names"), replaced, filename, filespec)
        af = [f.unparse() for f in (catalog.get("/AF") or []) if not (_names_of(f) & replaced)]
        af.append(filespec)
        # The catalog, same object number, everything else kept as it was.
        catalog_entries = kept_entries(catalog, without=("/AF", "/Names"))
        catalog_entries["/Names"] = names
        catalog_entries["/AF"] = b"[" + b" ".join(af) + b"]"
        update.replace(catalog, dictionary(catalog_entries))

    # The XMP packet, extended, under its own object number (streams are always indirect).
    new_xmp = xmp_.with_facturx(current_xmp, conformance_level=level, filename=filename, document_type=document_type)
    update.replace(metadata, update.stream({"/Type": b"/Metadata", "/Subtype": b"/XML"}, new_xmp))

    return bytes(update.append_to(pdf))


def _embedded_files(names: pikepdf.Object | None) -> list[tuple[str, pikepdf.Object]]:
    """The (name, file specification) pairs of a /Names dictionary's /EmbeddedFiles tree."""
    tree = names.get("/EmbeddedFiles") if isinstance(names, pikepdf.Dictionary) else None
    return list(pikepdf.NameTree(tree).items()) if isinstance(tree, pikepdf.Dictionary) else []


def _is_invoice(name: str, filespec: pikepdf.Object, replaced: set[str]) -> bool:
    """Whether an attachment is an invoice XML that packing replaces (by its key or its file names)."""
    return name.lower() in replaced or bool(_names_of(filespec) & replaced)


def _attached_as_is(catalog: pikepdf.Object, xml: bytes, filename: str, relationship: str, replaced: set[str]) -> bool:
    """Whether the renderer already attached exactly this XML as Factur-X wants it.

    Typst attaches the XML while it renders (DESIGN.md: the attachment is Typst's, packing
    only adds the XMP); compressing and embedding it a second time would double the work
    and leave a dead copy in the file. Kept only when it is the one invoice attachment, in
    both /AF and the name tree, under `filename`, with `relationship`, typed text/xml and
    byte for byte `xml`.
    """
    invoices = [f for f in (catalog.get("/AF") or []) if _names_of(f) & replaced]
    listed = [v for k, v in _embedded_files(catalog.get("/Names")) if _is_invoice(k, v, replaced)]
    if len(invoices) != 1 or len(listed) != 1 or not invoices[0].is_indirect or listed[0].objgen != invoices[0].objgen:
        return False
    filespec = invoices[0]
    embedded = filespec.get("/EF", {}).get("/F")
    return (
        _names_of(filespec) == {filename.lower()}
        and filespec.get("/AFRelationship") == pikepdf.Name("/" + relationship)
        and isinstance(embedded, pikepdf.Stream)
        and embedded.get("/Subtype") == pikepdf.Name("/text/xml")
        and embedded.read_bytes() == xml
    )


def _mod_date(document: pikepdf.Pdf, modified: dt.datetime | None) -> str:
    if modified is not None:
        return pdf_date(modified)
    info = document.trailer.get("/Info")
    info_date = info.get("/ModDate") if isinstance(info, pikepdf.Dictionary) else None
    return str(info_date) if isinstance(info_date, pikepdf.String) else pdf_date(dt.datetime.now(dt.UTC))


def _put_attachment(update: Update, xml: bytes, filename: str, relationship: str, mod_date: str) -> bytes:
    """Add the embedded file and its file specification; returns a reference to the latter."""
    params = {
        "/ModDate": pdf_string(mod_date),
        "/Size": str(len(xml)).encode(),
        "/CheckSum": b"<" + hashlib.md5(xml).hexdigest().encode() + b">",  # ISO 32000 prescribes MD5
    }
    embedded = update.allocate()
    stream_entries = {
        "/Type": b"/EmbeddedFile",
        "/Subtype": b"/text#2Fxml",
        "/Filter": b"/FlateDecode",
        "/Params": dictionary(params),
    }
    update.put(embedded, update.stream(stream_entries, zlib.compress(xml, 6)))
    filespec = update.allocate()
    filespec_entries = {
        "/Type": b"/Filespec",
        "/F": pdf_string(filename),
        "/UF": pdf_string(filename),
        "/Desc": pdf_string("Factur-X invoice" if filename == "factur-x.xml" else "Invoice XML"),
        "/AFRelationship": b"/" + relationship.encode(),
        "/EF": b"<</F %d 0 R /UF %d 0 R>>" % (embedded, embedded),
    }
    update.put(filespec, dictionary(filespec_entries))
    return b"%d 0 R" % filespec


def _put_embedded_files(
    update: Update, names: pikepdf.Object | None, replaced: set[str], filename: str, filespec: bytes
) -> bytes:
    """A fresh flat /EmbeddedFiles name tree: the other attachments and ours.

    Returns the catalog's new /Names value: the same indirect reference when the names
    dictionary was indirect (its new version is in the update), else the dictionary itself.
    """
    entries: list[tuple[bytes, bytes, bytes]] = []  # (sort key, key, value)
    for key, value in _embedded_files(names):
        if not _is_invoice(key, value, replaced):
            name = pikepdf.String(key)
            entries.append((bytes(name), name.unparse(), value.unparse()))
    name = pikepdf.String(filename)
    entries.append((bytes(name), name.unparse(), filespec))
    entries.sort()  # name trees are ordered by the bytes of their keys
    tree = update.allocate()
    update.put(tree, b"<</Names [" + b" ".join(k + b" " + v for _, k, v in entries) + b"]>>")

    is_dictionary = isinstance(names, pikepdf.Dictionary)
    names_entries = kept_entries(names, without=("/EmbeddedFiles",)) if is_dictionary else {}
    names_entries["/EmbeddedFiles"] = b"%d 0 R" % tree
    if is_dictionary and names.is_indirect:
        update.replace(names, dictionary(names_entries))
        return names.unparse()
    return dictionary(names_entries)


_NOT_PDFA = Message(
    fr="Le PDF n'est pas déclaré PDF/A-3 (métadonnées XMP pdfaid) : un Factur-X exige un "
    "PDF/A-3. Produisez le visuel avec le standard PDF/A-3b.",
    en="The PDF is not declared PDF/A-3 (XMP pdfaid metadata): Factur-X requires PDF/A-3. "
    "Render the visual with the PDF/A-3b standard.",
)
