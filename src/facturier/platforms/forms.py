"""The connection form of Settings → Approved platform; secrets are never shown back (empty keeps them)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from facturier.platforms.models import FlowSyntax, IssuerCategory, PlatformConnection
from facturier.platforms.selectors import platforms_offered

SECRET = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})


class ConnectionForm(forms.Form):
    platform_id = forms.TypedChoiceField(label=_("Approved platform"), coerce=int, choices=())
    client_id = forms.CharField(label=_("Client id"), max_length=255, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}),
                                help_text=_("For a platform signing in with OAuth2 client credentials."))
    client_secret = forms.CharField(label=_("Client secret"), required=False, strip=False, widget=SECRET,
                                    help_text=_("Empty: keep the stored one."))
    bearer_token = forms.CharField(label=_("Access token"), required=False, strip=False, widget=SECRET,
                                   help_text=_("For a platform that gives a fixed bearer token instead. "
                                               "Empty: keep the stored one."))
    organization_id = forms.CharField(label=_("Organization-Id"), max_length=100, required=False,
                                      help_text=_("The identifier under which the platform knows your company, "
                                                  "sent to act on its behalf (as the platform gave it)."))
    siren = forms.CharField(label=_("For the SIREN"), max_length=11, required=False,
                            help_text=_("Empty: your organisation's default connection. A group's other company: "
                                        "its SIREN."))
    siret = forms.CharField(label=_("For the establishment (SIRET)"), max_length=17, required=False,
                            help_text=_("Only for one establishment with its own connection."))
    flow_syntax = forms.ChoiceField(label=_("Invoices sent as"), choices=FlowSyntax.choices,
                                    initial=FlowSyntax.FACTURX)
    issuer_category = forms.ChoiceField(label=_("Your company's category"), choices=IssuerCategory.choices,
                                        initial=IssuerCategory.SME, required=False,
                                        help_text=PlatformConnection._meta.get_field("issuer_category").help_text)
    handles_b2g = forms.BooleanField(label=_("The platform delivers to public buyers (Chorus Pro)"), required=False,
                                     help_text=PlatformConnection._meta.get_field("handles_b2g").help_text)
    enabled = forms.BooleanField(label=_("Use this connection"), required=False, initial=True)
    forget_secrets = forms.BooleanField(label=_("Remove the stored secret and token"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["platform_id"].choices = [(p.pk, p.name) for p in platforms_offered()]

    def values(self) -> dict:
        data = self.cleaned_data
        values = {k: data[k] for k in ("platform_id", "client_id", "organization_id", "siren", "siret",
                                       "flow_syntax", "issuer_category", "handles_b2g", "enabled")}
        for secret in ("client_secret", "bearer_token"):
            if data.get("forget_secrets"):
                values[secret] = ""
            elif data.get(secret):
                values[secret] = data[secret]
        values["issuer_category"] = values["issuer_category"] or IssuerCategory.SME
        return values

    @staticmethod
    def initial_of(connection) -> dict:
        return {"platform_id": connection.platform_id, "client_id": connection.client_id,
                "organization_id": connection.organization_id, "siren": connection.siren, "siret": connection.siret,
                "flow_syntax": connection.flow_syntax, "issuer_category": connection.issuer_category,
                "handles_b2g": connection.handles_b2g, "enabled": connection.enabled}
