"""The printable invoice: an EN 16931 `Invoice` rendered to PDF/A-3b by Typst.

Python prepares a small view of the invoice (`invoice_view`) — every amount, date, quantity
and label already formatted for the document's language, so `Decimal` never meets a float and
the template only lays out text — and hands it to a Typst template as the JSON file
/data.json of a scratch project folder (see `_Typst` for why not `sys.inputs`). One Typst
`Compiler` serves the whole process: template sources, fonts and unchanged layout stay
parsed and memoised between documents, which is what makes a one-page invoice cost a few
milliseconds. The binding is not thread-safe, so compilations are serialised by a lock.

Templates live next to this module (`templates/`): `standard.typ`, `chorus.typ` and the
shared `lib.typ`. An organisation's own template is not compiled here but in a child process,
in a folder of its own that holds the same files, so it can `#import "lib.typ": *` and reuse
`invoice-data()` and the building blocks (see `sandbox`: time and memory limits).
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from facturier.engine.en16931.codes import DocumentTypeCode, PaymentMeansCode, VatCategory, unit_label
from facturier.engine.en16931.countries import address_country_line
from facturier.engine.en16931.model import Identifier, Invoice, PostalAddress
from facturier.engine.errors import EngineError, Message
from facturier.engine.pdf.epc_qr import EpcError, epc_payload, qr_png
from facturier.engine.pdf.labels import LABELS
from facturier.engine.pdf.sandbox import (
    FONTS_DIR,
    SCRATCH_PREFIX,
    TEMPLATES_DIR,
    TemplateError,
    TemplateLimitError,
    TemplateLimits,
    compile_custom,
)
from facturier.engine.pdf.stamp_area import STAMP_SPACE

if TYPE_CHECKING:
    import typst

__all__ = [
    "Attachment",
    "RenderError",
    "RenderOptions",
    "TemplateError",
    "TemplateLimitError",
    "TemplateLimits",
    "format_amount",
    "format_date",
    "invoice_view",
    "render_invoice",
]


Language = Literal["fr", "en"]
DocumentKind = Literal["invoice", "credit_note", "deposit", "corrective", "final"]
TemplateName = Literal["standard", "chorus"]


class RenderError(EngineError):
    """The PDF could not be produced (bad options, or a fault of a built-in template)."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file embedded in the PDF (PDF/A-3 associated file), e.g. factur-x.xml."""

    filename: str
    data: bytes
    mime: str = "text/xml"
    relationship: str = "Alternative"
    """/AFRelationship: Data, Source, Alternative, Supplement or Unspecified."""
    description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderOptions:
    """How to print one invoice; the invoice itself carries all the business data."""

    language: Language = "fr"
    document_kind: DocumentKind | None = None
    """Override of the title; by default taken from BT-3 (and BT-23 for a final invoice)."""
    draft: bool = False
    """A draft: diagonal « ÉBAUCHE » / "DRAFT" watermark, no number, no payment QR code."""
    logo: bytes | None = None
    """The seller's logo, PNG, JPEG or SVG."""
    accent: str = "#1f4e79"
    """Accent colour, "#rrggbb"."""
    template: TemplateName = "standard"
    custom_template: str | None = None
    """An organisation's own Typst source, used instead of `template`: compiled in a child process
    in a folder of its own, within `template_limits` (see `sandbox`)."""
    template_limits: TemplateLimits = TemplateLimits()
    attachments: tuple[Attachment | tuple, ...] = ()
    """Files to embed; tuples are read as (filename, bytes, mime, relationship, description)."""
    extra_mentions: tuple[str, ...] = ()
    """Further mentions printed with the legal ones (the invoice's notes come first)."""
    qr_code: bool = True
    """Print the EPC QR code when the seller has an IBAN and the currency is EUR."""
    timestamp: dt.datetime | None = None
    """PDF creation date; by default the issue date at noon UTC, so a reprint is identical."""
    seal_space: bool = False
    """Keep the seal's stamp area blank at the bottom right of the last page (see `stamp_area`):
    for a document that is rendered to be sealed."""
    pdf_tags: bool = False
    """Tagged PDF (structure for screen readers). Not required by PDF/A-3b, and it costs about
    a third of the render time of a one-page invoice, so it is asked for explicitly."""


_CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_NNBSP = "\u202f"  # espace fine insécable: French thousands separator and before « % »
_NBSP = "\u00a0"
_MINUS = "\u2212"


