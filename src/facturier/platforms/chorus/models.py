"""Chorus Pro (B2G): an organisation's account on PISTE and Chorus Pro, the buyers' rules, and the
outbox of invoices deposited as flows, with the statuses Chorus Pro reports for each."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Organisation
from facturier.config.models import LeasedClaim
from facturier.invoicing.models import Document
from facturier.parties.models import Customer

SANDBOX_TOKEN_URL = "https://sandbox-oauth.piste.gouv.fr/api/oauth/token"
SANDBOX_API_URL = "https://sandbox-api.piste.gouv.fr"
PRODUCTION_TOKEN_URL = "https://oauth.piste.gouv.fr/api/oauth/token"
PRODUCTION_API_URL = "https://api.piste.gouv.fr"


class Environment(models.TextChoices):
    SANDBOX = "sandbox", _("Qualification (PISTE sandbox)")
    PRODUCTION = "production", _("Production")
    CUSTOM = "custom", _("Other addresses (simulator)")


class ChorusAccount(models.Model):
    """How an organisation reaches Chorus Pro: its PISTE application (OAuth2 client credentials) and its
    Chorus Pro technical account (sent in the `cpro-account` header). Secrets are sealed at rest
    (`facturier.secrets`). A change of addresses or credentials disables it until tested again."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="chorus_account",
                                        verbose_name=_("organisation"))
    environment = models.CharField(_("environment"), max_length=10, choices=Environment.choices,
                                   default=Environment.SANDBOX)
    token_url = models.URLField(_("PISTE token URL"), max_length=500, blank=True,
                                help_text=_("Only for “other addresses”."))
    api_url = models.URLField(_("API base URL"), max_length=500, blank=True,
                              help_text=_("Only for “other addresses”."))
    client_id = models.CharField(_("PISTE client id"), max_length=200)
    client_secret = models.BinaryField(_("PISTE client secret (encrypted)"), blank=True, default=b"",
                                       editable=False)
    login = models.CharField(_("technical account login"), max_length=200)
    password = models.BinaryField(_("technical account password (encrypted)"), blank=True, default=b"",
                                  editable=False)
    structure_id = models.CharField(_("Chorus Pro structure id"), max_length=30, blank=True,
                                    help_text=_("The organisation's idStructureCPP, when Chorus Pro asks for it."))
    enabled = models.BooleanField(_("enabled"), default=False)
    tested_at = models.DateTimeField(_("last tested"), null=True, blank=True)
    test_ok = models.BooleanField(_("last test passed"), default=False)
    test_steps = models.JSONField(_("last test's steps"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("Chorus Pro account")
        verbose_name_plural = _("Chorus Pro accounts")

    def __str__(self) -> str:
        return f"Chorus Pro — {self.organisation}"

    @property
    def urls(self) -> tuple[str, str]:
        """(token URL, API base URL) of its environment."""
        if self.environment == Environment.PRODUCTION:
            return PRODUCTION_TOKEN_URL, PRODUCTION_API_URL
        if self.environment == Environment.CUSTOM:
            return self.token_url, self.api_url.rstrip("/")
        return SANDBOX_TOKEN_URL, SANDBOX_API_URL


class ChorusBuyer(models.Model):
    """What a public buyer's Chorus Pro structure requires of its invoices — a service code, an engagement
    number, or one of the two — and its active services: read from Chorus Pro's "Structures" API and cached
    here with the date (`fetched_at`; empty when entered by hand). Checked when a document to this buyer is
    issued and when it is sent."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="chorus_rules",
                                    verbose_name=_("customer"))
    service_code_required = models.BooleanField(_("service code required"), default=False)
    engagement_required = models.BooleanField(_("engagement number required"), default=False)
    service_or_engagement = models.BooleanField(_("service code or engagement number required"), default=False)
    structure_id = models.CharField(_("Chorus Pro structure id"), max_length=30, blank=True)
    structure_name = models.CharField(_("structure name on Chorus Pro"), max_length=200, blank=True)
    services = models.JSONField(_("active services"), default=list, blank=True,
                                help_text=_("[{code, name}] of the structure's active services, as fetched."))
    fetched_at = models.DateTimeField(_("read from Chorus Pro on"), null=True, blank=True)
    fetch_error = models.CharField(_("last reading error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("Chorus Pro buyer rules")
        verbose_name_plural = _("Chorus Pro buyer rules")

    def __str__(self) -> str:
        return str(self.customer)

    @property
    def service_codes(self) -> set[str]:
        return {s["code"] for s in self.services or [] if s.get("code")}


class SubmissionState(models.TextChoices):
    PENDING = "pending", _("Waiting to be deposited")
    SENDING = "sending", _("Being deposited")
    DEPOSITED = "deposited", _("Deposited")
    FAILED = "failed", _("Not deposited")
    UNKNOWN = "unknown", _("Outcome unknown, check")


class ChorusStatus(models.TextChoices):
    """An invoice's status in Chorus Pro (statutFacture), as the supplier sees it. IRRECEVABLE is Facturier's
    own name for a flow Chorus Pro rejected before any invoice came out of it (consulterCRDetaille:
    IN_REJETE / IN_INCIDENTE), so that it shows and notifies like a rejected invoice."""

    DEPOSEE = "DEPOSEE", _("Deposited")
    EN_COURS_ACHEMINEMENT = "EN_COURS_ACHEMINEMENT", _("Being routed")
    MISE_A_DISPOSITION = "MISE_A_DISPOSITION", _("Made available to the buyer")
    A_RECYCLER = "A_RECYCLER", _("To be recycled")
    SUSPENDUE = "SUSPENDUE", _("Suspended")
    REJETEE = "REJETEE", _("Rejected")
    COMPLETEE = "COMPLETEE", _("Completed")
    SERVICE_FAIT = "SERVICE_FAIT", _("Service done")
    MANDATEE = "MANDATEE", _("Payment ordered")
    MISE_EN_PAIEMENT = "MISE_EN_PAIEMENT", _("Payment made")
    IRRECEVABLE = "IRRECEVABLE", _("Flow not admissible")


REJECTIONS = frozenset({ChorusStatus.REJETEE, ChorusStatus.SUSPENDUE, ChorusStatus.IRRECEVABLE,
                        ChorusStatus.A_RECYCLER})
FINAL = frozenset({ChorusStatus.REJETEE, ChorusStatus.MISE_EN_PAIEMENT, ChorusStatus.IRRECEVABLE})


class ChorusSubmission(LeasedClaim):
    """One document deposited on Chorus Pro: recorded before the deposit, claimed by one worker, its
    request marked as begun before it is sent; then followed by polling until a final status."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organisation"))
    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="chorus_submission",
                                    verbose_name=_("document"))
    state = models.CharField(_("state"), max_length=10, choices=SubmissionState.choices,
                             default=SubmissionState.PENDING)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), db_index=True)
    deposited_at = models.DateTimeField(_("deposited at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    flow_number = models.CharField(_("flow number (numeroFluxDepot)"), max_length=60, blank=True)
    flow_state = models.CharField(_("flow state"), max_length=60, blank=True)
    chorus_invoice_id = models.CharField(_("Chorus Pro invoice id"), max_length=30, blank=True)
    status = models.CharField(_("Chorus Pro status"), max_length=30, choices=ChorusStatus.choices, blank=True)
    status_reason = models.TextField(_("reason"), blank=True)
    status_at = models.DateTimeField(_("status since"), null=True, blank=True)
    polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("Chorus Pro submission")
        verbose_name_plural = _("Chorus Pro submissions")
        ordering = ["id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="chorus_due"),
                   models.Index(fields=["state", "status"], name="chorus_followed")]

    def __str__(self) -> str:
        return f"{self.document} → Chorus Pro ({self.get_state_display()})"

    @property
    def rejected(self) -> bool:
        return self.status in REJECTIONS


class ChorusStatusEvent(models.Model):
    """One status Chorus Pro reported for a submission (its history), in the order received."""

    submission = models.ForeignKey(ChorusSubmission, on_delete=models.CASCADE, related_name="events",
                                   verbose_name=_("submission"))
    status = models.CharField(_("status"), max_length=30, choices=ChorusStatus.choices)
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("when"))
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("Chorus Pro status")
        verbose_name_plural = _("Chorus Pro statuses")
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["submission", "status", "at"], name="chorus_event_once")]

    def __str__(self) -> str:
        return f"{self.submission_id} {self.status}"
