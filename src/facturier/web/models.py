"""What only the screens need to store: an organisation's sign-in policy and its time zone."""

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


TIME_ZONES = [
    ("Europe/Paris", _("Metropolitan France (Paris)")), ("America/Guadeloupe", _("Guadeloupe")),
    ("America/Martinique", _("Martinique")), ("America/Cayenne", _("French Guiana")),
    ("Indian/Reunion", _("Réunion")), ("Indian/Mayotte", _("Mayotte")),
    ("America/Miquelon", _("Saint Pierre and Miquelon")), ("Pacific/Noumea", _("New Caledonia")),
    ("Pacific/Tahiti", _("French Polynesia (Tahiti)")), ("Pacific/Wallis", _("Wallis and Futuna")),
]
DEFAULT_TIME_ZONE = "Europe/Paris"


class OrganisationPreferences(models.Model):
    """How the screens show an organisation's moments: its time zone (kept beside it, like the sign-in policy)."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="web_preferences",
                                        verbose_name=_("organisation"))
    time_zone = models.CharField(_("time zone"), max_length=64, choices=TIME_ZONES, default=DEFAULT_TIME_ZONE,
                                 help_text=_("Every date and time on the screens is shown in it."))

    class Meta:
        verbose_name = _("display preferences")
        verbose_name_plural = _("display preferences")

    def __str__(self) -> str:
        return f"{self.organisation} — {self.time_zone}"
