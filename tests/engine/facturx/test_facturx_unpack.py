"""Unpacking the invoice XML of Factur-X / ZUGFeRD PDFs, and refusing what is not one."""

from __future__ import annotations

import io
import zlib

import pikepdf
import pytest

from facturier.engine.errors import InputTooLarge, PdfError
from facturier.engine.facturx import pack_facturx, unpack_facturx


def refusal(pdf: bytes, **kwargs) -> PdfError:
    with pytest.raises(PdfError) as caught:
        unpack_facturx(pdf, **kwargs)
    message = caught.value.message
    assert message.fr and message.en and message.fr != message.en
    return caught.value


def test_the_official_sample_unpacks(official_sample_pdf):
    attachment = unpack_facturx(official_sample_pdf)

    assert (attachment.filename, attachment.flavour) == ("factur-x.xml", "factur-x")
    assert attachment.relationship == "Source"
    assert attachment.conformance_level == "EN 16931"
    assert attachment.xml.removeprefix(b"\xef\xbb\xbf").startswith(b"<?xml")
    assert b"CrossIndustryInvoice" in attachment.xml


@pytest.mark.parametrize("name", ["zugferd-invoice.xml", "ZUGFeRD-invoice.xml"])
def test_a_zugferd_attachment_is_found(attach, visual, facturx_xml_dir, name):
    xml = (facturx_xml_dir / "zugferd-comfort.xml").read_bytes()

    attachment = unpack_facturx(attach(visual, name, xml))

    assert (attachment.filename, attachment.flavour, attachment.xml) == (name, "zugferd", xml)


def test_an_xrechnung_attachment_is_found(attach, visual, en16931_xml):
    attachment = unpack_facturx(attach(visual, "xrechnung.xml", en16931_xml))

    assert attachment.flavour == "xrechnung"


def test_an_xml_with_a_byte_order_mark_is_accepted(attach, visual, en16931_xml):
    xml = b"\xef\xbb\xbf\n  " + en16931_xml.removeprefix(b"\xef\xbb\xbf")

    assert unpack_facturx(attach(visual, "factur-x.xml", xml)).xml == xml


def test_bytes_that_are_not_a_pdf_are_refused(en16931_xml):
    error = refusal(en16931_xml)

    assert "pas un PDF" in error.message.fr and "not a PDF" in error.message.en


@pytest.mark.parametrize("keep", [0.5, 0.98])
def test_a_truncated_pdf_is_refused(visual, en16931_xml, keep):
    packed = pack_facturx(visual, en16931_xml, conformance_level="EN 16931")

    error = refusal(packed[: int(len(packed) * keep)])

    assert "tronqué" in error.message.fr and "truncated" in error.message.en


def test_a_pdf_with_a_broken_cross_reference_table_is_refused(visual, en16931_xml):
    packed = pack_facturx(visual, en16931_xml, conformance_level="EN 16931")
    cut = len(packed) // 3
    damaged = packed[:cut] + packed[cut + 500 :]

    error = refusal(damaged)

    assert "endommagé" in error.message.fr and "damaged" in error.message.en


def test_a_pdf_without_attachment_is_refused(visual):
    error = refusal(visual)

    assert "factur-x.xml" in error.message.fr and "factur-x.xml" in error.message.en
    assert error.detail == "no attachment"


def test_a_pdf_whose_only_attachment_has_another_name_is_refused(attach, visual, en16931_xml):
    error = refusal(attach(visual, "facture.xml", en16931_xml))

    assert "facture.xml" in (error.detail or "")


def test_an_attachment_that_is_not_xml_is_refused(attach, visual):
    error = refusal(attach(visual, "factur-x.xml", b"%PDF-1.4 not an invoice", mime_type="application/pdf"))

    assert "n'est pas du XML" in error.message.fr and "is not XML" in error.message.en


@pytest.mark.parametrize("user_password", ["secret", ""])
def test_an_encrypted_pdf_is_refused(visual, en16931_xml, user_password):
    packed = pack_facturx(visual, en16931_xml, conformance_level="EN 16931")
    out = io.BytesIO()
    pikepdf.open(io.BytesIO(packed)).save(out, encryption=pikepdf.Encryption(owner="owner", user=user_password))

    error = refusal(out.getvalue())

    assert "chiffré" in error.message.fr and "encrypted" in error.message.en


def test_a_pdf_above_the_limit_is_refused(visual, en16931_xml):
    packed = pack_facturx(visual, en16931_xml, conformance_level="EN 16931")

    with pytest.raises(InputTooLarge) as caught:
        unpack_facturx(packed, max_bytes=len(packed) - 1)

    assert caught.value.message.fr and caught.value.message.en


def test_a_compressed_xml_bomb_is_not_inflated_past_the_limit(visual):
    bomb = b"<a>" + b" " * (8 * 1024 * 1024) + b"</a>"
    document = pikepdf.open(io.BytesIO(visual))
    stream = pikepdf.Stream(document, zlib.compress(bomb, 9))
    stream.Filter = pikepdf.Name.FlateDecode
    stream.Type = pikepdf.Name.EmbeddedFile
    spec = document.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Filespec,
            F=pikepdf.String("factur-x.xml"),
            UF=pikepdf.String("factur-x.xml"),
            EF=pikepdf.Dictionary(F=stream),
        )
    )
    document.Root.AF = pikepdf.Array([spec])
    out = io.BytesIO()
    document.save(out)
    assert len(out.getvalue()) < 1024 * 1024

    with pytest.raises(InputTooLarge):
        unpack_facturx(out.getvalue(), max_bytes=1024 * 1024)
