"""The EN 16931 semantic model of an invoice, as frozen, typed values.

One class per business group (BG) of EN 16931-1, one field per business term (BT), each
documented by its id; plus the few Factur-X EXTENDED terms the French CIUS needs (line
sub-types and parent lines, which also hold the XRechnung extension's sub-lines: see
`facturier.engine.en16931.sublines`). Syntax details (CII element names, UBL customisation ids,
the Factur-X profile) are not part of the model: they are options of the writers.

Conventions every reader and writer follows:
- amounts, quantities, percentages and rates are `Decimal`, exactly as written (never
  re-rounded here); dates are `datetime.date`;
- optional single values default to None, repeated groups are tuples defaulting to `()`;
- a mandatory text read from a document that lacks it is kept as "" so that the business
  rules, not the reader, report it;
- `type_code` and VAT categories hold a `DocumentTypeCode` / `VatCategory` member, or a
  plain `str` when a document carries a code outside those lists (the rules report it with
  BR-CL-01 / BR-CL-17): serialise them with `str(code)`, never `.value`;
- other codes (units, countries, currencies, payment means, reasons, schemes) are `str`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from facturier.engine.en16931.codes import DocumentTypeCode, VatCategory

__all__ = [
    "without_blank_texts",
    "AdditionalDocument",
    "AllowanceCharge",
    "Buyer",
    "Contact",
    "CreditTransfer",
    "Delivery",
    "DirectDebit",
    "DocumentTotals",
    "ElectronicAddress",
    "Identifier",
    "Invoice",
    "InvoiceLine",
    "Item",
    "ItemAttribute",
    "ItemClassification",
    "LineAllowanceCharge",
    "LineVat",
    "LogisticsCharge",
    "Note",
    "Payee",
    "PaymentCard",
    "PaymentInstructions",
    "Period",
    "PostalAddress",
    "PrecedingInvoice",
    "Price",
    "ProcessControl",
    "Seller",
    "TaxRepresentative",
    "VatBreakdown",
]

_CREDIT_NOTE_CODES = frozenset(c.value for c in DocumentTypeCode if c.is_credit_note)


@dataclass(frozen=True, slots=True)
class Identifier:
    """An identifier with its optional identification scheme (ISO 6523 ICD, e.g. 0002 SIREN,
    0009 SIRET, 0088 GLN, 0225 French routing code).

    Positional use is allowed: ``Identifier("732829320", "0002")``.
    """

    value: str
    """The identifier itself, e.g. BT-29, BT-30, BT-46, BT-47, BT-60, BT-61, BT-71, BT-157."""
    scheme: str | None = None
    """The scheme identifier, e.g. BT-29-1, BT-30-1, BT-46-1, BT-157-1 (None when absent)."""


@dataclass(frozen=True, slots=True)
class ElectronicAddress:
    """BT-34 / BT-49 Electronic address of the seller / buyer, with its scheme.

    Positional use is allowed: ``ElectronicAddress("732829320", "0225")``.
    """

    value: str
    """BT-34 Seller electronic address / BT-49 Buyer electronic address."""
    scheme: str
    """BT-34-1 / BT-49-1 Scheme identifier (EAS list: 0225, 0009, 0002, 0088, EM…)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Note:
    """BG-1 Invoice note."""

    text: str
    """BT-22 Invoice note."""
    subject_code: str | None = None
    """BT-21 Invoice note subject code (UNTDID 4451: AAI, PMT, PMD, AAB, BAR, REG…)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessControl:
    """BG-2 Process control."""

    specification_id: str
    """BT-24 Specification identifier, as read. Writers write their own profile's id."""
    business_process: str | None = None
    """BT-23 Business process type (the French billing framework: B1, S1, M1…)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PrecedingInvoice:
    """BG-3 Preceding invoice reference."""

    reference: str
    """BT-25 Preceding invoice reference."""
    issue_date: date | None = None
    """BT-26 Preceding invoice issue date."""
    type_code: str | None = None
    """Type code of the preceding invoice (Factur-X EXTENDED, EXTENDED-CTC-FR)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PostalAddress:
    """BG-5 Seller / BG-8 Buyer / BG-12 Tax representative / BG-15 Deliver to address."""

    country: str
    """BT-40 / BT-55 / BT-69 / BT-80 Country code (ISO 3166-1 alpha-2)."""
    line1: str | None = None
    """BT-35 / BT-50 / BT-64 / BT-75 Address line 1."""
    line2: str | None = None
    """BT-36 / BT-51 / BT-65 / BT-76 Address line 2."""
    line3: str | None = None
    """BT-162 / BT-163 / BT-164 / BT-165 Address line 3."""
    city: str | None = None
    """BT-37 / BT-52 / BT-66 / BT-77 City."""
    post_code: str | None = None
    """BT-38 / BT-53 / BT-67 / BT-78 Post code."""
    subdivision: str | None = None
    """BT-39 / BT-54 / BT-68 / BT-79 Country subdivision."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    """BG-6 Seller contact / BG-9 Buyer contact."""

    name: str | None = None
    """BT-41 / BT-56 Contact point (a person or a department)."""
    phone: str | None = None
    """BT-42 / BT-57 Contact telephone number."""
    email: str | None = None
    """BT-43 / BT-58 Contact email address."""
    department: str | None = None
    """BT-41-0 / BT-56-0 Contact department (CII). EN 16931 allows one contact point: below
    EXTENDED, CII writes it only without a person name; UBL writes `name or department`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Seller:
    """BG-4 Seller."""

    name: str
    """BT-27 Seller name."""
    trading_name: str | None = None
    """BT-28 Seller trading name."""
    identifiers: tuple[Identifier, ...] = ()
    """BT-29 Seller identifier(s), each with its scheme BT-29-1."""
    legal_registration: Identifier | None = None
    """BT-30 Seller legal registration identifier, scheme BT-30-1 (SIREN: scheme 0002)."""
    vat_id: str | None = None
    """BT-31 Seller VAT identifier (with its country prefix)."""
    tax_registration_id: str | None = None
    """BT-32 Seller tax registration identifier."""
    legal_form: str | None = None
    """BT-33 Seller additional legal information (legal form, share capital, RCS…)."""
    electronic_address: ElectronicAddress | None = None
    """BT-34 Seller electronic address, scheme BT-34-1."""
    address: PostalAddress | None = None
    """BG-5 Seller postal address (mandatory: BR-08; None only when read without one)."""
    contact: Contact | None = None
    """BG-6 Seller contact."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Buyer:
    """BG-7 Buyer."""

    name: str
    """BT-44 Buyer name."""
    trading_name: str | None = None
    """BT-45 Buyer trading name."""
    identifiers: tuple[Identifier, ...] = ()
    """BT-46 Buyer identifier(s), each with its scheme BT-46-1 (EN 16931 allows one)."""
    legal_registration: Identifier | None = None
    """BT-47 Buyer legal registration identifier, scheme BT-47-1 (SIREN: scheme 0002)."""
    vat_id: str | None = None
    """BT-48 Buyer VAT identifier (with its country prefix)."""
    tax_registration_id: str | None = None
    """Buyer tax registration identifier: no EN 16931 term; Factur-X allows the buyer a VAT
    id only (BR-FXEXT-03), so CII writes it only under another CIUS id (XRechnung has some)."""
    legal_form: str | None = None
    """Buyer additional legal information (Factur-X EXTENDED; no EN 16931 term)."""
    electronic_address: ElectronicAddress | None = None
    """BT-49 Buyer electronic address, scheme BT-49-1."""
    address: PostalAddress | None = None
    """BG-8 Buyer postal address (mandatory: BR-10; absent in Factur-X MINIMUM)."""
    contact: Contact | None = None
    """BG-9 Buyer contact."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Payee:
    """BG-10 Payee, when different from the seller (e.g. a factor)."""

    name: str
    """BT-59 Payee name."""
    identifier: Identifier | None = None
    """BT-60 Payee identifier, scheme BT-60-1."""
    legal_registration: Identifier | None = None
    """BT-61 Payee legal registration identifier, scheme BT-61-1."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TaxRepresentative:
    """BG-11 Seller tax representative party."""

    name: str
    """BT-62 Seller tax representative name."""
    vat_id: str
    """BT-63 Seller tax representative VAT identifier."""
    address: PostalAddress
    """BG-12 Seller tax representative postal address."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    """BG-14 Invoicing period / BG-26 Invoice line period."""

    start: date | None = None
    """BT-73 Invoicing period start date / BT-134 Invoice line period start date."""
    end: date | None = None
    """BT-74 Invoicing period end date / BT-135 Invoice line period end date."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """BG-13 Delivery information."""

    party_name: str | None = None
    """BT-70 Deliver to party name."""
    location_id: Identifier | None = None
    """BT-71 Deliver to location identifier, scheme BT-71-1."""
    actual_date: date | None = None
    """BT-72 Actual delivery date."""
    address: PostalAddress | None = None
    """BG-15 Deliver to address."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditTransfer:
    """BG-17 Credit transfer."""

    account_id: str
    """BT-84 Payment account identifier (an IBAN, or a proprietary account number)."""
    account_name: str | None = None
    """BT-85 Payment account name."""
    service_provider_id: str | None = None
    """BT-86 Payment service provider identifier (BIC)."""
    proprietary_id: bool = False
    """True when BT-84 is not an IBAN (CII ProprietaryID); False for an IBAN (CII IBANID)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentCard:
    """BG-18 Payment card information."""

    account_number: str
    """BT-87 Payment card primary account number (at most the last 4-6 digits in clear)."""
    holder_name: str | None = None
    """BT-88 Payment card holder name."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DirectDebit:
    """BG-19 Direct debit."""

    mandate_reference: str | None = None
    """BT-89 Mandate reference identifier."""
    creditor_id: str | None = None
    """BT-90 Bank assigned creditor identifier (SEPA creditor identifier)."""
    debited_account: str | None = None
    """BT-91 Debited account identifier (IBAN)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentInstructions:
    """BG-16 Payment instructions."""

    means_code: str
    """BT-81 Payment means type code (UNTDID 4461: 30, 58, 49, 59, 48…)."""
    means_text: str | None = None
    """BT-82 Payment means text."""
    remittance: str | None = None
    """BT-83 Remittance information (the payment reference the buyer quotes)."""
    credit_transfers: tuple[CreditTransfer, ...] = ()
    """BG-17 Credit transfer(s)."""
    card: PaymentCard | None = None
    """BG-18 Payment card information."""
    direct_debit: DirectDebit | None = None
    """BG-19 Direct debit."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AllowanceCharge:
    """BG-20 Document level allowance / BG-21 Document level charge."""

    is_charge: bool
    """False for an allowance (BG-20), True for a charge (BG-21)."""
    amount: Decimal
    """BT-92 Document level allowance amount / BT-99 Document level charge amount."""
    vat_category: VatCategory | str
    """BT-95 / BT-102 VAT category code of the allowance / charge."""
    vat_rate: Decimal | None = None
    """BT-96 / BT-103 VAT rate of the allowance / charge, in percent."""
    base_amount: Decimal | None = None
    """BT-93 / BT-100 Base amount of the allowance / charge."""
    percentage: Decimal | None = None
    """BT-94 / BT-101 Percentage of the allowance / charge."""
    reason: str | None = None
    """BT-97 / BT-104 Reason of the allowance / charge."""
    reason_code: str | None = None
    """BT-98 / BT-105 Reason code (UNTDID 5189 allowances, UNTDID 7161 charges)."""
    vat_exemption_reason: str | None = None
    """BT-173 / BT-175 VAT exemption reason of the allowance / charge (EXTENDED-CTC-FR)."""
    vat_exemption_code: str | None = None
    """BT-174 / BT-176 VAT exemption reason code of the allowance / charge (EXTENDED-CTC-FR)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LogisticsCharge:
    """Logistics service charge (Factur-X EXTENDED BT-X-271..274; no EN 16931 group).

    EXTENDED counts these in BT-108 and in the VAT breakdown alongside the BG-21 charges.
    """

    description: str
    """BT-X-271 Logistics service charge description."""
    amount: Decimal
    """BT-X-272 Logistics service charge amount."""
    vat_category: VatCategory | str
    """BT-X-273 VAT category code of the logistics service charge."""
    vat_rate: Decimal | None = None
    """BT-X-274 VAT rate of the logistics service charge, in percent."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentTotals:
    """BG-22 Document totals."""

    tax_exclusive: Decimal
    """BT-109 Invoice total amount without VAT."""
    tax_inclusive: Decimal
    """BT-112 Invoice total amount with VAT."""
    amount_due: Decimal
    """BT-115 Amount due for payment."""
    line_net_total: Decimal | None = None
    """BT-106 Sum of invoice line net amounts (mandatory, BR-12; absent in MINIMUM)."""
    allowance_total: Decimal | None = None
    """BT-107 Sum of allowances on document level."""
    charge_total: Decimal | None = None
    """BT-108 Sum of charges on document level."""
    tax_total: Decimal | None = None
    """BT-110 Invoice total VAT amount, in the invoice currency (BT-5)."""
    tax_total_accounting: Decimal | None = None
    """BT-111 Invoice total VAT amount in accounting currency."""
    tax_currency: str | None = None
    """BT-111 currency: the VAT accounting currency (equals BT-6 when given)."""
    prepaid: Decimal | None = None
    """BT-113 Paid amount."""
    rounding: Decimal | None = None
    """BT-114 Rounding amount."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VatBreakdown:
    """BG-23 VAT breakdown: one per VAT category and rate."""

    taxable_amount: Decimal
    """BT-116 VAT category taxable amount."""
    tax_amount: Decimal
    """BT-117 VAT category tax amount."""
    category: VatCategory | str
    """BT-118 VAT category code."""
    rate: Decimal | None = None
    """BT-119 VAT category rate, in percent (None for category O)."""
    exemption_reason: str | None = None
    """BT-120 VAT exemption reason text."""
    exemption_code: str | None = None
    """BT-121 VAT exemption reason code (VATEX list)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AdditionalDocument:
    """BG-24 Additional supporting documents."""

    reference: str
    """BT-122 Supporting document reference."""
    description: str | None = None
    """BT-123 Supporting document description."""
    uri: str | None = None
    """BT-124 External document location."""
    attachment: bytes | None = None
    """BT-125 Attached document (the decoded bytes)."""
    mime_code: str | None = None
    """BT-125-1 Attached document MIME code."""
    filename: str | None = None
    """BT-125-2 Attached document filename."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LineAllowanceCharge:
    """BG-27 Invoice line allowance / BG-28 Invoice line charge."""

    is_charge: bool
    """False for an allowance (BG-27), True for a charge (BG-28)."""
    amount: Decimal
    """BT-136 Invoice line allowance amount / BT-141 Invoice line charge amount."""
    base_amount: Decimal | None = None
    """BT-137 / BT-142 Base amount of the line allowance / charge."""
    percentage: Decimal | None = None
    """BT-138 / BT-143 Percentage of the line allowance / charge."""
    reason: str | None = None
    """BT-139 / BT-144 Reason of the line allowance / charge."""
    reason_code: str | None = None
    """BT-140 / BT-145 Reason code (UNTDID 5189 allowances, UNTDID 7161 charges)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Price:
    """BG-29 Price details."""

    net_price: Decimal
    """BT-146 Item net price (never negative: BR-27)."""
    discount: Decimal | None = None
    """BT-147 Item price discount (gross price − net price)."""
    gross_price: Decimal | None = None
    """BT-148 Item gross price."""
    base_quantity: Decimal | None = None
    """BT-149 Item price base quantity (the price is for this many units; None means 1)."""
    base_unit: str | None = None
    """BT-150 Item price base quantity unit of measure code."""
    gross_base_quantity: Decimal | None = None
    """BT-149-1 Gross price base quantity (Factur-X CII; may differ from BT-149)."""
    gross_base_unit: str | None = None
    """BT-150-1 Gross price base quantity unit of measure code (Factur-X CII)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LineVat:
    """BG-30 Line VAT information."""

    category: VatCategory | str
    """BT-151 Invoiced item VAT category code."""
    rate: Decimal | None = None
    """BT-152 Invoiced item VAT rate, in percent (None for category O)."""
    exemption_reason: str | None = None
    """BT-X-96 Line VAT exemption reason text (Factur-X EXTENDED, EXTENDED-CTC-FR)."""
    exemption_code: str | None = None
    """BT-X-97 Line VAT exemption reason code (Factur-X EXTENDED, EXTENDED-CTC-FR)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemAttribute:
    """BG-32 Item attributes."""

    name: str
    """BT-160 Item attribute name."""
    value: str
    """BT-161 Item attribute value."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemClassification:
    """BT-158 Item classification identifier, with its scheme and scheme version."""

    code: str
    """BT-158 Item classification identifier."""
    scheme: str | None = None
    """BT-158-1 Scheme identifier (UNTDID 7143: STI, CV, TSP…)."""
    version: str | None = None
    """BT-158-2 Scheme version identifier."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    """BG-31 Item information."""

    name: str
    """BT-153 Item name."""
    description: str | None = None
    """BT-154 Item description."""
    seller_id: str | None = None
    """BT-155 Item Seller's identifier."""
    buyer_id: str | None = None
    """BT-156 Item Buyer's identifier."""
    standard_id: Identifier | None = None
    """BT-157 Item standard identifier, scheme BT-157-1 (GTIN: 0160)."""
    classifications: tuple[ItemClassification, ...] = ()
    """BT-158 Item classification identifiers."""
    origin_country: str | None = None
    """BT-159 Item country of origin."""
    attributes: tuple[ItemAttribute, ...] = ()
    """BG-32 Item attributes."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceLine:
    """BG-25 Invoice line."""

    id: str
    """BT-126 Invoice line identifier."""
    quantity: Decimal
    """BT-129 Invoiced quantity."""
    unit: str
    """BT-130 Invoiced quantity unit of measure code (UN/ECE Rec 20/21)."""
    net_amount: Decimal
    """BT-131 Invoice line net amount."""
    price: Price
    """BG-29 Price details."""
    vat: LineVat
    """BG-30 Line VAT information."""
    item: Item
    """BG-31 Item information."""
    note: str | None = None
    """BT-127 Invoice line note."""
    object_id: Identifier | None = None
    """BT-128 Invoice line object identifier, scheme BT-128-1."""
    order_line_reference: str | None = None
    """BT-132 Referenced purchase order line reference."""
    accounting_reference: str | None = None
    """BT-133 Invoice line Buyer accounting reference."""
    period: Period | None = None
    """BG-26 Invoice line period."""
    allowances_charges: tuple[LineAllowanceCharge, ...] = ()
    """BG-27 Invoice line allowances and BG-28 Invoice line charges."""
    parent_line_id: str | None = None
    """BT-X-304 Parent line identifier (Factur-X EXTENDED sub-lines; also the parent of an
    XRechnung extension sub invoice line, BG-DEX-01). An extension, not EN 16931: see
    `facturier.engine.en16931.sublines` for how the two hierarchies map onto these fields."""
    subtype: str | None = None
    """BT-X-8 Subtype of invoice line: DETAIL (or None), GROUP, INFORMATION (EXTENDED; derived
    from the nesting for XRechnung sub-lines)."""

    @property
    def counts_in_totals(self) -> bool:
        """Whether this line's amounts add up into BT-106 (GROUP/INFORMATION lines do not)."""
        return self.subtype is None or self.subtype == "DETAIL"


