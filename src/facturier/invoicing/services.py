"""Writes on sales documents: drafts, issue, credit notes, corrective and final invoices.

Every service takes the acting membership (`by`), checks its right, scopes every read to its
organisation, locks the rows it changes, and writes one audit event per change.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Membership, Organisation, Right, VatRegime
from facturier.accounts.services import require_right
from facturier.audit.services import audit_record
from facturier.config.rows import rows_of
from facturier.errors import FacturierError
from facturier.invoicing import terms
from facturier.invoicing.content import (
    AllowanceChargeData,
    InvalidDocument,
    LineData,
    allowance_charge_amount,
    as_allowances_charges,
    as_lines,
    line_data_from,
    line_discount_amount,
    totals_of,
    validate_content,
)
from facturier.invoicing.gate import RulesRefused, require_issuable, require_number_issuable
from facturier.invoicing.models import (
    IMPORTED_SERIES_CODE,
    AllowanceCharge,
    Document,
    DocumentImmutable,
    DocumentLink,
    Kind,
    Line,
    Relation,
    Series,
    State,
)
from facturier.invoicing.numbering import series_take_number
from facturier.invoicing.selectors import document_get, line_data_of
from facturier.invoicing.settlement import money_text, settle
from facturier.invoicing.snapshots import buyer_snapshot, seller_snapshot
from facturier.invoicing.states import IllegalTransition, transition
from facturier.parties.models import Address, AddressKind, Customer
from facturier.parties.selectors import customer_get

HEADER_FIELDS = {
    "due_date", "delivery_date", "period_start", "period_end",
    "language", "currency", "tax_currency", "tax_exchange_rate", "buyer_reference",
    "purchase_order", "contract_reference", "operation_category", "vat_on_debits", "payment_terms_text",
    "late_penalty_text", "indemnity_text", "discount_terms_text", "note", "prepaid",
}
CREDITABLE_KINDS = {Kind.INVOICE, Kind.DEPOSIT, Kind.CORRECTIVE, Kind.FINAL}


class NotIssuable(FacturierError):
    code = "not_issuable"


class BillingAddressFrozen(DocumentImmutable):
    code = "billing_address_frozen"


class CreditExceedsDue(NotIssuable):
    """A credit note larger than what its invoice still owes: issued only when the excess is confirmed."""

    code = "credit_exceeds_due"


__all__ = ["BillingAddressFrozen", "CreditExceedsDue", "IssueOutcome", "NotIssuable", "RulesRefused"]


def _default_series(organisation, kind: str) -> Series:
    code = "AV" if kind == Kind.CREDIT_NOTE else "FA"
    series = Series.objects.filter(organisation=organisation, code=code).first()
    if series is None:
        series = (Series.objects.filter(organisation=organisation).exclude(code=IMPORTED_SERIES_CODE)
                  .order_by("id").first())
    if series is None:
        raise NotIssuable(_("%(org)s has no numbering series yet. Create one in the settings."),
                          org=organisation.name)
    return series


def _header_defaults(by: Membership, customer: Customer) -> dict[str, Any]:
    organisation = by.organisation
    language = customer.language or organisation.default_language
    days = customer.payment_terms_days if customer.payment_terms_days is not None else organisation.payment_terms_days
    rule = customer.due_date_rule or organisation.due_date_rule
    return {
        "language": language,
        "vat_on_debits": organisation.vat_regime == VatRegime.DEBITS,
        "payment_terms_text": terms.payment_terms_text(language, days=days, rule=rule),
        "late_penalty_text": terms.late_penalty_text(language, rate=organisation.late_penalty_rate),
        "indemnity_text": organisation.recovery_indemnity_text if language == "fr" else terms.INDEMNITY_EN,
        "discount_terms_text": organisation.discount_terms_text if language == "fr" else terms.DISCOUNT_EN,
        "buyer_reference": customer.buyer_reference,  # BT-10 by default, e.g. a Leitweg-ID
    }


def _check_header(header: dict[str, Any]) -> None:
    unknown = set(header) - HEADER_FIELDS
    if unknown:
        raise InvalidDocument({", ".join(sorted(unknown)): [str(_("unknown field"))]})


def _clean_header(document: Document) -> None:
    """Field-level checks (lengths, choices, currencies) before anything is written."""
    try:
        document.full_clean(exclude=["organisation", "customer", "series", "billing_address", "delivery_address"],
                            validate_unique=False, validate_constraints=False)
    except ValidationError as e:
        raise InvalidDocument({field: [str(m) for m in messages] for field, messages in e.message_dict.items()})


def _address(by: Membership, customer: Customer, value: Address | int | None, kind: str) -> Address | None:
    """An address of this customer (refusing another customer's or another tenant's)."""
    if value is None:
        return None
    pk = value.pk if isinstance(value, Address) else value
    address = Address.objects.filter(pk=pk, customer=customer, kind=kind,
                                     customer__organisation=by.organisation).first()
    if address is None:
        raise InvalidDocument({f"{kind}_address": [str(_("This address does not belong to the customer."))]})
    return address


def _write_content(document: Document, lines: list[LineData], acs: list[AllowanceChargeData]) -> None:
    """Replace the draft's lines and allowances/charges and recompute its totals."""
    validate_content(kind=document.kind, currency=document.currency, lines=lines, allowances_charges=acs)
    totals = totals_of(currency=document.currency, lines=lines, allowances_charges=acs,
                       prepaid=document.prepaid, tax_currency=document.tax_currency,
                       tax_exchange_rate=document.tax_exchange_rate)
    document.lines.all().delete()
    document.allowances_charges.all().delete()
    Line.objects.bulk_create([
        Line(document=document, position=i + 1, name=line.name, description=line.description,
             quantity=Decimal(line.quantity), unit=line.unit, unit_price=Decimal(line.unit_price),
             gross_price=line.gross_price, price_base_quantity=Decimal(line.price_base_quantity),
             discount_percent=Decimal(line.discount_percent),
             discount_amount=line_discount_amount(line, document.currency),
             vat_category=line.vat_category,
             vat_rate=None if line.vat_category == "O" else Decimal(line.vat_rate),
             exemption_reason=line.exemption_reason, exemption_code=line.exemption_code,
             net_amount=net, note=line.note, family=line.family.strip()[:30])
        for i, (line, net) in enumerate(zip(lines, totals.line_net_amounts, strict=True))
    ])
    AllowanceCharge.objects.bulk_create([
        AllowanceCharge(document=document, is_charge=ac.is_charge,
                        amount=allowance_charge_amount(ac, document.currency),
                        base_amount=ac.base_amount, percent=ac.percent, vat_category=ac.vat_category,
                        vat_rate=None if ac.vat_category == "O" else Decimal(ac.vat_rate),
                        reason=ac.reason, reason_code=ac.reason_code)
        for ac in acs
    ])
    document.line_total = totals.line_total
    document.allowance_total = totals.allowance_total
    document.charge_total = totals.charge_total
    document.tax_exclusive = totals.tax_exclusive
    document.tax_total = totals.tax_total
    document.tax_total_accounting = totals.tax_total_accounting
    document.tax_inclusive = totals.tax_inclusive
    document.rounding = totals.rounding
    document.payable = totals.payable
    document.amount_due = totals.payable
    document.vat_breakdown = _breakdown_rows(totals, lines)


