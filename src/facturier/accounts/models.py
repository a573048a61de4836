"""Organisations (tenants), their legal data by effective date, users and memberships."""

from __future__ import annotations

import datetime as dt
from base64 import b32encode
from decimal import Decimal
from urllib.parse import quote

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from facturier import identifiers
from facturier.errors import FacturierError, localized


class LegalProfileInUse(FacturierError):
    code = "legal_profile_in_use"

slug_validator = RegexValidator(r"^[a-z0-9][a-z0-9-]{0,48}$", _("Use lower-case letters, digits and dashes."))


class Language(models.TextChoices):
    FR = "fr", _("French")
    EN = "en", _("English")


class DueDateRule(models.TextChoices):
    """How the due date follows from the issue date (Code de commerce, art. L441-10)."""

    NET = "net", _("days after the issue date")
    END_OF_MONTH_AFTER = "eom_after", _("days, then end of month")
    END_OF_MONTH_BEFORE = "eom_before", _("end of month, then days")


class VatRegime(models.TextChoices):
    NORMAL = "normal", _("VAT on receipts (services) / delivery (goods)")
    DEBITS = "debits", _("Option for paying VAT on debits")
    FRANCHISE = "franchise", _("VAT exemption (franchise en base, art. 293 B du CGI)")


class FacturxProfile(models.TextChoices):
    BASIC = "basic", "BASIC"
    EN16931 = "en16931", "EN 16931"
    EXTENDED = "extended", "EXTENDED"
    EXTENDED_CTC_FR = "extended-ctc-fr", "EXTENDED-CTC-FR"


class SealLevel(models.TextChoices):
    B_B = "B-B", _("PAdES B-B (signature)")
    B_T = "B-T", _("PAdES B-T (signature and time stamp)")
    B_LT = "B-LT", _("PAdES B-LT (with validation data)")


class DocumentTemplate(models.TextChoices):
    """The model a document is printed with (the engine's templates, or the organisation's own)."""

    STANDARD = "standard", _("Standard")
    CHORUS = "chorus", _("Chorus Pro (public sector)")
    CUSTOM = "custom", _("The organisation's own template")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True, is_platform_operator=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an e-mail address; rights come from memberships."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.FR)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("platform staff"), default=False,
                                   help_text=_("May sign in to the administration site."))
    is_platform_operator = models.BooleanField(
        _("platform operator"), default=False,
        help_text=_("Sees every organisation's usage (the operator view). Set on the platform only: by a "
                    "platform administrator or `facturier operator`, never by an organisation."))
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email


