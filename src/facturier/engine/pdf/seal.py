"""PAdES sealing of invoice PDFs, fast and without breaking PDF/A-3.

A `Sealer` holds one organisation's identity and settings and seals any number of PDFs:
an incremental update adds a visible stamp « Signé électroniquement par … le … » and a
PAdES signature (B-B; B-T with an RFC 3161 token; B-LT with a DSS) covering the whole
file. The Factur-X attachment and XMP stay as they are: nothing before the update changes.

Stock pyHanko signing measured 230–320 ms per PDF, and about 2.5 ms once tuned (below):
most of that was pyHanko reading back the file we had just written and writing its own
objects one by one. So B-B and B-T are written here, like the Factur-X packing
(`incremental.Update`): pikepdf reads the page, the catalog and the form; the update holds
the signature field (a widget on the page, listed in the form), its stamp (a form XObject
with the stamp font), the signature dictionary with a reserved /Contents, and the catalog
when it gains the form or the ESIC extension; the CAdES container (`cades`) is computed
over the finished file and written into the reservation. About 0.8 ms per seal.

B-LT goes through pyHanko, which validates the signer's and the TSA's certificate paths
against `trust_roots` (plus the identity's own chain root) and embeds them with any
revocation data in a DSS within the signed revision, so the signature still covers the
whole file. Revocation data (OCSP, CRL) is fetched from the certificates' own URLs when
`allow_fetching` is true, in soft-fail mode: a certificate that names none — a self-signed
demo or operator certificate — simply has none. On that path pyHanko's pitfalls are fixed:

- `SimpleSigner` re-reads (re-validates) the private key from DER for every raw signature —
  over 100 ms for RSA. `_CachedKeySigner` keeps the `cryptography` key object and signs
  with it directly, hands out its certificate freshly parsed from DER (asn1crypto
  re-encodes, recursively, any parsed value copied into a new structure) and writes the
  signed attributes as DER (`cades.signed_attributes`, the same as the fast path).
- With an ECDSA key on a P-256/384/521 curve pyHanko registers the ISO 32002 extension and
  raises the document to PDF 2.0, which PDF/A-3 forbids. `_Pdf17Signer` registers only the
  ESIC (PAdES) extension, which is defined for PDF 1.7.
- Its writer rewrites the XMP packet through its own metadata model and stamps /Producer
  and /ModDate in the Info dictionary. `_KeepMetadataWriter` leaves both alone: the
  Factur-X XMP stays byte for byte, and Info stays consistent with it (PDF/A-3 §6.7.3).

Both paths share the stamp. pyHanko's text stamp subsets an OpenType font for every
document (and needs fontTools, which this stack does not have) and writes glyph widths in
font units instead of 1/1000 em. `StampFont` is subset once per character set: Typst
renders the characters a sealer's wording can contain (template, holder, any date) on a
PDF/A-3 page and we keep its embedded, subsetted font — program, CIDSet, ToUnicode and /W
widths in 1/1000 em exactly as Typst wrote them for PDF/A. Each sealed file gets a copy of
those objects (a few kilobytes; every font stays embedded), serialised once. The size of
the signature container is estimated once per `Sealer` (certificates, key size, one
time-stamp token) and the output's header and catalog /Version are checked after signing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import io
import re
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Literal

import pikepdf
from asn1crypto import algos as asn1_algos
from asn1crypto import cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from pyhanko.pdf_utils import content, generic, layout
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError as PyHankoPdfError
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import SigningError, as_signing_certificate_v2
from pyhanko.sign.signers import constants as signer_constants
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.stamp.base import BaseStamp, BaseStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathError, ValidationError
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from facturier.engine.errors import EngineError, Message, PdfError
from facturier.engine.pdf.cades import DIGEST, DetachedSignature, signed_attributes
from facturier.engine.pdf.certificates import SigningIdentity, raw_sign
from facturier.engine.pdf.incremental import Update, dictionary, kept_entries, pdf_date, pdf_string, reference
from facturier.engine.pdf.stamp_area import STAMP_MARGIN, STAMP_SIZE

Level = Literal["B-B", "B-T", "B-LT"]
LEVELS: tuple[Level, ...] = ("B-B", "B-T", "B-LT")
MAX_PDF_VERSION = (1, 7)
"""PDF/A-3 is based on PDF 1.7 (ISO 32000-1); a sealed file must never say more."""

STAMP_TEXTS = {
    "fr": "Signé électroniquement par {holder}\nle {date}",
    "en": "Electronically signed by {holder}\non {date}",
}
"""Default stamp wording; `{holder}` and `{date}` are filled in, a line break is kept."""
STAMP_FONT_FAMILIES = ("DejaVu Sans", "Libertinus Serif")
"""The stamp's typeface, by preference; Typst ships Libertinus Serif, so one is always there."""


class SealError(EngineError):
    """A PDF could not be sealed."""


# --- The stamp's font, subset once ----------------------------------------------------------------

STAMP_CHARACTERS = "".join(
    [chr(c) for c in range(0x21, 0x7F)] + [chr(c) for c in range(0xA1, 0x180) if c != 0xAD] + list("€‘’‚“”„–—…•‹›")
)
"""What a stamp can show: Latin-1, Latin Extended-A and typographic punctuation."""


