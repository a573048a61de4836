"""Secure XML input and document detection, shared by every reader and validator.

Invoices come from strangers. The parser therefore never expands entities, never touches
the network, never loads a DTD, refuses any DOCTYPE outright, and caps the input size
before a single byte is parsed. Real producers are sloppy in harmless ways (a UTF-8 BOM,
an encoding declaration that lies), and those are tolerated; an encoding name that does
not exist is refused. `Limits` bounds what one document may cost (bytes, elements, invoice
lines, the longest text), each bound settable by the caller.
"""

from __future__ import annotations

import codecs
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from lxml import etree

from facturier.engine.errors import InputTooLarge, MalformedXML, Message, UnsupportedDocument

__all__ = [
    "CAC",
    "CBC",
    "CDAR",
    "DEFAULT_LIMITS",
    "DEFAULT_MAX_BYTES",
    "NS_CII",
    "NS_UBL",
    "NS_UBL_CREDIT_NOTE",
    "NS_UBL_INVOICE",
    "QDT",
    "RAM",
    "RSM",
    "UBL_CREDIT_NOTE",
    "UBL_INVOICE",
    "UDT",
    "DocumentKind",
    "Limits",
    "detect",
    "drop_empty_elements",
    "parse_xml",
    "profile_hint",
    "read_bounded",
]

# --- namespaces -------------------------------------------------------------------------

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"

UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

CDAR = "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100"
_ORDER_X = "urn:un:unece:uncefact:data:SCRDMCCBDACIOMessageStructure:100"
_ZUGFERD_1 = "urn:ferd:CrossIndustryDocument:invoice:1p0"

NS_CII = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
"""Prefix map for XPath over CII documents."""
NS_UBL_INVOICE = {"inv": UBL_INVOICE, "cac": CAC, "cbc": CBC}
NS_UBL_CREDIT_NOTE = {"cn": UBL_CREDIT_NOTE, "cac": CAC, "cbc": CBC}
NS_UBL = {"inv": UBL_INVOICE, "cn": UBL_CREDIT_NOTE, "cac": CAC, "cbc": CBC}
"""Prefix map for XPath over UBL documents (Invoice as ``inv``, CreditNote as ``cn``)."""

DEFAULT_MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """What one document may cost before any work is done on it; every bound can be set.

    The defaults hold any real invoice: a telecom bill of 20,000 lines, a 30 MB PDF attached
    in base64. They bound the memory (bytes, elements, the longest text) and the time (the
    official rules run in time proportional to the invoice lines).
    """

    max_bytes: int = DEFAULT_MAX_BYTES
    """Size of the file read (XML, or the PDF carrying it), checked before it is read."""
    max_text_chars: int = 100_000
    """Longest text node or attribute value; base64 attachments (``…BinaryObject``) are
    bounded by ``max_bytes`` alone."""
    max_elements: int = 2_000_000
    """Elements in the document."""
    max_lines: int = 20_000
    """Invoice lines (CII IncludedSupplyChainTradeLineItem, UBL InvoiceLine / CreditNoteLine)."""


DEFAULT_LIMITS = Limits()

# --- parsing ----------------------------------------------------------------------------

