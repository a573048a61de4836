from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Organisation
from facturier.config.models import LeasedClaim

# API keys and idempotency


class Scope(models.TextChoices):
    """What an API key may do; every endpoint names the one scope it needs."""

    READ = "read", _("Read customers, documents, files and proofs")
    DOCUMENTS_WRITE = "documents:write", _("Create and change customers and drafts, record payments")
    ISSUE = "issue", _("Issue documents")
    SEND = "send", _("Send documents")
    SETTINGS = "settings", _("Read and change settings")


class ApiKey(models.Model):
    """A secret that lets a program act for one member of an organisation, within its scopes.

    Only the SHA-256 of the secret is kept (the secret has 256 bits of entropy, so a plain hash is
    enough); the prefix, shown in the settings, lets a person recognise the key. The key acts as the
    member who created it and never does more than that member may do now.
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="api_keys",
                                     verbose_name=_("organisation"))
    membership = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE, related_name="api_keys",
                                   verbose_name=_("acts as"))
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    digest = models.CharField(_("secret digest (SHA-256)"), max_length=64, unique=True)
    scopes = models.JSONField(_("scopes"), default=list)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """The answer given to one write under one Idempotency-Key, replayed when the same write comes again."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organisation"))
    key = models.CharField(_("idempotency key"), max_length=255)
    request_digest = models.CharField(_("request digest"), max_length=64)
    status = models.PositiveSmallIntegerField(_("status"), null=True, blank=True,
                                              help_text=_("Empty while the first request is running."))
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    body = models.BinaryField(_("body"), default=b"")
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["organisation", "key"], name="api_idempotency_once")]

    def __str__(self) -> str:
        return self.key


# Outgoing webhooks


class WebhookEventType(models.TextChoices):
    """What an endpoint may subscribe to (derived from the audit log: `facturier.api.webhook_events`)."""

    DOCUMENT_ISSUED = "document.issued", _("Document issued")
    DOCUMENT_DELIVERED = "document.delivered", _("Document delivered")
    DOCUMENT_BOUNCED = "document.bounced", _("Document bounced")
    DOCUMENT_PAID = "document.paid", _("Document paid")
    DOCUMENT_PARTIALLY_PAID = "document.partially_paid", _("Document partially paid")
    DOCUMENT_STATUS_CHANGED = "document.status_changed", _("Status changed (document or delivery)")


WEBHOOK_TEST_EVENT = "webhook.test"
"""The type of the event a member sends from the settings to try an endpoint (never subscribed to)."""


class WebhookEndpoint(models.Model):
    """A URL of the organisation's that receives signed POSTs for the events it subscribes to."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organisation"))
    url = models.URLField(_("URL"), max_length=1000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    secret = models.BinaryField(_("signing secret (encrypted)"), editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    disabled_reason = models.CharField(_("why it was disabled"), max_length=500, blank=True)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failed attempts"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["id"]
        indexes = [models.Index(fields=["organisation", "enabled"], name="webhook_endpoint_org")]

    def __str__(self) -> str:
        return self.description or self.url


class WebhookEvent(models.Model):
    """One event, with its stable id and the exact body every endpoint receives (retries included)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organisation"))
    uid = models.CharField(_("event id"), max_length=40, unique=True)
    type = models.CharField(_("event"), max_length=40)
    created_at = models.DateTimeField(_("created"))
    body = models.TextField(_("body (JSON)"))
    audit_event_id = models.BigIntegerField(_("audit event"), null=True, blank=True)
    document_id = models.BigIntegerField(_("document"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["audit_event_id", "type"], name="webhook_event_once")]

    def __str__(self) -> str:
        return f"{self.type} {self.uid}"


class WebhookDeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Outcome unknown, check")
    DONE = "done", _("Marked done")


class WebhookDelivery(LeasedClaim):
    """One event to POST to one endpoint: the webhooks' outbox (claims and recovery: `config.leases`)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organisation"))
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries",
                                 verbose_name=_("endpoint"))
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries",
                              verbose_name=_("event"))
    state = models.CharField(_("state"), max_length=10, choices=WebhookDeliveryState.choices,
                             default=WebhookDeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last status code"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=1000, blank=True)
    response_excerpt = models.CharField(_("response excerpt"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once")]
        indexes = [models.Index(fields=["organisation", "state", "next_attempt_at"], name="webhook_due")]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint} ({self.get_state_display()})"