# --- Formatting -----------------------------------------------------------------------------

def _group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]
    return separator.join(parts)


def format_number(value: Decimal, language: str, *, places: int | None = None) -> str:
    """A decimal written the reader's way: "1 234,5" in French, "1,234.5" in English.

    `places` fixes the number of decimals (amounts); otherwise the value is written as given,
    without trailing zeros (quantities, rates). Never goes through a float.
    """
    value = value.quantize(Decimal(1).scaleb(-places)) if places is not None else value.normalize()
    sign, digits_tuple, exponent = value.as_tuple()
    digits = "".join(map(str, digits_tuple))
    if isinstance(exponent, str):  # NaN / Infinity never come from the model
        return str(value)
    if exponent >= 0:
        integer, fraction = digits + "0" * exponent, ""
    else:
        digits = digits.rjust(-exponent + 1, "0")
        integer, fraction = digits[:exponent], digits[exponent:]
    french = language.startswith("fr")
    text = _group(integer.lstrip("0") or "0", _NNBSP if french else ",")
    if fraction:
        text += ("," if french else ".") + fraction
    if sign and (set(digits) - {"0"}):
        text = _MINUS + text if french else "-" + text
    return text


def format_amount(value: Decimal, currency: str, language: str, *, as_entered: bool = False) -> str:
    """"1 234,56 €" in French, "€1,234.56" in English ("1,234.56 CHF" without a symbol).

    `as_entered` keeps the decimals a value has beyond the currency's (a unit price of
    0,333 € prints 0,333 €, not a rounded 0,33 € that no longer multiplies to the line amount).
    """
    places = 2 if currency != "JPY" else 0
    if as_entered:
        exponent = value.normalize().as_tuple().exponent
        if isinstance(exponent, int):
            places = max(places, -exponent)
    number = format_number(value, language, places=places)
    symbol = _CURRENCY_SYMBOLS.get(currency)
    if language.startswith("fr"):
        return f"{number}{_NBSP}{symbol if currency == 'EUR' else currency}"
    if symbol:
        return f"-{symbol}{number[1:]}" if number.startswith("-") else f"{symbol}{number}"
    return f"{number}{_NBSP}{currency}"


def format_date(value: dt.date | None, language: str) -> str:
    """dd/mm/yyyy in French; "25 Nov 2026" in English (no day/month ambiguity)."""
    if value is None:
        return ""
    if language.startswith("fr"):
        return value.strftime("%d/%m/%Y")
    return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"


def format_rate(value: Decimal | None, language: str) -> str:
    if value is None:
        return ""
    number = format_number(value, language)
    return f"{number}{_NNBSP}%" if language.startswith("fr") else f"{number}%"


def _spaced(value: str, groups: tuple[int, ...]) -> str:
    """'732829320' → '732 829 320' (SIREN) / SIRET 3-3-3-5, only when the digits fit."""
    compact = value.replace(" ", "")
    if not compact.isdigit() or len(compact) != sum(groups):
        return value
    out, start = [], 0
    for size in groups:
        out.append(compact[start:start + size])
        start += size
    return _NBSP.join(out)


def format_iban(value: str) -> str:
    compact = value.replace(" ", "").upper()
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


# --- The view handed to Typst ---------------------------------------------------------------

def _address_lines(address: PostalAddress | None, lang: str) -> list[str]:
    """An address as printed: the country named, in capitals, on its last line when it is not France."""
    if address is None:
        return []
    lines = [x for x in (address.line1, address.line2, address.line3) if x]
    city = " ".join(x for x in (address.post_code, address.city) if x)
    if address.subdivision:
        city = f"{city}, {address.subdivision}" if city else address.subdivision
    if city:
        lines.append(city)
    country = address_country_line(address.country, lang)
    if country:
        lines.append(country)
    return lines


def _party_ids(party, labels: dict[str, str]) -> list[list[str]]:
    ids: list[list[str]] = []
    siren = party.legal_registration
    if siren is not None and siren.value:
        if siren.scheme in (None, "0002"):
            ids.append([labels["siren"], _spaced(siren.value, (3, 3, 3))])
        else:
            ids.append([labels["identifier"], siren.value])
    identifiers: tuple[Identifier, ...] = party.identifiers
    for identifier in identifiers:
        if identifier.scheme == "0009":
            ids.append([labels["siret"], _spaced(identifier.value, (3, 3, 3, 5))])
        elif siren is None or identifier.value != siren.value:
            ids.append([labels["identifier"], identifier.value])
    if party.vat_id:
        ids.append([labels["vat_id"], party.vat_id])
    if party.tax_registration_id:
        ids.append([labels["tax_registration"], party.tax_registration_id])
    return ids