_UTF8_BOM = b"\xef\xbb\xbf"
_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_UTF8_NAMES = frozenset({"utf-8", "utf8"})
# Single-byte encodings that producers declare while writing UTF-8.
_SINGLE_BYTE_FAMILY = frozenset(
    {"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "iso-8859-15", "windows-1252", "cp1252"}
)

_local = threading.local()


def _parser(encoding: str | None) -> etree.XMLParser:
    # lxml parsers must not be shared between threads: keep one per thread and encoding.
    cache = getattr(_local, "parsers", None)
    if cache is None:
        cache = _local.parsers = {}
    parser = cache.get(encoding)
    if parser is None:
        parser = cache[encoding] = etree.XMLParser(
            encoding=encoding,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_blank_text=False,
            remove_comments=False,
            remove_pis=False,
        )
    return parser


def _malformed(detail: str | None = None) -> MalformedXML:
    return MalformedXML(
        Message(
            fr="Le fichier n'est pas un XML bien formé. Vérifiez qu'il est complet et "
            "qu'il provient bien d'un logiciel de facturation.",
            en="The file is not well-formed XML. Check that it is complete and that it "
            "comes from an invoicing program.",
        ),
        detail=detail,
    )


def _doctype_refused(detail: str | None = None) -> MalformedXML:
    return MalformedXML(
        Message(
            fr="Le XML contient une déclaration DOCTYPE ou d'entité, interdite pour des "
            "raisons de sécurité. Une facture électronique n'en a jamais besoin : "
            "supprimez-la.",
            en="The XML contains a DOCTYPE or entity declaration, which is refused for "
            "security reasons. An e-invoice never needs one: remove it.",
        ),
        detail=detail,
    )


def _syntax_detail(exc: etree.XMLSyntaxError) -> str:
    line, column = exc.position if exc.position else (exc.lineno, exc.offset)
    msg = re.sub(r",? line \d+, column \d+\s*$", "", (exc.msg or str(exc)).strip())
    return f"line {line}, column {column}: {msg}"


def _is_encoding_error(exc: etree.XMLSyntaxError) -> bool:
    text = (exc.msg or str(exc)).lower()
    return "encoding" in text or "utf-8" in text or "bytes:" in text


def _has_doctype(root: etree._Element) -> bool:
    docinfo = root.getroottree().docinfo
    return bool(docinfo.doctype) or docinfo.internalDTD is not None or (docinfo.externalDTD is not None)


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, limits: Limits | None = None) -> etree._Element:
    """Parse untrusted XML bytes into an element tree, safely, or raise an InputError.

    Raises InputTooLarge above the size limit (checked before parsing) and when the tree
    exceeds ``limits`` (elements, invoice lines, longest text); MalformedXML for anything
    not well-formed, carrying a DOCTYPE / entity declaration, or declaring an encoding
    that does not exist. ``limits`` wins over ``max_bytes`` when both are given.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"parse_xml expects bytes, not {type(data).__name__}")
    limits = Limits(max_bytes=max_bytes) if limits is None else limits
    if len(data) > limits.max_bytes:
        raise _too_large(len(data), limits.max_bytes)
    data = bytes(data)
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    if not data.strip():
        raise _malformed("empty document")

    # Refuse DTDs before libxml2 even sees them. A DOCTYPE can only sit in the prolog, so
    # looking at the bytes before the first element is exact for ASCII-compatible input;
    # the check after parsing covers the rest (e.g. UTF-16).
    prolog = data[: _prolog_end(data)]
    if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
        raise _doctype_refused("DOCTYPE in prolog")

    encoding = _effective_encoding(data)
    try:
        root = etree.fromstring(data, _parser(encoding))
    except etree.XMLSyntaxError as exc:
        if encoding is None and _is_encoding_error(exc) and _ascii_compatible(data) and not _is_utf8(data):
            # Declared (or defaulted to) UTF-8 but written in Windows-1252: read it so.
            try:
                root = etree.fromstring(data, _parser("windows-1252"))
            except etree.XMLSyntaxError as exc2:
                raise _malformed(_syntax_detail(exc2)) from None
        else:
            raise _malformed(_syntax_detail(exc)) from None
    except (ValueError, LookupError) as exc:  # e.g. an encoding name libxml2 does not know
        raise _unknown_encoding(str(exc)) from None
    if root is None:
        raise _malformed("no root element")
    if _has_doctype(root):
        raise _doctype_refused("DOCTYPE")
    _check_shape(root, limits)
    return root


def read_bounded(source: str | os.PathLike[str] | BinaryIO, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of a file (a path) or of a binary stream, refused above ``max_bytes``.

    A file's size is taken from the file system before a byte is read; a stream (a pipe,
    standard input, an upload) is read up to one byte past the limit, never further.
    """
    if isinstance(source, (str, os.PathLike)):
        with Path(source).open("rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if size > max_bytes:
                raise _too_large(size, max_bytes)
            return _read_at_most(stream, max_bytes)
    return _read_at_most(source, max_bytes)


def _read_at_most(stream: BinaryIO, max_bytes: int) -> bytes:
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes, at_least=True)
    return data