@dataclass(frozen=True, slots=True)
class StampFont:
    """An embedded, subsetted Type 0 font ready to be copied into any PDF."""

    family: str
    template: tuple
    """The font dictionary and its dependants, as plain values (see `_spec_of`)."""
    codes: dict[str, int]
    """Character → CID (2-byte code under Identity-H)."""
    widths: dict[int, float]
    """CID → advance width in 1/1000 of the font size (the unit /W uses)."""
    default_width: float
    space: int
    objects: tuple[tuple[bytes, bytes | None], ...] = ()
    """The same objects serialised once for the incremental writer: (dictionary, stream data),
    references between them written as `_OBJECT_TOKEN`s; the font dictionary is the first."""

    def encode(self, text: str) -> tuple[bytes, float]:
        """The hex string operand showing `text`, and its width at size 1000."""
        fallback = self.codes.get("?", self.space)
        cids = [self.space if ch.isspace() else self.codes.get(ch, fallback) for ch in text]
        width = sum(self.widths.get(cid, self.default_width) for cid in cids)
        return b"<" + b"".join(b"%04X" % cid for cid in cids) + b">", width

    def width(self, text: str) -> float:
        return self.encode(text)[1]

    def add_to(self, writer: BasePdfFileWriter) -> generic.IndirectObject:
        """Copy the font into `writer`; returns a reference to its font dictionary."""
        return _generic_of(self.template, writer)

    def put_into(self, update: Update) -> bytes:
        """Copy the font into an incremental update; returns a reference to its font dictionary."""
        numbers = [update.allocate() for _ in self.objects]
        renumber = lambda m: reference(numbers[int(m.group(1))])  # noqa: E731
        for number, (template, data) in zip(numbers, self.objects, strict=True):
            head = _OBJECT_TOKEN.sub(renumber, template)
            update.put(number, head if data is None else head + b"\nstream\n" + data + b"\nendstream")
        return reference(numbers[0])


def stamp_font(characters: str = STAMP_CHARACTERS, families: tuple[str, ...] = STAMP_FONT_FAMILIES) -> StampFont:
    """The stamp font for `characters`, rendered by Typst (10–20 ms) once, then reused.

    A `Sealer` asks for the characters its wording can contain (its template, the holder's
    name, the date's digits and letters), so each sealed file carries a few kilobytes of
    font; fonts are cached per character set and typeface for the life of the process.
    """
    # Outside the repertoire (other scripts) the stamp shows "?": a PDF/A font must have the glyph.
    wanted = "".join(sorted((set(characters) & set(STAMP_CHARACTERS)) | {"?"}))
    return _stamp_font(wanted, families)


@functools.lru_cache(maxsize=64)
def _stamp_font(characters: str, families: tuple[str, ...]) -> StampFont:
    return _build_stamp_font(characters, families)


def _build_stamp_font(characters: str, families: tuple[str, ...]) -> StampFont:
    import typst  # only here: sealing without a visible stamp does not need it

    literal = " ".join(characters).replace("\\", "\\\\").replace('"', '\\"')
    fonts = ", ".join(f'"{f}"' for f in families)
    source = (
        "#set page(width: 800pt, height: auto, margin: 4pt)\n"
        f"#set text(font: ({fonts},), size: 10pt, fallback: false, ligatures: false, kerning: false)\n"
        f'#text("{literal}")\n'
    )
    with tempfile.TemporaryDirectory(prefix="facturier-stamp-") as tmp:
        path = Path(tmp) / "stamp-font.typ"
        path.write_text(source, encoding="utf-8")
        pdf = typst.Compiler(str(path), root=tmp).compile(format="pdf", pdf_standards=["a-3b"])
    with pikepdf.open(io.BytesIO(pdf)) as document:
        # One font, unless the first family lacks glyphs another has: keep the fullest.
        candidates = [
            (_parse_to_unicode(f.ToUnicode.read_bytes()), f) for f in document.pages[0].Resources.Font.values()
        ]
        codes, font = max(candidates, key=lambda candidate: len(candidate[0]))
        descendant = font.DescendantFonts[0]
        widths = _parse_widths(descendant.get("/W", pikepdf.Array()))
        default_width = float(descendant.get("/DW", 1000))
        template = _spec_of(font)
        family = str(descendant.FontDescriptor.FontName).split("+", 1)[-1]
    if " " not in codes:
        codes[" "] = codes.get("\u00a0", 0)
    return StampFont(
        family=family,
        template=template,
        codes=codes,
        widths=widths,
        default_width=default_width,
        space=codes[" "],
        objects=_serialised(template),
    )


_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_HEX = re.compile(rb"<([0-9A-Fa-f]*)>")


def _parse_to_unicode(cmap: bytes) -> dict[str, int]:
    codes: dict[str, int] = {}
    for block in _BFCHAR.findall(cmap):
        values = _HEX.findall(block)
        for cid, text in zip(values[::2], values[1::2], strict=False):
            char = bytes.fromhex(text.decode()).decode("utf-16-be")
            if len(char) == 1:
                codes.setdefault(char, int(cid, 16))
    for block in _BFRANGE.findall(cmap):
        values = _HEX.findall(block)
        for low, high, start in zip(values[::3], values[1::3], values[2::3], strict=False):
            first = ord(bytes.fromhex(start.decode()).decode("utf-16-be"))
            for offset in range(int(high, 16) - int(low, 16) + 1):
                codes.setdefault(chr(first + offset), int(low, 16) + offset)
    return codes


def _parse_widths(w: pikepdf.Array) -> dict[int, float]:
    """CID widths from a /W array: `c [w1 w2 …]` and `c_first c_last w` forms."""
    widths: dict[int, float] = {}
    items = list(w)
    i = 0
    while i < len(items):
        first = int(items[i])
        following = items[i + 1]
        if isinstance(following, pikepdf.Array):
            for offset, value in enumerate(following):
                widths[first + offset] = float(value)
            i += 2
        else:
            for cid in range(first, int(following) + 1):
                widths[cid] = float(items[i + 2])
            i += 3
    return widths