def _rate_key(category: str, rate) -> tuple[str, str | None]:
    return category, None if rate is None or category == "O" else str(Decimal(rate).quantize(Decimal("0.01")))


def _breakdown_rows(totals, lines: list[LineData]) -> list[dict[str, Any]]:
    """BG-23 as stored on the document, with the exemption reason (BT-120/121) of each exempt group."""
    exemption = {_rate_key(line.vat_category, line.vat_rate): (line.exemption_reason, line.exemption_code)
                 for line in lines if line.exemption_reason or line.exemption_code}
    rows = []
    for b in totals.vat_breakdown:
        key = _rate_key(str(b.category), b.rate)
        reason, code = exemption.get(key, ("", ""))
        rows.append({"category": key[0], "rate": key[1], "taxable_amount": str(b.taxable_amount),
                     "tax_amount": str(b.tax_amount), "exemption_reason": reason, "exemption_code": code})
    return rows


def _summary(document: Document) -> dict[str, Any]:
    return {"state": document.state, "number": document.number, "customer": document.customer.code,
            "payable": str(document.payable), "lines": len(document.lines.all())}


def draft_create(*, by: Membership, kind: str = Kind.INVOICE, customer_id: int, lines: list[Any],
                 allowances_charges: list[Any] = (), series_id: int | None = None,
                 billing_address: Address | int | None = None, delivery_address: Address | int | None = None,
                 **header) -> Document:
    """A new draft for a customer of the acting organisation; all or nothing."""
    require_right(by, Right.EDIT)
    _check_header(header)
    if kind not in Kind.values:
        raise InvalidDocument({"kind": [str(_("Unknown document kind."))]})
    line_data, ac_data = as_lines(lines), as_allowances_charges(allowances_charges)
    with transaction.atomic():
        customer = customer_get(organisation=by.organisation, pk=customer_id)
        series = (Series.objects.get(pk=series_id, organisation=by.organisation) if series_id
                  else _default_series(by.organisation, kind))
        if series.code == IMPORTED_SERIES_CODE:
            raise InvalidDocument({"series_id": [str(_("The series of imported documents takes no new document: "
                                                       "its numbers are those of the software that made them."))]})
        document = Document(organisation=by.organisation, kind=kind, customer=customer, series=series,
                            created_by=by.user,
                            billing_address=_address(by, customer, billing_address, AddressKind.BILLING),
                            delivery_address=_address(by, customer, delivery_address, AddressKind.DELIVERY),
                            **{**_header_defaults(by, customer),
                               **{k: v for k, v in header.items() if v or k != "buyer_reference"}})
        _clean_header(document)
        validate_content(kind=kind, currency=document.currency, lines=line_data, allowances_charges=ac_data)
        document.save()
        _write_content(document, line_data, list(ac_data))
        document.save()
        audit_record(actor=by, subject=document, action="document.create", after=_summary(document))
    return document