class Organisation(models.Model):
    """A selling company: the tenant every other record belongs to.

    Its legal identity and address live in `LegalProfile` rows by effective date, so an
    invoice always shows what was true on its issue date; the rest are working settings.
    """

    slug = models.SlugField(_("short name"), max_length=50, unique=True, validators=[slug_validator],
                            help_text=_("Used in addresses and by every --org option."))
    name = models.CharField(_("name"), max_length=200)
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    default_language = models.CharField(_("default language"), max_length=2, choices=Language.choices,
                                        default=Language.FR)
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=30)
    due_date_rule = models.CharField(_("due-date rule"), max_length=12, choices=DueDateRule.choices,
                                     default=DueDateRule.NET)
    late_penalty_rate = models.DecimalField(
        _("late-penalty rate (% per year)"), max_digits=6, decimal_places=2, default=Decimal("12.15"),
        validators=[MinValueValidator(0)],
        help_text=_("At least three times the legal interest rate (art. L441-10 of the Code de commerce)."))
    recovery_indemnity_text = models.TextField(
        _("recovery indemnity text"),
        default="Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €.")
    discount_terms_text = models.CharField(_("early-payment discount terms"), max_length=300,
                                           default="Pas d'escompte pour paiement anticipé.")
    electronic_address = models.CharField(
        _("electronic invoicing address"), max_length=125, blank=True,
        help_text=_("BT-34, the address in the directory of the 2026 reform. Empty: the SIREN (scheme 0225)."))
    electronic_address_scheme = models.CharField(_("electronic address scheme"), max_length=4, blank=True)
    facturx_profile = models.CharField(_("Factur-X profile"), max_length=16, choices=FacturxProfile.choices,
                                       default=FacturxProfile.EN16931)
    sealing_enabled = models.BooleanField(_("seal issued documents"), default=False,
                                          help_text=_("PAdES electronic seal with the organisation's certificate"))
    sealing_level = models.CharField(_("seal level"), max_length=4, choices=SealLevel.choices,
                                     default=SealLevel.B_T)
    tsa_url = models.URLField(_("time-stamp authority (RFC 3161)"), blank=True,
                              help_text=_("Empty: the platform's built-in time-stamp authority."))
    vat_regime = models.CharField(_("VAT regime"), max_length=10, choices=VatRegime.choices,
                                  default=VatRegime.NORMAL)
    document_template = models.CharField(
        _("document model"), max_length=10, choices=DocumentTemplate.choices, default=DocumentTemplate.STANDARD,
        help_text=_("Public-sector customers get the Chorus Pro model unless their record says otherwise."))
    custom_template = models.TextField(
        _("own template (Typst)"), blank=True,
        help_text=_("Used by the “own template” model; it may start with #import \"lib.typ\": *."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def terminated(self) -> Termination | None:
        """The organisation's termination, if it left (then it is read-only); cached on the instance."""
        try:
            return self.termination
        except ObjectDoesNotExist:
            return None


class LegalProfile(models.Model):
    """The legal identity and address of an organisation from a given date on.

    Rows are never edited once an invoice was issued under them: a change of address or
    capital is a new row with its effective date.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="legal_profiles",
                                     verbose_name=_("organisation"))
    effective_from = models.DateField(_("effective from"))
    legal_name = models.CharField(_("legal name"), max_length=200)
    legal_form = models.CharField(_("legal form"), max_length=60, blank=True, help_text=_("e.g. SAS, SARL, EI"))
    share_capital = models.DecimalField(_("share capital (EUR)"), max_digits=14, decimal_places=2,
                                        null=True, blank=True, validators=[MinValueValidator(0)])
    siren = models.CharField(_("SIREN"), max_length=9, validators=[identifiers.validate_siren])
    siret = models.CharField(_("SIRET"), max_length=14, validators=[identifiers.validate_siret])
    vat_number = models.CharField(_("intra-EU VAT number"), max_length=20, blank=True,
                                  validators=[identifiers.validate_vat])
    registration = models.CharField(_("registration (RCS / RM)"), max_length=100, blank=True,
                                    help_text=_("e.g. RCS Lyon 123 456 789"))
    address_line1 = models.CharField(_("address"), max_length=200)
    address_line2 = models.CharField(_("address (continued)"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="FR", validators=[identifiers.validate_country])
    contact_name = models.CharField(
        _("invoicing contact"), max_length=100, blank=True,
        help_text=_("BT-41, the person or department a buyer contacts about an invoice (with the e-mail and "
                    "phone below). XRechnung requires all three."))
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True, validators=[identifiers.validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, blank=True, validators=[identifiers.validate_bic])

    class Meta:
        verbose_name = _("legal profile")
        verbose_name_plural = _("legal profiles")
        ordering = ["organisation", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["organisation", "effective_from"],
                                               name="legal_profile_one_per_date")]

    def __str__(self) -> str:
        return f"{self.legal_name} ({self.effective_from:%Y-%m-%d})"

    def clean(self) -> None:
        identifiers.check_siret_matches_siren(self.siren, self.siret)
        identifiers.check_vat_matches_siren(self.siren, self.vat_number)
        issued_from = self._first_issue_on_or_after(self.effective_from)
        if issued_from is not None:
            raise ValidationError(
                {"effective_from": _("A document was already issued on %(date)s under the legal data in force "
                                     "then: legal data changes take effect after the last issued document. "
                                     "Choose a later date.") % {"date": localized(issued_from)}},
                code="legal_profile_in_use")

    def save(self, *args, **kwargs):
        # Issued documents snapshot these data, but a profile in use is still a legal record: it
        # is never rewritten, and a change is a new profile with a later date.
        if self.pk is not None and self._first_issue_on_or_after(
                LegalProfile.objects.filter(pk=self.pk).values_list("effective_from", flat=True).first()):
            raise LegalProfileInUse(_("These legal data are printed on issued documents and can no longer "
                                      "be changed. Add new legal data with a later effective date."))
        super().save(*args, **kwargs)

    def _first_issue_on_or_after(self, day: dt.date | None) -> dt.date | None:
        if day is None or self.organisation_id is None:
            return None
        from facturier.invoicing.models import Document, State

        return (Document.objects.filter(organisation_id=self.organisation_id, issue_date__gte=day)
                .exclude(state=State.DRAFT).order_by("-issue_date").values_list("issue_date", flat=True).first())

    def snapshot(self) -> dict:
        """The legal data as frozen on an issued document (JSON-safe)."""
        return {
            "legal_name": self.legal_name, "legal_form": self.legal_form,
            "share_capital": None if self.share_capital is None else str(self.share_capital),
            "siren": self.siren, "siret": self.siret, "vat_number": self.vat_number,
            "registration": self.registration, "address_line1": self.address_line1,
            "address_line2": self.address_line2, "postcode": self.postcode, "city": self.city,
            "country": self.country, "contact_name": self.contact_name, "email": self.email, "phone": self.phone,
            "iban": self.iban, "bic": self.bic, "effective_from": self.effective_from.isoformat(),
        }


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ACCOUNTANT = "accountant", _("Accountant")
    CLERK = "clerk", _("Clerk")
    VIEWER = "viewer", _("Viewer")


class Right(models.TextChoices):
    """What a member may do beyond reading; each is an explicit field of the membership."""

    ISSUE = "can_issue", _("Issue documents")
    PRINT_DRAFTS = "can_print_drafts", _("Print drafts")
    SEND = "can_send", _("Send documents")
    RECORD_PAYMENTS = "can_record_payments", _("Record payments")
    WRITE_OFF = "can_write_off", _("Write off bad debts")
    MANAGE_SETTINGS = "can_manage_settings", _("Manage settings")
    EDIT = "can_edit", _("Create and edit drafts and customers")


ROLE_DEFAULT_RIGHTS: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(Right.values),
    Role.ACCOUNTANT: frozenset({Right.ISSUE, Right.PRINT_DRAFTS, Right.SEND, Right.RECORD_PAYMENTS,
                                Right.WRITE_OFF, Right.EDIT}),
    Role.CLERK: frozenset({Right.PRINT_DRAFTS, Right.SEND, Right.EDIT}),
    Role.VIEWER: frozenset(),
}


class Membership(models.Model):
    """A user's place in an organisation: a role and explicit rights. The acting party of every service."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships",
                                     verbose_name=_("organisation"))
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.VIEWER)
    can_issue = models.BooleanField(Right.ISSUE.label, default=False)
    can_print_drafts = models.BooleanField(Right.PRINT_DRAFTS.label, default=False)
    can_send = models.BooleanField(Right.SEND.label, default=False)
    can_record_payments = models.BooleanField(Right.RECORD_PAYMENTS.label, default=False)
    can_write_off = models.BooleanField(Right.WRITE_OFF.label, default=False)
    can_manage_settings = models.BooleanField(Right.MANAGE_SETTINGS.label, default=False)
    can_edit = models.BooleanField(Right.EDIT.label, default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.get_role_display()})"

    def has_right(self, right: Right | str) -> bool:
        return self.is_active and bool(getattr(self, str(right)))

    def apply_role_defaults(self) -> None:
        granted = ROLE_DEFAULT_RIGHTS[self.role]
        for right in Right.values:
            setattr(self, right, right in granted)