def _spec_of(obj) -> tuple:
    """A pikepdf object as nested plain tuples, to rebuild as pyHanko objects in any writer."""
    if isinstance(obj, pikepdf.Stream):
        entries = {k: _spec_of(v) for k, v in obj.stream_dict.items() if k != "/Length"}
        return ("stream", tuple(entries.items()), obj.read_raw_bytes())
    if isinstance(obj, pikepdf.Dictionary):
        return ("dict", tuple((k, _spec_of(v)) for k, v in obj.items()), obj.is_indirect)
    if isinstance(obj, pikepdf.Array):
        return ("array", tuple(_spec_of(v) for v in obj))
    if isinstance(obj, pikepdf.Name):
        return ("name", str(obj))
    if isinstance(obj, pikepdf.String):
        return ("string", bytes(obj))
    if isinstance(obj, bool):
        return ("bool", obj)
    if isinstance(obj, int):
        return ("int", obj)
    if isinstance(obj, Decimal | float):
        return ("real", str(obj))
    raise TypeError(f"unexpected object in the stamp font: {obj!r}")


_OBJECT_TOKEN = re.compile(rb"\x00(\d+)\x00")


def _serialised(template: tuple) -> tuple[tuple[bytes, bytes | None], ...]:
    """The indirect objects of a `_spec_of` template as PDF syntax, the root first."""
    objects: list[tuple[bytes, bytes | None] | None] = []

    def indirect(spec: tuple) -> bytes:
        index = len(objects)
        objects.append(None)  # keep the slot: dependants are numbered after their parent
        if spec[0] == "stream":
            entries = {**{k: value(v) for k, v in spec[1]}, "/Length": b"%d" % len(spec[2])}
            objects[index] = (dictionary(entries), spec[2])
        else:
            objects[index] = (dictionary({k: value(v) for k, v in spec[1]}), None)
        return b"\x00%d\x00" % index

    def value(spec: tuple) -> bytes:
        kind = spec[0]
        if kind == "stream" or (kind == "dict" and spec[2]):
            return indirect(spec)
        if kind == "dict":
            return dictionary({k: value(v) for k, v in spec[1]})
        if kind == "array":
            return b"[" + b" ".join(value(v) for v in spec[1]) + b"]"
        if kind == "name":
            return pikepdf.Name(spec[1]).unparse()
        if kind == "string":
            return pikepdf.String(spec[1]).unparse()
        if kind == "bool":
            return b"true" if spec[1] else b"false"
        return str(spec[1]).encode()

    indirect(template)
    return tuple(objects)


def _generic_of(spec: tuple, writer: BasePdfFileWriter):
    kind = spec[0]
    if kind == "stream":
        entries = generic.DictionaryObject({pdf_name(k): _generic_of(v, writer) for k, v in spec[1]})
        return writer.add_object(generic.StreamObject(entries, encoded_data=spec[2]))
    if kind == "dict":
        value = generic.DictionaryObject({pdf_name(k): _generic_of(v, writer) for k, v in spec[1]})
        return writer.add_object(value) if spec[2] else value
    if kind == "array":
        return generic.ArrayObject(_generic_of(v, writer) for v in spec[1])
    if kind == "name":
        return pdf_name(spec[1])
    if kind == "string":
        return generic.ByteStringObject(spec[1])
    if kind == "bool":
        return generic.BooleanObject(spec[1])
    if kind == "int":
        return generic.NumberObject(spec[1])
    return generic.FloatObject(spec[1])


# --- The visible stamp ---------------------------------------------------------------------------

_FONT_RESOURCE = "/FSeal"


@dataclass(frozen=True)
class _SealStampStyle(BaseStampStyle):
    """A framed block of text in the embedded stamp font, sized to fit its box."""

    font: StampFont | None = None
    border_width: int = 1
    border_color: tuple[float, float, float] | None = (0.16, 0.32, 0.55)
    text_color: tuple[float, float, float] = (0.08, 0.16, 0.3)
    fill_color: tuple[float, float, float] | None = (0.95, 0.97, 1.0)
    padding: float = 3.5
    max_size: float = 9.0
    min_size: float = 5.0

    def create_stamp(self, writer: BasePdfFileWriter, box: layout.BoxConstraints, text_params: dict) -> _SealStamp:
        return _SealStamp(writer, self, box, text_params.get("text", ""))

    def appearance(self, text: str, width: float, height: float) -> bytes:
        """The stamp's content stream: background, centred lines of text, border."""
        font = self.font
        assert font is not None
        size, lines = _fit(font, text, width - 2 * self.padding, height - 2 * self.padding, self)
        leading = size * 1.2
        commands: list[bytes] = [b"q"]
        if self.fill_color:
            commands.append(b"%g %g %g rg 0 0 %g %g re f" % (*self.fill_color, width, height))
        block = leading * (len(lines) - 1) + size
        y = (height + block) / 2 - size * 0.8
        commands.append(b"BT %g %g %g rg %s %g Tf" % (*self.text_color, _FONT_RESOURCE.encode(), size))
        for line in lines:
            encoded, line_width = font.encode(line)
            x = (width - line_width * size / 1000) / 2
            commands.append(b"1 0 0 1 %.2f %.2f Tm %s Tj" % (x, y, encoded))
            y -= leading
        commands.append(b"ET")
        if self.border_width:
            if self.border_color:
                commands.append(b"%g %g %g RG" % self.border_color)
            commands.append(b"%g w 0 0 %g %g re S" % (self.border_width, width, height))
        commands.append(b"Q")
        return b" ".join(commands)


class _SealStamp(BaseStamp):
    """The stamp as pyHanko draws appearances (the B-LT path)."""

    def __init__(self, writer: BasePdfFileWriter, style: _SealStampStyle, box: layout.BoxConstraints, text: str):
        super().__init__(writer=writer, style=style, box=box)
        self.text = text

    def render(self) -> bytes:
        style: _SealStampStyle = self.style
        font = style.font
        assert font is not None
        self.set_resource(
            category=content.ResourceType.FONT, name=pdf_name(_FONT_RESOURCE), value=font.add_to(self.writer)
        )
        return style.appearance(self.text, self.box.width, self.box.height)