def _contact_lines(party, labels: dict[str, str]) -> list[str]:
    contact = party.contact
    if contact is None:
        return []
    lines = []
    if contact.name:
        lines.append(contact.name)
    if contact.phone:
        lines.append(f"{labels['phone']} {contact.phone}")
    if contact.email:
        lines.append(contact.email)
    return lines


def _kind(invoice: Invoice, options: RenderOptions) -> str:
    if options.document_kind:
        return options.document_kind
    code = str(invoice.type_code)
    if invoice.process and (invoice.process.business_process or "").endswith("4") and code == "380":
        return "final"
    if code in {"381", "261", "262", "396", "502", "503"}:
        return "credit_note"
    if code in {"386", "500"}:
        return "deposit"
    if code in {"384", "471", "472", "473"}:
        return "corrective"
    return "invoice"


def _title(invoice: Invoice, options: RenderOptions, labels: dict[str, str]) -> str:
    kind = _kind(invoice, options)
    code = str(invoice.type_code)
    generic = {"380", "381", "386", "384"}
    if options.document_kind or code in generic or kind == "final":
        return labels[kind]
    try:
        return DocumentTypeCode(code).label(options.language)
    except ValueError:
        return labels[kind]


def _category_label(category, language: str) -> str:
    try:
        return VatCategory(str(category)).label(language)
    except ValueError:
        return str(category)


_SPECIAL_RATES = frozenset(Decimal(r) for r in ("2.1", "1.05", "0.9", "13"))
"""French « taux particuliers » (art. 281 quater ff. of the CGI, Corsica, the overseas départements)."""
_NORMAL_RATES = frozenset(Decimal(r) for r in ("20", "8.5"))
"""The normal rate in metropolitan France and in Guadeloupe, Martinique and La Réunion."""


def _vat_label(category, rate: Decimal | None, language: str) -> str:
    """The name of a VAT breakdown row: a standard-category rate is « Taux réduit » (10 %, 5,5 %),
    « Taux particulier » (2,1 %) or « Taux normal » (20 %), as the CGI names them."""
    if str(category) == VatCategory.S.value and rate is not None and rate not in _NORMAL_RATES:
        if rate in _SPECIAL_RATES:
            return LABELS[language]["rate_special"]
        if rate < max(_NORMAL_RATES):
            return LABELS[language]["rate_reduced"]
    return _category_label(category, language)


def _operation_category(invoice: Invoice, labels: dict[str, str]) -> str | None:
    process = invoice.process.business_process if invoice.process else None
    if not process:
        return None
    return {"B": labels["goods"], "S": labels["services"], "M": labels["mixed"]}.get(process[:1].upper())


def _means_label(code: str, language: str) -> str:
    try:
        return PaymentMeansCode(code).label(language)
    except ValueError:
        return code


def _references(invoice: Invoice, labels: dict[str, str], lang: str, *, chorus: bool = False) -> list[list[str]]:
    """The references band; the Chorus Pro box already shows the order and the service code."""
    refs: list[list[str]] = []
    for preceding in invoice.preceding_invoices:
        text = preceding.reference
        if preceding.issue_date:
            text += f" {labels['preceding_of']} {format_date(preceding.issue_date, lang)}"
        refs.append([labels["preceding"], text])
    for key, value in (
        ("order", invoice.purchase_order_reference),
        ("sales_order", invoice.sales_order_reference),
        ("contract", invoice.contract_reference),
        ("buyer_reference", invoice.buyer_reference),
        ("project", invoice.project_reference),
        ("tender", invoice.tender_reference),
        ("despatch", invoice.despatch_advice),
        ("receiving", invoice.receiving_advice),
        ("accounting", invoice.buyer_accounting_reference),
    ):
        if value and not (chorus and key in ("order", "buyer_reference")):
            refs.append([labels[key], value])
    if invoice.delivery and invoice.delivery.actual_date:
        refs.append([labels["delivery_date"], format_date(invoice.delivery.actual_date, lang)])
    period = invoice.invoicing_period
    if period and (period.start or period.end):
        refs.append([labels["period"], f"{format_date(period.start, lang)} – {format_date(period.end, lang)}"])
    if invoice.tax_point_date:
        refs.append([labels["tax_point_date"], format_date(invoice.tax_point_date, lang)])
    category = _operation_category(invoice, labels)
    if category:
        refs.append([labels["operation_category"], category])
    return refs


