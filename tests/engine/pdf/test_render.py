"""Rendering invoices to PDF/A-3b with Typst: text, layout, languages, drafts, templates.

Every invoice is built here as an EN 16931 model (`make_invoice`); the PDFs are read back with
poppler's `pdftotext` and judged as text, the way a reader or an auditor would see them.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import struct
import subprocess
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from facturier.engine.en16931.codes import DocumentTypeCode, VatCategory
from facturier.engine.en16931.model import (
    AllowanceCharge,
    Buyer,
    Contact,
    CreditTransfer,
    Delivery,
    DocumentTotals,
    Identifier,
    Invoice,
    InvoiceLine,
    Item,
    LineAllowanceCharge,
    LineVat,
    Note,
    PaymentInstructions,
    PostalAddress,
    PrecedingInvoice,
    Price,
    ProcessControl,
    Seller,
    VatBreakdown,
)
from facturier.engine.pdf import Attachment, RenderError, RenderOptions, TemplateError, render_invoice

IBAN = "FR7630006000011234567890189"
SELLER = Seller(
    name="Atelier Lumière SAS",
    identifiers=(Identifier("73282932000074", "0009"),),
    legal_registration=Identifier("732829320", "0002"),
    vat_id="FR44732829320",
    legal_form="SAS au capital de 10 000,00 € — RCS Paris 732 829 320",
    address=PostalAddress(country="FR", line1="12 rue des Lilas", city="Paris", post_code="75011"),
    contact=Contact(email="compta@atelier-lumiere.fr", phone="01 23 45 67 89"),
)
BUYER = Buyer(
    name="Boulangerie Dupont SARL",
    identifiers=(Identifier("55208131766522", "0009"),),
    legal_registration=Identifier("552081317", "0002"),
    vat_id="FR03552081317",
    address=PostalAddress(country="FR", line1="3 place du Marché", city="Lyon", post_code="69002"),
)
MENTIONS = (
    Note(text="Option pour le paiement de la taxe d'après les débits.", subject_code="TXD"),
    Note(
        text="Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €.", subject_code="PMT"
    ),
    Note(text="Pénalités de retard : trois fois le taux d'intérêt légal.", subject_code="PMD"),
    Note(text="Pas d'escompte pour paiement anticipé.", subject_code="AAB"),
    Note(text="B2B", subject_code="BAR"),
)


def make_line(n: int, *, quantity="3", price="400.00", rate="20", discount: str | None = None) -> InvoiceLine:
    qty, unit_price = Decimal(quantity), Decimal(price)
    gross = qty * unit_price
    allowances = ()
    if discount:
        allowances = (
            LineAllowanceCharge(
                is_charge=False,
                amount=(gross * Decimal(discount) / 100).quantize(Decimal("0.01")),
                percentage=Decimal(discount),
                base_amount=gross,
                reason="Remise",
            ),
        )
    net = gross - sum((a.amount for a in allowances), Decimal(0))
    return InvoiceLine(
        id=str(n),
        quantity=qty,
        unit="HUR",
        net_amount=net.quantize(Decimal("0.01")),
        price=Price(net_price=unit_price),
        vat=LineVat(category=VatCategory.S, rate=Decimal(rate)),
        item=Item(
            name=f"Conseil en éclairage, lot {n}", description="Étude et plans d'implantation", seller_id=f"ECL-{n:03d}"
        ),
        allowances_charges=allowances,
    )


def make_invoice(
    type_code="380",
    *,
    number="FA-2026-00042",
    lines=None,
    charge: bool = True,
    prepaid: Decimal | None = None,
    delivery: bool = True,
    **overrides,
) -> Invoice:
    """A French B2B invoice of services with every block filled, totals computed from its lines."""
    lines = tuple(lines or (make_line(1, discount="10"), make_line(2, quantity="1.5", price="80.00")))
    line_total = sum((line.net_amount for line in lines), Decimal(0))
    allowances = ()
    if charge:
        allowances = (
            AllowanceCharge(
                is_charge=True,
                amount=Decimal("50.00"),
                vat_category=VatCategory.S,
                vat_rate=Decimal("20"),
                reason="Frais de déplacement",
            ),
        )
    charges = sum((a.amount for a in allowances), Decimal(0))
    base = line_total + charges
    tax = (base * Decimal("0.20")).quantize(Decimal("0.01"))
    due = base + tax - (prepaid or 0)
    values = dict(
        number=number,
        issue_date=dt.date(2026, 3, 14),
        due_date=dt.date(2026, 4, 13),
        type_code=DocumentTypeCode(type_code),
        currency="EUR",
        seller=SELLER,
        buyer=BUYER,
        buyer_reference="SERV-COMPTA-01",
        purchase_order_reference="EJ-2026-777",
        contract_reference="CTR-2025-12",
        payment_terms="Paiement à 30 jours",
        notes=MENTIONS,
        process=ProcessControl(specification_id="urn:cen.eu:en16931:2017", business_process="S1"),
        delivery=Delivery(
            actual_date=dt.date(2026, 3, 10),
            address=PostalAddress(
                country="FR", line1="Zone artisanale, bât. C", city="Villeurbanne", post_code="69100"
            ),
        )
        if delivery
        else None,
        payment=PaymentInstructions(
            means_code="58",
            remittance=number,
            credit_transfers=(CreditTransfer(account_id=IBAN, service_provider_id="BNPAFRPP"),),
        ),
        allowances_charges=allowances,
        vat_breakdown=(VatBreakdown(taxable_amount=base, tax_amount=tax, category=VatCategory.S, rate=Decimal("20")),),
        totals=DocumentTotals(
            line_net_total=line_total,
            charge_total=charges or None,
            tax_exclusive=base,
            tax_total=tax,
            tax_inclusive=base + tax,
            prepaid=prepaid,
            amount_due=due,
        ),
        lines=lines,
    )
    values.update(overrides)
    return Invoice(**values)


def pdf_text(pdf: bytes, tmp_path: Path, *, layout: bool = True) -> str:
    """The text poppler reads from the PDF (in reading layout), with no-break spaces made plain."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    args = ["pdftotext", "-enc", "UTF-8"] + (["-layout"] if layout else []) + [str(path), "-"]
    text = subprocess.run(args, check=True, capture_output=True).stdout.decode()
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def normalised(text: str) -> str:
    """Whitespace collapsed, so a value split by the layout still reads as one phrase."""
    return " ".join(text.split())