def _fit(font: StampFont, text: str, width: float, height: float, style: _SealStampStyle) -> tuple[float, list[str]]:
    """The largest size (by half points) at which `text` wraps into the box, and its lines."""
    size = style.max_size
    while True:
        lines = _wrap(font, text, width * 1000 / size)
        if size <= style.min_size or size * 1.2 * (len(lines) - 1) + size <= height:
            return size, lines
        size -= 0.5


def _wrap(font: StampFont, text: str, width: float) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current = ""
        for word in paragraph.split(" "):
            candidate = f"{current} {word}" if current else word
            if current and font.width(candidate) > width:
                lines.append(current)
                current = word
            else:
                current = candidate
        lines.append(current)
    return lines


# --- pyHanko, tuned ------------------------------------------------------------------------------


class _CachedKeySigner(signers.SimpleSigner):
    """SimpleSigner that signs with a `cryptography` key object kept in memory.

    asn1crypto re-encodes a parsed value, recursively, once it is copied into a new
    structure; the signer's certificate (in the SignerInfo, the certificate set and the
    signing-certificate-v2 attribute) cost more than everything else together. So the
    certificate and that attribute are kept as DER and handed out freshly parsed.
    """

    @property
    def signing_cert(self) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(self._cert_der)

    def __init__(self, identity: SigningIdentity):
        der = lambda c: c.public_bytes(serialization.Encoding.DER)  # noqa: E731
        certificate = asn1_x509.Certificate.load(der(identity.certificate))
        chain = [asn1_x509.Certificate.load(der(c)) for c in identity.chain]
        key_der = identity.private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self._cert_der = certificate.dump()
        self._signing_certificate_v2_der = as_signing_certificate_v2(certificate).dump()
        super().__init__(
            signing_cert=certificate,
            signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
            cert_registry=SimpleCertificateStore.from_certs([certificate, *chain]),
        )
        self._key = identity.private_key
        self._mechanisms: dict[str | None, bytes] = {}

    def get_signature_mechanism_for_digest(self, digest_algorithm: str | None) -> asn1_algos.SignedDigestAlgorithm:
        # pyHanko asks four times per seal, each time re-reading the certificate: worked out once
        # per digest, handed out freshly parsed like the certificate (see the class docstring).
        der = self._mechanisms.get(digest_algorithm)
        if der is None:
            der = super().get_signature_mechanism_for_digest(digest_algorithm).dump()
            self._mechanisms[digest_algorithm] = der
        return asn1_algos.SignedDigestAlgorithm.load(der)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        if mechanism.signature_algo == "rsassa_pss":
            algorithm = get_pyca_cryptography_hash(digest_algorithm)
            assert isinstance(self._key, rsa.RSAPrivateKey)
            salt = mechanism["parameters"]["salt_length"].native
            return self._key.sign(data, padding.PSS(padding.MGF1(algorithm), salt), algorithm)
        return raw_sign(self._key, data, digest_algorithm)

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
        return self.sign_raw(data, digest_algorithm)

    async def signed_attrs(
        self,
        data_digest: bytes,
        digest_algorithm: str,
        attr_settings=None,
        content_type="data",
        use_pades=False,
        timestamper=None,
        dry_run=False,
        is_pdf_sig=True,
    ) -> cms.CMSAttributes:
        """PAdES signed attributes written directly as DER (what pyHanko would assemble).

        contentType, messageDigest and signingCertificateV2 — PAdES forbids signingTime and
        pyHanko adds nothing else without CAdES options — in DER SET OF order, parsed afresh.
        """
        if not (use_pades and content_type == "data" and getattr(attr_settings, "cades_signed_attrs", None) is None):
            return await super().signed_attrs(
                data_digest,
                digest_algorithm,
                attr_settings=attr_settings,
                content_type=content_type,
                use_pades=use_pades,
                timestamper=timestamper,
                dry_run=dry_run,
                is_pdf_sig=is_pdf_sig,
            )
        return cms.CMSAttributes.load(signed_attributes(data_digest, self._signing_certificate_v2_der))