def _lines(invoice: Invoice, lang: str, money) -> tuple[list[dict], bool]:
    rows, any_discount = [], False
    for line in invoice.lines:
        discount_parts = []
        for ac in line.allowances_charges:
            text = format_rate(ac.percentage, lang) if ac.percentage is not None else money(ac.amount)
            discount_parts.append(("+" if ac.is_charge else "") + text)
        if line.price.discount:
            discount_parts.insert(0, format_amount(line.price.discount, invoice.currency, lang, as_entered=True))
        any_discount = any_discount or bool(discount_parts)
        details = [x for x in (line.item.description, line.note) if x]
        if line.period and (line.period.start or line.period.end):
            details.append(f"{format_date(line.period.start, lang)} – {format_date(line.period.end, lang)}")
        price = format_amount(line.price.net_price, invoice.currency, lang, as_entered=True)
        if line.price.base_quantity not in (None, Decimal(1)):
            price += f" / {format_number(line.price.base_quantity, lang)}"
        rows.append({
            "id": line.item.seller_id or line.id,
            "name": line.item.name,
            "details": details,
            "qty": format_number(line.quantity, lang),
            "unit": unit_label(line.unit, lang),
            "price": price,
            "discount": " ".join(discount_parts),
            "vat": format_rate(line.vat.rate, lang) if line.vat.rate is not None else str(line.vat.category),
            "net": money(line.net_amount),
            "info": not line.counts_in_totals,
        })
    return rows, any_discount


def _totals(invoice: Invoice, labels: dict[str, str], money, kind: str) -> list[list]:
    t = invoice.totals
    rows: list[list] = []
    if (t.allowance_total or t.charge_total) and t.line_net_total is not None:
        rows.append([labels["line_total"], money(t.line_net_total), "minor"])
    if t.allowance_total:
        rows.append([labels["allowance_total"], money(-t.allowance_total), "minor"])
    if t.charge_total:
        rows.append([labels["charge_total"], money(t.charge_total), "minor"])
    rows.append([labels["total_excl"], money(t.tax_exclusive), "normal"])
    if t.tax_total is not None:
        rows.append([labels["total_vat"], money(t.tax_total), "normal"])
    rows.append([labels["total_incl"], money(t.tax_inclusive), "strong"])
    if t.prepaid:
        rows.append([labels["prepaid"], money(-t.prepaid), "minor"])
    if t.rounding:
        rows.append([labels["rounding"], money(t.rounding), "minor"])
    due_label = labels["amount_credited"] if kind == "credit_note" else labels["amount_due"]
    rows.append([due_label, money(t.amount_due), "due"])
    return rows


def _payment(invoice: Invoice, options: RenderOptions, labels: dict[str, str], lang: str) -> dict | None:
    rows: list[list[str]] = []
    credit_note = _kind(invoice, options) == "credit_note"
    if invoice.payment_terms and not credit_note:  # terms of payment are the customer's; a credit note has none
        rows.append([labels["payment_terms"], invoice.payment_terms])
    if invoice.due_date and not credit_note:
        rows.append([labels["due_date"], format_date(invoice.due_date, lang)])
    pay = invoice.payment
    qr = None
    if pay is not None:
        rows.append([labels["payment_means"], pay.means_text or _means_label(pay.means_code, lang)])
        for transfer in pay.credit_transfers:
            if transfer.account_name:
                rows.append([labels["account_name"], transfer.account_name])
            rows.append([labels["iban"], transfer.account_id if transfer.proprietary_id
                         else format_iban(transfer.account_id)])
            if transfer.service_provider_id:
                rows.append([labels["bic"], transfer.service_provider_id])
        if pay.direct_debit:
            if pay.direct_debit.mandate_reference:
                rows.append([labels["mandate"], pay.direct_debit.mandate_reference])
            if pay.direct_debit.creditor_id:
                rows.append([labels["creditor_id"], pay.direct_debit.creditor_id])
        remittance = pay.remittance or invoice.number
        if remittance and not options.draft:  # a draft has no number to quote yet
            rows.append([labels["remittance"], remittance])
        qr = _qr(invoice, options)
    if invoice.payee:
        rows.append([labels["payee"], invoice.payee.name])
    if not rows:
        return None
    return {"rows": rows, "qr": qr}