def page_count(pdf: bytes) -> int:
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        return len(document.pages)


# --- Each kind of document, in each language --------------------------------------------------

KINDS = {
    "380": ("FACTURE", "INVOICE"),
    "381": ("AVOIR", "CREDIT NOTE"),
    "386": ("FACTURE D'ACOMPTE", "DEPOSIT INVOICE"),
    "384": ("FACTURE RECTIFICATIVE", "CORRECTIVE INVOICE"),
}
PRECEDING = (PrecedingInvoice(reference="FA-2026-00017", issue_date=dt.date(2026, 2, 2)),)


def kind_invoice(type_code: str) -> Invoice:
    preceding = PRECEDING if type_code in ("381", "384") else ()
    payment = None if type_code == "381" else make_invoice().payment
    return make_invoice(type_code, number=f"DOC-{type_code}-0001", preceding_invoices=preceding, payment=payment)


@pytest.mark.parametrize("type_code", sorted(KINDS))
def test_each_kind_renders_in_french_with_its_title_number_dates_buyer_and_totals(type_code, tmp_path):
    text = normalised(pdf_text(render_invoice(kind_invoice(type_code), RenderOptions(language="fr")), tmp_path))
    assert KINDS[type_code][0] in text
    assert f"N° DOC-{type_code}-0001" in text
    assert "14/03/2026" in text
    assert "Boulangerie Dupont SARL" in text
    for phrase in ("Total HT 1 250,00 €", "Total TVA 250,00 €", "Total TTC 1 500,00 €"):
        assert phrase in text
    if type_code in ("381", "384"):
        assert "Facture d'origine" in text and "FA-2026-00017 du 02/02/2026" in text