def today() -> dt.date:
    return timezone.localdate()


class Authenticator(TimestampMixin, ThrottlingMixin, Device):
    """A user's authenticator app (TOTP, RFC 6238): its key sealed at rest like every other secret.

    django-otp's own TOTP device keeps the key in clear; this one keeps only the AES-GCM ciphertext
    (facturier.secrets, purpose "company-totp:<id>"), opened in memory to check a code.
    """

    sealed_key = models.BinaryField(_("authenticator key (sealed)"), editable=False, default=b"")
    last_t = models.BigIntegerField(default=-1, editable=False,
                                    help_text="Time step of the last accepted code (a code is used once).")
    drift = models.SmallIntegerField(default=0, editable=False)

    STEP, DIGITS, TOLERANCE = 30, 6, 1

    class Meta(Device.Meta):
        verbose_name = _("authenticator")
        verbose_name_plural = _("authenticators")

    @property
    def purpose(self) -> str:
        return f"company-totp:{self.pk}"

    @property
    def bin_key(self) -> bytes:
        from facturier.secrets import open_secret

        return open_secret(bytes(self.sealed_key), purpose=self.purpose)

    def set_key(self, key: bytes) -> None:
        """Seal a key for this (saved) device."""
        from facturier.secrets import seal_secret

        self.sealed_key = seal_secret(key, purpose=self.purpose)

    def verify_token(self, token) -> bool:
        allowed, _data = self.verify_is_allowed()
        if not allowed:
            return False
        try:
            code = int(token)
        except (TypeError, ValueError):
            code = None
        verified = False
        if code is not None:
            totp = TOTP(self.bin_key, self.STEP, 0, self.DIGITS, self.drift)
            verified = totp.verify(code, self.TOLERANCE, self.last_t + 1)
            if verified:
                self.last_t, self.drift = totp.t(), totp.drift
                self.throttle_reset(commit=False)
                self.set_last_used_timestamp(commit=False)
                self.save()
        if not verified:
            self.throttle_increment(commit=True)
        return verified

    def get_throttle_factor(self) -> int:
        return 1

    @property
    def config_url(self) -> str:
        """The otpauth:// address an authenticator app scans."""
        secret = b32encode(self.bin_key).decode().rstrip("=")
        label = quote(f"Facturier:{self.user.get_username()}")
        return f"otpauth://totp/{label}?secret={secret}&issuer=Facturier&digits={self.DIGITS}&period={self.STEP}"


