"""Unpack the invoice XML of a Factur-X, ZUGFeRD or XRechnung-in-PDF file.

The PDF comes from outside: it is refused cleanly (a `PdfError` saying what is wrong, in
French and English) when it is not a PDF, is truncated or damaged, is encrypted, carries no
invoice XML, or carries something that is not XML; and it is never decompressed beyond the
size limit.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from typing import Literal

import pikepdf

from facturier.engine.errors import InputTooLarge, Message, PdfError
from facturier.engine.facturx import xmp as xmp_

Flavour = Literal["factur-x", "zugferd", "xrechnung"]

INVOICE_FILENAMES: tuple[str, ...] = ("factur-x.xml", "zugferd-invoice.xml", "ZUGFeRD-invoice.xml", "xrechnung.xml")
"""The names under which Factur-X, ZUGFeRD 1/2 and XRechnung embed the invoice, by priority."""
_FLAVOURS: dict[str, Flavour] = {
    "factur-x.xml": "factur-x",
    "zugferd-invoice.xml": "zugferd",
    "xrechnung.xml": "xrechnung",
}
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
"""Default cap on the PDF and on the decompressed XML (50 MiB)."""

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True, slots=True)
class Attachment:
    """The invoice XML found in a PDF, with what the PDF says about it."""

    filename: str
    """The attachment's name as written in the PDF (e.g. factur-x.xml)."""
    xml: bytes
    """The embedded file, byte for byte."""
    relationship: str | None
    """/AFRelationship of the file specification ("Alternative", "Data", "Source"…), if any."""
    conformance_level: str | None
    """fx:ConformanceLevel from the XMP metadata ("EN 16931", "BASIC WL"…), if present."""
    flavour: Flavour
    """Which convention named the attachment."""


def _error(fr: str, en: str, detail: str | None = None) -> PdfError:
    return PdfError(Message(fr=fr, en=en), detail=detail)


def _too_large(what_fr: str, what_en: str, size: int, limit: int) -> InputTooLarge:
    return InputTooLarge(
        Message(
            fr=f"{what_fr} dépasse la taille maximale acceptée ({limit} octets).",
            en=f"{what_en} exceeds the maximum accepted size ({limit} bytes).",
        ),
        detail=f"{size} bytes",
    )


def open_pdf(pdf: bytes) -> pikepdf.Pdf:
    """Open `pdf` without any repair attempt; PdfError when it is not a sound, clear PDF."""
    if b"%PDF-" not in pdf[:1024]:
        raise _error(
            fr="Le fichier n'est pas un PDF (en-tête %PDF- absent). Envoyez la facture au format PDF.",
            en="The file is not a PDF (no %PDF- header). Send the invoice as a PDF.",
        )
    if b"%%EOF" not in pdf[-1024:]:
        raise _error(
            fr="Le PDF est tronqué (marqueur de fin %%EOF absent) : le fichier a été coupé pendant "
            "l'envoi ou l'enregistrement. Demandez un nouvel envoi du fichier complet.",
            en="The PDF is truncated (no %%EOF end marker): the file was cut during transfer or "
            "saving. Ask for the complete file again.",
        )
    try:
        document = pikepdf.Pdf.open(io.BytesIO(pdf), attempt_recovery=False)
    except pikepdf.PasswordError as e:
        raise _encrypted(str(e)) from e
    except pikepdf.PdfError as e:
        raise _error(
            fr="Le PDF est endommagé et ne peut pas être lu (structure interne invalide ou "
            "fichier incomplet). Demandez un nouvel envoi du fichier.",
            en="The PDF is damaged and cannot be read (invalid internal structure or incomplete "
            "file). Ask for the file to be sent again.",
            detail=str(e)[:300],
        ) from e
    if document.is_encrypted:
        raise _encrypted("encrypted with an owner password")
    return document


def _encrypted(detail: str) -> PdfError:
    return _error(
        fr="Le PDF est chiffré : une facture Factur-X (PDF/A-3) ne peut pas l'être et son XML "
        "ne peut pas être lu de façon fiable. Demandez une version non protégée.",
        en="The PDF is encrypted: a Factur-X invoice (PDF/A-3) must not be, and its XML cannot "
        "be read reliably. Ask for an unprotected copy.",
        detail=detail,
    )


def _filespec_name(filespec: pikepdf.Object) -> str | None:
    for key in ("/UF", "/F"):
        value = filespec.get(key)
        if isinstance(value, pikepdf.String):
            return str(value)
    return None


