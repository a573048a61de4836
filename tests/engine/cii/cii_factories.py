"""A French invoice that sets every field of the model, for the CII tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from facturier.engine.en16931.codes import DocumentTypeCode, VatCategory
from facturier.engine.en16931.model import (
    AdditionalDocument,
    AllowanceCharge,
    Buyer,
    Contact,
    CreditTransfer,
    Delivery,
    DirectDebit,
    DocumentTotals,
    ElectronicAddress,
    Identifier,
    Invoice,
    InvoiceLine,
    Item,
    ItemAttribute,
    ItemClassification,
    LineAllowanceCharge,
    LineVat,
    Note,
    Payee,
    PaymentInstructions,
    Period,
    PostalAddress,
    PrecedingInvoice,
    Price,
    ProcessControl,
    Seller,
    TaxRepresentative,
    VatBreakdown,
)


def _line(n: int, *, quantity: D = D("2"), price: D = D("50.00")) -> InvoiceLine:
    return InvoiceLine(
        id=str(n),
        quantity=quantity,
        unit="C62",
        net_amount=quantity * price,
        price=Price(net_price=price),
        vat=LineVat(category=VatCategory.S, rate=D("20.00")),
        item=Item(name=f"Article {n}", seller_id=f"ART-{n}"),
    )


def french_invoice(lines: int = 10) -> Invoice:
    """A plain French B2B invoice: SIREN, electronic addresses, BAR and PMT/PMD/AAB notes."""
    items = tuple(_line(i + 1) for i in range(lines))
    net = sum((li.net_amount for li in items), D("0.00"))
    vat = (net * D("0.20")).quantize(D("0.01"))
    return Invoice(
        number="FA-2026-00042",
        issue_date=date(2026, 9, 1),
        type_code=DocumentTypeCode.COMMERCIAL_INVOICE,
        currency="EUR",
        due_date=date(2026, 10, 1),
        buyer_reference="SERVICE-ACHATS",
        purchase_order_reference="BC-7781",
        payment_terms="Paiement à 30 jours, sans escompte.",
        notes=(
            Note(text="B2B", subject_code="BAR"),
            Note(
                text="En cas de retard de paiement, indemnité forfaitaire de 40 € pour frais de recouvrement.",
                subject_code="PMT",
            ),
            Note(text="Pénalités de retard : trois fois le taux d'intérêt légal.", subject_code="PMD"),
            Note(text="Pas d'escompte pour paiement anticipé.", subject_code="AAB"),
        ),
        process=ProcessControl(specification_id="urn:cen.eu:en16931:2017", business_process="B1"),
        seller=Seller(
            name="Atelier Dupont SAS",
            legal_registration=Identifier("732829320", "0002"),
            vat_id="FR44732829320",
            legal_form="SAS au capital de 10 000 €, RCS Lyon 732 829 320",
            electronic_address=ElectronicAddress("732829320", "0225"),
            address=PostalAddress(line1="12 rue des Forges", city="Lyon", post_code="69002", country="FR"),
            contact=Contact(name="Service comptable", phone="+33 4 72 00 00 00", email="compta@dupont.example"),
        ),
        buyer=Buyer(
            name="Boulangerie Martin SARL",
            legal_registration=Identifier("552081317", "0002"),
            vat_id="FR82552081317",
            electronic_address=ElectronicAddress("552081317", "0225"),
            address=PostalAddress(line1="3 place du Marché", city="Paris", post_code="75011", country="FR"),
        ),
        payment=PaymentInstructions(
            means_code="58",
            remittance="FA-2026-00042",
            credit_transfers=(
                CreditTransfer(account_id="FR7630006000011234567890189", service_provider_id="AGRIFRPP"),
            ),
        ),
        vat_breakdown=(VatBreakdown(taxable_amount=net, tax_amount=vat, category=VatCategory.S, rate=D("20.00")),),
        totals=DocumentTotals(
            line_net_total=net,
            tax_exclusive=net,
            tax_total=vat,
            tax_inclusive=net + vat,
            amount_due=net + vat,
        ),
        lines=items,
    )


def everything_invoice() -> Invoice:
    """Every field of the model set at least once (amounts consistent, values plausible)."""
    line = InvoiceLine(
        id="1",
        quantity=D("10"),
        unit="HUR",
        net_amount=D("950.00"),
        price=Price(
            net_price=D("100.00"),
            discount=D("5.00"),
            gross_price=D("105.00"),
            base_quantity=D("1"),
            base_unit="HUR",
            gross_base_quantity=D("1"),
            gross_base_unit="HUR",
        ),
        vat=LineVat(category=VatCategory.S, rate=D("20.00")),
        item=Item(
            name="Conseil",
            description="Journées de conseil en organisation",
            seller_id="CONS-01",
            buyer_id="ACH-99",
            standard_id=Identifier("03701234567890", "0160"),
            classifications=(ItemClassification(code="79411000", scheme="CV", version="2008"),),
            origin_country="FR",
            attributes=(ItemAttribute(name="Niveau", value="Senior"),),
        ),
        note="Semaine 36",
        object_id=Identifier("OBJ-1", "AAB"),
        order_line_reference="10",
        accounting_reference="6226",
        period=Period(start=date(2026, 9, 1), end=date(2026, 9, 5)),
        allowances_charges=(
            LineAllowanceCharge(
                is_charge=False,
                amount=D("100.00"),
                base_amount=D("1000.00"),
                percentage=D("10"),
                reason="Remise",
                reason_code="95",
            ),
            LineAllowanceCharge(is_charge=True, amount=D("50.00"), reason="Frais", reason_code="ABK"),
        ),
    )
    base = french_invoice(0)
    net = D("950.00")
    taxable = net - D("50.00") + D("20.00")
    vat = (taxable * D("0.20")).quantize(D("0.01"))
    from dataclasses import replace

    return replace(
        base,
        type_code=DocumentTypeCode.CORRECTED_INVOICE,
        tax_currency="USD",
        tax_point_date=None,
        tax_point_date_code="35",
        project_reference="PRJ-1",
        contract_reference="CT-2026-1",
        sales_order_reference="SO-55",
        receiving_advice="RA-1",
        despatch_advice="DA-1",
        tender_reference="LOT-3",
        invoiced_object=Identifier("COMPTEUR-42", "AWV"),
        buyer_accounting_reference="411-MARTIN",
        preceding_invoices=(PrecedingInvoice(reference="FA-2026-00041", issue_date=date(2026, 8, 1)),),
        seller=replace(
            base.seller,
            trading_name="Dupont Conseil",
            identifiers=(Identifier("SUP-1"), Identifier("73282932000074", "0009")),
            tax_registration_id="FR-TAX-1",
        ),
        buyer=replace(
            base.buyer,
            trading_name="Martin",
            identifiers=(Identifier("55208131700013", "0009"),),
            contact=Contact(department="Service achats", phone="0102030405", email="martin@example.com"),
            address=replace(base.buyer.address, line2="Bâtiment B", line3="3e étage", subdivision="Île-de-France"),
        ),
        payee=Payee(
            name="Factor SA", identifier=Identifier("PAYEE-1"), legal_registration=Identifier("443061841", "0002")
        ),
        tax_representative=TaxRepresentative(
            name="Représentant fiscal", vat_id="FR61443061841", address=PostalAddress(city="Nice", country="FR")
        ),
        delivery=Delivery(
            party_name="Entrepôt Martin",
            location_id=Identifier("3011234567890", "0088"),
            actual_date=date(2026, 9, 5),
            address=PostalAddress(line1="ZI Nord", city="Saint-Denis", post_code="93200", country="FR"),
        ),
        invoicing_period=Period(start=date(2026, 9, 1), end=date(2026, 9, 30)),
        payment=PaymentInstructions(
            means_code="58",
            means_text="Virement SEPA",
            remittance="RF18539007547034",
            credit_transfers=(
                CreditTransfer(
                    account_id="FR7630006000011234567890189", account_name="Dupont", service_provider_id="AGRIFRPP"
                ),
                CreditTransfer(account_id="12345678", proprietary_id=True),
            ),
            direct_debit=DirectDebit(
                mandate_reference="MANDAT-1", creditor_id="FR12ZZZ123456", debited_account="FR7612345987650123456789014"
            ),
        ),
        allowances_charges=(
            AllowanceCharge(
                is_charge=False,
                amount=D("50.00"),
                vat_category=VatCategory.S,
                vat_rate=D("20.00"),
                base_amount=D("950.00"),
                percentage=D("5.2631"),
                reason="Remise fidélité",
                reason_code="95",
            ),
            AllowanceCharge(
                is_charge=True,
                amount=D("20.00"),
                vat_category=VatCategory.S,
                vat_rate=D("20.00"),
                reason="Transport",
                reason_code="FC",
            ),
        ),
        vat_breakdown=(VatBreakdown(taxable_amount=taxable, tax_amount=vat, category=VatCategory.S, rate=D("20.00")),),
        additional_documents=(
            AdditionalDocument(
                reference="BL-1",
                description="Bon de livraison",
                attachment=b"%PDF-1.7 fake",
                mime_code="application/pdf",
                filename="bl.pdf",
            ),
            AdditionalDocument(reference="TS-1", description="Relevé d'heures", uri="https://example.com/ts/1"),
        ),
        totals=DocumentTotals(
            line_net_total=net,
            allowance_total=D("50.00"),
            charge_total=D("20.00"),
            tax_exclusive=taxable,
            tax_total=vat,
            tax_total_accounting=D("200.00"),
            tax_currency="USD",
            tax_inclusive=taxable + vat,
            prepaid=D("100.00"),
            rounding=D("0.00"),
            amount_due=taxable + vat - D("100.00"),
        ),
        lines=(line,),
    )