def draft_update(*, by: Membership, document_id: int, lines: list[Any] | None = None,
                 allowances_charges: list[Any] | None = None, **changes) -> Document:
    """Change a draft: header fields, customer, addresses, and (wholesale) its lines."""
    require_right(by, Right.EDIT)
    with transaction.atomic():
        document = document_get(organisation=by.organisation, pk=document_id, for_update=True)
        if not document.is_draft:
            if "billing_address" in changes or "customer_id" in changes:
                raise BillingAddressFrozen(
                    _("%(document)s is issued: its customer and billing address can no longer change. "
                      "Issue a credit note for it, then a new invoice to the right address."),
                    document=str(document))
            raise DocumentImmutable(_("%(document)s is issued and can no longer be edited. "
                                      "Issue a credit note, then a new invoice."), document=str(document))
        before = _summary(document)
        if "customer_id" in changes:
            document.customer = customer_get(organisation=by.organisation, pk=changes.pop("customer_id"))
            document.billing_address = document.delivery_address = None
            if not changes.get("buyer_reference", document.buyer_reference):  # the new customer's default BT-10
                changes["buyer_reference"] = document.customer.buyer_reference
        if "billing_address" in changes:
            document.billing_address = _address(by, document.customer, changes.pop("billing_address"),
                                                AddressKind.BILLING)
        if "delivery_address" in changes:
            document.delivery_address = _address(by, document.customer, changes.pop("delivery_address"),
                                                 AddressKind.DELIVERY)
        _check_header(changes)
        for name, value in changes.items():
            setattr(document, name, value)
        _clean_header(document)
        line_data = as_lines(lines) if lines is not None else line_data_of(document)
        ac_data = (as_allowances_charges(allowances_charges) if allowances_charges is not None
                   else [_ac_data(ac) for ac in document.allowances_charges.all()])
        _write_content(document, line_data, ac_data)
        document.save()
        audit_record(actor=by, subject=document, action="document.update", before=before, after=_summary(document))
    return document


