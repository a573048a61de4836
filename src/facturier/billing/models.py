"""The operator's plans, each organisation's subscription, its metered periods and their history."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Capability(models.TextChoices):
    """What a plan may enable; each value is the name of the plan's boolean field."""

    SEALING = "sealing", _("Electronic seal")
    EMAIL = "email_delivery", _("E-mail delivery")
    ARCHIVE = "archive", _("Archive")
    PLATFORM = "platform_transmission", _("Platform transmission")
    CONNECTORS = "connectors", _("Export connectors")
    API = "api", _("REST API")


class Plan(models.Model):
    """An offer of the platform's operator: what a period includes, costs and enables."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    period_months = models.PositiveSmallIntegerField(
        _("period (months)"), default=1, validators=[MinValueValidator(1)],
        help_text=_("How long a subscription period lasts, from the anniversary: 1 monthly, 12 yearly."))
    included_invoices = models.PositiveIntegerField(
        _("included invoices per period"), default=10,
        help_text=_("Documents a period includes before the first tranche (the free tier)."))
    tranche_size = models.PositiveIntegerField(_("tranche size"), default=900, validators=[MinValueValidator(1)])
    tranche_price = models.DecimalField(_("price per tranche (EUR, excl. VAT)"), max_digits=12, decimal_places=2,
                                        default=Decimal("0.00"), validators=[MinValueValidator(0)])
    base_price = models.DecimalField(_("base subscription price (EUR, excl. VAT)"), max_digits=12,
                                     decimal_places=2, default=Decimal("0.00"), validators=[MinValueValidator(0)])
    sealing = models.BooleanField(_("electronic seal"), default=True)
    email_delivery = models.BooleanField(_("e-mail delivery"), default=True)
    archive = models.BooleanField(_("archive"), default=True)
    platform_transmission = models.BooleanField(_("platform transmission"), default=True)
    connectors = models.BooleanField(_("export connectors"), default=True)
    api = models.BooleanField(_("REST API"), default=True)
    is_active = models.BooleanField(_("offered"), default=True,
                                    help_text=_("Unticked: kept for its subscribers, no longer offered."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["base_price", "name"]

    def __str__(self) -> str:
        return self.name

    def enables(self, capability: str) -> bool:
        return bool(getattr(self, Capability(capability).value))

    @property
    def is_free(self) -> bool:
        return self.base_price == 0


class State(models.TextChoices):
    TRIAL = "trial", _("Trial")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Terminated")


TRANSITIONS = {
    State.TRIAL: {State.ACTIVE, State.SUSPENDED, State.TERMINATED},
    State.ACTIVE: {State.SUSPENDED, State.TERMINATED},
    State.SUSPENDED: {State.ACTIVE, State.TERMINATED},
    State.TERMINATED: set(),
}


class Subscription(models.Model):
    """An organisation's plan, anniversary, state, and where its current period stands."""

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.CASCADE,
                                        related_name="subscription", verbose_name=_("organisation"))
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("plan"))
    anniversary = models.DateField(_("anniversary"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ACTIVE)
    period_start = models.DateField(_("current period start"))
    period_end = models.DateField(_("current period end"), help_text=_("Last day of the current period."))
    tranche = models.PositiveIntegerField(_("current tranche"), default=0,
                                          help_text=_("Tranches the current period has begun (0: included only)."))
    customer = models.ForeignKey("parties.Customer", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("customer record at the operator"))
    terminated_at = models.DateTimeField(_("terminated at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["organisation__name"]
        indexes = [models.Index(fields=["state", "period_end"], name="billing_sub_state_end")]

    def __str__(self) -> str:
        return f"{self.organisation} — {self.plan}"


class PeriodUsage(models.Model):
    """The metered count of one subscription period, and what became of it once closed."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="periods",
                                     verbose_name=_("subscription"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    count = models.PositiveIntegerField(_("documents counted"), default=0)
    tranche = models.PositiveIntegerField(_("tranches"), default=0)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+", verbose_name=_("plan"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    amount = models.DecimalField(_("amount (EUR, excl. VAT)"), max_digits=12, decimal_places=2, null=True,
                                 blank=True)
    invoice = models.ForeignKey("invoicing.Document", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("operator's invoice"))

    class Meta:
        verbose_name = _("period usage")
        verbose_name_plural = _("period usages")
        ordering = ["subscription", "-period_start"]
        constraints = [models.UniqueConstraint(fields=["subscription", "period_start"], name="billing_usage_once")]
        indexes = [models.Index(fields=["period_start", "period_end"], name="billing_usage_period")]

    def __str__(self) -> str:
        return f"{self.subscription} {self.period_start}: {self.count}"


class ChangeKind(models.TextChoices):
    CREATED = "created", _("Subscribed")
    PLAN = "plan", _("Plan changed")
    TRANCHE = "tranche", _("Tranche adjusted")
    STATE = "state", _("State changed")
    PERIOD = "period", _("Period closed")


class SubscriptionChange(models.Model):
    """One line of a subscription's history: what changed, when, at which count."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="changes",
                                     verbose_name=_("subscription"))
    kind = models.CharField(_("kind"), max_length=10, choices=ChangeKind.choices)
    at = models.DateTimeField(_("at"))
    period_start = models.DateField(_("period start"))
    count = models.PositiveIntegerField(_("count at that moment"), default=0)
    before = models.CharField(_("before"), max_length=100, blank=True)
    after = models.CharField(_("after"), max_length=100, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                           related_name="+", verbose_name=_("by"))

    class Meta:
        verbose_name = _("subscription change")
        verbose_name_plural = _("subscription changes")
        ordering = ["subscription", "at", "pk"]
        constraints = [
            # A tranche is reached once per period, whoever's document crossed the boundary.
            models.UniqueConstraint(fields=["subscription", "period_start", "after"],
                                    condition=models.Q(kind="tranche"), name="billing_tranche_once"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription} {self.kind} {self.before}→{self.after}"


class OperatorSettings(models.Model):
    """The platform's one row of billing settings: which organisation is the operator's own."""

    operator_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("operator organisation"),
        help_text=_("The organisation that invoices the subscribers, with Facturier itself."))

    class Meta:
        verbose_name = _("operator settings")
        verbose_name_plural = _("operator settings")

    def __str__(self) -> str:
        return str(self.operator_organisation or "—")