class _Pdf17Signer(signers.PdfSigner):
    """PdfSigner that keeps the document at PDF 1.7 and signs at a given moment."""

    def __init__(self, *args, system_time: dt.datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._system_time = system_time

    def register_extensions(self, pdf_out: BasePdfFileWriter, *, md_algorithm: str) -> None:
        # pyHanko would add ISO 32002 (and PDF 2.0) for ECDSA on NIST curves; PAdES on
        # PDF 1.7 needs only the ESIC extension.
        if self.signature_meta.subfilter == SigSeedSubFilter.PADES:
            pdf_out.ensure_output_version(version=MAX_PDF_VERSION)
            pdf_out.register_extension(signer_constants.ESIC_EXTENSION_1)

    def init_signing_session(self, pdf_out, existing_fields_only=False):
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        if self._system_time is not None:
            session.system_time = self._system_time
        return session


class _KeepMetadataWriter(IncrementalPdfFileWriter):
    """Incremental writer that leaves the XMP packet and the Info dictionary untouched."""

    def _update_meta(self) -> None:
        pass


# --- The sealer ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StampPlacement:
    """Where the visible stamp goes: a page (negative counts from the end) and a box in points."""

    page: int = -1
    box: tuple[float, float, float, float] | None = None
    """(x1, y1, x2, y2) in default user space; None puts it at the bottom right."""


@dataclass(slots=True)
class _Reservation:
    base: int
    token: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class Sealer:
    """Seals PDFs with one identity at one PAdES level; reuse it for every document.

    `timestamper` is required for B-T and B-LT (a `TimeStampClient`, or any pyHanko
    `TimeStamper`). `stamp_text` replaces the default wording; it may use `{holder}` and
    `{date}`. `visible=False` seals without a stamp. `trust_roots` are the certificates
    B-LT validation may anchor to besides the identity's own chain (e.g. the TSA's root).
    """

    def __init__(
        self,
        identity: SigningIdentity,
        *,
        level: Level = "B-B",
        timestamper: TimeStamper | None = None,
        stamp_text: str | None = None,
        field_name: str = "Facturier",
        language: str = "fr",
        visible: bool = True,
        placement: StampPlacement = StampPlacement(),  # noqa: B008 — frozen value
        trust_roots: Sequence[x509.Certificate] = (),
        allow_fetching: bool = True,
        contact_info: str | None = None,
    ):
        if level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
        if level != "B-B" and timestamper is None:
            raise ValueError(f"PAdES {level} needs a timestamper")
        self.identity = identity
        self.level = level
        self.timestamper = timestamper if level != "B-B" else None
        self.language = "fr" if (language or "fr").lower().startswith("fr") else "en"
        self.stamp_text = stamp_text if stamp_text is not None else STAMP_TEXTS[self.language]
        try:
            self.stamp_text.format(holder="", date="")
        except (KeyError, IndexError, ValueError) as e:
            raise ValueError(f"stamp_text may only use {{holder}} and {{date}}: {e}") from None
        self.field_name = field_name
        self.visible = visible
        self.placement = placement
        self.contact_info = contact_info
        self.holder = identity.details.holder
        self._signer = _CachedKeySigner(identity)
        self._cades = DetachedSignature(
            self._signer.signing_cert.dump(),
            [c.public_bytes(serialization.Encoding.DER) for c in identity.chain],
            mechanism=self._signer.get_signature_mechanism_for_digest(DIGEST).dump(),
            sign=lambda data: self._signer.sign_raw(data, DIGEST),
        )
        self._style = _SealStampStyle(font=stamp_font(self._stamp_characters())) if visible else None
        roots = [*trust_roots, *identity.chain[-1:]]
        if identity.certificate.issuer == identity.certificate.subject:
            roots.append(identity.certificate)
        self._trust_roots = [_asn1(c) for c in roots]
        self._other_certificates = [_asn1(c) for c in identity.chain]
        self.allow_fetching = allow_fetching
        self._reservation = _Reservation(base=_container_size(identity))

    def _validation_context(self) -> ValidationContext | None:
        """For B-LT, a context validating now (pyHanko fixes its moment at construction)."""
        if self.level != "B-LT":
            return None
        return ValidationContext(
            trust_roots=self._trust_roots,
            other_certs=self._other_certificates,
            allow_fetching=self.allow_fetching,
            revocation_mode="soft-fail",
        )

    @property
    def font(self) -> StampFont | None:
        """The stamp's font (None for an invisible seal)."""
        return self._style.font if self._style is not None else None

    def _stamp_characters(self) -> str:
        """Every character the stamp can show: the wording, the holder, any date."""
        sample = dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=-1)))
        return self.stamp_text.format(holder=self.holder, date=format_date(sample, self.language)) + "0123456789+-:/"

    def stamp_wording(self, when: dt.datetime) -> str:
        """The stamp's text for a seal made at `when`."""
        return self.stamp_text.format(holder=self.holder, date=format_date(when, self.language))

    def seal(self, pdf: bytes, *, reason: str, location: str, when: dt.datetime | None = None) -> bytes:
        """`pdf` with a PAdES signature appended as an incremental update.

        `reason` and `location` go into the signature dictionary; `when` (default: now) is
        the claimed signing time and the stamp's date. Raises PdfError for input that
        cannot be read, SealError when signing fails, and TimeStampError from the TSA.
        """
        if when is None:
            when = dt.datetime.now(dt.UTC)
        elif when.tzinfo is None:
            raise ValueError("`when` must be an aware datetime")
        signature = _Signature(reason=reason, location=location, when=when, contact_info=self.contact_info)
        if self.level == "B-LT":
            sealed = self._seal_with_pyhanko(pdf, signature)
        else:
            sealed = self._seal_incrementally(pdf, signature)
        version = max(_declared_version(sealed[:16]), _declared_version(sealed[len(pdf) :]))
        if version > MAX_PDF_VERSION:
            raise SealError(_VERSION_RAISED, detail=f"PDF {version[0]}.{version[1]}")
        return sealed

    # B-B and B-T: the update written here ------------------------------------------------------

    def _seal_incrementally(self, pdf: bytes, signature: _Signature) -> bytes:
        """The signature field, its stamp and the signature dictionary, appended by hand.

        pikepdf reads the page, the catalog and the form; the update holds the new objects
        and new versions of the ones that change (the page or its /Annots, the form or its
        /Fields, the catalog when it gains the form or the ESIC extension); the container is
        then computed over the finished file and written into the reserved /Contents.
        """
        try:
            document = pikepdf.Pdf.open(io.BytesIO(pdf), attempt_recovery=False)
        except pikepdf.PasswordError:
            raise PdfError(_ENCRYPTED)
        except pikepdf.PdfError as e:
            raise PdfError(_UNREADABLE, detail=str(e))
        with document:
            if document.is_encrypted:
                raise PdfError(_ENCRYPTED)
            reserved = self._bytes_reserved()
            try:
                version = max(_declared_version(pdf[:16]), _catalog_version(document.Root))
                if version > MAX_PDF_VERSION:
                    raise SealError(_VERSION_RAISED, detail=f"PDF {version[0]}.{version[1]}")
                update = Update(document)
                signature_number = self._signature_objects(document, update, signature, reserved)
                trailer = {"/ID": _new_id(document, pdf, signature)}
                out = update.append_to(pdf, trailer=trailer)
            except (pikepdf.PdfError, KeyError, IndexError, TypeError, AttributeError) as e:
                raise PdfError(_UNREADABLE, detail=f"{type(e).__name__}: {e}")
        try:
            return _fill_in(out, update.offsets[signature_number][0], reserved, self._container)
        except EngineError:
            raise
        except (SigningError, PyHankoPdfError, ValueError, OSError) as e:
            raise SealError(_SIGNING_FAILED, detail=f"{type(e).__name__}: {e}")

    def _signature_objects(self, document: pikepdf.Pdf, update: Update, signature: _Signature, reserved: int) -> int:
        """Put the field, its appearance and the signature dictionary in `update`; returns the
        signature dictionary's object number."""
        root = document.Root
        count = len(document.pages)
        if not -count <= self.placement.page < count:
            raise ValueError(f"the stamp's page {self.placement.page} is not in this {count}-page PDF")
        page = document.pages[self.placement.page].obj
        form = root.get("/AcroForm")
        form = form if isinstance(form, pikepdf.Dictionary) else None
        fields = form.get("/Fields") if form is not None else None
        fields = fields if isinstance(fields, pikepdf.Array) else None
        field_name = _next_name({str(f.get("/T")) for f in fields or () if isinstance(f, pikepdf.Dictionary)},
                                self.field_name)

        signature_number, widget_number = update.allocate(), update.allocate()
        widget = reference(widget_number)
        update.put(signature_number, signature.dictionary(reserved))
        annotation = {
            "/Type": b"/Annot",
            "/Subtype": b"/Widget",
            "/FT": b"/Sig",
            "/T": pdf_string(field_name),
            "/F": b"132",  # Print | Locked: PDF/A wants annotations printed
            "/P": page.unparse(),
            "/V": reference(signature_number),
            "/Rect": b"[0 0 0 0]",
        }
        if self.visible:
            box = self._box(_media_box(page))
            annotation["/Rect"] = _array(box)
            annotation["/AP"] = b"<</N %s>>" % self._appearance(update, signature, box)
        update.put(widget_number, dictionary(annotation))

        annotations = page.get("/Annots")
        listed = _array_with(annotations, widget)
        if isinstance(annotations, pikepdf.Array) and annotations.is_indirect:
            update.replace(annotations, listed)
        else:
            update.replace(page, dictionary({**kept_entries(page, without=("/Annots",)), "/Annots": listed}))

        catalog: dict[str, bytes] = {}
        form_entries = kept_entries(form, without=("/Fields",)) if form is not None else {}
        if fields is not None and fields.is_indirect:
            update.replace(fields, _array_with(fields, widget))
            form_entries["/Fields"] = fields.unparse()
        else:
            form_entries["/Fields"] = _array_with(fields, widget)
        form_entries["/SigFlags"] = b"3"  # SignaturesExist | AppendOnly
        if form is not None and form.is_indirect:
            update.replace(form, dictionary(form_entries))
        else:
            catalog["/AcroForm"] = update.add(dictionary(form_entries))
        extensions = root.get("/Extensions")
        if not (isinstance(extensions, pikepdf.Dictionary) and "/ESIC" in extensions):
            # PAdES on PDF 1.7 declares the ESIC extension (ETSI EN 319 142-1 §5.4).
            entries = kept_entries(extensions) if isinstance(extensions, pikepdf.Dictionary) else {}
            entries["/ESIC"] = _ESIC_EXTENSION
            if isinstance(extensions, pikepdf.Dictionary) and extensions.is_indirect:
                update.replace(extensions, dictionary(entries))
            else:
                catalog["/Extensions"] = dictionary(entries)
        if catalog:
            update.replace(root, dictionary({**kept_entries(root, without=tuple(catalog)), **catalog}))
        return signature_number

    def _appearance(self, update: Update, signature: _Signature, box: tuple[float, ...]) -> bytes:
        """The stamp as a form XObject with its font; returns a reference to it."""
        style = self._style
        assert style is not None and style.font is not None
        width, height = box[2] - box[0], box[3] - box[1]
        entries = {
            "/Type": b"/XObject",
            "/Subtype": b"/Form",
            "/BBox": _array((0, 0, width, height)),
            "/Resources": b"<</Font <<%s %s>>>>" % (_FONT_RESOURCE.encode(), style.font.put_into(update)),
        }
        text = self.stamp_wording(signature.when)
        return update.add(Update.stream(entries, style.appearance(text, width, height)))

    def _container(self, digest: bytes) -> bytes:
        return self._cades.container(digest, time_stamp=self._time_stamp if self.timestamper is not None else None)

    def _time_stamp(self, digest: bytes) -> bytes:
        return asyncio.run(self.timestamper.async_timestamp(digest, "sha256")).dump()

    # B-LT: pyHanko, which validates the certificate paths and embeds them in a DSS ----------------

    def _seal_with_pyhanko(self, pdf: bytes, signature: _Signature) -> bytes:
        try:
            writer = _KeepMetadataWriter(io.BytesIO(pdf))
        except (PyHankoPdfError, ValueError, KeyError, IndexError) as e:
            raise PdfError(_UNREADABLE, detail=str(e))
        if writer.security_handler is not None:
            raise PdfError(_ENCRYPTED)
        field_name = _free_field_name(writer, self.field_name)
        field_spec = fields.SigFieldSpec(
            sig_field_name=field_name,
            on_page=self.placement.page,
            box=self._box(_writer_media_box(writer, self.placement.page)) if self.visible else None,
        )
        meta = signers.PdfSignatureMetadata(
            field_name=field_name,
            reason=signature.reason,
            location=signature.location,
            contact_info=signature.contact_info,
            md_algorithm="sha256",
            subfilter=SigSeedSubFilter.PADES,
            embed_validation_info=True,
            validation_context=self._validation_context(),
            use_pades_lta=False,
            dss_settings=DSSContentSettings(
                placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE, include_vri=False
            ),
        )
        pdf_signer = _Pdf17Signer(
            meta,
            self._signer,
            timestamper=self.timestamper,
            stamp_style=self._style,
            new_field_spec=field_spec,
            system_time=signature.when,
        )
        output = io.BytesIO()
        try:
            pdf_signer.sign_pdf(
                writer,
                bytes_reserved=self._bytes_reserved(),
                appearance_text_params={"text": self.stamp_wording(signature.when)} if self.visible else None,
                output=output,
            )
        except EngineError:
            raise
        except (ValidationError, PathError) as e:
            raise SealError(_NOT_VALIDATED, detail=f"{type(e).__name__}: {e}")
        except (PyHankoPdfError, SigningError, ValueError, KeyError, OSError) as e:
            raise SealError(_SIGNING_FAILED, detail=f"{type(e).__name__}: {e}")
        if writer.output_version > MAX_PDF_VERSION:
            raise SealError(_VERSION_RAISED, detail="PDF {}.{}".format(*writer.output_version))
        return output.getvalue()

    def _box(self, media_box: tuple[float, float, float, float] | None) -> tuple[float, float, float, float]:
        if self.placement.box is not None:
            return self.placement.box
        right, bottom = (media_box[2], media_box[1]) if media_box is not None else (595.28, 0.0)  # A4
        width, height = STAMP_SIZE
        x2, y1 = right - STAMP_MARGIN[0], bottom + STAMP_MARGIN[1]
        return (x2 - width, y1, x2, y1 + height)

    def _bytes_reserved(self) -> int:
        """Hex digits to reserve for the CMS container: computed once, then reused."""
        reservation = self._reservation
        size = reservation.base
        if self.timestamper is not None:
            with reservation.lock:
                if reservation.token is None:
                    token = asyncio.run(self.timestamper.async_dummy_response("sha256"))
                    reservation.token = len(token.dump()) * 5 // 4 + 512
            size += reservation.token
        return 2 * size