def _qr(invoice: Invoice, options: RenderOptions) -> bytes | None:
    pay = invoice.payment
    if (not options.qr_code or options.draft or pay is None or invoice.currency != "EUR"
            or invoice.is_credit_note or invoice.totals.amount_due <= 0):
        return None
    transfer = next((t for t in pay.credit_transfers if not t.proprietary_id), None)
    if transfer is None:
        return None
    name = invoice.payee.name if invoice.payee else (transfer.account_name or invoice.seller.name)
    try:
        payload = epc_payload(name=name, iban=transfer.account_id, bic=transfer.service_provider_id,
                              amount=invoice.totals.amount_due, remittance=pay.remittance or invoice.number)
    except EpcError:
        return None  # an unusable IBAN still prints as text; only the QR code is left out
    return qr_png(payload)


_LEGAL_NOTE_CODES = frozenset({"TXD", "AAB", "PMD", "PMT", "REG", "ABL"})
"""Note subjects printed with the legal mentions: tax (TXD), discount (AAB), late penalties
(PMD), recovery indemnity (PMT), regulatory (REG) and legal (ABL) information."""
_PAYMENT_NOTE_CODES = frozenset({"AAB", "PMD", "PMT"})
"""The mentions about the customer paying late or early: the French CTC wants them in every
document's XML (BR-FR-05), but a credit note is not paid by the customer, so none is printed on it."""


_WORDS = re.compile(r"\w+")
_SAME_WORD = {"article": "art"}


def _gist(text: str) -> str:
    """A mention reduced to its words, so « art. 293 B du CGI. » and « article 293 B du CGI » compare equal."""
    return " ".join(_SAME_WORD.get(w, w) for w in _WORDS.findall(text.casefold()))


def _once(texts: list[str]) -> list[bool]:
    """Which texts to print: one whose words another already says in full is left out (the fuller
    one is kept; of two that say the same, the later, so a note wins over a heading-prefixed reason)."""
    gists = [f" {_gist(t)} " for t in texts]
    return [not any(j != i and gists[i] in gists[j] and (gists[i] != gists[j] or j > i)
                    for j in range(len(texts))) for i in range(len(texts))]


def _mentions(invoice: Invoice, options: RenderOptions) -> tuple[list[str], list[str]]:
    """(free notes, legal mentions). BAR (B2B/B2C treatment) is for machines, not readers.

    A VAT exemption reason is printed after its category's name unless it already says it
    (« Autoliquidation », not « Autoliquidation : Autoliquidation »), and a reason that a note
    also states (the franchise's art. 293 B) is printed once.
    """
    notes, mentions = [], []
    credit_note = _kind(invoice, options) == "credit_note"
    for note in invoice.notes:
        code = (note.subject_code or "").upper()
        text = note.text.strip()
        if code == "BAR" or not text or (credit_note and code in _PAYMENT_NOTE_CODES):
            continue
        (mentions if code in _LEGAL_NOTE_CODES else notes).append(text)
    mentions.extend(m for m in options.extra_mentions if m)
    colon = " : " if options.language == "fr" else ": "
    reasons, exemptions = [], []
    for v in invoice.vat_breakdown:
        reason = (v.exemption_reason or "").strip()
        if reason:
            label = _category_label(v.category, options.language)
            reasons.append(reason)
            exemptions.append(reason if _gist(label) in _gist(reason) else f"{label}{colon}{reason}")
    # Compared on the reasons themselves: the category's name in front is only a heading.
    keep = _once(reasons + mentions)
    printed = exemptions + mentions
    return notes, [text for text, kept in zip(printed, keep, strict=True) if kept]


def _legal_line(invoice: Invoice, labels: dict[str, str]) -> str:
    seller = invoice.seller
    parts = [seller.name]
    if seller.legal_form:
        parts.append(seller.legal_form)
    siren = seller.legal_registration
    legal = seller.legal_form or ""
    if siren is not None and siren.value and siren.value.replace(" ", "") not in legal.replace(" ", ""):
        parts.append(f"{labels['siren']} {_spaced(siren.value, (3, 3, 3))}")
    siret = next((i for i in seller.identifiers if i.scheme == "0009"), None)
    if siret is not None:
        parts.append(f"{labels['siret']} {_spaced(siret.value, (3, 3, 3, 5))}")
    if seller.vat_id:
        parts.append(f"{labels['vat_id']} {seller.vat_id}")
    return " · ".join(parts)


