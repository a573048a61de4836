"""Check a Factur-X / ZUGFeRD PDF as a container, as Factur-X 1.09 and PDF/A-3 require.

The official schematron rules judge only the embedded XML; this check judges what wraps it.
It returns findings in the one report type, under the check name "facturx-container", with
rule ids of its own:

| rule | what it checks |
|---|---|
| FX-PDF-01 | PDF version: header (or catalog /Version) 1.x up to 1.7; PDF/A-3 is based on PDF 1.7, 2.0 is refused |
| FX-PDF-02 | no encryption |
| FX-PDF-03 | XMP metadata present and readable, pdfaid:part = 3 |
| FX-PDF-04 | pdfaid:conformance B, U or A |
| FX-PDF-05 | an output intent /GTS_PDFA1 with a destination ICC profile |
| FX-PDF-06 | every font of the pages embedded (Type 3 excepted) |
| FX-PDF-10 | an invoice XML attached (factur-x.xml, zugferd-invoice.xml, ZUGFeRD-invoice.xml, xrechnung.xml) |
| FX-PDF-11 | the attachment's name suits its XMP namespace; the file specification carries /F and /UF |
| FX-PDF-12 | the embedded file's MIME type is text/xml (/Subtype /text#2Fxml) |
| FX-PDF-13 | /AFRelationship Data, Source or Alternative |
| FX-PDF-14 | the attachment is referenced by the catalog /AF array |
| FX-PDF-15 | the attachment is in the /EmbeddedFiles name tree |
| FX-PDF-16 | one invoice XML only: no two invoice attachments (or a name tree and an /AF array) that differ |
| FX-PDF-20 | XMP DocumentType INVOICE |
| FX-PDF-21 | XMP DocumentFileName names the attachment |
| FX-PDF-22 | XMP Version present |
| FX-PDF-23 | XMP ConformanceLevel is a Factur-X level |
| FX-PDF-24 | XMP ConformanceLevel agrees with the XML's guideline id (BT-24) |
| FX-PDF-25 | a PDF/A extension schema describes the invoice properties of the XMP |

Reading the PDF costs a parse of its cross-reference table and of a few objects (the catalog,
the XMP packet, the attachments, the page fonts): a millisecond or two for an invoice.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pikepdf

from facturier.engine.errors import Message, PdfError
from facturier.engine.facturx import xmp as xmp_
from facturier.engine.facturx.pack import LEVELS, RELATIONSHIPS, level_of_guideline, normalise_level
from facturier.engine.facturx.unpack import (
    DEFAULT_MAX_BYTES,
    INVOICE_FILENAMES,
    _filespec_name,
    _looks_like_xml,
    _read_stream,
    _too_large,
    open_pdf,
)
from facturier.engine.validation.report import Finding, Report, Severity

CHECK = "facturx-container"
"""The name this check goes by in a report's `checks` and in its findings' `source`."""

_HEADER = re.compile(rb"%PDF-(\d+)\.(\d+)")
_INVOICE_NAMES = {name.lower(): name for name in INVOICE_FILENAMES}
_OLD_LEVELS = ("COMFORT",)
"""ZUGFeRD 1's name for its middle level: known, but it agrees with no Factur-X guideline id."""


@dataclass(frozen=True, slots=True)
class _Attached:
    """One invoice XML file specification found in the PDF."""

    name: str
    filespec: pikepdf.Dictionary
    where: str
    """"/AF" or "/EmbeddedFiles"."""


def _name(value: object) -> str | None:
    """A PDF name as written, without its slash (#2F escapes kept); None when `value` is not a name."""
    if not isinstance(value, pikepdf.Name):
        return None
    return value.unparse().decode("utf-8", "replace")[1:]  # str() raises on a name that is not UTF-8


_WHERE = {
    "FX-PDF-01": "PDF header",
    "FX-PDF-02": "trailer /Encrypt",
    "FX-PDF-03": "XMP pdfaid:part",
    "FX-PDF-04": "XMP pdfaid:conformance",
    "FX-PDF-05": "catalog /OutputIntents",
    "FX-PDF-06": "page /Resources /Font",
    "FX-PDF-10": "catalog /Names /EmbeddedFiles, /AF",
    "FX-PDF-11": "attachment /F /UF",
    "FX-PDF-12": "attachment /EF /Subtype",
    "FX-PDF-13": "attachment /AFRelationship",
    "FX-PDF-14": "catalog /AF",
    "FX-PDF-15": "catalog /Names /EmbeddedFiles",
    "FX-PDF-16": "catalog /Names /EmbeddedFiles, /AF",
    "FX-PDF-20": "XMP DocumentType",
    "FX-PDF-21": "XMP DocumentFileName",
    "FX-PDF-22": "XMP Version",
    "FX-PDF-23": "XMP ConformanceLevel",
    "FX-PDF-24": "XMP ConformanceLevel",
    "FX-PDF-25": "XMP pdfaExtension:schemas",
}
"""Where in the PDF each rule looks (the finding's `path`: a container has no semantic-model path)."""


