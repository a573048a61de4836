"""The Chorus Pro settings form; secrets are never shown back (empty keeps them)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from facturier.platforms.chorus.models import Environment

SECRET = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})


class ChorusAccountForm(forms.Form):
    environment = forms.ChoiceField(label=_("Environment"), choices=Environment.choices)
    token_url = forms.URLField(label=_("PISTE token URL"), max_length=500, required=False, assume_scheme="https",
                               help_text=_("Only for “other addresses”, e.g. the simulator: http://127.0.0.1:8091"
                                           "/api/oauth/token"))
    api_url = forms.URLField(label=_("API base URL"), max_length=500, required=False, assume_scheme="https",
                             help_text=_("Only for “other addresses”, e.g. http://127.0.0.1:8091"))
    client_id = forms.CharField(label=_("PISTE client id"), max_length=200,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    client_secret = forms.CharField(label=_("PISTE client secret"), required=False, strip=False, widget=SECRET,
                                    help_text=_("Empty: keep the stored one."))
    login = forms.CharField(label=_("Technical account login"), max_length=200,
                            widget=forms.TextInput(attrs={"autocomplete": "off"}))
    password = forms.CharField(label=_("Technical account password"), required=False, strip=False, widget=SECRET,
                               help_text=_("Empty: keep the stored one."))
    structure_id = forms.CharField(label=_("Chorus Pro structure id"), max_length=30, required=False)

    def values(self) -> dict:
        data = self.cleaned_data
        values = {f: data[f] or "" for f in ("environment", "token_url", "api_url", "client_id", "login",
                                              "structure_id")}
        for secret in ("client_secret", "password"):
            if data.get(secret):
                values[secret] = data[secret]
        return values

    @staticmethod
    def initial_of(account) -> dict:
        if account is None:
            return {"environment": Environment.SANDBOX}
        return {f: getattr(account, f) for f in ("environment", "token_url", "api_url", "client_id", "login",
                                                 "structure_id")}
