"""Sales documents: series, documents, lines, allowances and charges, links, payments, write-offs.

An issued document is frozen: its number, dates, parties (snapshotted at issue), lines and
totals never change again. Only services change anything, under a row lock; the guards
below make any other code path fail loudly instead of silently rewriting a legal record.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Language, Organisation
from facturier.engine.en16931.codes import VatCategory
from facturier.errors import FacturierError
from facturier.parties.models import Address, Customer

ZERO = Decimal("0.00")


class DocumentImmutable(FacturierError):
    code = "document_immutable"


def amount_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=18, decimal_places=2, default=ZERO, **kwargs)


def quantity_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=19, decimal_places=6, **kwargs)


class Kind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")
    DEPOSIT = "deposit", _("Deposit invoice")
    CORRECTIVE = "corrective", _("Corrective invoice")
    FINAL = "final", _("Final invoice")


# BT-3 invoice type code (UNTDID 1001) of each kind; a final invoice is a commercial invoice
# that deducts the deposits already invoiced.
TYPE_CODES: dict[str, str] = {
    Kind.INVOICE: "380", Kind.CREDIT_NOTE: "381", Kind.DEPOSIT: "386", Kind.CORRECTIVE: "384", Kind.FINAL: "380",
}


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    BAD_DEBT_PARTIAL = "bad_debt_partial", _("Partial bad debt")
    BAD_DEBT = "bad_debt", _("Bad debt")


IMPORTED_SERIES_CODE = "IMPORTED"
"""The series of documents made elsewhere and imported: numbers are the producer's, not gapless, and their
files are the ones received (archived as they came, never produced again)."""


class OperationCategory(models.TextChoices):
    """Catégorie de l'opération, a mandatory French mention since the 2026 reform."""

    GOODS = "goods", _("Delivery of goods")
    SERVICES = "services", _("Provision of services")
    BOTH = "both", _("Goods and services")