def _finding(rule: str, fr: str, en: str, where: str | None = None) -> Finding:
    return Finding(rule=rule, severity=Severity.FATAL, message=Message(fr=fr, en=en), path=where or _WHERE[rule],
                   source=CHECK)


def check_container(pdf: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Report:
    """The container findings of a Factur-X / ZUGFeRD PDF (an empty report when it is sound).

    Raises PdfError only for bytes that cannot be read as a PDF at all (not a PDF, truncated,
    damaged), InputTooLarge beyond `max_bytes` (the PDF, or the XML once inflated); an
    encrypted PDF is a finding, FX-PDF-02, not an error.
    """
    if len(pdf) > max_bytes:
        raise _too_large("Le PDF", "The PDF", len(pdf), max_bytes)
    findings: list[Finding] = []
    findings += _version(pdf)
    try:
        document = pikepdf.Pdf.open(io.BytesIO(pdf), attempt_recovery=False)
    except pikepdf.PasswordError:
        return Report.of([*findings, _encrypted()], CHECK)
    except pikepdf.PdfError as e:
        open_pdf(pdf)  # raises the reader's own message (not a PDF, truncated, damaged)
        raise _damaged(e) from e
    with document:
        if document.is_encrypted:
            findings.append(_encrypted())
        try:
            findings += _catalog_version(document)
            facts, xmp_findings = _xmp(document)
            findings += xmp_findings
            findings += _output_intent(document)
            findings += _fonts(document)
            findings += _attachment(document, facts, max_bytes)
        except pikepdf.PdfError as e:  # objects are read lazily: damage shows only now
            raise _damaged(e) from e
    return Report.of(findings, CHECK)


def _damaged(e: Exception) -> PdfError:
    return PdfError(
        Message(
            fr="Le PDF est endommagé et ne peut pas être lu. Demandez un nouvel envoi du fichier.",
            en="The PDF is damaged and cannot be read. Ask for the file to be sent again.",
        ),
        detail=str(e)[:300],
    )


# --- PDF/A-3 ---------------------------------------------------------------------------------


def _version(pdf: bytes) -> list[Finding]:
    found = _HEADER.search(pdf, 0, 1024)
    if found is None:
        return []  # not a PDF at all: open_pdf says so
    version = (int(found.group(1)), int(found.group(2)))
    return [] if version[0] == 1 and version[1] <= 7 else [_bad_version(f"{version[0]}.{version[1]}", "PDF header")]


def _catalog_version(document: pikepdf.Pdf) -> list[Finding]:
    value = _name(document.Root.get("/Version"))
    if value is None:
        return []
    major, _, minor = value.partition(".")
    if major == "1" and minor.isdigit() and int(minor) <= 7:
        return []
    return [_bad_version(value, "catalog /Version")]


_WHERE_FR = {"PDF header": "en-tête du fichier", "catalog /Version": "/Version du catalogue"}


def _bad_version(version: str, where: str) -> Finding:
    return _finding(
        "FX-PDF-01",
        where=where,
        fr=f"Le PDF est marqué version {version} ({_WHERE_FR[where]}) : PDF/A-3, et donc Factur-X, repose sur PDF 1.7 "
        "(PDF 2.0 n'est pas admis). Produisez le fichier en PDF 1.7 au plus.",
        en=f"The PDF is marked version {version} ({where}): PDF/A-3, hence Factur-X, is based on PDF 1.7 "
        "(PDF 2.0 is not allowed). Produce the file as PDF 1.7 at most.",
    )


def _encrypted() -> Finding:
    return _finding(
        "FX-PDF-02",
        fr="Le PDF est chiffré : PDF/A-3, et donc Factur-X, interdit le chiffrement, et son XML ne peut pas "
        "être lu de façon fiable. Demandez une version non protégée.",
        en="The PDF is encrypted: PDF/A-3, hence Factur-X, forbids encryption, and its XML cannot be read "
        "reliably. Ask for an unprotected copy.",
    )


def _xmp(document: pikepdf.Pdf) -> tuple[xmp_.XmpFacts | None, list[Finding]]:
    metadata = document.Root.get("/Metadata")
    if not isinstance(metadata, pikepdf.Stream):
        return None, [_finding(
            "FX-PDF-03",
            fr="Le PDF n'a pas de métadonnées XMP : il ne se déclare pas PDF/A-3 et ne déclare pas sa facture "
            "Factur-X. Produisez-le en PDF/A-3 avec les métadonnées Factur-X.",
            en="The PDF has no XMP metadata: it declares neither PDF/A-3 nor its Factur-X invoice. "
            "Produce it as PDF/A-3 with the Factur-X metadata.",
        )]
    try:
        facts = xmp_.read_facts(metadata.read_bytes())
    except PdfError as e:
        return None, [_finding("FX-PDF-03", fr=e.message.fr, en=e.message.en)]
    findings = []
    if facts.pdfa_part != "3":
        findings.append(_finding(
            "FX-PDF-03",
            fr=f"Les métadonnées XMP déclarent pdfaid:part = {facts.pdfa_part or 'absent'} : un Factur-X est "
            "un PDF/A-3 (pdfaid:part = 3). Produisez le visuel au standard PDF/A-3.",
            en=f"The XMP metadata declares pdfaid:part = {facts.pdfa_part or 'missing'}: a Factur-X is a "
            "PDF/A-3 (pdfaid:part = 3). Produce the visual to the PDF/A-3 standard.",
        ))
    if facts.pdfa_conformance not in ("A", "B", "U"):
        findings.append(_finding(
            "FX-PDF-04",
            fr=f"Les métadonnées XMP déclarent pdfaid:conformance = {facts.pdfa_conformance or 'absent'} : "
            "PDF/A-3 exige B, U ou A.",
            en=f"The XMP metadata declares pdfaid:conformance = {facts.pdfa_conformance or 'missing'}: "
            "PDF/A-3 requires B, U or A.",
        ))
    return facts, findings


def _output_intent(document: pikepdf.Pdf) -> list[Finding]:
    intents = document.Root.get("/OutputIntents")
    for intent in intents if isinstance(intents, pikepdf.Array) else ():
        if (
            isinstance(intent, pikepdf.Dictionary)
            and intent.get("/S") == pikepdf.Name.GTS_PDFA1
            and isinstance(intent.get("/DestOutputProfile"), pikepdf.Stream)
        ):
            return []
    return [_finding(
        "FX-PDF-05",
        fr="Le PDF n'a pas de mode de sortie (OutputIntent) /GTS_PDFA1 avec un profil ICC de destination, "
        "qu'exige PDF/A-3. Produisez le visuel au standard PDF/A-3.",
        en="The PDF has no /GTS_PDFA1 output intent with a destination ICC profile, which PDF/A-3 requires. "
        "Produce the visual to the PDF/A-3 standard.",
    )]


def _fonts(document: pikepdf.Pdf) -> list[Finding]:
    missing: set[str] = set()
    seen: set[tuple[int, int]] = set()
    for page in document.pages:
        resources = page.obj.get("/Resources")
        fonts = resources.get("/Font") if isinstance(resources, pikepdf.Dictionary) else None
        if not isinstance(fonts, pikepdf.Dictionary):
            continue
        for _, font in fonts.items():
            if not isinstance(font, pikepdf.Dictionary) or font.get("/Subtype") == pikepdf.Name.Type3:
                continue
            if font.is_indirect:
                if font.objgen in seen:
                    continue
                seen.add(font.objgen)
            descriptor = font.get("/FontDescriptor")
            descendants = font.get("/DescendantFonts")
            if descriptor is None and isinstance(descendants, pikepdf.Array) and len(descendants):
                first = descendants[0]
                descriptor = first.get("/FontDescriptor") if isinstance(first, pikepdf.Dictionary) else None
            if not isinstance(descriptor, pikepdf.Dictionary) or not any(
                k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
            ):
                missing.add(_name(font.get("/BaseFont")) or "?")
    if not missing:
        return []
    names = ", ".join(sorted(missing))
    return [_finding(
        "FX-PDF-06",
        fr=f"Polices non intégrées au PDF : {names}. PDF/A-3 exige que chaque police soit intégrée.",
        en=f"Fonts not embedded in the PDF: {names}. PDF/A-3 requires every font to be embedded.",
    )]


# --- The invoice attachment and its XMP declaration ------------------------------------------


def _invoice_name(filespec: pikepdf.Object, key: str | None = None) -> str | None:
    """The invoice file name a file specification carries (by /UF, /F or its name-tree key), if any."""
    if not isinstance(filespec, pikepdf.Dictionary):
        return None
    for name in (_filespec_name(filespec), key):
        if name is not None and name.lower() in _INVOICE_NAMES:
            return name
    return None


def _attached(document: pikepdf.Pdf) -> list[_Attached]:
    """Every invoice XML file specification, from the name tree first, then from /AF."""
    found = []
    names = document.Root.get("/Names")
    tree = names.get("/EmbeddedFiles") if isinstance(names, pikepdf.Dictionary) else None
    if isinstance(tree, pikepdf.Dictionary):
        for key, filespec in pikepdf.NameTree(tree).items():
            if (name := _invoice_name(filespec, key)) is not None:
                found.append(_Attached(name, filespec, "/EmbeddedFiles"))
    af = document.Root.get("/AF")
    for filespec in af if isinstance(af, pikepdf.Array) else ():
        if (name := _invoice_name(filespec)) is not None:
            found.append(_Attached(name, filespec, "/AF"))
    return found


def _stream_of(filespec: pikepdf.Dictionary) -> pikepdf.Stream | None:
    ef = filespec.get("/EF")
    if not isinstance(ef, pikepdf.Dictionary):
        return None
    for key in ("/UF", "/F"):
        if isinstance(ef.get(key), pikepdf.Stream):
            return ef.get(key)
    return None


def _attachment(document: pikepdf.Pdf, facts: xmp_.XmpFacts | None, max_bytes: int) -> list[Finding]:
    attached = _attached(document)
    if not attached:
        return [_finding(
            "FX-PDF-10",
            fr="Le PDF ne contient pas de facture XML (pièce jointe factur-x.xml, ou zugferd-invoice.xml / "
            "xrechnung.xml pour ZUGFeRD et XRechnung) : ce n'est pas un Factur-X.",
            en="The PDF carries no invoice XML (attachment factur-x.xml, or zugferd-invoice.xml / "
            "xrechnung.xml for ZUGFeRD and XRechnung): it is not a Factur-X.",
        )] + _xmp_declaration(facts, None, None)
    # The invoice: the first by name priority, taken from the name tree when it is there.
    rank = {name: i for i, name in enumerate(_INVOICE_NAMES)}
    chosen = min(attached, key=lambda a: (rank[a.name.lower()], a.where != "/EmbeddedFiles"))
    contents: dict[tuple[int, int] | int, bytes | None] = {}

    def content(a: _Attached) -> bytes | None:
        # (a direct object's id is stable: `attached` keeps every wrapper alive until we return)
        key = a.filespec.objgen if a.filespec.is_indirect else id(a.filespec)
        if key not in contents:
            stream = _stream_of(a.filespec)
            contents[key] = _read_stream(stream, max_bytes) if stream is not None else None
        return contents[key]

    findings = _filespec(chosen, content(chosen))
    findings += _placement(document, chosen, attached)
    findings += _disagreements(chosen, attached, content)
    findings += _xmp_declaration(facts, chosen.name, content(chosen))
    return findings


def _filespec(chosen: _Attached, xml: bytes | None) -> list[Finding]:
    name, filespec = chosen.name, chosen.filespec
    findings = []
    stream = _stream_of(filespec)
    if stream is None or xml is None or not _looks_like_xml(xml):
        findings.append(_finding(
            "FX-PDF-10",
            fr=f"La pièce jointe {name} du PDF n'est pas un fichier XML lisible (fichier intégré absent ou "
            "d'un autre type) : ce n'est pas une facture Factur-X.",
            en=f"The PDF attachment {name} is not a readable XML file (no embedded file, or another kind of "
            "file): it is not a Factur-X invoice.",
        ))
    if not (isinstance(filespec.get("/F"), pikepdf.String) and isinstance(filespec.get("/UF"), pikepdf.String)):
        findings.append(_finding(
            "FX-PDF-11",
            fr=f"La spécification de fichier de {name} n'a pas à la fois /F et /UF, qu'exige PDF/A-3.",
            en=f"The file specification of {name} lacks /F or /UF, which PDF/A-3 requires both of.",
        ))
    subtype = stream.get("/Subtype") if stream is not None else None
    if stream is not None and subtype != pikepdf.Name("/text/xml"):
        shown = (_name(subtype) or "absent").replace("#2F", "/").replace("#2f", "/")
        findings.append(_finding(
            "FX-PDF-12",
            fr=f"Le type MIME de la pièce jointe {name} est {shown} : Factur-X exige text/xml "
            "(/Subtype /text#2Fxml).",
            en=f"The MIME type of the attachment {name} is {shown if shown != 'absent' else 'missing'}: "
            "Factur-X requires text/xml (/Subtype /text#2Fxml).",
        ))
    relationship = filespec.get("/AFRelationship")
    value = _name(relationship)
    if value not in RELATIONSHIPS:
        findings.append(_finding(
            "FX-PDF-13",
            fr=f"La relation /AFRelationship de la pièce jointe {name} est {value or 'absente'} : Factur-X "
            "exige Data, Source ou Alternative.",
            en=f"The /AFRelationship of the attachment {name} is {value or 'missing'}: Factur-X requires "
            "Data, Source or Alternative.",
        ))
    return findings


def _placement(document: pikepdf.Pdf, chosen: _Attached, attached: list[_Attached]) -> list[Finding]:
    """The invoice file specification is both in the name tree and, the same object, in /AF."""
    name = chosen.name
    in_tree = [a for a in attached if a.where == "/EmbeddedFiles" and a.name.lower() == name.lower()]
    in_af = [a for a in attached if a.where == "/AF" and a.name.lower() == name.lower()]
    findings = []
    if not in_tree:
        findings.append(_finding(
            "FX-PDF-15",
            fr=f"La pièce jointe {name} n'est pas dans l'arbre des fichiers intégrés (/EmbeddedFiles) : "
            "les lecteurs ne la trouvent pas.",
            en=f"The attachment {name} is not in the embedded files name tree (/EmbeddedFiles): readers "
            "cannot find it.",
        ))
    af = document.Root.get("/AF")
    af_items = af if isinstance(af, pikepdf.Array) else ()
    af_objects = {f.objgen for f in af_items if isinstance(f, pikepdf.Object) and f.is_indirect}
    listed = in_tree[0].filespec if in_tree else chosen.filespec
    if not in_af or (listed.is_indirect and listed.objgen not in af_objects):
        findings.append(_finding(
            "FX-PDF-14",
            fr=f"La pièce jointe {name} n'est pas référencée par le tableau /AF du catalogue, comme PDF/A-3 "
            "l'exige d'un fichier associé.",
            en=f"The attachment {name} is not referenced by the catalog /AF array, as PDF/A-3 requires of an "
            "associated file.",
        ))
    return findings


def _same(a: pikepdf.Dictionary, b: pikepdf.Dictionary) -> bool:
    return a.is_indirect and b.is_indirect and a.objgen == b.objgen


def _disagreements(chosen: _Attached, attached: list[_Attached], content) -> list[Finding]:
    """Every other invoice XML that differs from the chosen one, named with where it sits."""
    findings = []
    reference = content(chosen)
    reported: set[bytes | None] = set()
    for other in attached:
        if _same(other.filespec, chosen.filespec):
            continue
        data = content(other)
        if data == reference or data in reported:
            continue
        reported.add(data)
        first, second = f"{chosen.name} ({chosen.where})", f"{other.name} ({other.where})"
        findings.append(_finding(
            "FX-PDF-16",
            fr=f"Le PDF contient deux factures XML différentes : {first} et {second}. Un Factur-X porte une "
            "seule facture ; on ne peut pas savoir laquelle fait foi.",
            en=f"The PDF carries two different invoice XML files: {first} and {second}. A Factur-X carries "
            "one invoice; which one is authoritative cannot be told.",
        ))
    return findings


def _level(value: str | None) -> str | None:
    if value is None:
        return None
    if value.strip().upper() in _OLD_LEVELS:
        return value.strip().upper()
    try:
        return normalise_level(value)
    except ValueError:
        return None


def _xmp_declaration(facts: xmp_.XmpFacts | None, name: str | None, xml: bytes | None) -> list[Finding]:
    if facts is None:
        return []  # FX-PDF-03 already says the XMP is missing or unreadable
    findings = []
    if name is not None and name.lower() != "factur-x.xml" and facts.invoice_namespace != xmp_.ZUGFERD2_XRECHNUNG_NS:
        findings.append(_finding(
            "FX-PDF-11",
            where="XMP DocumentFileName namespace",
            fr=f"La pièce jointe s'appelle {name} : Factur-X la nomme factur-x.xml ; les noms zugferd-invoice.xml "
            f"et xrechnung.xml ne valent qu'avec l'espace de noms XMP ZUGFeRD {xmp_.ZUGFERD2_XRECHNUNG_NS}.",
            en=f"The attachment is named {name}: Factur-X names it factur-x.xml; the names zugferd-invoice.xml "
            f"and xrechnung.xml hold only with the ZUGFeRD XMP namespace {xmp_.ZUGFERD2_XRECHNUNG_NS}.",
        ))
    if facts.document_type != "INVOICE":
        findings.append(_finding(
            "FX-PDF-20",
            fr=f"Les métadonnées XMP déclarent DocumentType = {facts.document_type or 'absent'} : une facture "
            "Factur-X déclare INVOICE (ORDER est un bon de commande Order-X).",
            en=f"The XMP metadata declares DocumentType = {facts.document_type or 'missing'}: a Factur-X "
            "invoice declares INVOICE (ORDER is an Order-X purchase order).",
        ))
    if name is not None and facts.document_file_name != name:
        findings.append(_finding(
            "FX-PDF-21",
            fr=f"Les métadonnées XMP déclarent DocumentFileName = {facts.document_file_name or 'absent'}, mais "
            f"la pièce jointe s'appelle {name}.",
            en=f"The XMP metadata declares DocumentFileName = {facts.document_file_name or 'missing'}, but the "
            f"attachment is named {name}.",
        ))
    if not facts.version:
        findings.append(_finding(
            "FX-PDF-22",
            fr="Les métadonnées XMP ne déclarent pas la version Factur-X (Version, « 1.0 »).",
            en="The XMP metadata does not declare the Factur-X version (Version, \"1.0\").",
        ))
    level = _level(facts.conformance_level)
    if level is None:
        findings.append(_finding(
            "FX-PDF-23",
            fr=f"Les métadonnées XMP déclarent ConformanceLevel = {facts.conformance_level or 'absent'} : ce "
            f"n'est pas un profil Factur-X ({', '.join(LEVELS)}).",
            en=f"The XMP metadata declares ConformanceLevel = {facts.conformance_level or 'missing'}: not a "
            f"Factur-X profile ({', '.join(LEVELS)}).",
        ))
    elif xml is not None:
        declared = level_of_guideline(xml)
        # An XRechnung is an EN 16931 CIUS: ZUGFeRD declares it XRECHNUNG, EN 16931 is not wrong.
        agreeing = {declared} | ({"EN 16931"} if declared == "XRECHNUNG" else set())
        if declared is not None and level not in agreeing:
            findings.append(_finding(
                "FX-PDF-24",
                fr=f"Les métadonnées XMP déclarent le profil {facts.conformance_level}, mais le XML de la "
                f"facture se déclare {declared} (identifiant de spécification BT-24). Les deux doivent concorder.",
                en=f"The XMP metadata declares the profile {facts.conformance_level}, but the invoice XML "
                f"declares itself {declared} (specification identifier BT-24). Both must agree.",
            ))
    findings += _extension_schema(facts)
    return findings


def _extension_schema(facts: xmp_.XmpFacts) -> list[Finding]:
    namespace = facts.invoice_namespace
    if namespace is None:
        return []  # no invoice property at all: FX-PDF-20..23 already say so
    used = {
        name
        for name, value in (
            ("DocumentType", facts.document_type),
            ("DocumentFileName", facts.document_file_name),
            ("Version", facts.version),
            ("ConformanceLevel", facts.conformance_level),
        )
        if value is not None
    }
    described: set[str] = set()
    for uri, names in facts.extensions:
        if uri == namespace:
            described |= names
    if used <= described:
        return []
    lacking = ", ".join(sorted(used - described))
    return [_finding(
        "FX-PDF-25",
        fr=f"Aucun schéma d'extension PDF/A (pdfaExtension:schemas) ne décrit les propriétés XMP {lacking} de "
        f"l'espace de noms {namespace}, comme PDF/A-3 l'exige de toute propriété hors du standard XMP.",
        en=f"No PDF/A extension schema (pdfaExtension:schemas) describes the XMP properties {lacking} of the "
        f"namespace {namespace}, as PDF/A-3 requires of any property outside the XMP standard.",
    )]