@pytest.mark.parametrize("type_code", sorted(KINDS))
def test_each_kind_renders_in_english_with_english_amounts_and_dates(type_code, tmp_path):
    text = normalised(pdf_text(render_invoice(kind_invoice(type_code), RenderOptions(language="en")), tmp_path))
    assert KINDS[type_code][1] in text
    assert f"No. DOC-{type_code}-0001" in text
    assert "14 Mar 2026" in text
    for phrase in ("Total excl. VAT €1,250.00", "Total VAT €250.00", "Total incl. VAT €1,500.00"):
        assert phrase in text
    assert "1 250,00" not in text
    if type_code in ("381", "384"):
        assert "Original invoice" in text and "FA-2026-00017 of 2 Feb 2026" in text


def test_french_invoice_shows_seller_legal_data_and_every_mandatory_mention(tmp_path):
    text = normalised(pdf_text(render_invoice(make_invoice(), RenderOptions()), tmp_path))
    for phrase in (
        "SIREN 732 829 320", "SIRET 732 829 320 00074", "N° TVA FR44732829320",
        "SAS au capital de 10 000,00 € — RCS Paris 732 829 320",
        "SIREN 552 081 317", "N° TVA FR03552081317",  # the buyer's
        "Catégorie d'opération", "Prestation de services",
        "Option pour le paiement de la taxe d'après les débits.",
        "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €.",
        "Pénalités de retard : trois fois le taux d'intérêt légal.",
        "Pas d'escompte pour paiement anticipé.",
        "Échéance 13/04/2026", "Bon de commande", "EJ-2026-777", "Contrat", "CTR-2025-12",
        "Référence acheteur", "SERV-COMPTA-01", "Date de livraison", "10/03/2026",
        "IBAN FR76 3000 6000 0112 3456 7890 189", "BIC BNPAFRPP", "Référence à rappeler FA-2026-00042",
        "Net à payer 1 500,00 €",
    ):
        assert phrase in text, phrase
    assert "B2B" not in text  # the BAR note is for machines


def test_lines_show_quantity_unit_price_discount_vat_rate_and_net_amount(tmp_path):
    text = normalised(pdf_text(render_invoice(make_invoice(), RenderOptions()), tmp_path))
    assert "ECL-001 Conseil en éclairage, lot 1 3 heure 400,00 € 10 % 20 % 1 080,00 €" in text
    assert "ECL-002 Conseil en éclairage, lot 2 1,5 heure 80,00 € 20 % 120,00 €" in text
    assert "Frais Frais de déplacement 20 % 50,00 €" in text


def test_delivery_address_is_shown_when_it_differs_from_billing(tmp_path):
    text = normalised(pdf_text(render_invoice(make_invoice(), RenderOptions()), tmp_path))
    assert "LIVRÉ À" in text and "69100 Villeurbanne" in text
    text = normalised(pdf_text(render_invoice(make_invoice(delivery=False), RenderOptions()), tmp_path))
    assert "LIVRÉ À" not in text


def test_an_address_abroad_ends_with_the_country_named_in_capitals_in_the_documents_language(tmp_path):
    berlin = PostalAddress(country="DE", line1="Unter den Linden 1", city="Berlin", post_code="10117")
    invoice = make_invoice(buyer=replace(BUYER, address=berlin), delivery=False)

    french = pdf_text(render_invoice(invoice, RenderOptions()), tmp_path, layout=False)
    english = pdf_text(render_invoice(invoice, RenderOptions(language="en")), tmp_path, layout=False)

    assert "10117 Berlin\nALLEMAGNE" in french and "GERMANY" not in french
    assert "10117 Berlin\nGERMANY" in english
    assert "FRANCE" not in french  # the seller at home prints no country


def test_prepaid_amount_is_deducted_from_the_amount_due(tmp_path):
    invoice = make_invoice(prepaid=Decimal("500.00"))
    text = normalised(pdf_text(render_invoice(invoice, RenderOptions(language="en")), tmp_path))
    assert "Paid -€500.00" in text
    assert "Amount due €1,000.00" in text


def test_final_invoice_is_titled_from_its_framework_and_kind_can_be_overridden(tmp_path):
    final = make_invoice(process=ProcessControl(specification_id="urn:cen.eu:en16931:2017", business_process="S4"))
    assert "FACTURE DE SOLDE" in pdf_text(render_invoice(final, RenderOptions()), tmp_path)
    forced = render_invoice(make_invoice(), RenderOptions(language="en", document_kind="deposit"))
    assert "DEPOSIT INVOICE" in pdf_text(forced, tmp_path)