def _chorus(invoice: Invoice, labels: dict[str, str], money, number: str | None, lang: str) -> list[list[str]]:
    buyer = invoice.buyer
    siret = next((i.value for i in buyer.identifiers if i.scheme == "0009"), None)
    if siret is None and buyer.legal_registration is not None:
        siret = buyer.legal_registration.value
    t = invoice.totals
    dash = labels["none"]
    return [
        [labels["chorus_siret"], _spaced(siret, (3, 3, 3, 5)) if siret else dash],
        [labels["chorus_service"], invoice.buyer_reference or dash],
        [labels["chorus_engagement"], invoice.purchase_order_reference or dash],
        [labels["number"], number or dash],
        [labels["issue_date"], format_date(invoice.issue_date, lang)],
        [labels["total_excl"], money(t.tax_exclusive)],
        [labels["total_vat"], money(t.tax_total if t.tax_total is not None else Decimal(0))],
        [labels["total_incl"], money(t.tax_inclusive)],
    ]


def invoice_view(invoice: Invoice, options: RenderOptions) -> dict:
    """The JSON-ready view of the invoice the templates lay out (every value a string)."""
    lang = options.language
    if lang not in LABELS:
        raise RenderError(Message(fr=f"Langue de document inconnue : {lang!r}.",
                                  en=f"Unknown document language: {lang!r}."))
    labels = LABELS[lang]
    currency = invoice.currency

    def money(value: Decimal) -> str:
        return format_amount(value, currency, lang)

    kind = _kind(invoice, options)
    number = None if options.draft else invoice.number
    seller, buyer = invoice.seller, invoice.buyer
    delivery = None
    if invoice.delivery and (invoice.delivery.address or invoice.delivery.party_name):
        d_lines = _address_lines(invoice.delivery.address, lang)
        if d_lines != _address_lines(buyer.address, lang) or (
                invoice.delivery.party_name and invoice.delivery.party_name != buyer.name):
            delivery = {"name": invoice.delivery.party_name or buyer.name, "lines": d_lines}
    lines, any_discount = _lines(invoice, lang, money)
    notes, mentions = _mentions(invoice, options)
    allowances = [
        {
            "label": labels["charge" if ac.is_charge else "allowance"],
            "reason": ac.reason or "",
            "base": money(ac.base_amount) if ac.base_amount is not None else "",
            "percent": format_rate(ac.percentage, lang) if ac.percentage is not None else "",
            "vat": format_rate(ac.vat_rate, lang) if ac.vat_rate is not None else str(ac.vat_category),
            "amount": money(ac.amount if ac.is_charge else -ac.amount),
        }
        for ac in invoice.allowances_charges
    ]
    vat = [
        {
            "category": _vat_label(v.category, v.rate, lang),
            "rate": format_rate(v.rate, lang) if v.rate is not None else "",
            "base": money(v.taxable_amount),
            "tax": money(v.tax_amount),
        }
        for v in invoice.vat_breakdown
    ]
    title = _title(invoice, options, labels)
    meta = [[labels["issue_date"], format_date(invoice.issue_date, lang)]]
    if invoice.due_date and kind != "credit_note":
        meta.append([labels["due_date"], format_date(invoice.due_date, lang)])
    return {
        "lang": lang,
        "labels": labels,
        "title": title,
        "kind": kind,
        "number": number,
        "draft": options.draft,
        "seal_space": {"width": STAMP_SPACE[0], "height": STAMP_SPACE[1]} if options.seal_space else None,
        "accent": options.accent if re.fullmatch(r"#[0-9a-fA-F]{6}", options.accent or "") else "#1f4e79",
        "doc_title": f"{title} {number}" if number else f"{title} ({labels['draft']})",
        "meta": meta,
        "currency": currency,
        "seller": {
            "name": seller.name,
            "trading_name": seller.trading_name,
            "lines": _address_lines(seller.address, lang),
            "contact": _contact_lines(seller, labels),
            "ids": _party_ids(seller, labels),
            "legal_form": seller.legal_form,
        },
        "buyer": {
            "name": buyer.name,
            "trading_name": buyer.trading_name,
            "lines": _address_lines(buyer.address, lang),
            "contact": _contact_lines(buyer, labels),
            "ids": _party_ids(buyer, labels),
        },
        "delivery": delivery,
        "refs": _references(invoice, labels, lang, chorus=options.template == "chorus"),
        "lines": lines,
        "has_discount": any_discount,
        "allowances": allowances,
        "vat": vat,
        "totals": _totals(invoice, labels, money, kind),
        "payment": _payment(invoice, options, labels, lang),
        "notes": notes,
        "mentions": mentions,
        "legal_line": _legal_line(invoice, labels),
        "chorus": _chorus(invoice, labels, money, number, lang),
    }


