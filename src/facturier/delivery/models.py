"""E-mail delivery: mail settings, message templates, the outbox, per-document delivery state,
consent answers, notifications and the postal fallback.

The outbox is what makes sending exactly-once: a row is committed before the SMTP
transaction (with its Message-ID and VERP token fixed), claimed by one worker with a
conditional update, and marked sent right after the server accepted it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Language, Organisation
from facturier.config.models import LeasedClaim
from facturier.errors import localized
from facturier.invoicing.models import Document
from facturier.parties.models import ConsentOrigin, Customer


class Security(models.TextChoices):
    NONE = "none", _("None (plain text)")
    STARTTLS = "starttls", _("STARTTLS")
    TLS = "tls", _("TLS (implicit)")


class DuplicatePolicy(models.TextChoices):
    WARN = "warn", _("Warn and send")
    BLOCK = "block", _("Block")


class AttachXml(models.TextChoices):
    NONE = "", _("No separate XML")
    CII = "cii", _("CII XML")
    UBL = "ubl", _("UBL XML")


class MailSettings(models.Model):
    """An organisation's own mail server, sender and bounce mailbox."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="mail_settings",
                                        verbose_name=_("organisation"))
    host = models.CharField(_("SMTP server"), max_length=255)
    port = models.PositiveIntegerField(_("SMTP port"), default=587)
    security = models.CharField(_("security"), max_length=10, choices=Security.choices, default=Security.STARTTLS)
    username = models.CharField(_("SMTP user"), max_length=255, blank=True)
    password = models.BinaryField(_("SMTP password (encrypted)"), blank=True, default=b"", editable=False)
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True)
    sender_address = models.EmailField(_("sender address"))
    reply_to = models.EmailField(_("reply-to address"), blank=True)
    bounce_address = models.EmailField(
        _("bounce address"), blank=True,
        help_text=_("Return path; each message uses bounce+token@domain (VERP). Empty: bounce@ the sender's domain."))
    imap_host = models.CharField(_("bounce mailbox IMAP server"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(_("IMAP security"), max_length=10, choices=Security.choices,
                                     default=Security.TLS)
    imap_username = models.CharField(_("IMAP user"), max_length=255, blank=True)
    imap_password = models.BinaryField(_("IMAP password (encrypted)"), blank=True, default=b"", editable=False)
    imap_folder = models.CharField(_("IMAP folder"), max_length=100, default="INBOX")
    correction_delay_days = models.PositiveSmallIntegerField(
        _("correction delay (days)"), default=8,
        help_text=_("After a bounce, days left to correct the address before the document goes by post."))
    duplicate_policy = models.CharField(_("possible duplicates"), max_length=5, choices=DuplicatePolicy.choices,
                                        default=DuplicatePolicy.WARN)
    read_receipts = models.BooleanField(_("ask for read receipts"), default=False)
    attach_xml = models.CharField(_("attach the XML too"), max_length=3, choices=AttachXml.choices, blank=True,
                                  default=AttachXml.NONE)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("mail settings")
        verbose_name_plural = _("mail settings")

    def __str__(self) -> str:
        return f"{self.organisation} — {self.host}:{self.port}"

    @property
    def return_path_domain(self) -> tuple[str, str]:
        address = self.bounce_address or f"bounce@{self.sender_address.rpartition('@')[2]}"
        local, _at, domain = address.rpartition("@")
        return local, domain


class TemplateKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")
    DEPOSIT = "deposit", _("Deposit invoice")
    REMINDER = "reminder", _("Payment reminder")
    CONSENT_LETTER = "consent_letter", _("Consent letter")


class MailTemplate(models.Model):
    """An organisation's own subject and body for a kind of message in a language (else the defaults)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="mail_templates",
                                     verbose_name=_("organisation"))
    kind = models.CharField(_("kind"), max_length=16, choices=TemplateKind.choices)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))

    class Meta:
        verbose_name = _("mail template")
        verbose_name_plural = _("mail templates")
        constraints = [models.UniqueConstraint(fields=["organisation", "kind", "language"],
                                               name="mail_template_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language})"


class MessageKind(models.TextChoices):
    DOCUMENT = "document", _("Document")
    CONSENT = "consent", _("Consent letter")


class OutboxState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Outcome unknown, check")


class OutboxMessage(LeasedClaim):
    """One message to send, recorded before the SMTP transaction and marked after it.

    Its claim (worker, lease, "final dot on its way") is the platform's one mechanism for every
    outbox (`facturier.config.leases`)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organisation"))
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices, default=MessageKind.DOCUMENT)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("document"))
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer"))
    batch = models.CharField(_("batch"), max_length=32, blank=True, db_index=True)
    recipients = models.JSONField(_("recipients"), default=list)
    message_id = models.CharField(_("Message-ID"), max_length=200, unique=True)
    verp_token = models.CharField(_("VERP token"), max_length=40, unique=True)
    state = models.CharField(_("state"), max_length=8, choices=OutboxState.choices, default=OutboxState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    smtp_response = models.CharField(_("server response"), max_length=500, blank=True)
    reminder = models.BooleanField(_("payment reminder"), default=False)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["id"]
        indexes = [models.Index(fields=["organisation", "state", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.get_state_display()})"


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    READ = "read", _("Read")
    BOUNCED = "bounced", _("Bounced")
    ADDRESS_CORRECTED = "corrected", _("Address corrected")
    FAILED = "failed", _("Not delivered")
    POSTAL_PENDING = "postal", _("In the postal batch")
    SENT_BY_POST = "by_post", _("Sent by post")
    UNKNOWN = "unknown", _("Outcome unknown, check")
    EXPORTED = "exported", _("Exported")


class Delivery(models.Model):
    """The latest delivery state of one document; its history is in DeliveryEvent."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organisation"))
    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="delivery",
                                    verbose_name=_("document"))
    state = models.CharField(_("delivery state"), max_length=10, choices=DeliveryState.choices)
    recipient = models.CharField(_("recipient"), max_length=500, blank=True)
    last_message = models.ForeignKey(OutboxMessage, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("last message"))
    correction_deadline = models.DateField(_("correct the address before"), null=True, blank=True)
    postal_date = models.DateField(_("postal batch of"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [models.Index(fields=["organisation", "state"], name="delivery_org_state")]

    def __str__(self) -> str:
        return f"{self.document} — {self.get_state_display()}"


class DeliveryEvent(models.Model):
    """One step of a document's delivery history."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events",
                                 verbose_name=_("delivery"))
    at = models.DateTimeField(_("when"), auto_now_add=True)
    state = models.CharField(_("state"), max_length=10, choices=DeliveryState.choices)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    message = models.ForeignKey(OutboxMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("message"))

    class Meta:
        verbose_name = _("delivery event")
        verbose_name_plural = _("delivery events")
        ordering = ["delivery", "at", "id"]

    def __str__(self) -> str:
        return f"{localized(self.at)} {self.get_state_display()}"


class ConsentAnswer(models.Model):
    """A customer's answer to the consent letter, with its date and origin."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organisation"))
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer"))
    accepted = models.BooleanField(_("accepted"))
    email = models.EmailField(_("address given"), blank=True)
    origin = models.CharField(_("origin"), max_length=10, choices=ConsentOrigin.choices)
    at = models.DateTimeField(_("when"), auto_now_add=True)
    remote_address = models.GenericIPAddressField(_("from IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent answer")
        verbose_name_plural = _("consent answers")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.customer} — {'accepted' if self.accepted else 'refused'}"


class Notification(models.Model):
    """Something the organisation must look at (a bounce, a document gone to the postal batch)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organisation"))
    at = models.DateTimeField(_("when"), auto_now_add=True)
    kind = models.CharField(_("kind"), max_length=30)
    text = models.CharField(_("text"), max_length=500)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                 verbose_name=_("document"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return self.text


class ProcessedBounce(models.Model):
    """A bounce-mailbox message already handled (keyed by its Message-ID), so a re-read does nothing."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=300)
    outcome = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "key"], name="processed_bounce_unique")]


# Export connectors (SFTP, HTTP) and their outbox live in their own module, registered with this app.
from facturier.delivery.connectors.models import (  # noqa: E402, F401
    Connector,
    ConnectorKind,
    ConnectorTransfer,
    TransferState,
    Trigger,
)