def draft_delete(*, by: Membership, document_id: int) -> None:
    """Delete a draft. Issued documents are never deleted."""
    require_right(by, Right.EDIT)
    with transaction.atomic():
        document = document_get(organisation=by.organisation, pk=document_id, for_update=True)
        if not document.is_draft:
            raise DocumentImmutable(_("%(document)s is issued: it can never be deleted. Issue a credit note."),
                                    document=str(document))
        audit_record(actor=by, subject=document, action="document.delete", before=_summary(document))
        document.delete()


def document_issue(*, by: Membership, document_id: int, issue_date: dt.date | None = None,
                   confirm_overcredit: bool = False) -> Document:
    """Give a draft its legal number and freeze it: number, dates, parties as of the issue date.

    The rule gate runs here, on the document as it is about to be issued, for every caller:
    a fatal finding of the EN 16931, French or VAT-regime rules raises RulesRefused (rule ids
    and messages) and nothing is written. A credit note larger than what its invoice still owes
    is issued only with `confirm_overcredit`; the excess is then owed to the customer."""
    require_right(by, Right.ISSUE)
    today = timezone.localdate()
    issue_date = issue_date or today
    if issue_date > today:
        raise NotIssuable(_("An invoice cannot be dated in the future (%(date)s)."), date=issue_date)
    from facturier.platforms.sending import directory_prefetch

    directory_prefetch(organisation=by.organisation, document_ids=[document_id])  # BT-49 from the PA directory
    issuing = _Issuing(by, issue_date, [document_id], batch=False)
    return _issue_one(by, issuing, document_id, confirm_overcredit=confirm_overcredit)


@dataclass
class IssueOutcome:
    """What `documents_issue` did: the documents issued (in the order asked) and, for each draft
    refused, its id and the reason (the same error `document_issue` raises)."""

    issued: list[Document] = field(default_factory=list)
    refused: list[tuple[int, FacturierError]] = field(default_factory=list)


ARCHIVE_CHUNK = 50
"""A batch queues one archiving task per this many issued documents (each carries their ids)."""


def documents_issue(*, by: Membership, document_ids: list[int], issue_date: dt.date | None = None) -> IssueOutcome:
    """Issue several drafts of the acting organisation: the dashboard's batch, "send, issuing drafts
    first", the admin action, a batch through the API or a benchmark.

    Each draft is issued as `document_issue` issues one, in a transaction of its own (its row lock,
    the rule gate, its number under the series' lock, its audit event chained, nothing half-done),
    so one refusal leaves the others issued and the series' lock is held for one document at a time.
    What needs no lock is read once for the batch, before any lock: the organisation, the seller's
    legal data in force on the date, each customer and its addresses and invoice e-mail, the series'
    formats, the preceding invoices; the receivers of the audit events ask once per batch whether
    anyone listens (webhook endpoints, connectors); the archiving is queued as one task per
    ARCHIVE_CHUNK documents, after they are committed. The batch issues as of when it started."""
    from facturier.config.rows import answers_held

    require_right(by, Right.ISSUE)
    today = timezone.localdate()
    issue_date = issue_date or today
    if issue_date > today:
        raise NotIssuable(_("An invoice cannot be dated in the future (%(date)s)."), date=issue_date)
    ids = list(dict.fromkeys(document_ids))
    from facturier.platforms.sending import directory_prefetch

    directory_prefetch(organisation=by.organisation, document_ids=ids)  # BT-49 from the PA directory
    issuing = _Issuing(by, issue_date, ids, batch=True)
    outcome = IssueOutcome()
    try:
        with answers_held():
            for pk in ids:
                try:
                    outcome.issued.append(_issue_one(by, issuing, pk))
                except FacturierError as e:
                    outcome.refused.append((pk, e))
                except Document.DoesNotExist:
                    outcome.refused.append((pk, NotIssuable(_("No such draft (%(id)s)."), id=pk)))
                if len(issuing.to_archive) >= ARCHIVE_CHUNK:
                    issuing.queue_archive()
    finally:
        issuing.queue_archive()  # what was committed is archived even when the batch stopped half-way
    return outcome