class Series(models.Model):
    """A numbering series: gapless and chronological; `next_number` is the counter row locked at issue."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="series",
                                     verbose_name=_("organisation"))
    code = models.CharField(_("code"), max_length=10)
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=20, blank=True,
                              help_text=_("Printed before the number; {year} is replaced by the issue year."))
    padding = models.PositiveSmallIntegerField(_("digits"), default=6)
    next_number = models.PositiveBigIntegerField(_("next number"), default=1, editable=False)
    last_issue_date = models.DateField(_("last issue date"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("numbering series")
        verbose_name_plural = _("numbering series")
        ordering = ["organisation", "code"]
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="series_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def format_number(self, value: int, year: int) -> str:
        return f"{self.prefix.replace('{year}', str(year))}{value:0{self.padding}d}"


class DocumentQuerySet(models.QuerySet):
    def delete(self):
        if self.exclude(state=State.DRAFT).exists():
            raise DocumentImmutable(_("An issued document can never be deleted; issue a credit note instead."))
        return super().delete()


# What a document may still change once issued: its settlement and the bookkeeping of it.
MUTABLE_AFTER_ISSUE = frozenset({
    "state", "paid_amount", "credited_amount", "written_off_amount", "amount_due", "updated_at",
})


class Document(models.Model):
    """A sales document (BG-0): invoice, credit note, deposit, corrective or final invoice."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="documents",
                                     verbose_name=_("organisation"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    series = models.ForeignKey(Series, on_delete=models.PROTECT, related_name="documents",
                               verbose_name=_("series"))
    number_value = models.PositiveBigIntegerField(_("number in the series"), null=True, blank=True, editable=False)
    number = models.CharField(_("number"), max_length=40, blank=True, editable=False)  # BT-1
    issue_date = models.DateField(_("issue date"), null=True, blank=True)  # BT-2, set at issue
    due_date = models.DateField(_("due date"), null=True, blank=True)  # BT-9
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)  # BT-72
    period_start = models.DateField(_("invoicing period start"), null=True, blank=True)  # BG-14 BT-73
    period_end = models.DateField(_("invoicing period end"), null=True, blank=True)  # BG-14 BT-74
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="documents",
                                 verbose_name=_("customer"))
    billing_address = models.ForeignKey(Address, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+", verbose_name=_("billing address"))
    delivery_address = models.ForeignKey(Address, on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+", verbose_name=_("delivery address"))
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.FR)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")  # BT-5
    tax_currency = models.CharField(_("VAT accounting currency"), max_length=3, default="EUR")  # BT-6
    tax_exchange_rate = models.DecimalField(_("exchange rate to the VAT currency"), max_digits=18,
                                            decimal_places=8, null=True, blank=True)
    buyer_reference = models.CharField(_("buyer reference"), max_length=100, blank=True)  # BT-10
    purchase_order = models.CharField(_("purchase order"), max_length=100, blank=True)  # BT-13
    contract_reference = models.CharField(_("contract reference"), max_length=100, blank=True)  # BT-12
    operation_category = models.CharField(_("operation category"), max_length=10,
                                          choices=OperationCategory.choices, default=OperationCategory.SERVICES)
    vat_on_debits = models.BooleanField(_("VAT on debits"), default=False)
    payment_terms_text = models.CharField(_("payment terms"), max_length=300, blank=True)  # BT-20
    late_penalty_text = models.CharField(_("late penalty"), max_length=300, blank=True)
    indemnity_text = models.CharField(_("recovery indemnity"), max_length=300, blank=True)
    discount_terms_text = models.CharField(_("discount terms"), max_length=300, blank=True)
    note = models.TextField(_("note"), blank=True)  # BT-22
    # Totals (BG-22), recomputed by the services from the lines while the document is a draft.
    line_total = amount_field(_("sum of line net amounts"))  # BT-106
    allowance_total = amount_field(_("allowances"))  # BT-107
    charge_total = amount_field(_("charges"))  # BT-108
    tax_exclusive = amount_field(_("total excluding VAT"))  # BT-109
    tax_total = amount_field(_("VAT"))  # BT-110
    tax_total_accounting = models.DecimalField(_("VAT in the accounting currency"), max_digits=18,
                                               decimal_places=2, null=True, blank=True)  # BT-111
    tax_inclusive = amount_field(_("total including VAT"))  # BT-112
    prepaid = amount_field(_("prepaid"))  # BT-113
    rounding = amount_field(_("rounding"))  # BT-114
    payable = amount_field(_("amount payable"))  # BT-115
    vat_breakdown = models.JSONField(_("VAT breakdown"), default=list, blank=True, encoder=DjangoJSONEncoder)
    # Settlement after issue.
    paid_amount = amount_field(_("paid"))
    credited_amount = amount_field(_("credited"))
    written_off_amount = amount_field(_("written off"))
    amount_due = amount_field(_("amount due"))
    # Frozen at issue: the parties exactly as they were on the issue date.
    seller_snapshot = models.JSONField(_("seller at issue"), null=True, blank=True, editable=False)
    buyer_snapshot = models.JSONField(_("buyer at issue"), null=True, blank=True, editable=False)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True, editable=False)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", editable=False, verbose_name=_("issued by"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", editable=False, verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-issue_date", "-number_value", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "number_value"], name="document_number_unique"),
            models.CheckConstraint(condition=models.Q(state="draft") | models.Q(number_value__isnull=False),
                                   name="issued_document_has_number"),
        ]
        # Every sort of the dashboard has its index ending in id, the keyset's tie-breaker, so a
        # page is an index range scan with a million documents, never a sort of all of them.
        indexes = [
            models.Index(fields=["organisation", "issue_date", "id"], name="document_org_date"),
            models.Index(fields=["organisation", "number_value", "id"], name="document_org_number"),
            models.Index(fields=["organisation", "state"], name="document_org_state"),
            models.Index(fields=["organisation", "customer"], name="document_org_customer"),
            models.Index(fields=["organisation", "payable", "id"], name="document_org_payable"),
            models.Index(fields=["organisation", "due_date", "id"], name="document_org_due_id"),
        ]

    def __str__(self) -> str:
        label = self.get_kind_display()
        if self.number:
            return f"{label} {self.number}"
        return str(_("%(kind)s (draft no. %(id)s)") % {"kind": label, "id": self.pk})

    @property
    def type_code(self) -> str:
        return TYPE_CODES[self.kind]

    @property
    def is_draft(self) -> bool:
        return self.state == State.DRAFT

    @property
    def owed_to_customer(self) -> Decimal:
        """What the company owes the customer on this document (a credit to refund or to use): an
        invoice's over-payment, or the part of a credit note neither set against its invoice nor refunded."""
        if self.is_draft:
            return ZERO
        owed = self.amount_due if self.kind == Kind.CREDIT_NOTE else -self.amount_due
        return max(ZERO, owed)

    @property
    def outstanding(self) -> Decimal:
        """What the customer still owes on this document (never negative: an excess is `owed_to_customer`)."""
        if self.kind == Kind.CREDIT_NOTE:
            return ZERO
        return max(ZERO, self.amount_due)

    def save(self, *args, update_fields=None, **kwargs):
        # `_draft_under_lock` is set by the issue service, which read this row as a draft under
        # SELECT … FOR UPDATE in the current transaction: the stored row is a draft, no need to read
        # it again. It holds for one save; the database triggers still refuse any change once issued.
        draft_under_lock = self.__dict__.pop("_draft_under_lock", False)
        if self.pk is not None and not self._state.adding and not draft_under_lock:
            self._refuse_frozen_changes(update_fields)
        super().save(*args, update_fields=update_fields, **kwargs)

    def delete(self, *args, **kwargs):
        if Document.objects.filter(pk=self.pk).exclude(state=State.DRAFT).exists():
            raise DocumentImmutable(_("An issued document can never be deleted; issue a credit note instead."))
        return super().delete(*args, **kwargs)

    def _refuse_frozen_changes(self, update_fields) -> None:
        if update_fields is not None and set(update_fields) <= MUTABLE_AFTER_ISSUE:
            return
        stored = next(iter(Document.objects.filter(pk=self.pk).order_by().values()), None)
        if stored is None or stored["state"] == State.DRAFT:
            return
        for field in self._meta.concrete_fields:
            if field.name in MUTABLE_AFTER_ISSUE:
                continue
            if stored[field.attname] != getattr(self, field.attname):
                raise DocumentImmutable(
                    _("%(document)s is issued: it can no longer be changed (%(field)s). "
                      "Issue a credit note, then a new invoice."),
                    document=str(self), field=field.verbose_name)


