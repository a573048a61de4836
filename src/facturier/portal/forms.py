"""The portal's forms: every field labelled, every error said in the customer's language."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.utils.translation import gettext_lazy as _

from facturier.portal.models import PortalBranding


class LoginForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), widget=forms.EmailInput(
        attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput(
        attrs={"autocomplete": "current-password"}))


class LinkRequestForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), widget=forms.EmailInput(
        attrs={"autocomplete": "email", "autofocus": True}))


class ChoosePasswordForm(SetPasswordForm):
    """Django's password form (its validators judge the password against the account's e-mail)."""

    def __init__(self, account, *args, **kwargs):
        super().__init__(account, *args, **kwargs)
        self.fields["new_password1"].label = _("New password")
        self.fields["new_password2"].label = _("New password again")
        self.fields["new_password1"].widget.attrs["autofocus"] = True

    def save(self, commit=True):  # the service sets the password, in its transaction
        return self.user


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Six-digit code"), max_length=8, widget=forms.TextInput(
        attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*", "autofocus": True}))


class BrandingForm(forms.ModelForm):
    class Meta:
        model = PortalBranding
        fields = ["accent_colour", "welcome"]
        widgets = {"accent_colour": forms.TextInput(attrs={"type": "color"})}
