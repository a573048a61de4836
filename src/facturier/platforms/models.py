"""Approved platforms (PA) and each organisation's connection to one (AFNOR XP Z12-013 flow and directory
services). The outbox, routing and statuses live in their own modules (`outbox`, `routing`, `statuses`)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Organisation


class AuthKind(models.TextChoices):
    OAUTH2 = "oauth2", _("OAuth2 client credentials")
    BEARER = "bearer", _("Bearer token")


class FlowSyntax(models.TextChoices):
    """The invoice syntaxes a connection submits (the `flowSyntax` of the Flow Service, invoice part)."""

    FACTURX = "Factur-X", _("Factur-X (PDF with CII)")
    CII = "CII", _("UN/CEFACT CII (XML)")
    UBL = "UBL", _("UBL 2.1 (XML)")


class IssuerCategory(models.TextChoices):
    """The company's category under the reform, which sets when it must issue its B2B invoices through a PA
    (every company must be able to receive them since 2026-09-01)."""

    LARGE = "large", _("Large or mid-size company (issues through a platform since 1 September 2026)")
    SME = "sme", _("SME or micro-enterprise (issues through a platform from 1 September 2027)")


class Platform(models.Model):
    """One approved platform the installation can reach (chosen by the operator): where its two services are
    and how a software signs in. Each organisation connects to one through a `PlatformConnection`."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    flow_url = models.URLField(_("Flow Service base URL"), max_length=500,
                               help_text=_("Up to the service name, without /v1, e.g. "
                                           "https://api.flow.example.com/flow-service"))
    directory_url = models.URLField(_("Directory Service base URL"), max_length=500,
                                    help_text=_("e.g. https://api.directory.example.com/directory-service"))
    auth_kind = models.CharField(_("authentication"), max_length=6, choices=AuthKind.choices,
                                 default=AuthKind.OAUTH2)
    token_url = models.URLField(_("token URL (OAuth2)"), max_length=500, blank=True)
    scope = models.CharField(_("scope (OAuth2)"), max_length=300, blank=True)
    enabled = models.BooleanField(_("offered to organisations"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("approved platform")
        verbose_name_plural = _("approved platforms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.auth_kind == AuthKind.OAUTH2 and not self.token_url:
            raise ValidationError({"token_url": _("A platform signing in with OAuth2 needs its token URL.")})


class PlatformConnection(models.Model):
    """An organisation's account at its PA: credentials (encrypted), the `Organization-Id` it acts under, and
    the scope it covers. Blank SIREN and SIRET: the organisation's default connection; a SIREN or a SIRET:
    the connection of one company or establishment of a group (the most precise one wins)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="platform_connections",
                                     verbose_name=_("organisation"))
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="connections",
                                 verbose_name=_("approved platform"))
    siren = models.CharField(_("SIREN scope"), max_length=9, blank=True,
                             help_text=_("Empty: the organisation's default connection."))
    siret = models.CharField(_("SIRET scope"), max_length=14, blank=True,
                             help_text=_("Only for one establishment of the group."))
    organization_id = models.CharField(_("Organization-Id"), max_length=100, blank=True,
                                       help_text=_("Sent in the Organization-Id header to act on the company's "
                                                   "behalf, as the platform gave it."))
    client_id = models.CharField(_("client id"), max_length=255, blank=True)
    client_secret = models.BinaryField(_("client secret (encrypted)"), blank=True, default=b"", editable=False)
    bearer_token = models.BinaryField(_("bearer token (encrypted)"), blank=True, default=b"", editable=False)
    webhook_secret = models.BinaryField(_("webhook signing key (encrypted)"), blank=True, default=b"",
                                        editable=False)
    webhook_id = models.CharField(_("webhook id at the platform"), max_length=64, blank=True)
    flow_syntax = models.CharField(_("invoice syntax"), max_length=8, choices=FlowSyntax.choices,
                                   default=FlowSyntax.FACTURX)
    issuer_category = models.CharField(
        _("company category"), max_length=5, choices=IssuerCategory.choices, default=IssuerCategory.SME,
        help_text=_("From its date, every invoice to a French company goes through the platform, whatever the "
                    "customer's channel; before it, only customers whose channel is the platform."))
    handles_b2g = models.BooleanField(
        _("the platform delivers to public buyers"), default=False,
        help_text=_("Invoices to public-sector customers go to Chorus Pro through this platform instead of "
                    "Facturier's own Chorus Pro connection."))
    enabled = models.BooleanField(_("enabled"), default=True)
    tested_at = models.DateTimeField(_("last tested"), null=True, blank=True)
    test_ok = models.BooleanField(_("last test passed"), default=False)
    test_message = models.TextField(_("last test's message"), blank=True)
    test_steps = models.JSONField(_("last test's steps"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("platform connection")
        verbose_name_plural = _("platform connections")
        ordering = ["organisation", "siren", "siret"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "siren", "siret"], name="platform_connection_scope"),
            models.CheckConstraint(condition=Q(siret="") | ~Q(siren=""), name="platform_connection_siret_has_siren"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} → {self.platform} ({self.scope_label})"

    @property
    def scope_label(self) -> str:
        if self.siret:
            return str(_("SIRET %(siret)s") % {"siret": self.siret})
        if self.siren:
            return str(_("SIREN %(siren)s") % {"siren": self.siren})
        return str(_("default"))


SECRET_FIELDS = ("client_secret", "bearer_token", "webhook_secret")


def _purpose(name: str, connection: PlatformConnection) -> str:
    return f"platform-{name.replace('_', '-')}:{connection.pk}"


def secret_of(connection: PlatformConnection, name: str) -> bytes:
    """A stored secret of a connection, decrypted (b"" when none is stored)."""
    from facturier.secrets import open_secret

    assert name in SECRET_FIELDS
    sealed = bytes(getattr(connection, name) or b"")
    return open_secret(sealed, purpose=_purpose(name, connection)) if sealed else b""


def sealed_for(connection: PlatformConnection, name: str, value: bytes) -> bytes:
    """`value` encrypted for the connection's field `name` (the connection must be saved: its id is bound)."""
    from facturier.secrets import seal_secret

    assert name in SECRET_FIELDS and connection.pk
    return seal_secret(value, purpose=_purpose(name, connection)) if value else b""


# The sending side (outbox, directory cache, statuses) lives in its own module, registered with this app.
from facturier.platforms.submissions import (  # noqa: E402, F401
    DirectoryEntry,
    EventSource,
    PlatformState,
    PlatformStatusEvent,
    PlatformSubmission,
    PollCursor,
    SubmissionKind,
    SubmissionState,
    WebhookDelivery,
)