class _Issuing:
    """What issuing documents of one organisation on one date reads once, outside the locks.

    The organisation, the seller's snapshot (its legal data in force on the date), each customer and
    its buyer snapshot, each series (its format; the number about to be taken is predicted, and checked
    again once taken), the preceding invoices of the documents (their links are made with the draft).
    None of these rows is locked by an issue, before or now: a batch reads them as of when it started."""

    def __init__(self, by: Membership, issue_date: dt.date, document_ids: list[int], *, batch: bool):
        from facturier.invoicing.mapping import preceding_of

        self.issue_date = issue_date
        self.batch = batch
        # One document: read with its customer, organisation and series in the locking statement.
        self.organisation = Organisation.objects.get(pk=by.organisation.pk) if batch else None
        self.preceding = preceding_of(document_ids) if batch else {}
        self.to_archive: list[int] = []
        self._seller: dict[str, Any] | None = None
        self._customers: dict[int, Customer] = {}
        self._buyers: dict[tuple, dict[str, Any]] = {}
        self._series: dict[int, Series] = {}
        self._next: dict[int, int] = {}

    def attach(self, document: Document) -> None:
        """Give the document read under its lock the organisation, customer and series of the batch."""
        document.organisation = self.organisation
        customer = self._customers.get(document.customer_id)
        if customer is None:
            customer = self._customers[document.customer_id] = Customer.objects.get(
                pk=document.customer_id, organisation=self.organisation)
        document.customer = customer
        series = self._series.get(document.series_id)
        if series is None:
            series = self._series[document.series_id] = Series.objects.get(pk=document.series_id)
        document.series = series
        document._preceding_invoices = self.preceding.get(document.pk, ())

    def seller(self, document: Document) -> dict[str, Any]:
        if self._seller is None:
            self._seller = seller_snapshot(document, self.issue_date)
        return dict(self._seller)

    def buyer(self, document: Document) -> dict[str, Any]:
        key = (document.customer_id, document.billing_address_id, document.delivery_address_id)
        if key not in self._buyers:
            self._buyers[key] = buyer_snapshot(document, self.issue_date)
        return dict(self._buyers[key])

    def expected_number(self, series: Series) -> str:
        return series.format_number(self._next.get(series.pk, series.next_number), self.issue_date.year)

    def taken(self, series_id: int, value: int) -> None:
        self._next[series_id] = value + 1

    def queue_archive(self) -> None:
        """One archiving task for the documents issued (and committed) since the last one."""
        ids, self.to_archive = self.to_archive, []
        if ids:
            from facturier.archive.tasks import archive_documents

            # Inside a caller's transaction, queued when it commits (and never if it rolls back).
            transaction.on_commit(lambda: archive_documents.enqueue(document_ids=ids))


def _draft_locked(organisation_id: int, document_id: int) -> Document:
    """The document's row, locked (`FOR UPDATE` of that row only: the customer's and the organisation's
    rows are not locked, as in `document_get`); one statement written once, not an ORM query compiled."""
    found = rows_of(Document, lock=True, id=document_id, organisation_id=organisation_id)
    if not found:
        raise Document.DoesNotExist("Document matching query does not exist.")
    return found[0]


