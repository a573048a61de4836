"""Forms of the screens: they parse and check input, services decide."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.template import loader
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from facturier import identifiers
from facturier.accounts.models import (
    DocumentTemplate,
    DueDateRule,
    FacturxProfile,
    Language,
    LegalProfile,
    Right,
    Role,
    SealLevel,
)
from facturier.archive.models import MINIMUM_RETENTION_YEARS
from facturier.invoicing.models import Kind, OperationCategory, PaymentMethod
from facturier.parties.models import Channel, FileFormat
from facturier.web import security
from facturier.web.models import TIME_ZONES


class DateInput(forms.DateInput):
    """The browser's date picker. It reads and writes only ISO dates (2026-12-03): a localised
    value (03/12/2026, the French format) would show as an empty field."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class AmountField(forms.DecimalField):
    """A decimal typed the French or the English way: "1 234,50" and "1234.50" are the same amount."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        kwargs.setdefault("localize", True)  # shown back as the screen's language writes it: 690,00 in French
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
            if "," in value and "." not in value:
                value = value.replace(",", ".")
        return super().to_python(value)


# --- sign-in -------------------------------------------------------------------------------------


class EmailLoginForm(AuthenticationForm):
    """E-mail and password, with the throttle of `security` (per e-mail and address, per address, per e-mail)."""

    username = forms.EmailField(label=_("E-mail address"), widget=forms.EmailInput(
        attrs={"autofocus": True, "autocomplete": "username"}))

    error_messages = {
        "invalid_login": _("The e-mail address or the password is wrong. Try again, or reset your password."),
        "inactive": _("This account is disabled."),
    }

    def clean(self):
        email = (self.data.get("username") or "").strip().lower()
        ip = security.client_ip(self.request) if self.request else "-"
        refusal = security.sign_in_refusal(email, ip)
        if refusal is not None:
            minutes = max(1, (refusal.seconds + 59) // 60)
            if refusal.reason == "account":
                raise ValidationError(
                    _("Many failed attempts on this account: wait %(seconds)d seconds before the next try, "
                      "or reset your password.") % {"seconds": refusal.seconds}, code="slowed")
            if refusal.reason == "address":
                raise ValidationError(
                    _("Too many failed attempts from your network: sign-in is blocked for %(minutes)d more "
                      "minutes.") % {"minutes": minutes}, code="locked")
            raise ValidationError(
                _("Too many failed attempts: sign-in with this e-mail is locked for %(minutes)d more minutes. "
                  "You can reset your password meanwhile.") % {"minutes": minutes},
                code="locked")
        try:
            cleaned = super().clean()
        except ValidationError:
            left = security.sign_in_failed(email, ip)
            if left == 0:
                raise ValidationError(
                    _("Too many failed attempts: sign-in with this e-mail is locked for %(minutes)d minutes.")
                    % {"minutes": security.LOCK_SECONDS // 60}, code="locked")
            raise
        security.sign_in_succeeded(email, ip)
        return cleaned


class PlatformPasswordResetForm(PasswordResetForm):
    """Django's reset form, sending through the platform's mail (the catcher in the embedded setup) and
    failing aloud: Django's own logs a failure and shows the "sent" page all the same."""

    def save(self, *args, **kwargs):
        from facturier.delivery.platform_mail import platform_mail_ready

        # Tried before the address is looked up, so a server that does not answer is said to everyone alike.
        platform_mail_ready(organisation_id=None).close()
        return super().save(*args, **kwargs)

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        from facturier.delivery.platform_mail import platform_send

        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        membership = context["user"].memberships.filter(is_active=True).order_by("id").first()
        platform_send(EmailMessage(subject, body, from_email, [to_email], headers={"Auto-Submitted": "auto-generated"}),
                      organisation_id=membership.organisation_id if membership else None)


class TokenForm(forms.Form):
    token = forms.RegexField(label=_("Six-digit code"), regex=r"^\s*\d{6}\s*$", max_length=8,
                             error_messages={"invalid": _("Type the six digits shown by your app.")},
                             widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                                                           "autofocus": True, "pattern": r"\d{6}"}))

    def clean_token(self):
        return self.cleaned_data["token"].strip()


# --- dashboard ------------------------------------------------------------------------------------