# --- Pages --------------------------------------------------------------------------------------

def test_a_300_line_invoice_breaks_across_pages_with_the_header_repeated_and_numbered(tmp_path):
    invoice = make_invoice(lines=[make_line(n) for n in range(1, 301)])
    pdf = render_invoice(invoice, RenderOptions())
    pages = page_count(pdf)
    assert pages >= 5
    text = pdf_text(pdf, tmp_path)
    chunks = text.split("\f")[:pages]
    for n, chunk in enumerate(chunks, start=1):
        assert f"Page {n} / {pages}" in chunk
        if "ECL-" in chunk:  # every page that carries lines repeats the table header
            assert "Désignation" in chunk and "Montant HT" in chunk
    assert all(f"ECL-{n:03d}" in text for n in range(1, 301))
    assert text.index("Net à payer") > text.index("ECL-300")


# --- Drafts -------------------------------------------------------------------------------------

def watermark_text_size(pdf: bytes) -> float | None:
    """The size of the largest text drawn rotated on page 1 (the diagonal watermark), if any.

    Poppler does not extract that text, so the page's content stream is read instead.
    """
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        content = document.pages[0].Contents.read_bytes()
    sizes = [float(size) for rotation, size in re.findall(
        rb"q (-?0\.\d+ -?0\.\d+ -?0\.\d+ -?0\.\d+) [^\n]*cm[^\n]*\nBT[^\n]*?/f\d+ ([\d.]+) Tf", content)]
    return max(sizes, default=None)


def test_a_draft_carries_the_watermark_and_no_number(tmp_path):
    pdf = render_invoice(make_invoice(), RenderOptions(draft=True))
    text = normalised(pdf_text(pdf, tmp_path))
    assert "Ébauche — document sans valeur légale, non numéroté" in text
    assert watermark_text_size(pdf) and watermark_text_size(pdf) > 100  # the big diagonal « ÉBAUCHE »
    assert "FA-2026-00042" not in text
    assert "Référence à rappeler" not in text
    english = normalised(pdf_text(render_invoice(make_invoice(), RenderOptions(draft=True, language="en")), tmp_path))
    assert "Draft — not a legal document, not numbered" in english and "FA-2026-00042" not in english
    assert watermark_text_size(render_invoice(make_invoice(), RenderOptions())) is None


def test_a_draft_has_no_payment_qr_code():
    from facturier.engine.pdf.render import invoice_view

    assert invoice_view(make_invoice(), RenderOptions())["payment"]["qr"]
    assert invoice_view(make_invoice(), RenderOptions(draft=True))["payment"]["qr"] is None


# --- Chorus Pro and custom templates --------------------------------------------------------

def test_the_chorus_model_shows_siret_service_code_and_commitment(tmp_path):
    text = normalised(pdf_text(render_invoice(make_invoice(), RenderOptions(template="chorus")), tmp_path))
    assert "CHORUS PRO" in text
    box = text[text.index("CHORUS PRO"):text.index("RÉFÉRENCES")]
    for phrase in ("SIRET du destinataire", "552 081 317 66522", "Code service", "SERV-COMPTA-01",
                   "N° d'engagement", "EJ-2026-777", "FA-2026-00042", "14/03/2026",
                   "Total HT", "1 250,00 €", "Total TVA", "250,00 €", "Total TTC", "1 500,00 €"):
        assert phrase in box, phrase


def test_a_broken_custom_template_raises_a_template_error_naming_its_line():
    source = '#import "lib.typ": *\n#let d = invoice-data()\n\n#unknown-block(d)\n'
    with pytest.raises(TemplateError) as caught:
        render_invoice(make_invoice(), RenderOptions(custom_template=source))
    assert caught.value.line == 4
    assert "line 4" in caught.value.message.en and "ligne 4" in caught.value.message.fr
    assert "unknown variable: unknown-block" in caught.value.message.en


def test_a_custom_template_error_leaves_the_next_render_intact(tmp_path):
    with pytest.raises(TemplateError):
        render_invoice(make_invoice(), RenderOptions(custom_template="#let x = (\n"))
    text = pdf_text(render_invoice(make_invoice(), RenderOptions()), tmp_path)
    assert "FA-2026-00042" in text


