"""The customer portal's own records: the customers' credentials, their one-time links, the look of a portal.

Portal identities are not `accounts.User` rows: a customer's contact never becomes a user of the
company screens, cannot be added to an organisation by mistake (members are found by e-mail) and
cannot use the company sign-in or password reset. Each account belongs to one contact of one
customer of one organisation, and everything it reads is scoped to that pair.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Language, Organisation
from facturier.parties.models import Contact, Customer

DEFAULT_ACCENT = "#3d4a5c"
"""A neutral slate: readable on white, on-brand for nobody."""

colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour as #RRGGBB, e.g. #1f6feb."))


class PortalAccount(AbstractBaseUser):
    """A customer contact's access to its organisation's portal: a hashed password (Django's hashers),
    an optional authenticator (TOTP), nothing else."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="portal_accounts",
                                     verbose_name=_("organisation"))
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="portal_accounts",
                                 verbose_name=_("customer"))
    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="portal_account",
                                   verbose_name=_("contact"))
    email = models.EmailField(_("e-mail address"))
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    totp_key = models.BinaryField(_("authenticator key (sealed)"), null=True, blank=True, editable=False)
    totp_confirmed = models.BooleanField(_("two-factor authentication on"), default=False)
    totp_last_t = models.BigIntegerField(default=-1, editable=False,
                                         help_text="Time step of the last accepted code (a code is used once).")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("invited by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    activated_at = models.DateTimeField(_("password chosen on"), null=True, blank=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    class Meta:
        verbose_name = _("portal account")
        verbose_name_plural = _("portal accounts")
        ordering = ["organisation", "email"]
        constraints = [models.UniqueConstraint(fields=["organisation", "email"], name="portal_account_email_once")]

    def __str__(self) -> str:
        return f"{self.email} ({self.customer.code})"


class LinkPurpose(models.TextChoices):
    INVITATION = "invitation", _("Invitation")
    RESET = "reset", _("New password")


class PortalLink(models.Model):
    """A one-time sign-in link sent by e-mail. Only the SHA-256 of its token is stored."""

    account = models.ForeignKey(PortalAccount, on_delete=models.CASCADE, related_name="links",
                                verbose_name=_("portal account"))
    purpose = models.CharField(_("purpose"), max_length=10, choices=LinkPurpose.choices)
    digest = models.CharField(_("token digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))

    class Meta:
        verbose_name = _("portal link")
        verbose_name_plural = _("portal links")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.account} — {self.get_purpose_display()}"


class PortalBranding(models.Model):
    """How an organisation's portal looks: its accent colour and a welcome line (the logo is the organisation's)."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="portal_branding",
                                        verbose_name=_("organisation"))
    accent_colour = models.CharField(_("accent colour"), max_length=7, default=DEFAULT_ACCENT,
                                     validators=[colour_validator])
    welcome = models.CharField(_("welcome text"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("portal branding")
        verbose_name_plural = _("portal branding")

    def __str__(self) -> str:
        return f"{self.organisation} — {self.accent_colour}"
