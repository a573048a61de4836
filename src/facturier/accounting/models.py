"""Accounting: the account mapping of an organisation, transfers, journal entries and their lines.

Entries are generated at transfer time from the frozen documents and the settlement rows
(payments, cancellations, write-offs): an issued document never changes, so what is generated
later is what would have been generated at the event, and nothing exists to be edited before
it is transferred. A transferred entry is immutable: only the cancellation of its whole transfer
(while it is open) removes it, and a closed transfer's entries can never change.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Organisation
from facturier.errors import FacturierError
from facturier.invoicing.models import Document, Payment, WriteOff


class EntryImmutable(FacturierError):
    code = "entry_immutable"


class ExportFormat(models.TextChoices):
    FEC = "fec", _("FEC (tax administration)")
    SAGE = "sage", _("CSV for Sage 100 Comptabilité")
    EBP = "ebp", _("CSV for EBP Compta")
    JOURNAL = "journal", _("Plain journal CSV")


class Journal(models.TextChoices):
    SALES = "sales", _("Sales")
    BANK = "bank", _("Bank")
    MISC = "misc", _("Miscellaneous")


class AccountingSettings(models.Model):
    """The account mapping of an organisation, on the French chart of accounts by default.

    `revenue_accounts` maps "<operation category>|<VAT category>|<rate>" (or a shorter key:
    "<operation category>") to a revenue account; `family_accounts` maps an item family (the free
    code of an invoice line) to the revenue account of that family's lines, before the former;
    `vat_accounts` maps "<VAT category>|<rate>" to the collected-VAT account of that rate;
    `bank_accounts` maps a payment method to its bank (or cash) account. Each VAT rate used by a
    transferred document must be mapped.
    """

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="accounting_settings",
                                        verbose_name=_("organisation"))
    fiscal_year_start_month = models.PositiveSmallIntegerField(_("fiscal year starts in month"), default=1)
    sales_journal = models.CharField(_("sales journal code"), max_length=6, default="VE")
    sales_journal_label = models.CharField(_("sales journal label"), max_length=60, default="Ventes")
    bank_journal = models.CharField(_("bank journal code"), max_length=6, default="BQ")
    bank_journal_label = models.CharField(_("bank journal label"), max_length=60, default="Banque")
    misc_journal = models.CharField(_("miscellaneous journal code"), max_length=6, default="OD")
    misc_journal_label = models.CharField(_("miscellaneous journal label"), max_length=60,
                                          default="Opérations diverses")
    customer_account = models.CharField(_("customer control account"), max_length=20, default="411000")
    customer_aux_prefix = models.CharField(_("customer auxiliary account prefix"), max_length=10, default="C")
    services_account = models.CharField(_("revenue account, services"), max_length=20, default="706000")
    goods_account = models.CharField(_("revenue account, goods"), max_length=20, default="707000")
    revenue_accounts = models.JSONField(_("revenue accounts per category and VAT rate"), default=dict, blank=True)
    family_accounts = models.JSONField(_("revenue accounts per item family"), default=dict, blank=True)
    vat_accounts = models.JSONField(_("collected VAT accounts per rate"), default=dict, blank=True)
    vat_pending_account = models.CharField(_("VAT due on receipts, waiting"), max_length=20, default="445740")
    deposits_account = models.CharField(_("deposits received"), max_length=20, default="419100")
    discount_account = models.CharField(_("early-payment discounts"), max_length=20, default="665000")
    write_off_account = models.CharField(_("bad debts written off"), max_length=20, default="654000")
    bank_accounts = models.JSONField(_("bank accounts per payment method"), default=dict, blank=True)
    export_format = models.CharField(_("export format"), max_length=10, choices=ExportFormat.choices,
                                     default=ExportFormat.FEC)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("accounting settings")
        verbose_name_plural = _("accounting settings")

    def __str__(self) -> str:
        return str(self.organisation)


class ClosedPeriod(models.Model):
    """A period whose books are closed: no new entry may be dated inside it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="closed_periods",
                                     verbose_name=_("organisation"))
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))

    class Meta:
        verbose_name = _("closed period")
        verbose_name_plural = _("closed periods")
        ordering = ["organisation", "start"]
        constraints = [models.CheckConstraint(condition=models.Q(end__gte=models.F("start")),
                                              name="closed_period_ordered")]

    def __str__(self) -> str:
        return f"{self.start} → {self.end}"


