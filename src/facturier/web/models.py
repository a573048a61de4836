"""What only the screens need to store: an organisation's sign-in policy."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Organisation


class OrganisationSecurity(models.Model):
    """Sign-in policy of an organisation (kept beside it, so the accounts app stays untouched)."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="web_security",
                                        verbose_name=_("organisation"))
    require_2fa = models.BooleanField(
        _("two-factor authentication mandatory"), default=False,
        help_text=_("Every member must confirm sign-in with a code from an authenticator app."))

    class Meta:
        verbose_name = _("sign-in policy")
        verbose_name_plural = _("sign-in policies")

    def __str__(self) -> str:
        return f"{self.organisation} — 2FA {'on' if self.require_2fa else 'off'}"