def _container_size(identity: SigningIdentity) -> int:
    """Upper bound of a B-B CMS container's DER size for this identity."""
    certificates = sum(len(c.public_bytes(serialization.Encoding.DER)) for c in (identity.certificate, *identity.chain))
    key = identity.private_key
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.key_size // 8 + 8
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        signature = 2 * (key.curve.key_size + 7) // 8 + 16
    else:
        assert isinstance(key, ed25519.Ed25519PrivateKey)
        signature = 72
    return certificates + signature + 2048  # signed attributes, identifiers, headers, margin


_BYTE_RANGE_PLACEHOLDER = b"[0 0000000000 0000000000 0000000000]"
_ESIC_EXTENSION = b"<</Type /DeveloperExtensions /BaseVersion /1.7 /ExtensionLevel 1>>"


@dataclass(frozen=True, slots=True)
class _Signature:
    """What the signature dictionary says besides the container."""

    reason: str
    location: str
    when: dt.datetime
    contact_info: str | None = None

    def dictionary(self, reserved: int) -> bytes:
        """The signature dictionary, its /Contents (`reserved` hex digits) and /ByteRange to fill in."""
        entries = {
            "/Type": b"/Sig",
            "/Filter": b"/Adobe.PPKLite",
            "/SubFilter": b"/ETSI.CAdES.detached",
            "/M": pdf_string(pdf_date(self.when)),
            "/Reason": pdf_string(self.reason),
            "/Location": pdf_string(self.location),
        }
        if self.contact_info:
            entries["/ContactInfo"] = pdf_string(self.contact_info)
        # Last, in this order: `_fill_in` finds them after the object's start.
        entries["/Contents"] = b"<" + b"0" * reserved + b">"
        entries["/ByteRange"] = _BYTE_RANGE_PLACEHOLDER
        return dictionary(entries)


