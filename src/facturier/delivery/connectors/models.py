"""Export connectors and their transfers (imported by `facturier.delivery.models`)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Organisation
from facturier.config.models import LeasedClaim
from facturier.invoicing.models import Document
from facturier.parties.models import FileFormat


class ConnectorKind(models.TextChoices):
    SFTP = "sftp", _("SFTP")
    HTTP = "http", _("HTTP(S)")


class HttpMethod(models.TextChoices):
    POST = "POST", "POST"
    PUT = "PUT", "PUT"


class HttpAuth(models.TextChoices):
    NONE = "", _("None")
    BEARER = "bearer", _("Bearer token")
    BASIC = "basic", _("Basic (user and password)")


DEFAULT_FILE_NAME = "{number}.{ext}"
DEFAULT_SIGNATURE_HEADER = "X-Facturier-Signature"


class Connector(models.Model):
    """An SFTP server or an HTTP(S) endpoint that receives the organisation's documents.

    Enabled only after a successful connection test; a change of endpoint or credentials disables
    it until it is tested again. An SFTP server's host key is pinned on the first successful test:
    a server presenting another key is refused until a settings manager re-pins it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="connectors",
                                     verbose_name=_("organisation"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=4, choices=ConnectorKind.choices)
    enabled = models.BooleanField(_("enabled"), default=False)
    # what it sends, and when
    file_format = models.CharField(_("file format"), max_length=16, choices=FileFormat.choices,
                                   default=FileFormat.FACTURX)
    file_name = models.CharField(_("file name pattern"), max_length=200, default=DEFAULT_FILE_NAME)
    on_issue = models.BooleanField(_("send each document when it is issued"), default=False)
    on_import = models.BooleanField(_("send each document when it is imported"), default=False)
    # SFTP
    host = models.CharField(_("server"), max_length=255, blank=True)
    port = models.PositiveIntegerField(_("port"), default=22)
    username = models.CharField(_("user"), max_length=255, blank=True)
    password = models.BinaryField(_("password (encrypted)"), blank=True, default=b"", editable=False)
    private_key = models.BinaryField(_("private key (encrypted)"), blank=True, default=b"", editable=False)
    remote_folder = models.CharField(_("remote folder"), max_length=255, blank=True, default=".")
    host_key = models.TextField(_("pinned host key"), blank=True, editable=False)
    host_key_fingerprint = models.CharField(_("pinned host key fingerprint"), max_length=100, blank=True,
                                            editable=False)
    # HTTP(S)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    method = models.CharField(_("method"), max_length=4, choices=HttpMethod.choices, default=HttpMethod.POST)
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
    auth = models.CharField(_("authentication"), max_length=6, choices=HttpAuth.choices, blank=True,
                            default=HttpAuth.NONE)
    auth_user = models.CharField(_("user (basic)"), max_length=255, blank=True)
    auth_secret = models.BinaryField(_("token or password (encrypted)"), blank=True, default=b"", editable=False)
    signature_secret = models.BinaryField(_("signature secret (encrypted)"), blank=True, default=b"",
                                          editable=False)
    signature_header = models.CharField(_("signature header"), max_length=60, default=DEFAULT_SIGNATURE_HEADER)
    # the last test
    tested_at = models.DateTimeField(_("last tested"), null=True, blank=True)
    test_ok = models.BooleanField(_("last test passed"), default=False)
    test_steps = models.JSONField(_("last test's steps"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("export connector")
        verbose_name_plural = _("export connectors")
        ordering = ["organisation", "name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="connector_name_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def endpoint(self) -> str:
        if self.kind == ConnectorKind.SFTP:
            return f"sftp://{self.username}@{self.host}:{self.port}/{self.remote_folder.lstrip('/')}"
        return f"{self.method} {self.url}"


class TransferState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Outcome unknown, check")


class Trigger(models.TextChoices):
    ISSUE = "issue", _("On issue")
    IMPORT = "import", _("On import")
    BATCH = "batch", _("By batch")
    CHANNEL = "channel", _("Customer's channel")


class ConnectorTransfer(LeasedClaim):
    """One file to hand to a connector: recorded before the transfer, claimed by one worker, its
    irreversible step (the SFTP rename, the HTTP request) marked as begun before it starts."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organisation"))
    connector = models.ForeignKey(Connector, on_delete=models.PROTECT, related_name="transfers",
                                  verbose_name=_("connector"))
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+", verbose_name=_("document"))
    trigger = models.CharField(_("trigger"), max_length=8, choices=Trigger.choices)
    file_format = models.CharField(_("file format"), max_length=16, choices=FileFormat.choices)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    key = models.CharField(_("idempotency key"), max_length=40, unique=True)
    state = models.CharField(_("state"), max_length=8, choices=TransferState.choices,
                             default=TransferState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    response = models.CharField(_("receiver's answer"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("connector transfer")
        verbose_name_plural = _("connector transfers")
        ordering = ["id"]
        indexes = [models.Index(fields=["connector", "state", "next_attempt_at"], name="transfer_due")]

    def __str__(self) -> str:
        return f"{self.connector} — {self.document} ({self.get_state_display()})"