def _read_content(document: Document) -> None:
    """The lines (in position order) and allowances/charges, read under the document's lock, set as
    if prefetched: the checks, the rule gate, the summary and the audit use these."""
    cache = document.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, model, order in (("lines", Line, "position"), ("allowances_charges", AllowanceCharge, "id")):
        rows = rows_of(model, order=order, document_id=document.pk)
        for row in rows:
            row._state.fields_cache["document"] = document
        qs = getattr(document, name).all()
        qs._result_cache, qs._prefetch_done = rows, True
        cache[name] = qs


def _issue_one(by: Membership, issuing: _Issuing, document_id: int, *, confirm_overcredit: bool = False) -> Document:
    issue_date = issuing.issue_date
    with transaction.atomic():
        if issuing.batch:
            document = _draft_locked(by.organisation.pk, document_id)
        else:
            document = document_get(organisation=by.organisation, pk=document_id, for_update=True)
        if not document.is_draft:
            raise IllegalTransition(_("%(document)s is already issued."), document=str(document))
        if issuing.batch:
            issuing.attach(document)
        draft_label = str(document)
        as_read = _column_values(document)
        _read_content(document)
        if not document.lines.all():
            raise NotIssuable(_("Add at least one line before issuing."))
        if document.kind != Kind.CREDIT_NOTE and document.tax_inclusive < 0:
            raise NotIssuable(_("The total is negative: issue a credit note instead of an invoice."))
        if document.kind == Kind.CREDIT_NOTE and not document.origin_links.filter(relation=Relation.CREDIT_NOTE):
            raise NotIssuable(_("A credit note must refer to the invoice it corrects."))
        if document.due_date and document.due_date < issue_date:
            raise NotIssuable(_("The due date %(due)s is before the issue date %(date)s."),
                              due=document.due_date, date=issue_date)
        seller, buyer = issuing.seller(document), issuing.buyer(document)
        if document.due_date is None:
            customer, organisation = document.customer, document.organisation
            days = (customer.payment_terms_days if customer.payment_terms_days is not None
                    else organisation.payment_terms_days)
            document.due_date = terms.due_date(issue_date, days=days,
                                               rule=customer.due_date_rule or organisation.due_date_rule)
        transition(document, to=State.ISSUED)
        document.issue_date = issue_date
        document.seller_snapshot, document.buyer_snapshot = seller, buyer
        document.issued_at, document.issued_by = timezone.now(), by.user
        document.amount_due = document.payable
        credit_note = document.kind == Kind.CREDIT_NOTE
        if not credit_note:
            settle(document, save=False)  # a final invoice covered by its deposits is paid at once
        # The rule gate runs before the series' counter row is locked, with the number the document
        # is about to take, so concurrent issuers wait on that lock for as short a time as possible;
        # the number taken is checked again when it differs (no read, the rules alone).
        checked = require_issuable(document, label=draft_label, number=issuing.expected_number(document.series))
        document.number_value, document.number = series_take_number(series_id=document.series_id,
                                                                    issue_date=issue_date)
        issuing.taken(document.series_id, document.number_value)
        require_number_issuable(checked, number=document.number, label=draft_label)
        document._draft_under_lock = True  # read as a draft under this transaction's lock
        document.save(update_fields=_changed_columns(document, as_read))
        audit_record(actor=by, subject=document, action="document.issue",
                     before={"state": State.DRAFT}, after=_summary(document))
        if not issuing.batch:
            from facturier.archive.tasks import archive_document

            transaction.on_commit(lambda: archive_document.enqueue(document_id=document.pk))
        if credit_note:
            for link in document.origin_links.filter(relation=Relation.CREDIT_NOTE).select_related("source"):
                _allocate_credit(by, credit_note=document, link=link, confirmed=confirm_overcredit)
            settle(document)
    if issuing.batch:
        issuing.to_archive.append(document.pk)  # committed (or, inside a caller's transaction, with it)
    return document


