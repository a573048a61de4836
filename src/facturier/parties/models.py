"""Customers, their contacts and addresses with history, and their e-invoicing consent."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from facturier import identifiers
from facturier.accounts.models import DocumentTemplate, DueDateRule, Language, Organisation
from facturier.engine.en16931.countries import country_name

code_validator = RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,29}$",
                                _("Letters, digits, dot, dash and underscore only (30 at most)."))


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PORTAL = "portal", _("Customer portal")
    POST = "post", _("Post")
    PLATFORM = "platform", _("Approved platform (PA)")
    CHORUS = "chorus", _("Chorus Pro")
    CONNECTOR = "connector", _("Export connector (SFTP, HTTP)")


class FileFormat(models.TextChoices):
    """The file a receiver takes: the Factur-X PDF, or an XML adaptation (S2.9) of the same invoice."""

    FACTURX = "facturx", _("Factur-X PDF")
    CII = "cii", _("CII (EN 16931)")
    CII_FR = "cii_fr", _("CII (French CIUS)")
    UBL = "ubl", _("UBL (EN 16931)")
    UBL_PEPPOL = "ubl_peppol", _("UBL Peppol BIS 3")
    UBL_FR = "ubl_fr", _("UBL (French CIUS)")
    XRECHNUNG_UBL = "xrechnung_ubl", _("XRechnung (UBL)")
    XRECHNUNG_CII = "xrechnung_cii", _("XRechnung (CII)")


XRECHNUNG_FORMATS = frozenset({FileFormat.XRECHNUNG_UBL, FileFormat.XRECHNUNG_CII})
"""Formats whose rules (BR-DE-*) need more than EN 16931: a buyer reference, a seller contact, payment means."""


class ConsentOrigin(models.TextChoices):
    LINK = "link", _("Link in the consent letter")
    PORTAL = "portal", _("Customer portal")
    MANUAL = "manual", _("Set by hand")
    IMPORT = "import", _("Import")


class Customer(models.Model):
    """A buyer of an organisation (BG-7), identified by a code unique in that organisation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="customers",
                                     verbose_name=_("organisation"))
    code = models.CharField(_("code"), max_length=30, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, validators=[identifiers.validate_siren])
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[identifiers.validate_siret])
    vat_number = models.CharField(_("intra-EU VAT number"), max_length=20, blank=True,
                                  validators=[identifiers.validate_vat])
    foreign_identifier = models.CharField(_("foreign identifier"), max_length=50, blank=True,
                                          help_text=_("For a buyer outside France without SIREN"))
    foreign_identifier_scheme = models.CharField(
        _("foreign identifier scheme"), max_length=4, blank=True,
        validators=[RegexValidator(r"^\d{4}$", _("An ISO 6523 ICD: four digits, e.g. 0088 for GLN."))])
    electronic_address = models.CharField(
        _("electronic invoicing address"), max_length=125, blank=True,
        help_text=_("BT-49. Empty: the SIREN (scheme 0225) for a French company, else the invoicing e-mail."))
    electronic_address_scheme = models.CharField(_("electronic address scheme"), max_length=4, blank=True,
                                                 help_text=_("e.g. 0225 (SIREN-based), 0088 (GLN), EM (e-mail)"))
    is_public_sector = models.BooleanField(_("public sector"), default=False,
                                           help_text=_("Invoices go through Chorus Pro"))
    chorus_service_code = models.CharField(_("Chorus Pro service code"), max_length=100, blank=True)
    buyer_reference = models.CharField(
        _("buyer reference"), max_length=100, blank=True,
        help_text=_("BT-10, copied into its new documents: e.g. the Leitweg-ID of a German public buyer. "
                    "Required on every document when its file format is XRechnung."))
    document_template = models.CharField(
        _("document model"), max_length=10, choices=DocumentTemplate.choices, blank=True,
        help_text=_("Empty: Chorus Pro for a public-sector customer, else the organisation's model"))
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, blank=True,
                                help_text=_("Empty: the organisation's default language"))
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), null=True, blank=True,
                                                          help_text=_("Empty: the organisation's default"))
    due_date_rule = models.CharField(_("due-date rule"), max_length=12, choices=DueDateRule.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # E-invoicing consent: accepted unless refused (the default since the 2026 reform's letters).
    consent_letter_sent_on = models.DateField(_("consent letter sent on"), null=True, blank=True)
    consent_refused_on = models.DateField(_("refused e-invoicing on"), null=True, blank=True)
    consent_refusal_origin = models.CharField(_("origin of the refusal"), max_length=10,
                                              choices=ConsentOrigin.choices, blank=True)
    preferred_channel = models.CharField(_("preferred channel"), max_length=10, choices=Channel.choices,
                                         default=Channel.EMAIL)
    preferred_format = models.CharField(
        _("preferred file format"), max_length=16, choices=FileFormat.choices, blank=True,
        help_text=_("The file its export connector sends. Empty: the connector's own format."))
    preferred_connector = models.ForeignKey(
        "delivery.Connector", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("export connector"),
        help_text=_("With the channel “export connector”: the connector its documents go through."))
    is_archived = models.BooleanField(_("archived"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["organisation", "code"]
        constraints = [models.UniqueConstraint(
            fields=["organisation", "code"], name="customer_code_unique",
            violation_error_message=_("This customer code is already used; choose another one."))]
        indexes = [models.Index(fields=["organisation", "name"], name="customer_org_name")]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def receives_xrechnung(self) -> bool:
        """Its documents leave as XRechnung: its own file format, or (none chosen) its connector's."""
        file_format = self.preferred_format
        if not file_format and self.preferred_channel == Channel.CONNECTOR and self.preferred_connector_id:
            file_format = self.preferred_connector.file_format
        return file_format in XRECHNUNG_FORMATS

    @property
    def accepts_einvoices(self) -> bool:
        return self.consent_refused_on is None

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        identifiers.check_siret_matches_siren(self.siren, self.siret)
        identifiers.check_vat_matches_siren(self.siren, self.vat_number)
        if self.preferred_connector_id and self.preferred_connector.organisation_id != self.organisation_id:
            raise ValidationError({"preferred_connector": _("This connector belongs to another organisation.")})
        if self.preferred_channel == Channel.CONNECTOR and not self.preferred_connector_id:
            raise ValidationError({"preferred_connector": _("Choose the export connector its documents go through.")})


class Contact(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts",
                                 verbose_name=_("customer"))
    name = models.CharField(_("name"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    role = models.CharField(_("role"), max_length=100, blank=True)
    receives_invoices = models.BooleanField(_("receives invoices"), default=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["customer", "-receives_invoices", "name"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


class AddressKind(models.TextChoices):
    BILLING = "billing", _("Billing")
    DELIVERY = "delivery", _("Delivery")


class Address(models.Model):
    """A customer's billing or delivery address from a date on (BG-8 / BG-15); history is kept."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses",
                                 verbose_name=_("customer"))
    kind = models.CharField(_("kind"), max_length=10, choices=AddressKind.choices, default=AddressKind.BILLING)
    effective_from = models.DateField(_("effective from"))
    name = models.CharField(_("name on the address"), max_length=200, blank=True)
    line1 = models.CharField(_("address"), max_length=200)
    line2 = models.CharField(_("address (continued)"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="FR", validators=[identifiers.validate_country])

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["customer", "kind", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["customer", "kind", "effective_from"],
                                               name="address_one_per_kind_and_date")]

    def __str__(self) -> str:
        """One line, as the screens list addresses: the country named when it is not France."""
        place = f"{self.line1}, {self.postcode} {self.city}"
        if self.country and self.country != "FR":
            place += f", {country_name(self.country, translation.get_language() or 'fr')}"
        return place

    def snapshot(self) -> dict:
        return {"name": self.name, "line1": self.line1, "line2": self.line2, "postcode": self.postcode,
                "city": self.city, "country": self.country}