def _candidates(document: pikepdf.Pdf) -> list[tuple[str, pikepdf.Dictionary]]:
    """Every attached file specification with its name, catalog /AF first."""
    found: list[tuple[str, pikepdf.Dictionary]] = []
    for filespec in document.Root.get("/AF") or []:
        if isinstance(filespec, pikepdf.Dictionary) and (name := _filespec_name(filespec)):
            found.append((name, filespec))
    names = document.Root.get("/Names")
    tree = names.get("/EmbeddedFiles") if isinstance(names, pikepdf.Dictionary) else None
    if isinstance(tree, pikepdf.Dictionary):
        for key, filespec in pikepdf.NameTree(tree).items():
            if isinstance(filespec, pikepdf.Dictionary):
                found.append((_filespec_name(filespec) or key, filespec))
    return found


def _read_stream(stream: pikepdf.Stream, max_bytes: int) -> bytes:
    """The decoded stream, refusing to inflate past `max_bytes` (no decompression bomb)."""
    params = stream.get("/Params")
    declared = params.get("/Size") if isinstance(params, pikepdf.Dictionary) else None
    if isinstance(declared, int) and declared > max_bytes:
        raise _too_large("Le XML de la facture", "The invoice XML", int(declared), max_bytes)
    filters = stream.get("/Filter")
    if filters is None:
        data = stream.read_raw_bytes()
    elif filters == pikepdf.Name.FlateDecode and stream.get("/DecodeParms") is None:
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(stream.read_raw_bytes(), max_bytes + 1)
        except zlib.error as e:
            raise _error(
                fr="Le XML joint au PDF est compressé de façon invalide et ne peut pas être lu.",
                en="The XML attached to the PDF is wrongly compressed and cannot be read.",
                detail=str(e),
            ) from e
    else:
        data = stream.read_bytes()
    if len(data) > max_bytes:
        raise _too_large("Le XML de la facture", "The invoice XML", len(data), max_bytes)
    return data


def _looks_like_xml(data: bytes) -> bool:
    for bom in _BOMS:
        if data.startswith(bom):
            data = data[len(bom) :]
            break
    return data.lstrip(b" \t\r\n").startswith(b"<")


def unpack_facturx(pdf: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Attachment:
    """The invoice XML embedded in a Factur-X / ZUGFeRD / XRechnung PDF."""
    if len(pdf) > max_bytes:
        raise _too_large("Le PDF", "The PDF", len(pdf), max_bytes)
    try:
        document = open_pdf(pdf)
        candidates = _candidates(document)
        by_name = {name.lower(): (name, spec) for name, spec in reversed(candidates)}
        chosen = next((by_name[n.lower()] for n in INVOICE_FILENAMES if n.lower() in by_name), None)
        if chosen is None:
            others = sorted({name for name, _ in candidates})
            raise _error(
                fr="Le PDF ne contient pas de facture XML (pièce jointe factur-x.xml, "
                "zugferd-invoice.xml ou xrechnung.xml) : ce n'est pas une facture électronique "
                "Factur-X. Demandez le fichier Factur-X ou le XML de la facture.",
                en="The PDF carries no invoice XML (attachment factur-x.xml, zugferd-invoice.xml "
                "or xrechnung.xml): it is not a Factur-X e-invoice. Ask for the Factur-X file or "
                "the invoice XML.",
                detail=f"attachments: {others}" if others else "no attachment",
            )
        filename, filespec = chosen
        ef = filespec.get("/EF")
        stream = None
        if isinstance(ef, pikepdf.Dictionary):
            stream = ef.get("/UF") if isinstance(ef.get("/UF"), pikepdf.Stream) else ef.get("/F")
        if not isinstance(stream, pikepdf.Stream):
            raise _error(
                fr=f"La pièce jointe {filename} du PDF est vide (aucun fichier intégré).",
                en=f"The PDF attachment {filename} is empty (no embedded file).",
            )
        xml = _read_stream(stream, max_bytes)
        if not _looks_like_xml(xml):
            raise _error(
                fr=f"La pièce jointe {filename} du PDF n'est pas du XML : ce n'est pas une facture "
                "électronique lisible. Demandez un fichier Factur-X valide.",
                en=f"The PDF attachment {filename} is not XML: it is not a readable e-invoice. "
                "Ask for a valid Factur-X file.",
                detail=repr(xml[:16]),
            )
        relationship = filespec.get("/AFRelationship")
        level = None
        metadata = document.Root.get("/Metadata")
        if isinstance(metadata, pikepdf.Stream):
            try:
                level = xmp_.read_facts(metadata.read_bytes()).conformance_level
            except PdfError:
                level = None  # unreadable XMP does not hide a readable invoice
    except pikepdf.PdfError as e:
        raise _error(
            fr="Le PDF est endommagé et ne peut pas être lu. Demandez un nouvel envoi du fichier.",
            en="The PDF is damaged and cannot be read. Ask for the file to be sent again.",
            detail=str(e)[:300],
        ) from e
    return Attachment(
        filename=filename,
        xml=xml,
        relationship=str(relationship)[1:] if isinstance(relationship, pikepdf.Name) else None,
        conformance_level=level,
        flavour=_FLAVOURS[filename.lower()],
    )
