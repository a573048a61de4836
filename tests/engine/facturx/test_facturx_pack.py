"""Packing a Typst PDF/A-3b visual and a CII XML into a Factur-X file."""

from __future__ import annotations

import datetime as dt
import io

import pikepdf
import pytest

from facturier.engine.errors import PdfError
from facturier.engine.facturx import pack_facturx, unpack_facturx
from facturier.engine.facturx.pack import level_of_guideline
from facturier.engine.facturx.xmp import FX_NS, read_facts


def open_strictly(data: bytes) -> pikepdf.Pdf:
    document = pikepdf.open(io.BytesIO(data), attempt_recovery=False, suppress_warnings=False)
    assert document.get_warnings() == []
    assert document.check_pdf_syntax() == []
    return document


def test_packing_appends_an_incremental_update_after_the_untouched_visual(visual, en16931_xml):
    packed = pack_facturx(visual, en16931_xml, conformance_level="EN 16931")

    assert packed.startswith(visual)
    update = packed[len(visual) :]
    assert b"/Prev " in update and update.rstrip().endswith(b"%%EOF")
    assert b"/Pages" in update  # the catalog is re-emitted…
    assert b"/FontFile" not in update  # …but fonts and pages are not rewritten


def test_packed_file_carries_the_xml_as_an_associated_data_file(visual, en16931_xml):
    document = open_strictly(pack_facturx(visual, en16931_xml, conformance_level="EN 16931"))

    assert list(document.attachments) == ["factur-x.xml"]
    spec = document.attachments["factur-x.xml"].obj
    assert spec.AFRelationship == pikepdf.Name.Alternative
    assert str(spec.F) == str(spec.UF) == "factur-x.xml"
    assert [f.objgen for f in document.Root.AF] == [spec.objgen]
    stream = spec.EF.F
    assert stream.Type == pikepdf.Name.EmbeddedFile
    assert stream.Subtype == pikepdf.Name("/text/xml")
    assert stream.Params.Size == len(en16931_xml) and "/ModDate" in stream.Params
    assert stream.read_bytes() == en16931_xml


def test_xmp_gains_the_facturx_schema_and_keeps_the_pdfa_identification(visual, en16931_xml):
    document = open_strictly(pack_facturx(visual, en16931_xml, conformance_level="EN 16931"))
    xmp = document.Root.Metadata.read_bytes()

    facts = read_facts(xmp)
    assert (facts.pdfa_part, facts.pdfa_conformance) == ("3", "B")
    assert (facts.document_type, facts.document_file_name, facts.version, facts.conformance_level) == (
        "INVOICE",
        "factur-x.xml",
        "1.0",
        "EN 16931",
    )
    assert xmp.count(f"<pdfaSchema:namespaceURI>{FX_NS}</pdfaSchema:namespaceURI>".encode()) == 1
    assert b"<pdfaSchema:prefix>fx</pdfaSchema:prefix>" in xmp
    assert b"XMP Media Management schema" in xmp  # Typst's own extension schemas survive
    assert "/Filter" not in document.Root.Metadata  # PDF/A: metadata stays readable as is


def test_unpacking_a_packed_file_gives_back_the_same_xml(visual, en16931_xml):
    attachment = unpack_facturx(pack_facturx(visual, en16931_xml, conformance_level="EN 16931"))

    assert attachment.xml == en16931_xml
    assert (attachment.filename, attachment.flavour) == ("factur-x.xml", "factur-x")
    assert (attachment.relationship, attachment.conformance_level) == ("Alternative", "EN 16931")


def test_the_referee_accepts_the_packed_file(visual, en16931_xml, oracle):
    verdict = oracle(pack_facturx(visual, en16931_xml, conformance_level="EN 16931"))

    assert verdict["returncode"] == 0, verdict["output"]
    assert verdict["report"]["xmp_level"] == "EN 16931"


def test_packing_twice_keeps_one_attachment_and_still_passes(visual, en16931_xml, oracle):
    once = pack_facturx(visual, en16931_xml, conformance_level="EN 16931")
    twice = pack_facturx(once, en16931_xml, conformance_level="EN 16931")

    assert twice.startswith(once)
    document = open_strictly(twice)
    assert list(document.attachments) == ["factur-x.xml"]
    assert len(document.Root.AF) == 1
    xmp = document.Root.Metadata.read_bytes()
    assert xmp.count(b"<fx:ConformanceLevel>") == 1
    assert xmp.count(b"Factur-X PDFA Extension Schema") == 1
    verdict = oracle(twice)
    assert verdict["returncode"] == 0, verdict["output"]


def test_an_attachment_made_by_typst_is_replaced_not_duplicated(render, tmp_path, en16931_xml, oracle):
    (tmp_path / "factur-x.xml").write_bytes(b"<old/>")
    source = (
        '#pdf.attach("factur-x.xml", relationship: "alternative", mime-type: "text/xml", description: "Factur-X")\n'
        "= Facture\n"
    )
    visual = render(source)

    packed = pack_facturx(visual, en16931_xml, conformance_level="EN 16931")

    document = open_strictly(packed)
    assert list(document.attachments) == ["factur-x.xml"] and len(document.Root.AF) == 1
    assert unpack_facturx(packed).xml == en16931_xml
    assert oracle(packed)["returncode"] == 0


