from django.db import models  # noqa: F401

# Imports (upload, ZIP, API)


# Import by e-mail
# isort: off
from django.utils import timezone  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402
# isort: on


class MailImportSettings(models.Model):
    """An organisation's import by e-mail: its address token, and whether imported documents are
    sent on to their customers at once (S2.8, for every import source, not only e-mail)."""

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.CASCADE, related_name="+",
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

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+",
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

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, null=True, blank=True,
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
    batch_id = models.BigIntegerField(_("import batch"), null=True, blank=True)
    report_to = models.CharField(_("report sent to"), max_length=320, blank=True)
    report_sent_at = models.DateTimeField(_("report sent"), null=True, blank=True)
    report_error = models.CharField(_("report error"), max_length=500, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("message received for import")
        verbose_name_plural = _("messages received for import")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-received_at"], name="mail_import_recent")]