def _too_large(size: int, limit: int, *, at_least: bool = False) -> InputTooLarge:
    more = "plus de " if at_least else ""
    more_en = "more than " if at_least else ""
    return InputTooLarge(
        Message(
            fr=f"Le fichier fait {more}{_fr_int(size)} octets, au-delà de la limite de "
            f"{_fr_int(limit)} octets. Une facture n'atteint jamais cette taille : vérifiez le fichier.",
            en=f"The file is {more_en}{size:,} bytes, above the {limit:,}-byte limit. No invoice "
            "is that large: check the file.",
        ),
        detail=f"{size} > {limit}",
    )


_COUNT_ELEMENTS = etree.XPath("count(//*)")
_COUNT_LINES = etree.XPath(
    "count(/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:IncludedSupplyChainTradeLineItem)"
    " + count(/inv:Invoice/cac:InvoiceLine) + count(/cn:CreditNote/cac:CreditNoteLine)",
    namespaces={**NS_CII, **NS_UBL},
)
_LONG_TEXTS = etree.XPath("//text()[string-length() > $n]")
_LONG_ATTRIBUTES = etree.XPath("//@*[string-length() > $n]")


def _check_shape(root: etree._Element, limits: Limits) -> None:
    """Refuse a tree beyond ``limits``: too many elements or lines, or a text too long."""
    elements = int(_COUNT_ELEMENTS(root))
    if elements > limits.max_elements:
        raise _shape_refused(
            f"{_fr_int(elements)} éléments XML, au-delà de la limite de {_fr_int(limits.max_elements)}",
            f"{elements:,} XML elements, above the {limits.max_elements:,} limit",
            f"elements {elements} > {limits.max_elements}",
        )
    lines = int(_COUNT_LINES(root))
    if lines > limits.max_lines:
        raise _shape_refused(
            f"{_fr_int(lines)} lignes de facture, au-delà de la limite de {_fr_int(limits.max_lines)}",
            f"{lines:,} invoice lines, above the {limits.max_lines:,} limit",
            f"lines {lines} > {limits.max_lines}",
        )
    # Base64 attachments (CII AttachmentBinaryObject, UBL EmbeddedDocumentBinaryObject) are
    # legitimately long: the file size bounds them.
    for found in (*_LONG_TEXTS(root, n=limits.max_text_chars), *_LONG_ATTRIBUTES(root, n=limits.max_text_chars)):
        owner = found.getparent()
        where = etree.QName(owner).localname if owner is not None else "?"
        if found.is_attribute:
            where += f"/@{found.attrname}"
        elif where.endswith("BinaryObject"):
            continue
        raise _shape_refused(
            f"un texte de {_fr_int(len(found))} caractères dans {where}, au-delà de la limite de "
            f"{_fr_int(limits.max_text_chars)}",
            f"a text of {len(found):,} characters in {where}, above the {limits.max_text_chars:,} limit",
            f"text in {where}: {len(found)} > {limits.max_text_chars}",
        )


def _shape_refused(what_fr: str, what_en: str, detail: str) -> InputTooLarge:
    return InputTooLarge(
        Message(
            fr=f"Le document contient {what_fr}. Une facture n'atteint jamais cette taille : "
            "vérifiez le fichier, ou relevez la limite si le document est authentique.",
            en=f"The document holds {what_en}. No invoice is that large: check the file, or "
            "raise the limit if the document is genuine.",
        ),
        detail=detail,
    )


def _unknown_encoding(name: str) -> MalformedXML:
    return MalformedXML(
        Message(
            fr=f"Le XML déclare l'encodage « {name} », qui n'existe pas : le texte ne peut pas "
            "être lu avec certitude. Corrigez la déclaration (UTF-8 en général).",
            en=f"The XML declares the encoding '{name}', which does not exist: its text cannot "
            "be read with certainty. Fix the declaration (usually UTF-8).",
        ),
        detail=name,
    )