def _column_values(document: Document) -> dict[str, object]:
    return {field.attname: getattr(document, field.attname) for field in Document._meta.concrete_fields}


def _changed_columns(document: Document, as_read: dict[str, object]) -> list[str]:
    """The columns that differ from the row as read (and `updated_at`): the UPDATE writes those only,
    the same row in the end, for a statement a fifth of the size."""
    changed = [field.name for field in Document._meta.concrete_fields
               if not field.primary_key and getattr(document, field.attname) != as_read[field.attname]]
    return [*changed, "updated_at"] if "updated_at" not in changed else changed


def _allocate_credit(by: Membership, *, credit_note: Document, link: DocumentLink, confirmed: bool) -> None:
    """An issued credit note reduces what its invoice still owes; what exceeds it is owed to the customer
    (a credit to refund or to use), and only once the member has confirmed it."""
    invoice = Document.objects.select_for_update().get(pk=link.source_id, organisation=by.organisation)
    allocated = max(Decimal(0), min(credit_note.payable, invoice.amount_due))
    excess = credit_note.payable - allocated
    if excess > 0 and not confirmed:
        raise CreditExceedsDue(
            _("This credit note (%(amount)s %(currency)s) exceeds the %(due)s %(currency)s that %(invoice)s still "
              "owes: %(excess)s %(currency)s will be owed to the customer, as a credit to refund or to use. "
              "Confirm to issue it."),
            amount=money_text(credit_note.payable), due=money_text(max(Decimal(0), invoice.amount_due)),
            excess=money_text(excess), currency=credit_note.currency, invoice=str(invoice))
    link.amount = allocated
    link.save(update_fields=["amount"])
    if allocated:
        before = {"state": invoice.state, "amount_due": str(invoice.amount_due)}
        invoice.credited_amount += allocated
        settle(invoice)
        credit_note.credited_amount += allocated
        audit_record(actor=by, subject=invoice, action="document.credit", before=before,
                     after={"state": invoice.state, "amount_due": str(invoice.amount_due),
                            "credit_note": credit_note.number, "amount": str(allocated)})
    if excess > 0:
        audit_record(actor=by, subject=credit_note, action="document.credit_excess_confirmed",
                     after={"invoice": invoice.number, "owed_to_customer": str(excess)})


def _ac_data(ac: AllowanceCharge) -> AllowanceChargeData:
    return AllowanceChargeData(is_charge=ac.is_charge, amount=ac.amount, vat_category=ac.vat_category,
                               vat_rate=ac.vat_rate, reason=ac.reason, reason_code=ac.reason_code)


def _derive(*, by: Membership, source: Document, kind: str, relation: Relation, lines: list[LineData],
            allowances_charges: list[AllowanceChargeData] = (), note: str = "") -> Document:
    document = draft_create(by=by, kind=kind, customer_id=source.customer_id, lines=lines,
                            allowances_charges=allowances_charges, note=note,
                            currency=source.currency, tax_currency=source.tax_currency,
                            tax_exchange_rate=source.tax_exchange_rate,
                            buyer_reference=source.buyer_reference, purchase_order=source.purchase_order,
                            contract_reference=source.contract_reference,
                            operation_category=source.operation_category)
    DocumentLink.objects.create(source=source, target=document, relation=relation)
    return document


def _issued_source(by: Membership, document_id: int, verb) -> Document:
    source = document_get(organisation=by.organisation, pk=document_id, for_update=True)
    if source.is_draft:
        raise NotIssuable(_("%(document)s is a draft: %(verb)s only an issued document."),
                          document=str(source), verb=verb)
    return source


