"""The one place where a sales document becomes the engine's EN 16931 invoice.

An issued document maps from its frozen snapshots, so a reprint years later gives the same
file; a draft maps from the parties as of today, so the editor can check it before issuing.
French mentions (operation category, notes PMT/PMD/AAB/TXD, BAR treatment, SIREN with
scheme 0002, electronic addresses with scheme 0225) are filled here, from data.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from facturier.accounts.models import VatRegime
from facturier.engine.en16931.codes import DocumentTypeCode, VatCategory
from facturier.engine.en16931.model import (
    AllowanceCharge,
    Buyer,
    Contact,
    CreditTransfer,
    Delivery,
    DocumentTotals,
    ElectronicAddress,
    Identifier,
    Invoice,
    InvoiceLine,
    Item,
    LineAllowanceCharge,
    LineVat,
    Note,
    PaymentInstructions,
    Period,
    PostalAddress,
    PrecedingInvoice,
    Price,
    ProcessControl,
    Seller,
    VatBreakdown,
)
from facturier.invoicing.models import Document, DocumentLink, Kind, OperationCategory, Relation
from facturier.invoicing.snapshots import buyer_snapshot, seller_snapshot

EN16931 = "urn:cen.eu:en16931:2017"
SIREN_SCHEME = "0002"
SIRET_SCHEME = "0009"
ROUTING_SCHEME = "0225"
SEPA_CREDIT_TRANSFER = "58"
# BT-23 billing framework (French CIUS, BR-FR-08): B goods, S services, M mixed; 1 a plain
# invoice, 4 a final invoice after deposits.
FRAMEWORK_LETTER = {OperationCategory.GOODS: "B", OperationCategory.SERVICES: "S", OperationCategory.BOTH: "M"}
TAX_NOTE = {
    VatRegime.DEBITS: "Option pour le paiement de la taxe d'après les débits.",
    VatRegime.FRANCHISE: "TVA non applicable, art. 293 B du CGI.",
}


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value not in (None, "") else None


def _address(data: dict | None) -> PostalAddress | None:
    if not data:
        return None
    return PostalAddress(country=data["country"], line1=_text(data.get("line1") or data.get("address_line1")),
                         line2=_text(data.get("line2") or data.get("address_line2")),
                         city=_text(data["city"]), post_code=_text(data.get("postcode")))


def _electronic_address(data: dict, *, fallback_email: str | None = None) -> ElectronicAddress | None:
    if data.get("electronic_address"):
        return ElectronicAddress(value=data["electronic_address"],
                                 scheme=data.get("electronic_address_scheme") or ROUTING_SCHEME)
    if data.get("siren"):
        return ElectronicAddress(value=data["siren"], scheme=ROUTING_SCHEME)
    if fallback_email:
        return ElectronicAddress(value=fallback_email, scheme="EM")
    return None


def _legal_form_text(seller: dict) -> str | None:
    """BT-33: the legal form, share capital and registration a French invoice must show."""
    parts = [seller.get("legal_form") or ""]
    if seller.get("share_capital"):
        capital = f"{Decimal(seller['share_capital']):,.2f}".replace(",", " ").replace(".", ",")
        parts.append(f"au capital de {capital} €")
    if seller.get("registration"):
        parts.append(f"— {seller['registration']}")
    return _text(" ".join(p for p in parts if p))


def _seller(data: dict) -> Seller:
    return Seller(
        name=data["legal_name"],
        identifiers=(Identifier(value=data["siret"], scheme=SIRET_SCHEME),) if data.get("siret") else (),
        legal_registration=Identifier(value=data["siren"], scheme=SIREN_SCHEME) if data.get("siren") else None,
        vat_id=_text(data.get("vat_number")),
        legal_form=_legal_form_text(data),
        electronic_address=_electronic_address(data),
        address=_address(data),
        contact=Contact(name=_text(data.get("contact_name")), email=_text(data.get("email")),
                        phone=_text(data.get("phone")))
        if data.get("contact_name") or data.get("email") or data.get("phone") else None,
    )


def _buyer(data: dict) -> Buyer:
    identifiers = ()
    if data.get("siret"):
        identifiers = (Identifier(value=data["siret"], scheme=SIRET_SCHEME),)
    elif data.get("foreign_identifier"):
        identifiers = (Identifier(value=data["foreign_identifier"],
                                  scheme=data.get("foreign_identifier_scheme") or None),)
    return Buyer(
        name=data["name"],
        identifiers=identifiers,
        legal_registration=Identifier(value=data["siren"], scheme=SIREN_SCHEME) if data.get("siren") else None,
        vat_id=_text(data.get("vat_number")),
        electronic_address=_electronic_address(data, fallback_email=data.get("email") or None),
        address=_address(data["billing_address"]),
        contact=Contact(email=data["email"]) if data.get("email") else None,
    )


def _bar_treatment(buyer: dict) -> str:
    if buyer.get("siren"):
        return "B2B"
    if buyer.get("vat_number") or buyer.get("foreign_identifier"):
        return "B2BINT"
    return "B2C"


def _notes(document: Document, seller: dict, buyer: dict) -> tuple[Note, ...]:
    notes = []
    if document.note:
        notes.append(Note(text=document.note))
    if seller.get("vat_regime") in TAX_NOTE:
        notes.append(Note(text=TAX_NOTE[seller["vat_regime"]], subject_code="TXD"))
    for text, code in ((document.indemnity_text, "PMT"), (document.late_penalty_text, "PMD"),
                       (document.discount_terms_text, "AAB")):
        if text:
            notes.append(Note(text=text, subject_code=code))
    notes.append(Note(text=_bar_treatment(buyer), subject_code="BAR"))
    return tuple(notes)


def _rate(category: str, rate) -> Decimal | None:
    return None if category == VatCategory.O.value or rate is None else Decimal(rate)


def _line(line) -> InvoiceLine:
    allowances = ()
    if line.discount_amount:
        allowances = (LineAllowanceCharge(
            is_charge=False, amount=line.discount_amount, percentage=line.discount_percent.normalize(),
            base_amount=(line.quantity * line.unit_price / line.price_base_quantity).quantize(Decimal("0.01")),
            reason="Remise", reason_code="95"),)
    gross = line.gross_price
    return InvoiceLine(
        id=str(line.position), quantity=line.quantity.normalize(), unit=line.unit, net_amount=line.net_amount,
        price=Price(net_price=line.unit_price.normalize(),
                    gross_price=gross.normalize() if gross is not None else None,
                    discount=(gross - line.unit_price).normalize() if gross is not None else None,
                    base_quantity=line.price_base_quantity.normalize() if line.price_base_quantity != 1 else None),
        vat=LineVat(category=VatCategory(line.vat_category), rate=_rate(line.vat_category, line.vat_rate)),
        item=Item(name=line.name, description=_text(line.description)),
        note=_text(line.note), allowances_charges=allowances,
    )


PRECEDING_RELATIONS = (Relation.CREDIT_NOTE, Relation.CORRECTION, Relation.DEPOSIT_DEDUCTION)


def _preceding(document: Document) -> tuple[PrecedingInvoice, ...]:
    known = getattr(document, "_preceding_invoices", None)  # read for a whole batch (documents_issue)
    if known is not None:
        return known
    links = (document.origin_links.filter(relation__in=PRECEDING_RELATIONS).order_by("source__number_value")
             .values_list("source__number", "source__issue_date"))
    return tuple(PrecedingInvoice(reference=number, issue_date=issue_date) for number, issue_date in links if number)


def preceding_of(document_ids) -> dict[int, tuple[PrecedingInvoice, ...]]:
    """BG-3 of several documents in one query: {document id: preceding invoices} (absent: none)."""
    found: dict[int, list[PrecedingInvoice]] = {}
    for target, number, issue_date in (DocumentLink.objects.filter(target_id__in=document_ids,
                                                                   relation__in=PRECEDING_RELATIONS)
                                       .order_by("source__number_value")
                                       .values_list("target_id", "source__number", "source__issue_date")):
        if number:
            found.setdefault(target, []).append(PrecedingInvoice(reference=number, issue_date=issue_date))
    return {pk: tuple(rows) for pk, rows in found.items()}


def document_to_invoice(document: Document, *, on: dt.date | None = None) -> Invoice:
    """The EN 16931 invoice of a document: frozen data when issued, today's when a draft."""
    on = document.issue_date or on or timezone.localdate()
    seller = document.seller_snapshot or seller_snapshot(document, on)
    buyer = document.buyer_snapshot or buyer_snapshot(document, on)
    framework = FRAMEWORK_LETTER[document.operation_category] + ("4" if document.kind == Kind.FINAL else "1")
    payment = None
    if seller.get("iban"):
        payment = PaymentInstructions(
            means_code=SEPA_CREDIT_TRANSFER,
            remittance=document.number or None,
            credit_transfers=(CreditTransfer(account_id=seller["iban"],
                                             service_provider_id=_text(seller.get("bic"))),))
    delivery = None
    if document.delivery_date or buyer.get("delivery_address"):
        place = buyer.get("delivery_address") or {}
        delivery = Delivery(actual_date=document.delivery_date, address=_address(place or None),
                            party_name=_text(place.get("name")))  # BT-70, the name on the delivery address
    tax_currency = document.tax_currency if document.tax_currency != document.currency else None
    return Invoice(
        number=document.number,
        issue_date=on,
        type_code=DocumentTypeCode(document.type_code),
        currency=document.currency,
        tax_currency=tax_currency,
        due_date=document.due_date,
        buyer_reference=_text(document.buyer_reference) or _text(buyer.get("chorus_service_code")),
        contract_reference=_text(document.contract_reference),
        purchase_order_reference=_text(document.purchase_order),
        payment_terms=_text(document.payment_terms_text),
        notes=_notes(document, seller, buyer),
        process=ProcessControl(specification_id=EN16931, business_process=framework),
        preceding_invoices=_preceding(document),
        seller=_seller(seller),
        buyer=_buyer(buyer),
        delivery=delivery,
        invoicing_period=(Period(start=document.period_start, end=document.period_end)
                          if document.period_start or document.period_end else None),
        payment=payment,
        allowances_charges=tuple(
            AllowanceCharge(is_charge=ac.is_charge, amount=ac.amount, vat_category=VatCategory(ac.vat_category),
                            vat_rate=_rate(ac.vat_category, ac.vat_rate), base_amount=ac.base_amount,
                            percentage=ac.percent.normalize() if ac.percent is not None else None,
                            reason=_text(ac.reason), reason_code=_text(ac.reason_code))
            for ac in document.allowances_charges.all()),
        totals=DocumentTotals(
            line_net_total=document.line_total, allowance_total=document.allowance_total,
            charge_total=document.charge_total, tax_exclusive=document.tax_exclusive,
            tax_total=document.tax_total, tax_total_accounting=document.tax_total_accounting,
            tax_currency=tax_currency, tax_inclusive=document.tax_inclusive,
            prepaid=document.prepaid or None, rounding=document.rounding or None, amount_due=document.payable),
        vat_breakdown=tuple(
            VatBreakdown(taxable_amount=Decimal(row["taxable_amount"]), tax_amount=Decimal(row["tax_amount"]),
                         category=VatCategory(row["category"]),
                         rate=Decimal(row["rate"]) if row["rate"] is not None else None,
                         exemption_reason=row["exemption_reason"] or None,
                         exemption_code=row["exemption_code"] or None)
            for row in document.vat_breakdown),
        lines=tuple(_line(line) for line in document.lines.all()),  # Line orders by (document, position)
    )