def _fr_int(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")  # 62 914 560, French thousands separator


def _effective_encoding(data: bytes) -> str | None:
    """The encoding to force on the parser, when the declaration is evidently wrong (else None).

    Real producers declare ISO-8859-1 and write UTF-8, or declare UTF-16 over single-byte
    text; an encoding name that does not exist is refused (MalformedXML). When the bytes
    are ASCII-compatible (the document starts with ``<`` and no NUL) the bytes are trusted
    over the label: UTF-8 when they decode as UTF-8, else Windows-1252 (a superset of
    ISO-8859-1 in practice).
    """
    match = _DECLARED_ENCODING.match(data[:512])
    if not match:
        return None
    declared = match.group(1).decode("ascii")
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        # Reading it as UTF-8 anyway would be a guess about the amounts and names inside.
        raise _unknown_encoding(declared) from None
    declared = declared.lower()
    if declared in _UTF8_NAMES or not _ascii_compatible(data):
        return None
    if codec.startswith(("utf-16", "utf-32", "utf_16", "utf_32")):
        # A two/four-byte encoding declared over single-byte content.
        return "utf-8" if _is_utf8(data) else "windows-1252"
    if declared in _SINGLE_BYTE_FAMILY and not data.isascii() and _is_utf8(data):
        # Genuine Latin-1 text with accents is practically never valid UTF-8: the
        # declaration is the lie, not the bytes.
        return "utf-8"
    return None


def _ascii_compatible(data: bytes) -> bool:
    return data.lstrip()[:1] == b"<" and b"\x00" not in data[:64]


def _prolog_end(data: bytes) -> int:
    """Offset of the first element start tag (everything before it is prolog)."""
    i = 0
    n = len(data)
    while True:
        i = data.find(b"<", i)
        if i < 0 or i + 1 >= n:
            return n
        nxt = data[i + 1 : i + 2]
        if nxt == b"?":
            j = data.find(b"?>", i)
        elif data.startswith(b"<!--", i):
            j = data.find(b"-->", i)
        elif nxt == b"!":
            # A DOCTYPE (or junk): it belongs to the prolog, include it.
            return min(n, i + 4096)
        else:
            return i
        if j < 0:
            return n
        i = j + 2


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# --- writing --------------------------------------------------------------------------

_EMPTY = etree.XPath("//*[not(*) and not(normalize-space())]")
_REQUIRED_EMPTY = frozenset({f"{{{RAM}}}ApplicableHeaderTradeDelivery"})
"""Containers the CII schema requires even when the invoice has nothing to put in them."""


def drop_empty_elements(root: etree._Element) -> etree._Element:
    """Remove every element with neither child nor text, then any parent left empty.

    An empty element says nothing and breaks rules that expect a value (an empty
    cbc:PaymentMeansCode fails BR-CL-16; PEPPOL-EN16931-R008 forbids them all): the writers
    never emit one, whatever the model holds. Containers the schema requires are kept.
    """
    pending = [el for el in _EMPTY(root) if el.tag not in _REQUIRED_EMPTY]
    while pending:
        el = pending.pop()
        parent = el.getparent()
        if parent is None:
            continue
        parent.remove(el)
        if parent.tag not in _REQUIRED_EMPTY and len(parent) == 0 and not (parent.text or "").strip():
            pending.append(parent)
    return root


# --- detection --------------------------------------------------------------------------

Syntax = Literal["cii", "ubl"]


@dataclass(frozen=True, slots=True)
class DocumentKind:
    """Which e-invoice a parsed document is: syntax, root element, declared guideline."""

    syntax: Syntax
    """"cii" (UN/CEFACT CrossIndustryInvoice D16B, Factur-X / ZUGFeRD 2.x) or "ubl" (UBL 2.1)."""
    root: str
    """Local name of the root element: "CrossIndustryInvoice", "Invoice" or "CreditNote"."""
    guideline_id: str | None
    """BT-24 Specification identifier, as written (CII guideline / UBL CustomizationID)."""
    profile_hint: str | None
    """The profile BT-24 points to: minimum, basicwl, basic, en16931, extended,
    extended-ctc-fr, xrechnung or peppol (None when not recognised)."""


def _unsupported(fr: str, en: str, detail: str | None = None) -> UnsupportedDocument:
    return UnsupportedDocument(Message(fr=fr, en=en), detail=detail)


def detect(root: etree._Element) -> DocumentKind:
    """Say which invoice syntax ``root`` is, or raise UnsupportedDocument saying what it is."""
    tag = root.tag
    if not isinstance(tag, str):
        raise _unsupported("Le document n'a pas d'élément racine.", "The document has no root element.")
    qname = etree.QName(tag)
    ns, local = qname.namespace, qname.localname

    if ns == RSM and local == "CrossIndustryInvoice":
        ids = root.xpath(
            "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID/text()",
            namespaces=NS_CII,
        )
        guideline = _clean(ids[0]) if ids else None
        return DocumentKind("cii", local, guideline, profile_hint(guideline))
    if (ns, local) in ((UBL_INVOICE, "Invoice"), (UBL_CREDIT_NOTE, "CreditNote")):
        ids = root.xpath("cbc:CustomizationID/text()", namespaces=NS_UBL)
        guideline = _clean(ids[0]) if ids else None
        return DocumentKind("ubl", local, guideline, profile_hint(guideline))

    if ns == _ORDER_X or local == "SCRDMCCBDACIOMessageStructure":
        raise _unsupported(
            "Ce document est une commande Order-X, pas une facture.",
            "This document is an Order-X purchase order, not an invoice.",
            detail=tag,
        )
    if ns == _ZUGFERD_1 or local == "CrossIndustryDocument":
        raise _unsupported(
            "Ce document est une facture ZUGFeRD 1.0 (CrossIndustryDocument), format "
            "abandonné et non pris en charge : demandez un Factur-X / ZUGFeRD 2.x.",
            "This document is a ZUGFeRD 1.0 invoice (CrossIndustryDocument), a retired "
            "format that is not supported: ask for Factur-X / ZUGFeRD 2.x.",
            detail=tag,
        )
    if ns == CDAR or local == "CrossDomainAcknowledgementAndResponse":
        raise _unsupported(
            "Ce document est un message de cycle de vie CDAR (statut de facture), pas une facture.",
            "This document is a CDAR life-cycle (invoice status) message, not an invoice.",
            detail=tag,
        )
    if local in ("CrossIndustryInvoice", "Invoice", "CreditNote"):
        raise _unsupported(
            f"L'élément racine {local} utilise un espace de noms inconnu ({ns or 'aucun'}) : "
            "ce n'est ni une facture CII D16B ni une facture UBL 2.1.",
            f"The root element {local} uses an unknown namespace ({ns or 'none'}): this is "
            "neither a CII D16B nor a UBL 2.1 invoice.",
            detail=tag,
        )
    raise _unsupported(
        f"Document non reconnu (élément racine {local}) : ni facture CII (Factur-X, "
        "ZUGFeRD 2.x) ni facture ou avoir UBL 2.1.",
        f"Unrecognised document (root element {local}): neither a CII invoice (Factur-X, "
        "ZUGFeRD 2.x) nor a UBL 2.1 invoice or credit note.",
        detail=tag,
    )


def _clean(text: str) -> str | None:
    text = text.strip()
    return text or None


_LEVELS = ("minimum", "basicwl", "basic", "en16931", "extended")


def profile_hint(guideline_id: str | None) -> str | None:
    """Map a BT-24 specification identifier to a profile name (Factur-X, ZUGFeRD 2.x, CIUS)."""
    if not guideline_id:
        return None
    gid = guideline_id.strip().lower()
    if "extended-ctc-fr" in gid:
        return "extended-ctc-fr"
    if "xrechnung" in gid:
        return "xrechnung"
    if "peppol.eu" in gid and "billing" in gid:
        return "peppol"
    # Factur-X 1.0x and ZUGFeRD 2.x: the level is the last token of the URN
    # (urn:factur-x.eu:1p0:basicwl, urn:cen.eu:en16931:2017#compliant#urn:zugferd.de:2p0:basic,
    # urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended).
    if "factur-x.eu" in gid or "zugferd.de" in gid:
        last = re.split(r"[:#]", gid)[-1]
        if last in _LEVELS:
            return last
        if last == "comfort":  # ZUGFeRD 2.0 draft name of EN 16931
            return "en16931"
    if gid == "urn:cen.eu:en16931:2017" or gid.startswith("urn:cen.eu:en16931:2017#"):
        return "en16931"
    return None