class Invitation(models.Model):
    """An invitation to join an organisation, sent by e-mail, accepted by the invitee (never imposed).

    Only the SHA-256 of its token is stored; it is used once and expires.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations",
                                     verbose_name=_("organisation"))
    email = models.EmailField(_("e-mail address"))
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.VIEWER)
    digest = models.CharField(_("token digest"), max_length=64, unique=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("invited by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name=_("accepted by"))

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation} ({self.get_role_display()})"


class TerminationState(models.TextChoices):
    EXPORTING = "exporting", _("Export in progress")
    READ_ONLY = "read_only", _("Read-only (grace period)")
    ERASED = "erased", _("Personal data erased")


class Termination(models.Model):
    """An organisation leaving the platform (S1.10): its export, its grace period, its erasure.

    Its existence makes the organisation read-only (`accounts.services.require_right`).
    """

    organisation = models.OneToOneField(Organisation, on_delete=models.PROTECT, related_name="termination",
                                        verbose_name=_("organisation"))
    state = models.CharField(_("state"), max_length=12, choices=TerminationState.choices,
                             default=TerminationState.EXPORTING)
    requested_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                     verbose_name=_("requested by"))
    by_operator = models.BooleanField(_("by the platform operator"), default=False)
    reason = models.TextField(_("reason"))
    at = models.DateTimeField(_("terminated at"))
    grace_until = models.DateTimeField(_("read-only until"))
    export_name = models.CharField(_("export file"), max_length=300, blank=True)
    export_sha256 = models.CharField(_("export SHA-256"), max_length=64, blank=True)
    export_size = models.PositiveBigIntegerField(_("export size (bytes)"), null=True, blank=True)
    export_files = models.PositiveIntegerField(_("files exported"), null=True, blank=True)
    exported_at = models.DateTimeField(_("exported at"), null=True, blank=True)
    erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True)

    class Meta:
        verbose_name = _("termination")
        verbose_name_plural = _("terminations")

    def __str__(self) -> str:
        return f"{self.organisation} — {self.get_state_display()}"
