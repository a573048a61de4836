"""A realistic French B2B invoice as an engine model, with any number of lines (benchmarks only)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from facturier.engine.en16931.calculation import LineInput, compute_totals
from facturier.engine.en16931.codes import DocumentTypeCode, VatCategory
from facturier.engine.en16931.model import (
    Buyer,
    CreditTransfer,
    DocumentTotals,
    ElectronicAddress,
    Identifier,
    Invoice,
    InvoiceLine,
    Item,
    LineVat,
    Note,
    PaymentInstructions,
    PostalAddress,
    Price,
    ProcessControl,
    Seller,
    VatBreakdown,
)


def sample_invoice(lines: int = 10) -> Invoice:
    inputs = [
        LineInput(
            quantity=Decimal(i % 9 + 1),
            net_price=Decimal("85.50") + i,
            vat_category=VatCategory.S,
            vat_rate=Decimal("20") if i % 4 else Decimal("5.5"),
        )
        for i in range(lines)
    ]
    totals = compute_totals(inputs)
    return Invoice(
        number="FA-2026-000123",
        issue_date=dt.date(2026, 11, 2),
        type_code=DocumentTypeCode("380"),
        currency="EUR",
        due_date=dt.date(2026, 12, 2),
        purchase_order_reference="BC-2026-42",
        payment_terms="Paiement à 30 jours à compter de la date de facture.",
        notes=(
            Note(text="Indemnité forfaitaire pour frais de recouvrement : 40 €.", subject_code="PMT"),
            Note(text="Pénalités de retard au taux annuel de 12,15 %.", subject_code="PMD"),
            Note(text="Pas d'escompte pour paiement anticipé.", subject_code="AAB"),
            Note(text="B2B", subject_code="BAR"),
        ),
        process=ProcessControl(specification_id="urn:cen.eu:en16931:2017", business_process="S1"),
        seller=Seller(
            name="Atelier Numérique Lumière SAS",
            legal_registration=Identifier(value="884123456", scheme="0002"),
            identifiers=(Identifier(value="88412345600011", scheme="0009"),),
            vat_id="FR52884123456",
            legal_form="SAS au capital de 20 000 €",
            electronic_address=ElectronicAddress(value="884123456", scheme="0225"),
            address=PostalAddress(country="FR", line1="12 rue de la République", city="Lyon", post_code="69002"),
        ),
        buyer=Buyer(
            name="Boulangerie Martin SARL",
            legal_registration=Identifier(value="412345670", scheme="0002"),
            vat_id="FR96412345670",
            electronic_address=ElectronicAddress(value="412345670", scheme="0225"),
            address=PostalAddress(country="FR", line1="3 avenue Client", city="Villeurbanne", post_code="69100"),
        ),
        payment=PaymentInstructions(
            means_code="58",
            remittance="FA-2026-000123",
            credit_transfers=(
                CreditTransfer(account_id="FR7630006000011234567890189", service_provider_id="AGRIFRPP"),
            ),
        ),
        totals=DocumentTotals(
            line_net_total=totals.line_total,
            tax_exclusive=totals.tax_exclusive,
            tax_total=totals.tax_total,
            tax_inclusive=totals.tax_inclusive,
            amount_due=totals.payable,
        ),
        vat_breakdown=tuple(
            VatBreakdown(taxable_amount=b.taxable_amount, tax_amount=b.tax_amount, category=b.category, rate=b.rate)
            for b in totals.vat_breakdown
        ),
        lines=tuple(
            InvoiceLine(
                id=str(i + 1),
                quantity=line.quantity,
                unit="HUR",
                net_amount=net,
                price=Price(net_price=line.net_price),
                vat=LineVat(category=line.vat_category, rate=line.vat_rate),
                item=Item(name=f"Prestation de développement n° {i + 1}"),
            )
            for i, (line, net) in enumerate(zip(inputs, totals.line_net_amounts, strict=True))
        ),
    )
