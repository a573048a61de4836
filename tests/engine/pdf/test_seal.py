"""PAdES sealing: valid over the whole file, still PDF/A-3 and Factur-X, never PDF 2.0."""

from __future__ import annotations

import datetime as dt
import io
import socket
from concurrent.futures import ThreadPoolExecutor

import pikepdf
import pypdf
import pytest
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import SignatureCoverageLevel

from facturier.engine.errors import PdfError
from facturier.engine.facturx.unpack import unpack_facturx
from facturier.engine.pdf.seal import Sealer, SealError, StampPlacement, pdf_version, stamp_font
from facturier.engine.pdf.tsa import TimeStampClient, TimeStampUnavailable

WHEN = dt.datetime(2026, 11, 25, 10, 30, tzinfo=dt.UTC)
KEY_TYPES = ("ec", "rsa")


@pytest.fixture
def sealer(seal_identities, tsa_client):
    """Make a Sealer for a key type and a level (B-T and B-LT use the loopback TSA)."""

    def make(key_type: str = "ec", level: str = "B-B", **options) -> Sealer:
        timestamper = tsa_client if level != "B-B" else None
        return Sealer(seal_identities[key_type], level=level, timestamper=timestamper, **options)

    return make


def _stamp_text(pdf: bytes) -> str:
    """The text of the signature widget's appearance, read by pypdf through its ToUnicode."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        for reference in page.get("/Annots") or []:
            annotation = reference.get_object()
            if annotation.get("/FT") == "/Sig" and "/AP" in annotation:
                return page.extract_xform_text(annotation["/AP"]["/N"].get_object())
    return ""


def _metadata(pdf: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return document.Root.Metadata.read_bytes()


@pytest.mark.parametrize("key_type", KEY_TYPES)
@pytest.mark.parametrize("level", ["B-B", "B-T"])
def test_sealed_facturx_is_intact_valid_and_covers_the_whole_file(
    sealer, seal_facturx, seal_xml, seal_identities, tsa_identity, validate_signatures, key_type, level
):
    sealed = sealer(key_type, level).seal(seal_facturx, reason="Facture F-2026-0042", location="Paris", when=WHEN)

    (status,) = validate_signatures(sealed, trust=[seal_identities[key_type].certificate, tsa_identity.certificate])
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.modification_level == ModificationLevel.NONE
    assert status.signer_reported_dt == WHEN
    if level == "B-T":
        assert status.timestamp_validity is not None
        assert status.timestamp_validity.intact and status.timestamp_validity.valid
        assert status.timestamp_validity.trusted
        assert abs(status.timestamp_validity.timestamp - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    else:
        assert status.timestamp_validity is None

    # An incremental update: the Factur-X bytes, its attachment and its XMP are untouched.
    assert sealed.startswith(seal_facturx)
    assert unpack_facturx(sealed).xml == seal_xml
    assert _metadata(sealed) == _metadata(seal_facturx)
    assert pdf_version(sealed) <= (1, 7)


@pytest.mark.parametrize("key_type", KEY_TYPES)
@pytest.mark.parametrize("level", ["B-B", "B-T"])
def test_sealed_facturx_passes_the_referee_with_signature_checks(sealer, seal_facturx, judge_signed, key_type, level):
    sealed = sealer(key_type, level).seal(seal_facturx, reason="Facture", location="Paris")

    verdict = judge_signed(sealed)

    assert verdict["returncode"] == 0, verdict["output"]
    assert verdict["report"]["passed"], verdict["output"]
    assert {r["artefact"] for r in verdict["report"]["results"]} >= {"pdfa", "signature"}


def test_ecdsa_seal_keeps_the_file_at_pdf_17(sealer, seal_facturx):
    sealed = sealer("ec").seal(seal_facturx, reason="Facture", location="Paris")

    assert sealed.startswith(b"%PDF-1.7")
    with pikepdf.open(io.BytesIO(sealed)) as document:
        assert document.Root.get("/Version") in (None, pikepdf.Name("/1.7"))
        extensions = document.Root.get("/Extensions") or {}
        assert "/ISO_" not in extensions  # ISO 32002 would require PDF 2.0
        assert extensions["/ESIC"].BaseVersion == pikepdf.Name("/1.7")


def test_visible_stamp_says_who_sealed_and_when_in_french(sealer, seal_facturx):
    sealed = sealer("ec").seal(seal_facturx, reason="Facture", location="Paris", when=WHEN)

    text = " ".join(_stamp_text(sealed).split())
    assert text == "Signé électroniquement par ACME SAS (DEMO) le 25/11/2026 à 10:30 UTC"


def test_visible_stamp_speaks_english_when_asked(sealer, seal_facturx):
    paris = dt.timezone(dt.timedelta(hours=1))
    sealed = sealer("rsa", language="en").seal(
        seal_facturx, reason="Invoice", location="Paris", when=WHEN.astimezone(paris)
    )

    text = " ".join(_stamp_text(sealed).split())
    assert text == "Electronically signed by ACME SAS (DEMO) on 2026-11-25 at 11:30 UTC+01:00"


def test_stamp_font_is_embedded_with_widths_in_thousandths_of_an_em(sealer, seal_facturx):
    sealed = sealer("ec").seal(seal_facturx, reason="Facture", location="Paris")

    with pikepdf.open(io.BytesIO(sealed)) as document:
        annotation = next(a for a in document.pages[-1].Annots if a.get("/FT") == "/Sig")
        fonts = list(_fonts_of(annotation.AP.N))
        assert fonts, "the stamp shows text, so it has a font"
        for font in fonts:
            descendant = font.DescendantFonts[0]
            descriptor = descendant.FontDescriptor
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), "font not embedded"
            widths = _widths(list(descendant.W))
            # /W is in 1/1000 text-space units: Latin glyphs are 200–1100 wide, not 2048-unit font units.
            assert widths and max(widths) <= 1100
            assert sorted(widths)[len(widths) // 2] > 200


def _widths(w: list) -> list[float]:
    """The widths of a /W array, in both its forms (`c [w…]` and `c_first c_last w`)."""
    widths, i = [], 0
    while i < len(w):
        if isinstance(w[i + 1], pikepdf.Array):
            widths += [float(x) for x in w[i + 1]]
            i += 2
        else:
            widths += [float(w[i + 2])] * (int(w[i + 1]) - int(w[i]) + 1)
            i += 3
    return widths


def _fonts_of(xobject: pikepdf.Object):
    resources = xobject.get("/Resources") or {}
    yield from (resources.get("/Font") or {}).values()
    for inner in (resources.get("/XObject") or {}).values():
        yield from _fonts_of(inner)


def test_stamp_goes_where_placed(sealer, seal_facturx):
    placement = StampPlacement(page=0, box=(72, 700, 300, 760))
    sealed = sealer("ec", placement=placement).seal(seal_facturx, reason="Facture", location="Paris")

    with pikepdf.open(io.BytesIO(sealed)) as document:
        annotation = next(a for a in document.pages[0].Annots if a.get("/FT") == "/Sig")
        assert [float(v) for v in annotation.Rect] == [72, 700, 300, 760]
        assert int(annotation.F) & 4, "printable, as PDF/A requires"


def test_invisible_seal_still_passes_the_referee(
    sealer, seal_facturx, judge_signed, seal_identities, validate_signatures
):
    sealed = sealer("ec", visible=False).seal(seal_facturx, reason="Facture", location="Paris")

    assert _stamp_text(sealed) == ""
    (status,) = validate_signatures(sealed, trust=[seal_identities["ec"].certificate])
    assert status.intact and status.valid and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert judge_signed(sealed)["returncode"] == 0


def test_b_lt_embeds_the_certificates_in_a_dss_and_still_covers_the_whole_file(
    seal_identities, tsa_client, tsa_identity, seal_facturx, validate_signatures, judge_signed
):
    identity = seal_identities["ec"]
    sealer = Sealer(identity, level="B-LT", timestamper=tsa_client, trust_roots=[tsa_identity.certificate])

    sealed = sealer.seal(seal_facturx, reason="Facture", location="Paris")

    (status,) = validate_signatures(sealed, trust=[identity.certificate, tsa_identity.certificate])
    assert status.intact and status.valid and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    reader = PdfFileReader(io.BytesIO(sealed))
    dss_certificates = {bytes(c.get_object().data) for c in reader.root["/DSS"]["/Certs"]}
    der = serialization.Encoding.DER
    assert identity.certificate.public_bytes(der) in dss_certificates
    assert tsa_identity.certificate.public_bytes(der) in dss_certificates
    assert pdf_version(sealed) <= (1, 7)
    assert judge_signed(sealed)["returncode"] == 0


def test_a_sealed_file_can_be_sealed_again_under_a_new_field(
    sealer, seal_facturx, seal_identities, validate_signatures
):
    once = sealer("ec").seal(seal_facturx, reason="Facture", location="Paris")
    twice = sealer("rsa").seal(once, reason="Contre-signature", location="Lyon")

    first, second = validate_signatures(
        twice, trust=[seal_identities["ec"].certificate, seal_identities["rsa"].certificate]
    )
    assert first.intact and first.valid and second.intact and second.valid
    assert second.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert first.modification_level <= ModificationLevel.FORM_FILLING
    names = [s.field_name for s in PdfFileReader(io.BytesIO(twice)).embedded_signatures]
    assert names == ["Facturier", "Facturier-2"]


def test_sealing_something_that_is_not_a_pdf_raises_a_pdf_error(sealer):
    with pytest.raises(PdfError) as caught:
        sealer("ec").seal(b"%PDF-1.7\nnot really a PDF", reason="Facture", location="Paris")

    assert "PDF" in caught.value.message.fr and "PDF" in caught.value.message.en


def test_time_stamped_levels_need_a_timestamper(seal_identities):
    with pytest.raises(ValueError, match="timestamper"):
        Sealer(seal_identities["ec"], level="B-T")


def test_signing_time_must_be_aware(sealer, seal_facturx):
    with pytest.raises(ValueError, match="aware"):
        sealer("ec").seal(seal_facturx, reason="Facture", location="Paris", when=dt.datetime(2026, 1, 1))


def test_b_lt_without_a_trusted_tsa_fails_with_a_clear_message(seal_identities, tsa_client, seal_facturx):
    sealer = Sealer(seal_identities["ec"], level="B-LT", timestamper=tsa_client)  # TSA root not trusted

    with pytest.raises(SealError) as caught:
        sealer.seal(seal_facturx, reason="Facture", location="Paris")

    assert "B-LT" in caught.value.message.fr and "B-LT" in caught.value.message.en


def test_unreachable_tsa_fails_the_seal_with_a_typed_error(seal_identities, seal_facturx):
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    timestamper = TimeStampClient(f"http://127.0.0.1:{port}/tsa", timeout=2, allow_private=True)

    with pytest.raises(TimeStampUnavailable) as caught:
        Sealer(seal_identities["ec"], level="B-T", timestamper=timestamper).seal(
            seal_facturx, reason="Facture", location="Paris"
        )

    assert "injoignable" in caught.value.message.fr


def test_custom_stamp_text_and_characters_outside_the_font(seal_identities, seal_facturx):
    sealer = Sealer(seal_identities["rsa"], stamp_text="Cachet {holder} — Zoë Łódź 東京 ({date})")

    sealed = sealer.seal(seal_facturx, reason="Facture", location="Paris", when=WHEN)

    text = " ".join(_stamp_text(sealed).split())
    assert text == "Cachet ACME SAS (DEMO) — Zoë Łódź ?? (25/11/2026 à 10:30 UTC)"


def test_stamp_text_with_unknown_placeholders_is_refused_up_front(seal_identities):
    with pytest.raises(ValueError, match="holder"):
        Sealer(seal_identities["ec"], stamp_text="Signé par {signer}")


def test_the_stamp_font_is_subset_once_and_shared(seal_identities):
    first = Sealer(seal_identities["ec"])
    second = Sealer(seal_identities["rsa"])  # same holder name, same language: same characters

    assert first.font is not None and first.font is second.font
    assert first.font is stamp_font(first.stamp_wording(WHEN) + "0123456789+-:/")


def test_one_sealer_seals_from_several_threads(sealer, seal_facturx, seal_identities, validate_signatures):
    shared = sealer("ec")

    with ThreadPoolExecutor(max_workers=4) as pool:
        sealed = list(pool.map(lambda i: shared.seal(seal_facturx, reason=f"Facture {i}", location="Paris"), range(8)))

    for pdf in sealed:
        (status,) = validate_signatures(pdf, trust=[seal_identities["ec"].certificate])
        assert status.intact and status.valid and status.coverage == SignatureCoverageLevel.ENTIRE_FILE


# --- The hand-written update (B-B, B-T) on files other than our own renderer's ----------------


def _rewritten(pdf: bytes, change=None, **save_options) -> bytes:
    """`pdf` changed by pikepdf and saved again as a whole new file."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        if change is not None:
            change(document)
        out = io.BytesIO()
        document.save(out, **save_options)
    return out.getvalue()