def credit_note_create(*, by: Membership, invoice_id: int, line_ids: list[int] | None = None,
                       note: str = "") -> Document:
    """A draft credit note for all or some lines of an issued invoice, referring to it."""
    require_right(by, Right.EDIT)
    with transaction.atomic():
        invoice = _issued_source(by, invoice_id, _("credit"))
        if invoice.kind not in CREDITABLE_KINDS:
            raise NotIssuable(_("A credit note cannot be credited; issue a new invoice instead."))
        chosen = list(invoice.lines.all() if line_ids is None else invoice.lines.filter(pk__in=line_ids))
        if not chosen:
            raise InvalidDocument({"lines": [str(_("Choose at least one line of the invoice to credit."))]})
        whole = line_ids is None or len(chosen) == invoice.lines.count()
        acs = [_ac_data(ac) for ac in invoice.allowances_charges.all()] if whole else []
        text = note or (f"Avoir sur la facture n° {invoice.number} du {invoice.issue_date:%d/%m/%Y}"
                        if invoice.language == "fr"
                        else f"Credit note for invoice {invoice.number} of {invoice.issue_date:%Y-%m-%d}")
        # Quantities on a credit note are positive: the document type says it is a credit.
        lines = [replace(line_data_from(line), quantity=abs(line.quantity)) for line in chosen]
        return _derive(by=by, source=invoice, kind=Kind.CREDIT_NOTE, relation=Relation.CREDIT_NOTE,
                       lines=lines, allowances_charges=acs, note=text)


def corrective_create(*, by: Membership, invoice_id: int) -> Document:
    """A draft corrective invoice (384) starting from an issued invoice's content."""
    require_right(by, Right.EDIT)
    with transaction.atomic():
        invoice = _issued_source(by, invoice_id, _("correct"))
        return _derive(by=by, source=invoice, kind=Kind.CORRECTIVE, relation=Relation.CORRECTION,
                       lines=line_data_of(invoice),
                       allowances_charges=[_ac_data(ac) for ac in invoice.allowances_charges.all()],
                       note=f"Facture rectificative de la facture n° {invoice.number}")


def final_invoice_create(*, by: Membership, customer_id: int, deposit_ids: list[int], lines: list[Any],
                         **header) -> Document:
    """A draft final invoice: the full supply, minus one line per VAT rate of each deposit invoiced."""
    require_right(by, Right.EDIT)
    with transaction.atomic():
        deposits = list(Document.objects.select_for_update().filter(
            organisation=by.organisation, pk__in=deposit_ids, kind=Kind.DEPOSIT, customer_id=customer_id,
        ).exclude(state=State.DRAFT).order_by("number_value"))
        if len(deposits) != len(set(deposit_ids)):
            raise InvalidDocument({"deposits": [str(_(
                "Only issued deposit invoices of the same customer can be deducted."))]})
        already = DocumentLink.objects.filter(source__in=deposits, relation=Relation.DEPOSIT_DEDUCTION)
        if already.exists():
            raise InvalidDocument({"deposits": [str(_("The deposit %(number)s is already deducted by %(by)s.")
                                                    % {"number": already[0].source.number,
                                                       "by": str(already[0].target)})]})
        deductions = []
        for deposit in deposits:
            groups: dict[tuple[str, Any], Decimal] = defaultdict(Decimal)
            for line in deposit.lines.all():
                groups[(line.vat_category, line.vat_rate)] += line.net_amount
            for (category, rate), net in groups.items():
                deductions.append(LineData(
                    name=f"Acompte n° {deposit.number} du {deposit.issue_date:%d/%m/%Y}", quantity=Decimal(-1),
                    unit_price=net, vat_category=category, vat_rate=rate, unit="C62",
                    exemption_reason=deposit.lines.filter(vat_category=category).first().exemption_reason))
        document = draft_create(by=by, kind=Kind.FINAL, customer_id=customer_id,
                                lines=[*as_lines(lines), *deductions], **header)
        DocumentLink.objects.bulk_create([
            DocumentLink(source=deposit, target=document, relation=Relation.DEPOSIT_DEDUCTION) for deposit in deposits
        ])
    return document