PERIODS = [
    ("", _("Any date")), ("day", _("Today")), ("week", _("This week")), ("month", _("This month")),
    ("quarter", _("This quarter")), ("half", _("This half-year")), ("year", _("This year")),
    ("custom", _("Custom dates")),
]
SORTS = [
    ("-date", _("Date, newest first")), ("date", _("Date, oldest first")),
    ("-number", _("Number, highest first")), ("number", _("Number, lowest first")),
    ("customer", _("Customer A→Z")), ("-customer", _("Customer Z→A")),
    ("-amount", _("Amount, highest first")), ("amount", _("Amount, lowest first")),
    ("due", _("Due date, soonest first")), ("-due", _("Due date, latest first")),
]


def period_bounds(preset: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The current day, week, month, quarter, half-year or year around `today`."""
    if preset == "day":
        return today, today
    if preset == "week":
        start = today - dt.timedelta(days=today.weekday())
        return start, start + dt.timedelta(days=6)
    if preset in ("month", "quarter", "half", "year"):
        months = {"month": 1, "quarter": 3, "half": 6, "year": 12}[preset]
        first_month = (today.month - 1) // months * months + 1
        start = dt.date(today.year, first_month, 1)
        end_month = first_month + months
        end = (dt.date(today.year + 1, 1, 1) if end_month > 12 else dt.date(today.year, end_month, 1))
        return start, end - dt.timedelta(days=1)
    return None


class DashboardFilterForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    customer = forms.CharField(label=_("Customer code starts with"), required=False, max_length=30)
    amount_min = AmountField(label=_("Amount from"), required=False, max_digits=18, decimal_places=2,
                                    help_text=_("Incl. VAT; negative for credit notes"))
    amount_max = AmountField(label=_("Amount to"), required=False, max_digits=18, decimal_places=2)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[
        ("", _("All")), ("draft", _("Drafts")), ("issued", _("Issued")), ("unpaid", _("Unpaid")),
        ("paid", _("Paid")), ("bad_debt", _("Bad debts"))])
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *Kind.choices])
    archive = forms.ChoiceField(label=_("Archive"), required=False, choices=[
        ("", _("Any")), ("not_archived", _("Issued, not archived yet")),
        ("purged", _("Files purged (retention over)"))])
    accounted = forms.ChoiceField(label=_("Accounting"), required=False, choices=[
        ("", _("Any")), ("accounted", _("Accounted")), ("not_accounted", _("Issued, not accounted yet"))])
    platform = forms.ChoiceField(label=_("Platform status"), required=False, choices=[
        ("", _("Any")), ("waiting", _("Handed to the platform, no status yet")),
        ("problem", _("Rejected or refused")), ("200", _("200 Deposited")), ("202", _("202 Received")),
        ("204", _("204 In process")), ("205", _("205 Approved")), ("207", _("207 In dispute")),
        ("210", _("210 Refused")), ("212", _("212 Cashed")), ("213", _("213 Rejected")),
        ("221", _("221 Routing error")), ("501", _("501 Inadmissible")),
        (_("Chorus Pro"), [("DEPOSEE", _("Deposited")), ("MISE_A_DISPOSITION", _("Made available to the buyer")),
                           ("SUSPENDUE", _("Suspended")), ("A_RECYCLER", _("To be recycled")),
                           ("REJETEE", _("Rejected")), ("IRRECEVABLE", _("Flow not admissible")),
                           ("SERVICE_FAIT", _("Service done")), ("MANDATEE", _("Payment ordered")),
                           ("MISE_EN_PAIEMENT", _("Payment made"))])])
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORTS)

    def __init__(self, *args, archive: bool = True, accounting: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not archive:
            del self.fields["archive"]
        if not accounting:
            del self.fields["accounted"]

    def clean(self):
        data = super().clean()
        lo, hi = data.get("amount_min"), data.get("amount_max")
        if lo is not None and hi is not None and lo > hi:
            self.add_error("amount_max", _("The upper amount must not be below the lower one."))
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return data

    def period_range(self, today: dt.date) -> tuple[dt.date, dt.date] | None:
        data = self.cleaned_data
        preset = data.get("period") or ""
        if preset and preset != "custom":
            return period_bounds(preset, today)
        start, end = data.get("date_from"), data.get("date_to")
        if start or end:
            return start or dt.date(1900, 1, 1), end or dt.date(9999, 12, 31)
        return None


# --- settlement -----------------------------------------------------------------------------------


class PaymentForm(forms.Form):
    date = forms.DateField(label=_("Payment date"), widget=DateInput())
    amount = AmountField(label=_("Amount"), max_digits=18, decimal_places=2, min_value=Decimal("0.01"))
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound and "confirm_overpayment" in self.data:
            self.ask_confirmation()

    def ask_confirmation(self) -> None:
        """The confirmation box, shown once the service refused an unconfirmed over-payment."""
        self.fields["confirm_overpayment"] = forms.BooleanField(
            label=_("I confirm the over-payment: the excess is owed to the customer (to refund or to use)"),
            required=False)


class CancelPaymentForm(forms.Form):
    reason = forms.CharField(label=_("Why is this payment cancelled?"), max_length=300)


class WriteOffForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=300,
                             help_text=_("e.g. liquidation of the customer, judgement of 12 March"))


# --- editor ---------------------------------------------------------------------------------------

VAT_CATEGORIES = [("S", _("S — standard rate")), ("Z", _("Z — zero rate")), ("E", _("E — exempt")),
                  ("AE", _("AE — reverse charge")), ("K", _("K — intra-EU supply")),
                  ("G", _("G — export outside the EU")), ("O", _("O — outside the scope of VAT"))]
LINE_FIELDS = ("name", "quantity", "unit", "unit_price", "vat_category", "vat_rate", "discount_percent",
               "exemption_reason", "description", "family")


class DocumentHeaderForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[(k, label) for k, label in Kind.choices
                                                        if k in (Kind.INVOICE, Kind.DEPOSIT)])
    customer_id = forms.IntegerField(label=_("Customer"), widget=forms.HiddenInput,
                                     error_messages={"required": _("Choose a customer.")})
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DateInput(),
                               help_text=_("Empty: from the customer's payment terms at issue."))
    delivery_date = forms.DateField(label=_("Delivery date"), required=False,
                                    widget=DateInput())
    operation_category = forms.ChoiceField(label=_("Operation category"), choices=OperationCategory.choices)
    language = forms.ChoiceField(label=_("Document language"), required=False,
                                 choices=[("", _("The customer's language")), *Language.choices])
    purchase_order = forms.CharField(label=_("Purchase order"), max_length=100, required=False)
    buyer_reference = forms.CharField(label=_("Buyer reference"), max_length=100, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    HEADER = ("due_date", "delivery_date", "operation_category", "language", "purchase_order", "buyer_reference",
              "note")

    def __init__(self, *args, document=None, **kwargs):
        super().__init__(*args, **kwargs)
        if document is not None:
            # A saved draft keeps its kind (a credit note comes from its invoice). A disabled field is not
            # posted: Django takes its initial value, so the form never asks for what it locks.
            kind = self.fields["kind"]
            kind.disabled, kind.required, kind.initial = True, False, document.kind
            kind.choices = [(document.kind, document.get_kind_display())]

    def header(self) -> dict:
        header = {name: (self.cleaned_data.get(name) if name in ("due_date", "delivery_date")
                         else self.cleaned_data.get(name) or "") for name in self.HEADER}
        if not header["language"]:
            del header["language"]
        return header


def lines_from_post(data) -> list[dict[str, str]]:
    """The lines as typed, in the order shown (rows may have been removed, so indexes have gaps)."""
    indexes = sorted({int(key.split("-")[1]) for key in data if key.startswith("line-") and key.count("-") == 2
                      and key.split("-")[1].isdigit()})
    rows = []
    for i in indexes:
        row = {name: (data.get(f"line-{i}-{name}") or "").strip() for name in LINE_FIELDS}
        if row["name"] or row["unit_price"]:
            rows.append(row)
    return rows


def _number_text(value: str) -> str:
    """ "1 234,50" → "1234.50"; anything else stays as typed, for the services to word the error."""
    return value.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")


def line_inputs(rows: list[dict[str, str]]) -> list[dict]:
    """Rows as the services take them; numbers stay strings so the services word the errors."""
    out = []
    for typed in rows:
        row = {**typed, **{name: _number_text(typed[name]) for name in ("quantity", "unit_price", "vat_rate",
                                                                          "discount_percent")}}
        category = row["vat_category"] or "S"
        out.append({
            "name": row["name"], "quantity": row["quantity"] or "", "unit": row["unit"] or "C62",
            "unit_price": row["unit_price"] or "", "vat_category": category,
            "vat_rate": None if category == "O" else (row["vat_rate"] if row["vat_rate"] != "" else
                                                      ("20" if category == "S" else "0")),
            "discount_percent": row["discount_percent"] or "0", "exemption_reason": row["exemption_reason"],
            "description": row["description"], "family": row.get("family", ""),
        })
    return out


# --- customers ------------------------------------------------------------------------------------


class CustomerForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=30)
    name = forms.CharField(label=_("Name"), max_length=200)
    siren = forms.CharField(label=_("SIREN"), max_length=9, required=False)
    siret = forms.CharField(label=_("SIRET"), max_length=14, required=False)
    vat_number = forms.CharField(label=_("Intra-EU VAT number"), max_length=20, required=False)
    foreign_identifier_scheme = forms.RegexField(
        label=_("Foreign identifier: scheme"), regex=r"^\d{4}$", max_length=4, required=False,
        error_messages={"invalid": _("An ISO 6523 scheme is four digits, e.g. 0183 for a Swiss UID.")},
        help_text=_("ISO 6523 code: 0183 Swiss UID, 0088 GLN, 0060 DUNS, 0208 Belgian company number."))
    foreign_identifier = forms.CharField(label=_("Foreign identifier: value"), max_length=50, required=False,
                                         help_text=_("For a customer outside France without SIREN, "
                                                     "e.g. CHE-123.456.789."))
    language = forms.ChoiceField(label=_("Language"), required=False,
                                 choices=[("", _("Organisation default")), *Language.choices])
    payment_terms_days = forms.IntegerField(label=_("Payment terms (days)"), required=False, min_value=0,
                                            max_value=365)
    due_date_rule = forms.ChoiceField(label=_("Due-date rule"), required=False,
                                      choices=[("", _("Organisation default")), *DueDateRule.choices])
    preferred_channel = forms.ChoiceField(label=_("Preferred channel"), choices=Channel.choices)
    preferred_connector_id = forms.TypedChoiceField(
        label=_("Export connector"), required=False, coerce=int, empty_value=None, choices=[("", "—")],
        help_text=_("With the channel “export connector”: the connector its documents go through."))
    preferred_format = forms.ChoiceField(
        label=_("Preferred file format"), required=False,
        choices=[("", _("The connector's own format")), *FileFormat.choices],
        help_text=_("The file its connector sends, e.g. XRechnung (UBL) for a German public buyer."))
    is_public_sector = forms.BooleanField(label=_("Public sector (Chorus Pro)"), required=False)
    chorus_service_code = forms.CharField(label=pgettext_lazy("form label", "Chorus Pro service code"), max_length=100,
                                          required=False)
    buyer_reference = forms.CharField(
        label=_("Default buyer reference"), max_length=100, required=False,
        help_text=_("BT-10, copied into its new documents, e.g. the Leitweg-ID of a German public buyer. "
                    "Required when its file format is XRechnung."))
    document_template = forms.ChoiceField(
        label=_("Document model"), required=False,
        choices=[("", _("Automatic (Chorus Pro for the public sector)")), *DocumentTemplate.choices])
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    FIELDS = ("code", "name", "siren", "siret", "vat_number", "foreign_identifier_scheme", "foreign_identifier",
              "language", "payment_terms_days", "due_date_rule", "preferred_channel", "preferred_connector_id",
              "preferred_format", "is_public_sector", "chorus_service_code", "buyer_reference", "document_template",
              "notes")

    def __init__(self, *args, organisation=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisation is not None:
            from facturier.delivery.models import Connector

            self.fields["preferred_connector_id"].choices = [("", "—"), *Connector.objects.filter(
                organisation=organisation).order_by("name").values_list("pk", "name")]

    def clean_vat_number(self):
        """An EU VAT number, checked here so a number of another kind gets its own advice, not an error page."""
        value = (self.cleaned_data.get("vat_number") or "").replace(" ", "").upper()
        if not value:
            return value
        if not identifiers.is_eu_vat_prefix(value[:2]):
            raise ValidationError(
                _("%(value)s is not an intra-EU VAT number. For a customer outside the EU, leave this field empty "
                  "and enter its number as a foreign identifier below (for a Swiss UID: scheme 0183, value "
                  "CHE-123.456.789)."), code="not_eu_vat", params={"value": value})
        identifiers.validate_vat(value)
        return value

    def clean(self):
        data = super().clean()
        scheme, value = data.get("foreign_identifier_scheme"), data.get("foreign_identifier")
        if scheme and not value:
            self.add_error("foreign_identifier", _("Type the identifier of this scheme, or empty the scheme."))
        elif value and not scheme and "foreign_identifier_scheme" not in self.errors:
            self.add_error("foreign_identifier_scheme", _("Choose the scheme of this identifier (four digits)."))
        return data

    def values(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in self.FIELDS}
        for name in ("siren", "siret"):
            data[name] = (data[name] or "").replace(" ", "")
        data["vat_number"] = data["vat_number"] or ""
        data["foreign_identifier_scheme"] = data["foreign_identifier_scheme"] or ""
        data["foreign_identifier"] = (data["foreign_identifier"] or "").strip()
        data["preferred_format"] = data["preferred_format"] or ""
        return data


class AddressForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("billing", _("Billing")), ("delivery", _("Delivery"))])
    effective_from = forms.DateField(label=_("Effective from"), widget=DateInput())
    line1 = forms.CharField(label=_("Address"), max_length=200)
    line2 = forms.CharField(label=_("Address (continued)"), max_length=200, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=100)
    country = forms.CharField(label=_("Country (ISO code)"), max_length=2, initial="FR")

    ADDRESS = ("line1", "line2", "postcode", "city", "country")

    def address(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.ADDRESS}
        data["country"] = data["country"].upper()
        return data


class NewCustomerForm(CustomerForm):
    effective_from = forms.DateField(label=_("Address effective from"), initial=timezone.localdate,
                                     widget=DateInput())
    line1 = forms.CharField(label=_("Billing address"), max_length=200)
    line2 = forms.CharField(label=_("Address (continued)"), max_length=200, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=100)
    country = forms.CharField(label=_("Country (ISO code)"), max_length=2, initial="FR")
    contact_email = forms.EmailField(label=_("Invoicing e-mail"), required=False)

    def address(self) -> dict:
        data = {name: self.cleaned_data[name] for name in AddressForm.ADDRESS}
        data["country"] = data["country"].upper()
        return data


# --- settings -------------------------------------------------------------------------------------

LOGO_MAX_BYTES = 512 * 1024


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    default_language = forms.ChoiceField(label=_("Default language"), choices=Language.choices)
    payment_terms_days = forms.IntegerField(label=_("Payment terms (days)"), min_value=0, max_value=365)
    due_date_rule = forms.ChoiceField(label=_("Due-date rule"), choices=DueDateRule.choices)
    late_penalty_rate = AmountField(label=_("Late-penalty rate (% per year)"), max_digits=6, decimal_places=2,
                                    min_value=0)
    facturx_profile = forms.ChoiceField(label=pgettext_lazy("form label", "Factur-X profile"),
                                        choices=FacturxProfile.choices)
    sealing_enabled = forms.BooleanField(label=_("Seal issued documents (PAdES)"), required=False)
    sealing_level = forms.ChoiceField(label=pgettext_lazy("form label", "Seal level"), choices=SealLevel.choices)
    tsa_url = forms.URLField(label=_("Time-stamp authority URL (RFC 3161)"), required=False, assume_scheme="https",
                             help_text=_("Empty: the platform's built-in authority."))
    logo = forms.ImageField(label=_("Logo (PNG or JPEG, 512 KB at most)"), required=False)
    document_template = forms.ChoiceField(
        label=_("Document model"), choices=DocumentTemplate.choices, required=False,
        help_text=_("Public-sector customers get the Chorus Pro model unless their record says otherwise."))
    custom_template = forms.CharField(label=_("Own template (Typst)"), required=False,
                                      widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}))
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONES, required=False,  # absent: unchanged
                                  help_text=_("Every date and time on the screens is shown in it."))

    FIELDS = ("name", "default_language", "payment_terms_days", "due_date_rule", "late_penalty_rate",
              "facturx_profile", "sealing_enabled", "sealing_level", "tsa_url", "document_template",
              "custom_template")
    SEAL_FIELDS = ("facturx_profile", "sealing_enabled", "sealing_level", "tsa_url")

    def clean_document_template(self):
        return self.cleaned_data.get("document_template") or DocumentTemplate.STANDARD  # a select always posts one

    def clean(self):
        data = super().clean()
        if data.get("document_template") == DocumentTemplate.CUSTOM and not (data.get("custom_template") or "").strip():
            self.add_error("custom_template", _("Write the template, or choose another model."))
        return data

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo:
            if logo.size > LOGO_MAX_BYTES:
                raise ValidationError(_("The logo is too large (%(size)d KB): 512 KB at most.")
                                      % {"size": logo.size // 1024})
            image = getattr(logo, "image", None)
            if image is not None and image.format not in ("PNG", "JPEG"):
                raise ValidationError(_("Use a PNG or JPEG image."))
        return logo


class LegalProfileForm(forms.ModelForm):
    class Meta:
        model = LegalProfile
        fields = ("effective_from", "legal_name", "legal_form", "share_capital", "siren", "siret", "vat_number",
                  "registration", "address_line1", "address_line2", "postcode", "city", "country", "contact_name",
                  "email", "phone", "iban", "bic")
        widgets = {"effective_from": DateInput()}

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class SeriesForm(forms.Form):
    code = forms.RegexField(label=_("Code"), max_length=10, regex=r"^[A-Z0-9]{1,10}$",
                            error_messages={"invalid": _("Capital letters and digits only, e.g. FA or AV.")})
    name = forms.CharField(label=_("Name"), max_length=100)
    prefix = forms.CharField(label=_("Prefix"), max_length=20, required=False,
                             help_text=_("{year} is replaced by the issue year, e.g. FA-{year}-"))
    padding = forms.IntegerField(label=_("Digits"), min_value=1, max_value=12, initial=6)


class CertificateForm(forms.Form):
    file = forms.FileField(label=_("Certificate (PKCS#12: .p12 or .pfx)"))
    password = forms.CharField(label=_("Password of the file"), widget=forms.PasswordInput, required=False,
                               strip=False)
    label = forms.CharField(label=_("Label"), max_length=200, required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 64 * 1024:
            raise ValidationError(_("A PKCS#12 certificate is a few kilobytes; this file is too large."))
        return upload


class MemberForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class RightsForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args, form_id: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for right in Right:
            self.fields[right.value] = forms.BooleanField(label=right.label, required=False)
        if form_id:  # the inputs sit in a table row, outside their <form>
            for field in self.fields.values():
                field.widget.attrs["form"] = form_id


class SecurityForm(forms.Form):
    require_2fa = forms.BooleanField(label=_("Two-factor authentication mandatory for every member"),
                                     required=False)


# --- mail (delivery app) ----------------------------------------------------------------------------

SECURITY_CHOICES = [("starttls", _("STARTTLS (usually port 587)")), ("tls", _("TLS from the start (usually port 465)")),
                    ("none", _("None — plain text (test servers only)"))]
IMAP_SECURITY_CHOICES = [("tls", _("TLS from the start (usually port 993)")),
                         ("starttls", _("STARTTLS (usually port 143)")),
                         ("none", _("None — plain text (test servers only)"))]
DUPLICATE_CHOICES = [("warn", _("Warn, and send all the same")), ("block", _("Block: do not send it"))]
ATTACH_XML_CHOICES = [("", _("No: the Factur-X PDF only (its XML is inside)")),
                      ("cii", _("Yes, the CII XML (UN/CEFACT)")), ("ubl", _("Yes, the UBL XML (OASIS)"))]


_MAIL_SECRETS = ("password", "imap_password")
"""The mail settings' passwords, each with its "forget_" box: never shown back, changed apart."""


def _server_name(value: str) -> str:
    host = value.strip()
    if any(c.isspace() for c in host) or "/" in host or ":" in host:
        raise ValidationError(_("Type the server name only, e.g. smtp.example.com — no “smtp://”, port or "
                                "spaces."))
    return host


class MailSettingsForm(forms.Form):
    """The organisation's SMTP server and sender, its bounce mailbox and the sending options;
    the passwords are never shown back."""

    # Sending
    host = forms.CharField(label=pgettext_lazy("form label", "SMTP server"), max_length=255,
                           help_text=_("e.g. smtp.example.com"))
    port = forms.IntegerField(label=_("Port"), min_value=1, max_value=65535, initial=587)
    security = forms.ChoiceField(label=_("Security"), choices=SECURITY_CHOICES, initial="starttls")
    username = forms.CharField(label=_("User"), max_length=255, required=False,
                               widget=forms.TextInput(attrs={"autocomplete": "off"}))
    password = forms.CharField(label=_("Password"), required=False, strip=False,
                               widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}))
    forget_password = forms.BooleanField(label=_("Remove the stored password"), required=False)
    sender_name = forms.CharField(label=_("Sender name"), max_length=200, required=False,
                                  help_text=_("What recipients see, e.g. Acme — Invoicing"))
    sender_address = forms.EmailField(label=_("Sender address"))
    reply_to = forms.EmailField(label=_("Reply-to address"), required=False,
                                help_text=_("Empty: replies go to the sender address."))
    # Bounces
    bounce_address = forms.EmailField(
        label=_("Bounce address (return path)"), required=False,
        help_text=_("Undeliverable messages come back here. Each message goes out as bounce+code@domain so the "
                    "bounce finds its invoice: the mailbox below must receive these “+” addresses. Empty: "
                    "bounce@ the sender's domain."))
    imap_host = forms.CharField(label=_("IMAP server"), max_length=255, required=False,
                                help_text=_("The mailbox that receives the bounces, e.g. imap.example.com. Empty: "
                                            "bounces are not read."))
    imap_port = forms.IntegerField(label=_("IMAP port"), min_value=1, max_value=65535, initial=993)
    imap_security = forms.ChoiceField(label=_("IMAP security"), choices=IMAP_SECURITY_CHOICES, initial="tls")
    imap_username = forms.CharField(label=_("IMAP user"), max_length=255, required=False,
                                    widget=forms.TextInput(attrs={"autocomplete": "off"}))
    imap_password = forms.CharField(
        label=_("IMAP password"), required=False, strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}))
    forget_imap_password = forms.BooleanField(label=_("Remove the stored IMAP password"), required=False)
    imap_folder = forms.CharField(label=_("IMAP folder"), max_length=100, required=False, initial="INBOX",
                                  help_text=_("Where the bounces arrive. Empty: INBOX."))
    # Options
    correction_delay_days = forms.IntegerField(
        label=_("Days to correct a bounced address"), min_value=0, max_value=365, initial=8,
        help_text=_("After a bounce, how many days you have to correct the address before the document goes by "
                    "post. 0: by post at once."))
    duplicate_policy = forms.ChoiceField(
        label=_("Possible duplicates"), choices=DUPLICATE_CHOICES, initial="warn",
        help_text=_("When a document looks like one already sent to the same customer: same number, or same amount "
                    "and date."))
    attach_xml = forms.ChoiceField(
        label=_("Attach the XML as a separate file"), choices=ATTACH_XML_CHOICES, required=False, initial="",
        help_text=_("For customers whose software reads a CII or UBL file rather than the Factur-X PDF."))
    read_receipts = forms.BooleanField(
        label=_("Ask for a read receipt"), required=False,
        help_text=_("The recipient's mail program may ask them, or ignore it: a missing receipt proves nothing."))

    FIELDSETS = (
        ("sending", _("Sending"), ("host", "port", "security", "username", "password", "forget_password",
                                   "sender_name", "sender_address", "reply_to")),
        ("bounces", _("Bounces"), ("bounce_address", "imap_host", "imap_port", "imap_security", "imap_username",
                                   "imap_password", "forget_imap_password", "imap_folder")),
        ("options", _("Options"), ("correction_delay_days", "duplicate_policy", "attach_xml", "read_receipts")),
    )
    FIELDS = tuple(name for _anchor, _legend, names in FIELDSETS for name in names
                   if name not in _MAIL_SECRETS and not name.startswith("forget_"))
    """The settings' own values; the passwords go through `password_change` and `imap_password_change`."""

    def __init__(self, *args, has_password: bool = False, has_imap_password: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for name, stored in zip(_MAIL_SECRETS, (has_password, has_imap_password), strict=True):
            self.fields[name].help_text = (
                _("A password is stored (encrypted). Leave empty to keep it, or type a new one.") if stored
                else _("No password stored yet."))
            if not stored:  # nothing stored, nothing to remove: the box is not offered
                del self.fields[f"forget_{name}"]

    def fieldsets(self):
        """(anchor, legend, bound fields) of each group, in the order of the screen."""
        return [(anchor, legend, [self[name] for name in names if name in self.fields])
                for anchor, legend, names in self.FIELDSETS]

    def clean_host(self):
        return _server_name(self.cleaned_data["host"])

    def clean_imap_host(self):
        return _server_name(self.cleaned_data["imap_host"]) if self.cleaned_data["imap_host"] else ""

    def clean_imap_folder(self):
        return self.cleaned_data["imap_folder"].strip() or "INBOX"

    def clean(self):
        data = super().clean()
        if data.get("imap_host") and not data.get("imap_username"):
            self.add_error("imap_username", _("Type the user of the bounce mailbox, or empty the IMAP server to "
                                              "not read bounces."))
        return data

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}

    def _secret_change(self, name: str) -> str | None:
        """None keeps the stored password, "" removes it, anything else replaces it."""
        if self.cleaned_data.get(f"forget_{name}"):
            return ""
        return self.cleaned_data.get(name) or None

    def password_change(self) -> str | None:
        return self._secret_change("password")

    def imap_password_change(self) -> str | None:
        return self._secret_change("imap_password")


class MailTemplateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Message"), choices=[])
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(label=_("Body"), widget=forms.Textarea(attrs={"rows": 14}))
    document = forms.IntegerField(label=_("Preview with the document"), required=False, widget=forms.Select)

    def __init__(self, *args, kinds=(), documents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = list(kinds)
        self.fields["document"].widget.choices = [("", _("The latest issued document")), *documents]

    def clean_subject(self):
        subject = self.cleaned_data["subject"]
        if "\n" in subject or "\r" in subject:
            raise ValidationError(_("A subject is one line."))
        return subject


class ConsentCampaignForm(forms.Form):
    """Which customers receive the consent letter (lettre de dématérialisation)."""

    code = forms.CharField(label=_("Customer code"), max_length=30, required=False)
    code_prefix = forms.CharField(label=_("Code starts with"), max_length=30, required=False)
    invoiced_from = forms.DateField(label=_("Invoiced from"), required=False,
                                    widget=DateInput())
    invoiced_to = forms.DateField(label=_("Invoiced until"), required=False,
                                  widget=DateInput())
    include_already_sent = forms.BooleanField(label=_("Include customers already sent the letter"), required=False)
    include_without_email = forms.BooleanField(label=_("Include customers without an e-mail address (printed "
                                                       "letter)"), required=False)
    order = forms.ChoiceField(label=_("Sort by"), choices=[("code", _("Code")), ("name", _("Name"))],
                              required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("invoiced_from"), data.get("invoiced_to")
        if start and end and start > end:
            self.add_error("invoiced_to", _("The end date must not be before the start date."))
        return data

    def invoiced_between(self) -> tuple[dt.date, dt.date] | None:
        start, end = self.cleaned_data.get("invoiced_from"), self.cleaned_data.get("invoiced_to")
        if start or end:
            return start or dt.date(1900, 1, 1), end or dt.date(9999, 12, 31)
        return None


# --- archive ----------------------------------------------------------------------------------------

class ArchivePolicyForm(forms.Form):
    retention_years = forms.IntegerField(
        label=_("Keep archived documents for (years)"), min_value=MINIMUM_RETENTION_YEARS, max_value=99,
        error_messages={"min_value": _("Tax law requires at least 6 years (art. L102 B of the Livre des "
                                       "procédures fiscales): type 6 or more.")},
        help_text=_("At least 6 years; 10 is the usual choice for invoices. Applies to documents archived from now "
                    "on."))
    subscription_anniversary = forms.DateField(
        label=_("Subscription start date"), required=False, widget=DateInput(),
        help_text=_("The counters restart on this day each year. Empty: the organisation's creation date."))