def _fill_in(out: bytearray, signature_at: int, reserved: int, container) -> bytes:
    """Write the byte range, then the container computed over it, into the finished file."""
    start = out.index(b"/Contents <", signature_at) + len(b"/Contents ")
    end = start + reserved + 2  # the hex string with its angle brackets is what is left out
    at = out.index(b"/ByteRange " + _BYTE_RANGE_PLACEHOLDER, end) + len(b"/ByteRange ")
    out[at : at + len(_BYTE_RANGE_PLACEHOLDER)] = (b"[0 %d %d %d]" % (start, end, len(out) - end)).ljust(
        len(_BYTE_RANGE_PLACEHOLDER)
    )
    with memoryview(out) as view:
        digest = hashlib.sha256(view[:start])
        digest.update(view[end:])
    signed = container(digest.digest()).hex().encode()
    if len(signed) > reserved:
        raise SealError(_SIGNING_FAILED, detail=f"container of {len(signed) // 2} bytes, {reserved // 2} reserved")
    out[start + 1 : start + 1 + len(signed)] = signed
    return bytes(out)


def _new_id(document: pikepdf.Pdf, pdf: bytes, signature: _Signature) -> bytes:
    """The trailer /ID: the file's permanent identifier kept, the changing one renewed."""
    ids = document.trailer.get("/ID")
    renewed = hashlib.md5(pdf[-512:] + signature.when.isoformat().encode() + signature.reason.encode()).hexdigest()
    first = ids[0].unparse() if isinstance(ids, pikepdf.Array) and len(ids) == 2 else b"<%s>" % renewed.encode()
    return b"[%s <%s>]" % (first, renewed.encode())