class TransferState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class Transfer(models.Model):
    """One transfer to accounting: a period or a selection of documents, cancelled whole or closed."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="accounting_transfers",
                                     verbose_name=_("organisation"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    period_start = models.DateField(_("from"), null=True, blank=True)
    period_end = models.DateField(_("to"), null=True, blank=True)
    selection = models.BooleanField(_("selection of documents"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=TransferState.choices, default=TransferState.OPEN)
    documents_count = models.PositiveIntegerField(_("documents"), default=0)
    payments_count = models.PositiveIntegerField(_("payments"), default=0)
    entries_count = models.PositiveIntegerField(_("entries"), default=0)
    total_debit = models.DecimalField(_("total debit"), max_digits=18, decimal_places=2, default=Decimal("0.00"))
    total_credit = models.DecimalField(_("total credit"), max_digits=18, decimal_places=2, default=Decimal("0.00"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("transfer to accounting")
        verbose_name_plural = _("transfers to accounting")
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=models.Q(total_debit=models.F("total_credit")),
                                              name="transfer_balanced")]

    def __str__(self) -> str:
        return str(_("Transfer no. %(id)s") % {"id": self.pk})


class Origin(models.TextChoices):
    DOCUMENT = "document", _("Document")
    PAYMENT = "payment", _("Payment")
    PAYMENT_CANCEL = "payment_cancel", _("Payment cancelled")
    WRITE_OFF = "write_off", _("Bad-debt write-off")


class JournalEntry(models.Model):
    """One balanced entry (écriture), numbered continuously per journal and fiscal year at transfer."""

    # No index of its own on organisation, document, payment, write-off: the indexes below lead with them (a
    # transfer writes every index of every entry; four fewer make it faster, and no look-up slower).
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"), db_index=False)
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="entries",
                                 verbose_name=_("transfer"))
    journal = models.CharField(_("journal"), max_length=6)
    journal_label = models.CharField(_("journal label"), max_length=60)
    fiscal_year = models.DateField(_("fiscal year start"))
    number = models.PositiveIntegerField(_("number"))
    date = models.DateField(_("date"))
    piece_ref = models.CharField(_("piece reference"), max_length=60)
    piece_date = models.DateField(_("piece date"))
    label = models.CharField(_("label"), max_length=200)
    origin = models.CharField(_("origin"), max_length=16, choices=Origin.choices)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+", verbose_name=_("document"),
                                 db_index=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("payment"), db_index=False)
    write_off = models.ForeignKey(WriteOff, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("write-off"), db_index=False)
    total = models.DecimalField(_("total"), max_digits=18, decimal_places=2)
    lettering_group = models.BigIntegerField(_("lettering group"), db_index=True,
                                             help_text=_("The document whose customer lines letter together."))

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["journal", "fiscal_year", "number"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "journal", "fiscal_year", "number"],
                                    name="entry_number_unique"),
            models.UniqueConstraint(fields=["document"], condition=models.Q(origin="document"),
                                    name="entry_once_per_document"),
            models.UniqueConstraint(fields=["payment", "origin"], condition=models.Q(payment__isnull=False),
                                    name="entry_once_per_payment_event"),
            models.UniqueConstraint(fields=["write_off"], condition=models.Q(write_off__isnull=False),
                                    name="entry_once_per_write_off"),
        ]
        indexes = [models.Index(fields=["organisation", "date", "id"], name="entry_org_date"),
                   models.Index(fields=["document", "origin"], name="entry_document")]

    def __str__(self) -> str:
        return f"{self.journal} {self.number} {self.piece_ref}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise EntryImmutable(_("A transferred entry never changes; a correction is a new entry."))
        super().save(*args, **kwargs)


class EntryLine(models.Model):
    """One line of an entry: an account, a debit or a credit (never both) in EUR."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.CASCADE, related_name="lines", verbose_name=_("entry"))
    position = models.PositiveSmallIntegerField(_("position"))
    account = models.CharField(_("account"), max_length=20)
    account_label = models.CharField(_("account label"), max_length=100)
    aux_account = models.CharField(_("auxiliary account"), max_length=40, blank=True)
    aux_label = models.CharField(_("auxiliary account label"), max_length=200, blank=True)
    debit = models.DecimalField(_("debit"), max_digits=18, decimal_places=2, default=Decimal("0.00"))
    credit = models.DecimalField(_("credit"), max_digits=18, decimal_places=2, default=Decimal("0.00"))
    currency_amount = models.DecimalField(_("amount in currency"), max_digits=18, decimal_places=2, null=True,
                                          blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    lettering = models.CharField(_("lettering"), max_length=10, blank=True)
    lettering_date = models.DateField(_("lettering date"), null=True, blank=True)
    lettered_by = models.ForeignKey(Transfer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name=_("lettered by"), db_index=False)  # partial index below

    class Meta:
        verbose_name = _("entry line")
        verbose_name_plural = _("entry lines")
        ordering = ["entry", "position"]
        constraints = [
            models.CheckConstraint(condition=(models.Q(debit__gte=0) & models.Q(credit__gte=0)
                                              & (models.Q(debit=0) | models.Q(credit=0))),
                                   name="entry_line_one_side"),
        ]
        # Only the lines lettered by a later transfer have one: most lines never do.
        indexes = [models.Index(fields=["lettered_by"], condition=models.Q(lettered_by__isnull=False),
                                name="entry_line_lettered_by")]

    def __str__(self) -> str:
        return f"{self.account} D{self.debit} C{self.credit}"


class JournalCounter(models.Model):
    """The last entry number of a journal in a fiscal year, locked while a transfer numbers its entries."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    journal = models.CharField(max_length=6)
    fiscal_year = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "journal", "fiscal_year"],
                                               name="journal_counter_unique")]


class LetteringCounter(models.Model):
    """The last lettering code given in an organisation (AAA, AAB, …)."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="+")
    last = models.PositiveIntegerField(default=0)


class JobState(models.TextChoices):
    QUEUED = "queued", _("Waiting for the worker")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class JobPhase(models.TextChoices):
    READ = "read", _("Reading the documents and payments")
    BUILD = "build", _("Building the entries")
    WRITE = "write", _("Writing the entries")
    VERIFY = "verify", _("Checking the balance in the database")


class TransferJob(models.Model):
    """A transfer too big for the time of a page, run by the worker. Its progress (phase, processed of total,
    recorded per chunk while the transfer's transaction is still open) is what the transfer screen polls; its
    outcome is recorded in the same transaction as the transfer, so a job is done exactly when its transfer
    exists."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organisation"))
    member = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("requested by"))
    language = models.CharField(_("language"), max_length=10, default="fr")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    period_start = models.DateField(_("from"), null=True, blank=True)
    period_end = models.DateField(_("to"), null=True, blank=True)
    document_ids = models.JSONField(_("selected documents"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    phase = models.CharField(_("phase"), max_length=10, choices=JobPhase.choices, blank=True)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    transfer = models.ForeignKey(Transfer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("transfer"))
    error = models.TextField(_("error"), blank=True)
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)

    class Meta:
        verbose_name = _("transfer job")
        verbose_name_plural = _("transfer jobs")
        ordering = ["-id"]

    def __str__(self) -> str:
        return str(_("Transfer job no. %(id)s") % {"id": self.pk})

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)

    @property
    def percent(self) -> int:
        """Reading and building count for the first 40 %, writing for the next 55 %, the final check for the rest."""
        if self.state == JobState.DONE:
            return 100
        share = self.processed / self.total if self.total else 0
        start, width = {JobPhase.READ: (0, 5), JobPhase.BUILD: (5, 35), JobPhase.WRITE: (40, 55),
                        JobPhase.VERIFY: (95, 5)}.get(self.phase, (0, 0))
        return min(99, int(start + width * share))