@dataclass(frozen=True, slots=True, kw_only=True)
class Invoice:
    """BG-0 Invoice: the whole EN 16931 semantic model of one invoice or credit note."""

    number: str
    """BT-1 Invoice number."""
    issue_date: date
    """BT-2 Invoice issue date."""
    type_code: DocumentTypeCode | str
    """BT-3 Invoice type code (UNTDID 1001: 380, 381, 384, 389…)."""
    currency: str
    """BT-5 Invoice currency code (ISO 4217)."""
    seller: Seller
    """BG-4 Seller."""
    buyer: Buyer
    """BG-7 Buyer."""
    totals: DocumentTotals
    """BG-22 Document totals."""
    tax_currency: str | None = None
    """BT-6 VAT accounting currency code."""
    tax_point_date: date | None = None
    """BT-7 Value added tax point date."""
    tax_point_date_code: str | None = None
    """BT-8 Value added tax point date code (UNTDID 2005 subset: 3, 35, 432)."""
    due_date: date | None = None
    """BT-9 Payment due date."""
    buyer_reference: str | None = None
    """BT-10 Buyer reference (the French service code, the German Leitweg-ID)."""
    project_reference: str | None = None
    """BT-11 Project reference."""
    contract_reference: str | None = None
    """BT-12 Contract reference."""
    purchase_order_reference: str | None = None
    """BT-13 Purchase order reference."""
    sales_order_reference: str | None = None
    """BT-14 Sales order reference."""
    receiving_advice: str | None = None
    """BT-15 Receiving advice reference."""
    despatch_advice: str | None = None
    """BT-16 Despatch advice reference."""
    tender_reference: str | None = None
    """BT-17 Tender or lot reference."""
    invoiced_object: Identifier | None = None
    """BT-18 Invoiced object identifier, scheme BT-18-1."""
    buyer_accounting_reference: str | None = None
    """BT-19 Buyer accounting reference."""
    payment_terms: str | None = None
    """BT-20 Payment terms."""
    notes: tuple[Note, ...] = ()
    """BG-1 Invoice notes."""
    process: ProcessControl | None = None
    """BG-2 Process control (BT-23, BT-24)."""
    preceding_invoices: tuple[PrecedingInvoice, ...] = ()
    """BG-3 Preceding invoice references."""
    payee: Payee | None = None
    """BG-10 Payee."""
    tax_representative: TaxRepresentative | None = None
    """BG-11 Seller tax representative party."""
    delivery: Delivery | None = None
    """BG-13 Delivery information."""
    invoicing_period: Period | None = None
    """BG-14 Invoicing period."""
    payment: PaymentInstructions | None = None
    """BG-16 Payment instructions."""
    allowances_charges: tuple[AllowanceCharge, ...] = ()
    """BG-20 Document level allowances and BG-21 Document level charges."""
    vat_breakdown: tuple[VatBreakdown, ...] = ()
    """BG-23 VAT breakdown."""
    additional_documents: tuple[AdditionalDocument, ...] = ()
    """BG-24 Additional supporting documents."""
    lines: tuple[InvoiceLine, ...] = ()
    """BG-25 Invoice lines (mandatory, BR-16; absent in Factur-X MINIMUM and BASIC WL)."""
    logistics_charges: tuple[LogisticsCharge, ...] = ()
    """Logistics service charges (Factur-X EXTENDED only; see `LogisticsCharge`)."""
    issue_date_zone: str | None = None
    """The time zone written on BT-2 ("Z", "+02:00"), when the document gives one (UBL
    xs:date may; CII format 102 cannot)."""

    @property
    def is_credit_note(self) -> bool:
        """A credit note type code (381, 261, 262, 396, 502, 503): UBL writes a CreditNote."""
        return str(self.type_code) in _CREDIT_NOTE_CODES

    @property
    def allowances(self) -> tuple[AllowanceCharge, ...]:
        """BG-20 Document level allowances."""
        return tuple(ac for ac in self.allowances_charges if not ac.is_charge)

    @property
    def charges(self) -> tuple[AllowanceCharge, ...]:
        """BG-21 Document level charges."""
        return tuple(ac for ac in self.allowances_charges if ac.is_charge)


def without_blank_texts(value):
    """``value`` (a model, a group, a tuple) with every blank optional text as None, and any
    optional group left with nothing in it as None.

    This is what a written document holds: the writers never write an empty element
    (`facturier.engine.xml.drop_empty_elements`), so a reader gives None back where the
    model held "" or spaces in an optional term (a mandatory one reads back as "", the
    model's convention). Used to compare a model with its written-and-read copy.
    """
    if isinstance(value, tuple):
        return tuple(without_blank_texts(v) for v in value)
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return value
    changes = {}
    for f in dataclasses.fields(value):
        v = getattr(value, f.name)
        optional = f.default is None
        if isinstance(v, str):
            v = None if optional and not v.strip() else v
        else:
            v = without_blank_texts(v)
            if optional and dataclasses.is_dataclass(v) and _holds_nothing(v):
                v = None
        changes[f.name] = v
    return dataclasses.replace(value, **changes)


def _holds_nothing(group) -> bool:
    return all(
        f.default is None and getattr(group, f.name) is None or getattr(group, f.name) == ()
        for f in dataclasses.fields(group)
    )