def test_the_same_xml_attached_by_typst_is_kept_and_only_the_xmp_is_added(render, tmp_path, en16931_xml, oracle):
    (tmp_path / "factur-x.xml").write_bytes(en16931_xml)
    source = (
        '#pdf.attach("factur-x.xml", relationship: "alternative", mime-type: "text/xml", description: "Factur-X")\n'
        "= Facture\n"
    )
    visual = render(source)

    packed = pack_facturx(visual, en16931_xml, conformance_level="EN 16931")

    update = packed[len(visual) :]
    assert b"/EmbeddedFile" not in update and b"/Catalog" not in update  # the XMP stream alone
    assert b"fx:ConformanceLevel" in update
    assert unpack_facturx(packed).xml == en16931_xml
    assert oracle(packed)["returncode"] == 0
    # Another relationship, or an explicit date for the attachment, attaches afresh.
    new_year = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    for changed in (
        pack_facturx(visual, en16931_xml, conformance_level="EN 16931", relationship="Data"),
        pack_facturx(visual, en16931_xml, conformance_level="EN 16931", modified=new_year),
    ):
        assert b"/EmbeddedFile" in changed[len(visual) :]
        assert list(open_strictly(changed).attachments) == ["factur-x.xml"]


def test_other_attachments_are_kept(attach, visual, en16931_xml):
    with_note = attach(visual, "bon-de-livraison.txt", b"BL 42", mime_type="text/plain")

    document = open_strictly(pack_facturx(with_note, en16931_xml, conformance_level="EN 16931"))

    assert sorted(document.attachments) == ["bon-de-livraison.txt", "factur-x.xml"]
    assert len(document.Root.AF) == 2


def test_a_visual_with_cross_reference_streams_is_updated_with_a_stream(visual, en16931_xml, oracle):
    out = io.BytesIO()
    pikepdf.open(io.BytesIO(visual)).save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    compact = out.getvalue()

    packed = pack_facturx(compact, en16931_xml, conformance_level="EN 16931")

    assert packed.startswith(compact)
    assert b"/Type /XRef" in packed[len(compact) :]
    assert list(open_strictly(packed).attachments) == ["factur-x.xml"]
    assert oracle(packed)["returncode"] == 0


@pytest.mark.parametrize(
    ("example", "level", "relationship"),
    [
        ("factur-x-minimum.xml", "MINIMUM", "Data"),
        ("factur-x-basicwl.xml", "basicwl", "Data"),
        ("factur-x-basic.xml", "BASIC", "Alternative"),
        ("factur-x-extended.xml", "EXTENDED", "Alternative"),
    ],
)
def test_every_profile_is_declared_with_its_level_and_relationship(
    visual, facturx_xml_dir, example, level, relationship, oracle
):
    xml = (facturx_xml_dir / example).read_bytes()

    packed = pack_facturx(visual, xml, conformance_level=level)

    attachment = unpack_facturx(packed)
    assert attachment.relationship == relationship
    assert attachment.conformance_level == {"basicwl": "BASIC WL"}.get(level, level)
    verdict = oracle(packed)
    assert verdict["returncode"] == 0, verdict["output"]


def test_packing_is_reproducible(visual, en16931_xml):
    assert pack_facturx(visual, en16931_xml, conformance_level="EN 16931") == pack_facturx(
        visual, en16931_xml, conformance_level="EN 16931"
    )


def test_a_visual_that_is_not_pdfa3_is_refused_rather_than_stamped(render, en16931_xml):
    plain = render("= Facture\n", pdfa=False)

    with pytest.raises(PdfError) as caught:
        pack_facturx(plain, en16931_xml, conformance_level="EN 16931")

    assert "PDF/A-3" in caught.value.message.fr and "PDF/A-3" in caught.value.message.en


def test_an_unknown_level_or_relationship_is_a_programming_error(visual, en16931_xml):
    with pytest.raises(ValueError, match="conformance level"):
        pack_facturx(visual, en16931_xml, conformance_level="GOLD")
    with pytest.raises(ValueError, match="AFRelationship"):
        pack_facturx(visual, en16931_xml, conformance_level="BASIC", relationship="Supplement")
    with pytest.raises(ValueError, match="not XML"):
        pack_facturx(visual, b"%PDF-1.7", conformance_level="BASIC")


def test_a_level_that_contradicts_the_xml_guideline_is_refused(visual, en16931_xml):
    with pytest.raises(ValueError, match="guideline"):
        pack_facturx(visual, en16931_xml, conformance_level="BASIC")


def test_the_level_is_read_from_every_official_guideline_id(conformance_dir):
    examples = conformance_dir / "zugferd-2.5.2" / "examples"
    expected = {"minimum": "MINIMUM", "basicwl": "BASIC WL", "basic": "BASIC", "en16931": "EN 16931"}
    expected["extended"] = "EXTENDED"

    found = {p.relative_to(examples).as_posix(): level_of_guideline(p.read_bytes()) for p in examples.rglob("*.xml")}

    assert found and found == {name: expected[name.split("/")[0]] for name in found}
