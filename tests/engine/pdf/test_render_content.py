"""What a French accountant reads on the printed invoice: prices as entered, each mention once,
no payment terms on a credit note, the document named on every page, the delivery place's name,
reduced VAT rates named as such — and every such PDF still passes the referee.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from decimal import Decimal

import pytest
from test_render import BUYER, MENTIONS, make_invoice, make_line, normalised, page_count, pdf_text

from facturier.engine.cii.write import write_cii
from facturier.engine.en16931.codes import VatCategory
from facturier.engine.en16931.model import (
    Delivery,
    DocumentTotals,
    InvoiceLine,
    Item,
    LineVat,
    Note,
    PostalAddress,
    PrecedingInvoice,
    Price,
    VatBreakdown,
)
from facturier.engine.facturx.pack import pack_facturx
from facturier.engine.pdf import Attachment, RenderOptions, render_invoice


def raw_text(pdf: bytes, tmp_path) -> str:
    """The text in content-stream order (one column after the other), whitespace collapsed."""
    path = tmp_path / "raw.pdf"
    path.write_bytes(pdf)
    return normalised(subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], check=True,
                                     capture_output=True, text=True).stdout.replace("\u00a0", " "))


def one_line_invoice(*, price: str, quantity: str, category=VatCategory.S, rate: str | None = "20",
                     reason: str | None = None, notes=MENTIONS, **overrides):
    """An invoice of one line, its totals worked out from it (so the referee agrees with them)."""
    net = (Decimal(quantity) * Decimal(price)).quantize(Decimal("0.01"))
    vat_rate = Decimal(rate) if rate is not None else None
    tax = (net * (vat_rate or 0) / 100).quantize(Decimal("0.01"))
    line = InvoiceLine(id="1", quantity=Decimal(quantity), unit="C62", net_amount=net,
                       price=Price(net_price=Decimal(price)), vat=LineVat(category=category, rate=vat_rate),
                       item=Item(name="Vis inox"))
    return make_invoice(
        lines=(line,), charge=False, notes=notes,
        vat_breakdown=(VatBreakdown(taxable_amount=net, tax_amount=tax, category=category, rate=vat_rate,
                                    exemption_reason=reason),),
        totals=DocumentTotals(line_net_total=net, tax_exclusive=net, tax_total=tax, tax_inclusive=net + tax,
                              amount_due=net + tax),
        **overrides)


def test_a_unit_price_prints_as_entered_not_rounded_to_the_cent(tmp_path):
    text = normalised(pdf_text(render_invoice(one_line_invoice(price="0.333", quantity="300")), tmp_path))
    assert "0,333 €" in text and "99,90 €" in text
    assert "0,33 €" not in text
    english = normalised(pdf_text(render_invoice(one_line_invoice(price="0.333", quantity="300"),
                                                 RenderOptions(language="en")), tmp_path))
    assert "€0.333" in english


def test_a_whole_unit_price_still_prints_two_decimals(tmp_path):
    text = normalised(pdf_text(render_invoice(one_line_invoice(price="12", quantity="2")), tmp_path))
    assert "12,00 €" in text


FRANCHISE = "TVA non applicable, art. 293 B du CGI."


@pytest.mark.parametrize("reason", ["TVA non applicable, art. 293 B du CGI",
                                    "TVA non applicable, article 293 B du CGI."])
def test_the_franchise_mention_prints_once_when_the_exemption_reason_says_it_too(reason, tmp_path):
    notes = (Note(text=FRANCHISE, subject_code="TXD"),) + MENTIONS[1:]
    invoice = one_line_invoice(price="100", quantity="1", category=VatCategory.E, rate="0", reason=reason,
                               notes=notes)
    text = normalised(pdf_text(render_invoice(invoice), tmp_path))
    assert text.count("293 B") == 1


def test_a_reverse_charge_reason_that_names_its_category_is_not_repeated(tmp_path):
    invoice = one_line_invoice(price="100", quantity="1", category=VatCategory.AE, rate="0",
                               reason="Autoliquidation")
    text = normalised(pdf_text(render_invoice(invoice), tmp_path))
    assert "Autoliquidation : Autoliquidation" not in text
    assert text[text.index("MENTIONS"):].count("Autoliquidation") == 1


def test_an_exemption_reason_is_still_headed_by_its_category(tmp_path):
    invoice = one_line_invoice(price="100", quantity="1", category=VatCategory.E, rate="0",
                               reason="Article 261-4-4° du CGI (formation)")
    text = normalised(pdf_text(render_invoice(invoice), tmp_path))
    assert "Exonéré de TVA : Article 261-4-4° du CGI (formation)" in text


def credit_note():
    invoice = make_invoice("381", number="AV-2026-00003", payment=None,
                           preceding_invoices=(PrecedingInvoice(reference="FA-2026-00042"),))
    return invoice


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_credit_note_carries_no_payment_terms_penalties_or_recovery_indemnity(language, tmp_path):
    text = normalised(pdf_text(render_invoice(credit_note(), RenderOptions(language=language)), tmp_path))
    for absent in ("Paiement à 30 jours", "Pénalités de retard", "Indemnité forfaitaire", "40 €", "escompte",
                   "Échéance", "Due date"):
        assert absent not in text, absent
    assert "AV-2026-00003" in text
    invoice_text = normalised(pdf_text(render_invoice(make_invoice()), tmp_path))
    assert "Indemnité forfaitaire" in invoice_text and "Paiement à 30 jours" in invoice_text


def test_every_page_names_the_document_and_its_number(tmp_path):
    invoice = make_invoice(lines=[make_line(n) for n in range(1, 80)])
    pdf = render_invoice(invoice)
    pages = page_count(pdf)
    assert pages >= 2
    for n, chunk in enumerate(pdf_text(pdf, tmp_path).split("\f")[:pages], start=1):
        assert f"Facture FA-2026-00042 · Page {n} / {pages}" in normalised(chunk)
    english = pdf_text(render_invoice(invoice, RenderOptions(language="en")), tmp_path).split("\f")
    assert f"Invoice FA-2026-00042 · Page 2 / {pages}" in normalised(english[1])


def test_the_name_of_the_delivery_place_is_printed(tmp_path):
    invoice = make_invoice(delivery=False, buyer=BUYER)
    invoice = replace(invoice, delivery=Delivery(
        party_name="Entrepôt Nord", address=PostalAddress(country="FR", line1="Zone artisanale, bât. C",
                                                          city="Villeurbanne", post_code="69100")))
    assert "LIVRÉ À Entrepôt Nord Zone artisanale, bât. C 69100 Villeurbanne" in raw_text(render_invoice(invoice),
                                                                                        tmp_path)


def rated(rates: tuple[str, ...]):
    lines = tuple(replace(make_line(n), vat=LineVat(category=VatCategory.S, rate=Decimal(r)))
                  for n, r in enumerate(rates, start=1))
    breakdown = tuple(VatBreakdown(taxable_amount=line.net_amount,
                                   tax_amount=(line.net_amount * line.vat.rate / 100).quantize(Decimal("0.01")),
                                   category=VatCategory.S, rate=line.vat.rate) for line in lines)
    base = sum((line.net_amount for line in lines), Decimal(0))
    tax = sum((b.tax_amount for b in breakdown), Decimal(0))
    return make_invoice(lines=lines, charge=False, vat_breakdown=breakdown, totals=DocumentTotals(
        line_net_total=base, tax_exclusive=base, tax_total=tax, tax_inclusive=base + tax, amount_due=base + tax))


def test_reduced_and_special_vat_rates_are_named_as_such(tmp_path):
    text = normalised(pdf_text(render_invoice(rated(("20", "10", "5.5", "2.1"))), tmp_path))
    vat = text[text.index("DÉTAIL DE LA TVA"):]
    for row in ("Taux normal 20 %", "Taux réduit 10 %", "Taux réduit 5,5 %", "Taux particulier 2,1 %"):
        assert row in vat, row
    assert vat.count("Taux normal") == 1
    english = normalised(pdf_text(render_invoice(rated(("20", "10")), RenderOptions(language="en")), tmp_path))
    assert "Reduced rate 10%" in english and "Standard rate 20%" in english


@pytest.mark.parametrize("invoice", [
    pytest.param(one_line_invoice(price="0.333", quantity="300"), id="price-as-entered"),
    pytest.param(rated(("20", "10", "5.5", "2.1")), id="reduced-rates"),
    pytest.param(make_invoice(lines=[make_line(n) for n in range(1, 80)]), id="several-pages"),
    pytest.param(one_line_invoice(price="100", quantity="1", category=VatCategory.AE, rate="0",
                                  reason="Autoliquidation"), id="reverse-charge"),
])
def test_the_corrected_pdfs_still_pass_the_referee(invoice, oracle_path, tmp_path):
    xml = write_cii(invoice)
    visual = render_invoice(invoice, RenderOptions(attachments=(Attachment("factur-x.xml", xml),)))
    path = tmp_path / "facturx.pdf"
    path.write_bytes(pack_facturx(visual, xml, conformance_level="EN 16931"))
    run = subprocess.run([str(oracle_path), "--json", str(path)], check=False, capture_output=True, text=True)
    report = json.loads(run.stdout.splitlines()[0])
    pdfa = next(r for r in report["results"] if r["artefact"] == "pdfa")
    assert pdfa["findings"] == []
    assert run.returncode == 0, run.stdout[:3000]
