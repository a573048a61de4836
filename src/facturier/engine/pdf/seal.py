"""PAdES sealing of invoice PDFs with pyHanko, fast and without breaking PDF/A-3.

A `Sealer` holds one organisation's identity and settings and seals any number of PDFs:
an incremental update adds a visible stamp « Signé électroniquement par … le … » and a
PAdES signature (B-B; B-T with an RFC 3161 token; B-LT with a DSS) covering the whole
file. The Factur-X attachment and XMP stay as they are: nothing before the update changes.

Stock pyHanko signing measured 230–320 ms per PDF; what costs and what breaks, and what
this module does about it:

- pyHanko's `SimpleSigner` re-reads (re-validates) the private key from DER for every raw
  signature — over 100 ms for RSA. `_CachedKeySigner` keeps the `cryptography` key object
  and signs with it directly; it is built once per `Sealer`.
- Its text stamp subsets an OpenType font for every document (and needs fontTools, which
  this stack does not have) and writes glyph widths in font units instead of 1/1000 em.
  `StampFont` is subset once per character set: Typst renders the characters a sealer's
  wording can contain (template, holder, any date) on a PDF/A-3 page and we keep its
  embedded, subsetted font — program, CIDSet, ToUnicode and /W widths in 1/1000 em exactly
  as Typst wrote them for PDF/A. Each sealed file gets a copy of those objects (a few
  kilobytes; every font stays embedded).
- With an ECDSA key on a P-256/384/521 curve pyHanko registers the ISO 32002 extension and
  raises the document to PDF 2.0, which PDF/A-3 forbids. `_Pdf17Signer` registers only the
  ESIC (PAdES) extension, which is defined for PDF 1.7, and the output's header and
  catalog /Version are checked after signing.
- Its writer rewrites the XMP packet through its own metadata model and stamps /Producer
  and /ModDate in the Info dictionary. `_KeepMetadataWriter` leaves both alone: the
  Factur-X XMP stays byte for byte, and Info stays consistent with it (PDF/A-3 §6.7.3).
- The size of the signature container is estimated once per `Sealer` (certificates, key
  size, one time-stamp token) instead of by a dry-run signature per document.
- asn1crypto re-encodes, recursively, any parsed value copied into a new structure; the
  signer's certificate and the signed attributes cost more than all the rest. The signer
  hands out its certificate freshly parsed from DER and writes the three PAdES signed
  attributes (contentType, messageDigest, signingCertificateV2) directly as DER.

Measured on a one-page Factur-X, B-B, after warm-up: about 4 ms (ECDSA P-256) and 5 ms
(RSA 3072) per seal; the first seal of a process adds the stamp font (about 20 ms).

B-LT: the signer's and the TSA's certificate paths are validated against `trust_roots`
(plus the identity's own chain root) and embedded in a DSS within the signed revision, so
the signature still covers the whole file. Revocation data (OCSP, CRL) is fetched from the
certificates' own URLs when `allow_fetching` is true, in soft-fail mode: a certificate
that names none — a self-signed demo or operator certificate — simply has none.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
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
from facturier.engine.pdf.certificates import SigningIdentity, raw_sign

Level = Literal["B-B", "B-T", "B-LT"]
LEVELS: tuple[Level, ...] = ("B-B", "B-T", "B-LT")
MAX_PDF_VERSION = (1, 7)
"""PDF/A-3 is based on PDF 1.7 (ISO 32000-1); a sealed file must never say more."""

STAMP_TEXTS = {
    "fr": "Signé électroniquement par {holder}\nle {date}",
    "en": "Electronically signed by {holder}\non {date}",
}
"""Default stamp wording; `{holder}` and `{date}` are filled in, a line break is kept."""
STAMP_SIZE = (240.0, 42.0)
"""Default stamp width and height, in points."""
STAMP_MARGIN = 28.0
"""Default distance of the stamp from the right and bottom edges of the page, in points."""
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
    padding: float = 5.0
    max_size: float = 9.0
    min_size: float = 5.0

    def create_stamp(self, writer: BasePdfFileWriter, box: layout.BoxConstraints, text_params: dict) -> _SealStamp:
        return _SealStamp(writer, self, box, text_params.get("text", ""))


class _SealStamp(BaseStamp):
    def __init__(self, writer: BasePdfFileWriter, style: _SealStampStyle, box: layout.BoxConstraints, text: str):
        super().__init__(writer=writer, style=style, box=box)
        self.text = text

    def _render_inner_content(self) -> list[bytes]:
        style: _SealStampStyle = self.style
        font = style.font
        assert font is not None
        self.set_resource(
            category=content.ResourceType.FONT, name=pdf_name(_FONT_RESOURCE), value=font.add_to(self.writer)
        )
        width, height = self.box.width, self.box.height
        size, lines = _fit(font, self.text, width - 2 * style.padding, height - 2 * style.padding, style)
        leading = size * 1.2
        commands: list[bytes] = []
        if style.fill_color:
            commands.append(b"%g %g %g rg 0 0 %g %g re f" % (*style.fill_color, width, height))
        block = leading * (len(lines) - 1) + size
        y = (height + block) / 2 - size * 0.8
        commands.append(b"BT %g %g %g rg %s %g Tf" % (*style.text_color, _FONT_RESOURCE.encode(), size))
        for line in lines:
            encoded, line_width = font.encode(line)
            x = (width - line_width * size / 1000) / 2
            commands.append(b"1 0 0 1 %.2f %.2f Tm %s Tj" % (x, y, encoded))
            y -= leading
        commands.append(b"ET")
        return commands


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
        attributes = sorted(
            [
                _der(0x30, _OID_CONTENT_TYPE + _der(0x31, _CONTENT_TYPE_DATA)),
                _der(0x30, _OID_MESSAGE_DIGEST + _der(0x31, _der(0x04, data_digest))),
                _der(0x30, _OID_SIGNING_CERTIFICATE_V2 + _der(0x31, self._signing_certificate_v2_der)),
            ]
        )
        return cms.CMSAttributes.load(_der(0x31, b"".join(attributes)))


def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


_CONTENT_TYPE_DATA = cms.ContentType("data").dump()
_OID_CONTENT_TYPE = cms.CMSAttributeType("content_type").dump()
_OID_MESSAGE_DIGEST = cms.CMSAttributeType("message_digest").dump()
_OID_SIGNING_CERTIFICATE_V2 = cms.CMSAttributeType("signing_certificate_v2").dump()


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
            box=self._box(writer) if self.visible else None,
        )
        meta = signers.PdfSignatureMetadata(
            field_name=field_name,
            reason=reason,
            location=location,
            contact_info=self.contact_info,
            md_algorithm="sha256",
            subfilter=SigSeedSubFilter.PADES,
            embed_validation_info=self.level == "B-LT",
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
            system_time=when,
        )
        output = io.BytesIO()
        try:
            pdf_signer.sign_pdf(
                writer,
                bytes_reserved=self._bytes_reserved(),
                appearance_text_params={"text": self.stamp_wording(when)} if self.visible else None,
                output=output,
            )
        except EngineError:
            raise
        except (ValidationError, PathError) as e:
            raise SealError(_NOT_VALIDATED, detail=f"{type(e).__name__}: {e}")
        except (PyHankoPdfError, SigningError, ValueError, KeyError, OSError) as e:
            raise SealError(_SIGNING_FAILED, detail=f"{type(e).__name__}: {e}")
        sealed = output.getvalue()
        version = max(writer.output_version, _declared_version(sealed[:16]), _declared_version(sealed[len(pdf) :]))
        if version > MAX_PDF_VERSION:
            raise SealError(_VERSION_RAISED, detail=f"PDF {version[0]}.{version[1]}")
        return sealed

    def _box(self, writer: IncrementalPdfFileWriter) -> tuple[float, float, float, float]:
        if self.placement.box is not None:
            return self.placement.box
        try:
            page_ref, _ = writer.find_page_for_modification(self.placement.page)
            media_box = page_ref.get_object().get("/MediaBox") or _inherited(page_ref.get_object(), "/MediaBox")
            right, bottom = float(media_box[2]), float(media_box[1])
        except (KeyError, IndexError, TypeError, ValueError, PyHankoPdfError):
            right, bottom = 595.28, 0.0  # A4
        width, height = STAMP_SIZE
        x2, y1 = right - STAMP_MARGIN, bottom + STAMP_MARGIN
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
    """`base`, or `base-2`, `base-3`… when a field of that name exists (a file sealed again)."""
    try:
        existing = {str(f.get_object().get("/T")) for f in writer.root["/AcroForm"]["/Fields"]}
    except (KeyError, TypeError):
        return base
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
