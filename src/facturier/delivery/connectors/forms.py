"""The connector form of the settings screen; secrets are never shown back (empty keeps them)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from facturier.delivery.connectors.files import PLACEHOLDERS
from facturier.delivery.connectors.models import DEFAULT_FILE_NAME, ConnectorKind, HttpAuth, HttpMethod
from facturier.parties.models import FileFormat

SECRET = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})


class ConnectorForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=ConnectorKind.choices)
    file_format = forms.ChoiceField(label=_("File format"), choices=FileFormat.choices, initial=FileFormat.FACTURX,
                                    help_text=_("A customer's own preferred format, when set, wins."))
    file_name = forms.CharField(label=_("File name pattern"), max_length=200, initial=DEFAULT_FILE_NAME,
                                help_text=_("Placeholders: %(names)s") % {
                                    "names": ", ".join("{" + p + "}" for p in PLACEHOLDERS)})
    on_issue = forms.BooleanField(label=_("Send each document when it is issued"), required=False)
    on_import = forms.BooleanField(label=_("Send each document when it is imported"), required=False)
    # SFTP
    host = forms.CharField(label=_("SFTP server"), max_length=255, required=False)
    port = forms.IntegerField(label=_("Port"), min_value=1, max_value=65535, initial=22)
    username = forms.CharField(label=_("User"), max_length=255, required=False,
                               widget=forms.TextInput(attrs={"autocomplete": "off"}))
    password = forms.CharField(label=_("Password"), required=False, strip=False, widget=SECRET,
                               help_text=_("Empty: keep the stored one."))
    private_key = forms.CharField(label=_("Private key (OpenSSH or PEM)"), required=False, strip=False,
                                  widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
                                  help_text=_("Instead of a password. Empty: keep the stored one."))
    remote_folder = forms.CharField(label=_("Remote folder"), max_length=255, required=False, initial=".")
    # HTTP
    url = forms.URLField(label=_("URL"), max_length=500, required=False, assume_scheme="https")
    method = forms.ChoiceField(label=_("Method"), choices=HttpMethod.choices, initial=HttpMethod.POST)
    headers = forms.CharField(label=_("Extra headers"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=_("One per line: Name: value"))
    auth = forms.ChoiceField(label=_("Authentication"), choices=HttpAuth.choices, required=False)
    auth_user = forms.CharField(label=_("User (basic)"), max_length=255, required=False)
    auth_secret = forms.CharField(label=_("Token or password"), required=False, strip=False, widget=SECRET,
                                  help_text=_("Empty: keep the stored one."))
    signature_secret = forms.CharField(
        label=_("Signature secret (HMAC-SHA256)"), required=False, strip=False, widget=SECRET,
        help_text=_("Each request carries t=<time>,v1=<HMAC-SHA256 of “time.body”> in the signature header. "
                    "Empty: keep the stored one."))
    signature_header = forms.CharField(label=_("Signature header"), max_length=60, initial="X-Facturier-Signature")
    forget_secrets = forms.BooleanField(label=_("Remove the stored password, key, token and secret"), required=False)

    SFTP_FIELDS = ("host", "port", "username", "password", "private_key", "remote_folder")
    HTTP_FIELDS = ("url", "method", "headers", "auth", "auth_user", "auth_secret", "signature_secret",
                   "signature_header")
    COMMON = ("name", "kind", "file_format", "file_name", "on_issue", "on_import")

    def fieldsets(self):
        return [("common", _("What it sends, and when"), [self[f] for f in self.COMMON]),
                ("sftp", _("SFTP"), [self[f] for f in self.SFTP_FIELDS]),
                ("http", _("HTTP(S)"), [self[f] for f in self.HTTP_FIELDS]),
                ("forget", "", [self["forget_secrets"]])]

    def clean_headers(self) -> dict:
        headers = {}
        for line in (self.cleaned_data.get("headers") or "").splitlines():
            if not line.strip():
                continue
            name, sep, value = line.partition(":")
            if not sep or not name.strip():
                raise forms.ValidationError(_("Write each header as “Name: value”."))
            headers[name.strip()] = value.strip()
        return headers

    def values(self) -> dict:
        data = self.cleaned_data
        values = {f: data[f] for f in self.COMMON}
        values.update({f: data[f] for f in ("host", "username", "url", "method", "headers", "auth_user",
                                            "signature_header")})
        values.update(port=data["port"] or 22, remote_folder=data["remote_folder"] or ".", auth=data["auth"] or "")
        for secret in ("password", "private_key", "auth_secret", "signature_secret"):
            if data.get("forget_secrets"):
                values[secret] = ""
            elif data.get(secret):
                values[secret] = data[secret]
        return values

    @staticmethod
    def initial_of(connector) -> dict:
        initial = {f: getattr(connector, f) for f in (*ConnectorForm.COMMON, "host", "port", "username",
                                                      "remote_folder", "url", "method", "auth", "auth_user",
                                                      "signature_header")}
        initial["headers"] = "\n".join(f"{k}: {v}" for k, v in (connector.headers or {}).items())
        return initial


class ExportForm(forms.Form):
    """The batch trigger: the issued documents of a period, or numbers typed one per line."""

    start = forms.DateField(label=_("Issued from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Issued until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    numbers = forms.CharField(label=_("Or document numbers"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}), help_text=_("One per line."))

    def clean(self):
        data = super().clean()
        if not (data.get("start") or data.get("end") or (data.get("numbers") or "").strip()):
            raise forms.ValidationError(_("Choose a period or type document numbers."))
        return data
