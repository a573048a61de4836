from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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