def test_a_custom_template_reuses_the_building_blocks(tmp_path):
    source = (
        '#import "lib.typ": *\n#let d = invoice-data()\n#show: page-setup.with(d)\n'
        '= Notre facture #d.number\n#lines-table(d)\n#summary(d)\n'
    )
    text = normalised(pdf_text(render_invoice(make_invoice(), RenderOptions(custom_template=source)), tmp_path))
    assert "Notre facture FA-2026-00042" in text
    assert "Net à payer 1 500,00 €" in text


def test_an_unknown_template_is_refused():
    with pytest.raises(RenderError):
        render_invoice(make_invoice(), RenderOptions(template="fancy"))  # type: ignore[arg-type]


# --- The PDF itself -----------------------------------------------------------------------------

def test_output_is_pdfa3b_with_embedded_fonts_and_an_srgb_output_intent(tmp_path):
    import pikepdf

    pdf = render_invoice(make_invoice(), RenderOptions())
    with pikepdf.open(io.BytesIO(pdf)) as document:
        meta = document.open_metadata()
        assert meta.get("pdfaid:part") == "3" and meta.get("pdfaid:conformance") == "B"
        intents = document.Root.OutputIntents
        assert str(intents[0].S) == "/GTS_PDFA1"
        assert "sRGB" in str(intents[0].get("/OutputConditionIdentifier", "")) + str(
            intents[0].get("/Info", ""))
        assert document.docinfo.get("/Title") == "Facture FA-2026-00042"
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows)  # the "emb" column


def test_the_same_invoice_renders_to_the_same_bytes():
    assert render_invoice(make_invoice(), RenderOptions()) == render_invoice(make_invoice(), RenderOptions())


def test_attachments_are_embedded_as_associated_files():
    import pikepdf

    xml = b"<?xml version='1.0'?><rsm:CrossIndustryInvoice/>"
    attachment = Attachment("factur-x.xml", xml, "text/xml", "Alternative", "Factur-X")
    binary = ("notes.bin", b"\x00\xff", "application/octet-stream", "Supplement", None)
    pdf = render_invoice(make_invoice(), RenderOptions(attachments=(attachment, binary)))
    with pikepdf.open(io.BytesIO(pdf)) as document:
        files = document.attachments
        assert set(files) == {"factur-x.xml", "notes.bin"}
        assert files["factur-x.xml"].get_file().read_bytes() == xml
        assert files["notes.bin"].get_file().read_bytes() == b"\x00\xff"
        relationships = {str(spec.F): str(spec.AFRelationship) for spec in document.Root.AF}
        assert relationships["factur-x.xml"] == "/Alternative"


def test_the_packed_factur_x_passes_the_referee(conformance_dir, oracle_path, tmp_path):
    from facturier.engine.facturx.pack import pack_facturx

    xml = (conformance_dir / "facturx-lib-fixtures" / "xml" / "factur-x-en16931.xml").read_bytes()
    visual = render_invoice(make_invoice(), RenderOptions(
        attachments=(Attachment("factur-x.xml", xml, "text/xml", "Data", "Factur-X invoice"),)))
    path = tmp_path / "facturx.pdf"
    path.write_bytes(pack_facturx(visual, xml, conformance_level="EN 16931"))
    run = subprocess.run([str(oracle_path), "--json", str(path)], check=False, capture_output=True, text=True)
    report = json.loads(run.stdout.splitlines()[0])
    pdfa = next(r for r in report["results"] if r["artefact"] == "pdfa")
    assert pdfa["findings"] == []
    assert run.returncode == 0, run.stdout


# --- Logo -----------------------------------------------------------------------------------------