# --- Logo and attachments -------------------------------------------------------------------

def _image_size(data: bytes) -> tuple[int, int] | None:
    """Pixel size of a PNG or JPEG, read from its header."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01, 0xFF) or 0xD0 <= marker <= 0xD7:
                i += 1 if marker == 0xFF else 2
                continue
            length = int.from_bytes(data[i + 2:i + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                return int.from_bytes(data[i + 7:i + 9], "big"), int.from_bytes(data[i + 5:i + 7], "big")
            i += 2 + length
    return None


_SVG_SIZE = re.compile(rb"""<svg\b[^>]*?viewBox\s*=\s*["']\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)[\s,]+([\d.]+)""", re.S)
_SVG_WH = re.compile(rb"""<svg\b[^>]*?\bwidth\s*=\s*["']([\d.]+)[^"']*["'][^>]*?\bheight\s*=\s*["']([\d.]+)""", re.S)


def _logo(data: bytes) -> tuple[str, float]:
    """(file extension, width / height) of a PNG, JPEG or SVG logo."""
    head = data[:4096]
    if data.startswith(b"\x89PNG") or data.startswith(b"\xff\xd8"):
        size = _image_size(data)
        if size and size[0] > 0 and size[1] > 0:
            return ("png" if data.startswith(b"\x89PNG") else "jpg"), size[0] / size[1]
    elif b"<svg" in head:
        match = _SVG_SIZE.search(head) or _SVG_WH.search(head)
        ratio = 1.0
        if match and float(match.group(2) or 0) > 0:
            ratio = float(match.group(1)) / float(match.group(2))
        return "svg", ratio
    raise RenderError(Message(fr="Le logo doit être une image PNG, JPEG ou SVG.",
                              en="The logo must be a PNG, JPEG or SVG image."))


_RELATIONSHIPS = {"data", "source", "alternative", "supplement", "unspecified"}


def _attachment(item: Attachment | tuple) -> Attachment:
    a = item if isinstance(item, Attachment) else Attachment(*item)
    if (a.relationship or "unspecified").lower() not in _RELATIONSHIPS:
        raise RenderError(Message(fr=f"Relation de pièce jointe inconnue : {a.relationship!r}.",
                                  en=f"Unknown attachment relationship: {a.relationship!r}."))
    if not a.filename or "/" in a.filename or "\\" in a.filename:
        raise RenderError(Message(fr=f"Nom de pièce jointe invalide : {a.filename!r}.",
                                  en=f"Invalid attachment file name: {a.filename!r}."))
    return a


# --- Compilation ----------------------------------------------------------------------------