def _refuse_unless_draft(document_id: int) -> None:
    if Document.objects.filter(pk=document_id).exclude(state=State.DRAFT).exists():
        raise DocumentImmutable(_("The document is issued: its lines can no longer be changed. "
                                  "Issue a credit note, then a new invoice."))


class FrozenWithDocument(models.Model):
    """Rows that belong to a document's content: editable only while the document is a draft."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        _refuse_unless_draft(self.document_id)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_unless_draft(self.document_id)
        return super().delete(*args, **kwargs)


class Line(FrozenWithDocument):
    """BG-25 Invoice line."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="lines",
                                 verbose_name=_("document"))
    position = models.PositiveIntegerField(_("position"))  # BT-126
    name = models.CharField(_("item"), max_length=200)  # BT-153
    description = models.TextField(_("description"), blank=True)  # BT-154
    quantity = quantity_field(_("quantity"))  # BT-129
    unit = models.CharField(_("unit"), max_length=3, default="C62")  # BT-130
    unit_price = quantity_field(_("unit price excl. VAT"))  # BT-146 (net)
    gross_price = quantity_field(_("gross unit price"), null=True, blank=True)  # BT-148
    price_base_quantity = quantity_field(_("price base quantity"), default=Decimal(1))  # BT-149
    discount_percent = models.DecimalField(_("line discount (%)"), max_digits=7, decimal_places=4,
                                           default=Decimal(0))  # BT-138
    discount_amount = amount_field(_("line discount"))  # BT-136
    vat_category = models.CharField(_("VAT category"), max_length=2, choices=[(c.value, c.value) for c in VatCategory],
                                    default=VatCategory.S.value)  # BT-151
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2, null=True,
                                   blank=True)  # BT-152
    exemption_reason = models.CharField(_("VAT exemption reason"), max_length=300, blank=True)  # BT-120
    exemption_code = models.CharField(_("VAT exemption code"), max_length=30, blank=True)  # BT-121
    net_amount = amount_field(_("net amount"))  # BT-131
    note = models.CharField(_("note"), max_length=300, blank=True)  # BT-127
    # A free code grouping items for the accounting (its revenue account per family); frozen with the line.
    family = models.CharField(_("item family"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("line")
        verbose_name_plural = _("lines")
        ordering = ["document", "position"]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class AllowanceCharge(FrozenWithDocument):
    """BG-20 document-level allowance or BG-21 charge."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="allowances_charges",
                                 verbose_name=_("document"))
    is_charge = models.BooleanField(_("charge (else allowance)"), default=False)
    amount = amount_field(_("amount"))  # BT-92 / BT-99
    base_amount = amount_field(_("base amount"), null=True, blank=True)  # BT-93 / BT-100
    percent = models.DecimalField(_("percentage"), max_digits=7, decimal_places=4, null=True, blank=True)
    vat_category = models.CharField(_("VAT category"), max_length=2, choices=[(c.value, c.value) for c in VatCategory],
                                    default=VatCategory.S.value)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2, null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)  # BT-97 / BT-104
    reason_code = models.CharField(_("reason code"), max_length=3, blank=True)  # BT-98 / BT-105

    class Meta:
        verbose_name = _("allowance or charge")
        verbose_name_plural = _("allowances and charges")

    def __str__(self) -> str:
        return f"{_('Charge') if self.is_charge else _('Allowance')} {self.amount} {self.reason}"


class Relation(models.TextChoices):
    CREDIT_NOTE = "credit_note", _("Credit note of")
    DEPOSIT_DEDUCTION = "deposit_deduction", _("Deducts the deposit")
    CORRECTION = "correction", _("Corrects")
    COPY = "copy", _("Copied from")


class DocumentLink(models.Model):
    """A document's history: `target` came from `source` (a credit note from its invoice…)."""

    source = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="derived_links",
                               verbose_name=_("origin"))
    target = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="origin_links",
                               verbose_name=_("derived document"))
    relation = models.CharField(_("relation"), max_length=20, choices=Relation.choices)
    amount = models.DecimalField(_("amount allocated"), max_digits=18, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("document link")
        verbose_name_plural = _("document links")
        constraints = [models.UniqueConstraint(fields=["source", "target", "relation"], name="document_link_unique")]

    def __str__(self) -> str:
        return f"{self.target} — {self.get_relation_display()} — {self.source}"


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("Bank transfer")
    DIRECT_DEBIT = "direct_debit", _("Direct debit")
    CARD = "card", _("Card")
    CHEQUE = "cheque", _("Cheque")
    CASH = "cash", _("Cash")
    OTHER = "other", _("Other")


class Payment(models.Model):
    """Money received for a document (or refunded, for a credit note). Cancelled, never deleted."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="payments",
                                 verbose_name=_("document"))
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    method = models.CharField(_("method"), max_length=12, choices=PaymentMethod.choices,
                              default=PaymentMethod.TRANSFER)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                    related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("cancelled by"))
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["document", "date", "id"]

    def __str__(self) -> str:
        return f"{self.date} {self.amount} ({self.get_method_display()})"


class WriteOff(models.Model):
    """A bad-debt write-off of what remained due: a special settlement with its date and reason."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="write_off",
                                    verbose_name=_("document"))
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=300)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                    related_name="+", verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bad-debt write-off")
        verbose_name_plural = _("bad-debt write-offs")

    def __str__(self) -> str:
        return f"{self.document} — {self.amount}"