def test_a_file_with_cross_reference_streams_is_sealed_with_a_stream(
    sealer, seal_facturx, seal_identities, validate_signatures
):
    compact = _rewritten(seal_facturx, object_stream_mode=pikepdf.ObjectStreamMode.generate)

    sealed = sealer("ec").seal(compact, reason="Facture", location="Paris")

    assert sealed.startswith(compact)
    assert b"/Type /XRef" in sealed[len(compact) :]
    (status,) = validate_signatures(sealed, trust=[seal_identities["ec"].certificate])
    assert status.intact and status.valid and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.modification_level == ModificationLevel.NONE


def test_existing_annotations_form_fields_and_extensions_are_kept(
    sealer, seal_facturx, seal_identities, validate_signatures
):
    def decorate(document: pikepdf.Pdf) -> None:
        link = document.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[10, 10, 60, 30], F=4, Border=[0, 0, 0],
                A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://example.org/")),
            )
        )
        document.pages[-1].obj.Annots = document.make_indirect(pikepdf.Array([link]))
        document.Root.Extensions = document.make_indirect(
            pikepdf.Dictionary(ADBE=pikepdf.Dictionary(BaseVersion=pikepdf.Name("/1.7"), ExtensionLevel=3))
        )
        document.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(), DA=pikepdf.String("/Helv 0 Tf 0 g"))

    decorated = _rewritten(seal_facturx, decorate)

    sealed = sealer("rsa").seal(decorated, reason="Facture", location="Paris")

    (status,) = validate_signatures(sealed, trust=[seal_identities["rsa"].certificate])
    assert status.intact and status.valid and status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    with pikepdf.open(io.BytesIO(sealed)) as document:
        subtypes = [str(a.Subtype) for a in document.pages[-1].Annots]
        assert subtypes == ["/Link", "/Widget"]
        assert set(document.Root.Extensions.keys()) == {"/ADBE", "/ESIC"}
        assert str(document.Root.AcroForm.DA) == "/Helv 0 Tf 0 g"
        assert [str(f.T) for f in document.Root.AcroForm.Fields] == ["Facturier"]
        assert int(document.Root.AcroForm.SigFlags) == 3


def test_a_file_declaring_pdf_20_is_not_sealed_as_pdfa(sealer, seal_facturx):
    def declare_20(document: pikepdf.Pdf) -> None:
        document.Root.Version = pikepdf.Name("/2.0")

    with pytest.raises(SealError) as caught:
        sealer("ec").seal(_rewritten(seal_facturx, declare_20), reason="Facture", location="Paris")

    assert "1.7" in caught.value.message.fr


def test_an_encrypted_file_is_refused_with_a_clear_message(sealer, seal_facturx):
    encrypted = _rewritten(seal_facturx, encryption=pikepdf.Encryption(owner="o", user="", R=6))

    with pytest.raises(PdfError) as caught:
        sealer("ec").seal(encrypted, reason="Facture", location="Paris")

    assert "chiffré" in caught.value.message.fr and "encrypted" in caught.value.message.en


def test_a_stamp_placed_on_a_page_the_file_lacks_is_a_programming_error(sealer, seal_facturx):
    with pytest.raises(ValueError, match="page 5"):
        sealer("ec", placement=StampPlacement(page=5)).seal(seal_facturx, reason="Facture", location="Paris")
