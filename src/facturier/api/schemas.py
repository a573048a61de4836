"""Shapes of the API's bodies and answers. Amounts and quantities are decimal strings ("1234.50"),
never JSON numbers with a binary fraction: a float sent for an amount is refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from ninja import Schema
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

DECIMAL_PATTERN = r"^[+-]?\d{1,15}(\.\d{1,6})?$"


def _decimal(value: Any) -> Any:
    if isinstance(value, Decimal) or (isinstance(value, int) and not isinstance(value, bool)):
        return Decimal(value)
    if isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            d = None
        if d is not None and d.is_finite():
            return d
    raise PydanticCustomError("decimal_type", "A decimal number as a string is expected, e.g. \"12.50\".")


DecimalString = Annotated[Decimal, BeforeValidator(_decimal),
                          WithJsonSchema({"type": "string", "pattern": DECIMAL_PATTERN, "examples": ["12.50"]})]


class Out(BaseModel):
    """An answer: plain pydantic (the endpoints build dicts), which validates far faster than ninja's Schema."""


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class Problem(Out):
    """RFC 9457 problem details (application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[dict[str, Any]] = []


# --- customers ------------------------------------------------------------------------------------


class AddressIn(Strict):
    line1: str
    line2: str = ""
    postcode: str = ""
    city: str
    country: str = "FR"
    name: str = ""


class ContactIn(Strict):
    name: str = ""
    email: str = ""
    phone: str = ""
    role: str = ""
    receives_invoices: bool = True


class CustomerFields(Strict):
    name: str | None = None
    siren: str | None = None
    siret: str | None = None
    vat_number: str | None = None
    foreign_identifier: str | None = None
    foreign_identifier_scheme: str | None = None
    is_public_sector: bool | None = None
    chorus_service_code: str | None = None
    buyer_reference: str | None = Field(None, description="BT-10 copied into new documents (e.g. a Leitweg-ID); "
                                        "required on every document when the customer receives XRechnung.")
    language: str | None = None
    payment_terms_days: int | None = None
    notes: str | None = None
    preferred_channel: str | None = None
    electronic_address: str | None = None
    electronic_address_scheme: str | None = None


class CustomerIn(CustomerFields):
    code: str
    name: str
    billing_address: AddressIn
    delivery_address: AddressIn | None = None
    contacts: list[ContactIn] = []
    effective_from: dt.date | None = None


class CustomerPatch(CustomerFields):
    code: str | None = None


class AddressOut(Out):
    line1: str
    line2: str
    postcode: str
    city: str
    country: str
    effective_from: dt.date


class CustomerOut(Out):
    id: int
    code: str
    name: str
    siren: str
    siret: str
    vat_number: str
    electronic_address: str
    electronic_address_scheme: str
    is_public_sector: bool
    language: str
    preferred_channel: str
    buyer_reference: str
    accepts_einvoices: bool
    billing_address: AddressOut | None
    contacts: list[dict[str, Any]]


class CustomerPage(Out):
    items: list[CustomerOut]
    next_cursor: str | None


# --- documents ------------------------------------------------------------------------------------


class LineIn(Strict):
    name: str
    quantity: DecimalString
    unit_price: DecimalString
    vat_category: str = "S"
    vat_rate: DecimalString | None = Field(default=Decimal("20"), json_schema_extra={"example": "20"})
    unit: str = "C62"
    description: str = ""
    gross_price: DecimalString | None = None
    price_base_quantity: DecimalString = Decimal(1)
    discount_percent: DecimalString = Decimal(0)
    exemption_reason: str = ""
    exemption_code: str = ""
    note: str = ""
    family: str = Field(default="", max_length=30, description="Item family: a free code the accounting maps to "
                                                               "a revenue account.")


class AllowanceChargeIn(Strict):
    is_charge: bool = False
    amount: DecimalString | None = None
    percent: DecimalString | None = None
    base_amount: DecimalString | None = None
    vat_category: str = "S"
    vat_rate: DecimalString | None = Decimal("20")
    reason: str = ""
    reason_code: str = ""


class HeaderFields(Strict):
    due_date: dt.date | None = None
    delivery_date: dt.date | None = None
    language: str | None = None
    currency: str | None = None
    buyer_reference: str | None = None
    purchase_order: str | None = None
    contract_reference: str | None = None
    operation_category: str | None = None
    payment_terms_text: str | None = None
    note: str | None = None


class DraftIn(HeaderFields):
    kind: str = "invoice"
    customer_id: int
    lines: list[LineIn] = Field(min_length=1, max_length=5000)
    allowances_charges: list[AllowanceChargeIn] = []


class DraftPatch(HeaderFields):
    customer_id: int | None = None
    lines: list[LineIn] | None = Field(default=None, max_length=5000)
    allowances_charges: list[AllowanceChargeIn] | None = None


class IssueIn(Strict):
    issue_date: dt.date | None = None
    confirm_overcredit: bool = False


class CreditNoteIn(Strict):
    line_ids: list[int] | None = None
    note: str = ""


class DocumentSummary(Out):
    id: int
    kind: str
    state: str
    number: str
    issue_date: dt.date | None
    due_date: dt.date | None
    customer: dict[str, Any]
    payable: str
    amount_due: str
    currency: str


class DocumentPage(Out):
    items: list[DocumentSummary]
    next_cursor: str | None


class DocumentOut(DocumentSummary):
    state_label: str
    language: str
    delivery_date: dt.date | None
    buyer_reference: str
    purchase_order: str
    note: str
    totals: dict[str, str]
    vat_breakdown: list[dict[str, Any]]
    lines: list[dict[str, Any]]
    payment: dict[str, str]
    delivery: dict[str, Any] | None
    links: dict[str, str]


# --- payments and deliveries ----------------------------------------------------------------------


class PaymentIn(Strict):
    date: dt.date
    amount: DecimalString
    method: str = "transfer"
    reference: str = ""
    confirm_overpayment: bool = False


class PaymentCancelIn(Strict):
    reason: str


class PaymentOut(Out):
    id: int
    document_id: int
    date: dt.date
    amount: str
    method: str
    reference: str
    cancelled_at: dt.datetime | None
    cancel_reason: str


class SendIn(Strict):
    allow_duplicates: bool = False


class DeliveryOut(Out):
    document_id: int
    state: str | None
    state_label: str
    recipient: str
    updated_at: dt.datetime | None
    history: list[dict[str, Any]]
    warnings: list[str] = []


class ArchivedFile(Out):
    id: int
    kind: str
    filename: str
    media_type: str
    size: int
    sha256: str
    archived_at: dt.datetime
    timestamped_at: dt.datetime
    retention_until: dt.date
    purged: bool
    legal_hold: bool
    download: str | None


class ImportMessage(Out):
    rule: str
    severity: str
    message: str
    where: str | None = None


class ImportedFile(Out):
    position: int
    file: str
    sha256: str
    size: int
    outcome: str  # imported, refused, duplicate
    syntax: str
    specification: str
    number: str
    rules: list[str]
    messages: list[ImportMessage]
    document_id: int | None
    customer_id: int | None
    customer_created: bool


class ImportReportOut(Out):
    id: int
    source: str
    sender: str
    created_at: dt.datetime
    imported: int
    refused: int
    duplicates: int
    files: list[ImportedFile]
