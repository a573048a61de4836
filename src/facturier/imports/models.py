"""Imports of invoices made elsewhere: one batch per upload (or message, or API call), one item per file.

An item records what happened to one file — imported, refused or a duplicate — with the rule
ids and the messages in both languages, so the report reads the same years later in French
or in English. The database refuses the same file, or the same number, imported twice.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Organisation

# Imports (upload, ZIP, API)


class ImportSource(models.TextChoices):
    UPLOAD = "upload", _("Upload")
    API = "api", _("API")
    EMAIL = "email", _("E-mail")


class Outcome(models.TextChoices):
    IMPORTED = "imported", _("Imported")
    REFUSED = "refused", _("Refused")
    DUPLICATE = "duplicate", _("Duplicate")


class ImportBatch(models.Model):
    """The files that came in together (one upload, one message, one API call)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="import_batches",
                                     verbose_name=_("organisation"))
    source = models.CharField(_("source"), max_length=10, choices=ImportSource.choices)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("imported by"))
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)
    imported_count = models.PositiveIntegerField(_("imported"), default=0)
    refused_count = models.PositiveIntegerField(_("refused"), default=0)
    duplicate_count = models.PositiveIntegerField(_("duplicates"), default=0)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="import_batch_org_date")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def file_count(self) -> int:
        return self.imported_count + self.refused_count + self.duplicate_count


class ImportItem(models.Model):
    """One file of a batch (a ZIP's entries are items of their own) and what became of it."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="items", verbose_name=_("import"))
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    position = models.PositiveIntegerField(_("position"))
    name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    syntax = models.CharField(_("syntax"), max_length=20, blank=True)
    guideline = models.CharField(_("specification"), max_length=200, blank=True)
    number = models.CharField(_("number"), max_length=40, blank=True)
    rules = models.JSONField(_("rule ids"), default=list, blank=True)
    messages = models.JSONField(_("messages"), default=list, blank=True,
                                help_text=_("Each {rule, severity, fr, en}: why a file was refused, or a warning."))
    document = models.OneToOneField("invoicing.Document", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="import_item", verbose_name=_("document"))
    customer = models.ForeignKey("parties.Customer", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("customer"))
    customer_created = models.BooleanField(
        _("new customer to review"), default=False,
        help_text=_("The buyer matched no customer: one was created from the invoice and should be checked."))

    class Meta:
        verbose_name = _("imported file")
        verbose_name_plural = _("imported files")
        ordering = ["batch", "position"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "sha256"], condition=models.Q(outcome="imported"),
                                    name="import_file_once"),
            models.UniqueConstraint(fields=["organisation", "number"], condition=models.Q(outcome="imported"),
                                    name="import_number_once"),
        ]
        indexes = [models.Index(fields=["organisation", "sha256"], name="import_item_org_sha")]

    def __str__(self) -> str:
        return f"{self.name} — {self.get_outcome_display()}"


# Import by e-mail
# isort: off
from django.utils import timezone  # noqa: E402
# isort: on


class MailImportSettings(models.Model):
    """An organisation's import by e-mail: its address token, and whether imported documents are
    sent on to their customers at once (S2.8, for every import source, not only e-mail)."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="+",
                                        verbose_name=_("organisation"))
    token = models.CharField(_("address token"), max_length=40, unique=True)
    token_changed_at = models.DateTimeField(_("address changed"), default=timezone.now)
    auto_deliver = models.BooleanField(_("send imported documents automatically"), default=False)
    auto_deliver_by = models.ForeignKey("accounts.Membership", on_delete=models.SET_NULL, null=True, blank=True,
                                        related_name="+", verbose_name=_("sent in the name of"))

    class Meta:
        verbose_name = _("import by e-mail settings")
        verbose_name_plural = _("import by e-mail settings")


class MailImportSender(models.Model):
    """An address whose authenticated messages are imported without the token."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organisation"))
    email = models.EmailField(_("sender address"), max_length=254)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("allowed sender")
        verbose_name_plural = _("allowed senders")
        ordering = ["email"]
        constraints = [models.UniqueConstraint(fields=["organisation", "email"], name="mail_import_sender_unique")]
        indexes = [models.Index(fields=["email"], name="mail_import_sender_email")]


class MailImportOutcome(models.TextChoices):
    RECEIVED = "received", _("Received, being read")
    IMPORTED = "imported", _("Read, files imported")
    NO_FILES = "no_files", _("No invoice file attached")
    TOO_LARGE = "too_large", _("Too large")
    IGNORED = "ignored", _("Ignored: unknown address or sender")
    FAILED = "failed", _("Could not be read")


class MailImportMessage(models.Model):
    """One message received for import, kept once by its key (Message-ID, else the content's digest)
    so that reading the same message again never imports it twice."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="+", verbose_name=_("organisation"))
    key = models.CharField(_("message key"), max_length=300, unique=True)
    channel = models.CharField(_("received by"), max_length=4, choices=[("imap", "IMAP"), ("smtp", "SMTP")])
    envelope_sender = models.CharField(_("envelope sender"), max_length=320, blank=True)
    from_address = models.CharField(_("from"), max_length=320, blank=True)
    recipients = models.CharField(_("recipients"), max_length=1000, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    route = models.CharField(_("routed by"), max_length=6, blank=True)  # "token", "sender" or "" (ignored)
    outcome = models.CharField(_("outcome"), max_length=10, choices=MailImportOutcome.choices,
                               default=MailImportOutcome.RECEIVED)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    batch = models.ForeignKey(ImportBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("import"))
    report_to = models.CharField(_("report sent to"), max_length=320, blank=True)
    report_sent_at = models.DateTimeField(_("report sent"), null=True, blank=True)
    report_error = models.CharField(_("report error"), max_length=500, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("message received for import")
        verbose_name_plural = _("messages received for import")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-received_at"], name="mail_import_recent")]