def png_logo(width: int = 240, height: int = 80) -> bytes:
    """A small valid PNG made by hand (an accent band), so no image library is needed."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes((31, 78, 121)) * width
    raw = zlib.compress(row * height)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


SVG_LOGO = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 60"><rect width="300" height="60" '
            b'fill="#1f4e79"/><circle cx="30" cy="30" r="20" fill="#fff"/></svg>')


@pytest.mark.parametrize("logo", [png_logo(), png_logo(900, 60), SVG_LOGO], ids=["png", "wide-png", "svg"])
def test_a_logo_is_printed(logo, tmp_path):
    pdf = render_invoice(make_invoice(), RenderOptions(logo=logo))
    path = tmp_path / "logo.pdf"
    path.write_bytes(pdf)
    if logo.startswith(b"\x89PNG"):
        images = subprocess.run(["pdfimages", "-list", str(path)], check=True, capture_output=True, text=True).stdout
        assert len(images.splitlines()) == 4  # header, rule, the logo and the payment QR code
    assert "FA-2026-00042" in pdf_text(pdf, tmp_path)


def test_a_logo_that_is_not_an_image_is_refused():
    with pytest.raises(RenderError):
        render_invoice(make_invoice(), RenderOptions(logo=b"GIF89a..."))


# --- Concurrency --------------------------------------------------------------------------------

def test_threads_rendering_at_once_each_get_their_own_invoice(tmp_path):
    numbers = [f"FA-2026-{n:05d}" for n in range(12)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        pdfs = list(pool.map(lambda number: render_invoice(make_invoice(number=number), RenderOptions()), numbers))
    for number, pdf in zip(numbers, pdfs, strict=True):
        assert f"N° {number}" in normalised(pdf_text(pdf, tmp_path))


def _render_in_child(number: str) -> str:
    try:
        render_invoice(make_invoice(number=number), RenderOptions())
    except RenderError as error:
        return error.message.en
    return "rendered"


def test_a_process_forked_after_rendering_is_told_to_spawn_instead_of_hanging(tmp_path):
    import multiprocessing

    from facturier.engine.pdf import render

    render_invoice(make_invoice(), RenderOptions())  # Typst has run in this process
    with multiprocessing.get_context("fork").Pool(1) as pool:
        outcome = pool.apply_async(_render_in_child, ("FA-2026-77777",)).get(timeout=60)
    assert "start workers with 'spawn'" in outcome
    assert render._TYPST._root.is_dir()  # the child's exit left the parent's folder alone
    assert "FA-2026-00042" in pdf_text(render_invoice(make_invoice(), RenderOptions()), tmp_path)


# --- Room for the seal's stamp -----------------------------------------------------------------

def _word_boxes(pdf: bytes, tmp_path: Path, page: int) -> list[tuple[float, float, float, float]]:
    """The words poppler reads on a page, as (x1, y1, x2, y2) in PDF user space (origin bottom left)."""
    path = tmp_path / "words.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
                          check=True, capture_output=True, text=True).stdout
    height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', html).group(1))
    return [(float(x1), height - float(y2), float(x2), height - float(y1))
            for x1, y1, x2, y2 in re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"', html)]


def _stamp_hides_words(pdf: bytes, sealer, tmp_path: Path) -> bool:
    import pikepdf

    sealed = sealer.seal(pdf, reason="Facture", location="Paris")
    with pikepdf.open(io.BytesIO(sealed)) as document:
        pages = len(document.pages)
        widget = next(a for a in document.pages[-1].Annots if a.get("/FT") == "/Sig")
        sx1, sy1, sx2, sy2 = (float(v) for v in widget.Rect)
    return any(x1 < sx2 and sx1 < x2 and y1 < sy2 and sy1 < y2 for x1, y1, x2, y2 in _word_boxes(pdf, tmp_path, pages))


def test_a_document_rendered_to_be_sealed_leaves_the_stamp_nothing_to_hide(seal_identities, tmp_path):
    from facturier.engine.pdf.seal import Sealer, StampPlacement

    sealer = Sealer(seal_identities["ec"])
    for count in range(1, 46, 2):  # the last page filled to every height
        invoice = make_invoice(lines=[make_line(n) for n in range(1, count + 1)])
        assert not _stamp_hides_words(render_invoice(invoice, RenderOptions(seal_space=True)), sealer, tmp_path), count
    # The check does see a stamp laid over text: the one of an earlier version, over the footer.
    over_footer = Sealer(seal_identities["ec"], placement=StampPlacement(box=(327, 28, 567, 70)))
    assert _stamp_hides_words(render_invoice(invoice, RenderOptions(seal_space=True)), over_footer, tmp_path)