def _catalog_version(root: pikepdf.Dictionary) -> tuple[int, int]:
    declared = root.get("/Version")
    if not isinstance(declared, pikepdf.Name):
        return (0, 0)
    major, _, minor = str(declared).lstrip("/").partition(".")
    return (int(major), int(minor or 0)) if major.isdigit() and minor.isdigit() else (0, 0)


def _media_box(page: pikepdf.Dictionary) -> tuple[float, float, float, float] | None:
    node = page
    for _ in range(64):  # page tree depth; a loop in /Parent links must not hang
        box = node.get("/MediaBox")
        if isinstance(box, pikepdf.Array) and len(box) == 4:
            return tuple(float(v) for v in box)
        node = node.get("/Parent")
        if not isinstance(node, pikepdf.Dictionary):
            return None
    return None


def _writer_media_box(writer: IncrementalPdfFileWriter, page: int) -> tuple[float, float, float, float] | None:
    try:
        page_ref, _ = writer.find_page_for_modification(page)
        box = page_ref.get_object().get("/MediaBox") or _inherited(page_ref.get_object(), "/MediaBox")
        return tuple(float(v) for v in box)
    except (KeyError, IndexError, TypeError, ValueError, PyHankoPdfError):
        return None


def _array(numbers) -> bytes:
    return b"[" + b" ".join(_number(n) for n in numbers) + b"]"


def _number(value: float) -> bytes:
    """A PDF real: fixed-point (PDF has no exponent notation), no trailing zeros."""
    return (b"%.4f" % value).rstrip(b"0").rstrip(b".") or b"0"


def _array_with(array: pikepdf.Object | None, item: bytes) -> bytes:
    """`array`'s items (a missing or malformed one counts as empty) and `item`."""
    items = [v.unparse() for v in array] if isinstance(array, pikepdf.Array) else []
    return b"[" + b" ".join([*items, item]) + b"]"


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _inherited(page: generic.DictionaryObject, key: str):
    node = page
    while node is not None:
        if key in node:
            return node[key]
        node = node.get("/Parent")
        node = node.get_object() if node is not None else None
    raise KeyError(key)


def _free_field_name(writer: IncrementalPdfFileWriter, base: str) -> str:
    try:
        existing = {str(f.get_object().get("/T")) for f in writer.root["/AcroForm"]["/Fields"]}
    except (KeyError, TypeError):
        existing = set()
    return _next_name(existing, base)


def _next_name(existing: set[str], base: str) -> str:
    """`base`, or `base-2`, `base-3`… when a field of that name exists (a file sealed again)."""
    name, n = base, 1
    while name in existing:
        n += 1
        name = f"{base}-{n}"
    return name


def format_date(moment: dt.datetime, language: str) -> str:
    """The stamp's date: « 25/11/2026 à 11:30 UTC » or "2026-11-25 at 11:30 UTC"."""
    offset = moment.utcoffset() or dt.timedelta(0)
    if offset:
        minutes = int(offset.total_seconds()) // 60
        zone = f"UTC{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    else:
        zone = "UTC"
    if (language or "fr").lower().startswith("fr"):
        return f"{moment:%d/%m/%Y} à {moment:%H:%M} {zone}"
    return f"{moment:%Y-%m-%d} at {moment:%H:%M} {zone}"


_VERSION_IN_HEADER = re.compile(rb"%PDF-(\d)\.(\d)")
_VERSION_IN_CATALOG = re.compile(rb"/Version\s*/(\d)\.(\d)")


def _declared_version(data: bytes) -> tuple[int, int]:
    """The highest version a header or catalog /Version in `data` declares; (0, 0) if none."""
    found = _VERSION_IN_HEADER.findall(data) + _VERSION_IN_CATALOG.findall(data)
    return max(((int(a), int(b)) for a, b in found), default=(0, 0))


def pdf_version(pdf: bytes) -> tuple[int, int]:
    """The version a PDF declares: the header's, or the catalog's /Version when higher."""
    header = _VERSION_IN_HEADER.match(pdf[:16])
    version = (int(header.group(1)), int(header.group(2))) if header else (0, 0)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        declared = document.Root.get("/Version")
    if declared is not None:
        major, _, minor = str(declared).lstrip("/").partition(".")
        version = max(version, (int(major), int(minor or 0)))
    return version


_UNREADABLE = Message(
    fr="Le PDF à sceller est illisible ou endommagé. Régénérez le document puis recommencez.",
    en="The PDF to seal is unreadable or damaged. Regenerate the document and try again.",
)
_ENCRYPTED = Message(
    fr="Le PDF à sceller est chiffré : un Factur-X ne doit pas l'être. Régénérez-le sans mot de passe.",
    en="The PDF to seal is encrypted, which a Factur-X must not be. Regenerate it without a password.",
)
_SIGNING_FAILED = Message(
    fr="Le scellement du PDF a échoué. Vérifiez le certificat de l'organisation puis réessayez.",
    en="Sealing the PDF failed. Check the organisation's certificate and try again.",
)
_NOT_VALIDATED = Message(
    fr="Le certificat de cachet ou celui de l'autorité d'horodatage n'a pas pu être validé jusqu'à une "
    "autorité de confiance : le niveau PAdES B-LT est impossible. Ajoutez l'autorité racine aux "
    "certificats de confiance ou choisissez le niveau B-T.",
    en="The seal certificate or the time-stamp authority's certificate could not be validated up to a "
    "trusted authority, so PAdES B-LT is not possible. Add the root authority to the trusted "
    "certificates or choose level B-T.",
)
_VERSION_RAISED = Message(
    fr="Le scellement aurait rendu le PDF non conforme PDF/A-3 (version PDF supérieure à 1.7) ; le "
    "document n'a pas été scellé.",
    en="Sealing would have made the PDF non-compliant with PDF/A-3 (PDF version above 1.7); the "
    "document was not sealed.",
)