def _overwrite(path: Path, data: bytes) -> None:
    """Replace a file's content in place. Not `write_bytes`: truncating a file to zero and
    rewriting it makes ext4 flush it to disk (auto_da_alloc), ~3 ms a file where this is 10 µs."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.ftruncate(fd, len(data))
    finally:
        os.close(fd)


def _remove_scratch(root: Path, owner: int) -> None:
    """At exit, the folder goes with the process that made it (a forked child inherits the
    parent's exit hooks, and must not take the parent's folder away)."""
    if os.getpid() == owner:
        shutil.rmtree(root, ignore_errors=True)


class _Typst:
    """The process's one Typst compiler and its scratch project folder.

    A process forked after it rendered cannot render (Typst's threads are lost in the fork):
    it gets a `RenderError` at once; a process forked before any rendering makes its own
    compiler and folder. Each document's data are written as files of that folder (data.json, the logo, the QR
    code, attachments) rather than passed as `sys.inputs`: Typst keys its memoised layout on
    its inputs, so changing `sys.inputs` would throw the whole cache away at every invoice,
    whereas a changed file only invalidates what reads it (measured: the static parts of the
    page then cost nothing). Files keep fixed names, so the compiler's file table stays small.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._compiler: typst.Compiler | None = None
        self._root: Path | None = None
        self._compiled_in: int | None = None

    def _prepare(self) -> tuple[typst.Compiler, Path]:
        if self._compiled_in is not None and self._compiled_in != os.getpid():
            # Measured: Typst's worker threads do not survive fork(), and a compile in the
            # child then waits for them forever. Fail at once instead of hanging.
            raise RenderError(Message(
                fr="Ce processus a été créé par fork() après un rendu Typst : démarrez les workers "
                   "avec « spawn » ou avant tout rendu.",
                en="This process was forked after a Typst render: start workers with 'spawn', "
                   "or before any rendering."))
        if self._compiler is None:
            root = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
            for template in TEMPLATES_DIR.glob("*.typ"):
                shutil.copyfile(template, root / template.name)
            atexit.register(_remove_scratch, root, os.getpid())
            fonts = [str(FONTS_DIR)] if FONTS_DIR.is_dir() else []
            # System fonts are ignored so the same invoice renders the same on every machine.
            import typst  # here, not at start-up (≈ 7 MB): a process that renders nothing never loads it

            self._compiler = typst.Compiler(root=str(root), font_paths=fonts, ignore_system_fonts=True)
            self._root = root
        assert self._root is not None
        return self._compiler, self._root

    def compile(self, main: str, files: dict[str, bytes], *, timestamp: dt.datetime, tags: bool) -> bytes:
        with self._lock:
            compiler, root = self._prepare()
            for name, data in files.items():
                _overwrite(root / name, data)
            self._compiled_in = os.getpid()
            return compiler.compile(str(root / main), format="pdf", pdf_standards=["a-3b"],
                                    timestamp=timestamp, pdf_tags=tags)


_TYPST = _Typst()
def _render_error(error: typst.TypstError) -> RenderError:
    """A fault of a built-in template: ours to fix, so the message says so without a location."""
    message = getattr(error, "message", "") or str(error)
    return RenderError(Message(fr=f"Le rendu du PDF a échoué : {message}.", en=f"PDF rendering failed: {message}."),
                       detail=(getattr(error, "diagnostic", "") or str(error)).strip())


def render_invoice(invoice: Invoice, options: RenderOptions | None = None) -> bytes:
    """The invoice as a PDF/A-3b file (fonts embedded, sRGB output intent), in one call to Typst.

    Raises `TemplateError` when a custom template does not compile (no partial output),
    `TemplateLimitError` when it exceeds its time or memory limit, and `RenderError` for bad options.
    """
    options = options or RenderOptions()
    if options.custom_template is None and options.template not in ("standard", "chorus"):
        raise RenderError(Message(fr=f"Modèle inconnu : {options.template!r}.",
                                  en=f"Unknown template: {options.template!r}."))
    view = invoice_view(invoice, options)
    files: dict[str, bytes] = {}
    view["logo"] = None
    if options.logo:
        extension, ratio = _logo(options.logo)
        name = f"logo.{extension}"
        files[name] = options.logo
        view["logo"] = {"file": f"/{name}", "ratio": round(ratio, 4)}
    payment = view["payment"]
    if payment and payment["qr"]:
        files["qr.png"] = payment["qr"]
        payment["qr"] = "/qr.png"
    view["attachments"] = []
    for i, item in enumerate(options.attachments):
        a = _attachment(item)
        files[f"attachment-{i}.bin"] = a.data
        view["attachments"].append({"name": a.filename, "file": f"/attachment-{i}.bin", "mime": a.mime,
                                    "rel": a.relationship.lower(), "desc": a.description or a.filename})
    files["data.json"] = json.dumps(view, ensure_ascii=False, separators=(",", ":")).encode()
    files["title.txt"] = view["doc_title"].encode()  # the page footer's, read alone (see lib.typ)
    timestamp = options.timestamp or dt.datetime.combine(invoice.issue_date, dt.time(12), tzinfo=dt.UTC)
    if options.custom_template is not None:
        pdf = compile_custom(options.custom_template, files, timestamp=timestamp, tags=options.pdf_tags,
                             limits=options.template_limits)
    else:
        import typst

        try:
            pdf = _TYPST.compile(f"{options.template}.typ", files, timestamp=timestamp, tags=options.pdf_tags)
        except typst.TypstError as error:
            raise _render_error(error) from None
    if not isinstance(pdf, bytes | bytearray) or not pdf.startswith(b"%PDF"):
        raise RenderError(Message(fr="Typst n'a pas produit de PDF.", en="Typst produced no PDF."))
    return bytes(pdf)
