"""E-reporting settings of an organisation and the reports built for its periods."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from facturier.accounts.models import Organisation
from facturier.engine.ereporting import Flow as EngineFlow
from facturier.engine.ereporting import Regime as EngineRegime

REFORM_START = dt.date(2026, 9, 1)
"""The first day reported by default: the reform's start (receiving for all, issuing for large companies)."""


class Regime(models.TextChoices):
    NORMAL = EngineRegime.NORMAL.value, _("Réel normal (monthly VAT returns)")
    NORMAL_QUARTERLY = EngineRegime.NORMAL_QUARTERLY.value, _("Réel normal with quarterly returns")
    SIMPLIFIED = EngineRegime.SIMPLIFIED.value, _("Réel simplifié")
    FRANCHISE = EngineRegime.FRANCHISE.value, _("Franchise en base")


class Flow(models.TextChoices):
    TRANSACTIONS = EngineFlow.TRANSACTIONS.value, _("Transactions (10.1 and 10.3)")
    PAYMENTS = EngineFlow.PAYMENTS.value, _("Payments (10.2 and 10.4)")


class EReportingProfile(models.Model):
    """How an organisation reports: its regime (the calendar), from when, and whether the worker submits."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="ereporting_profile",
                                        verbose_name=_("organisation"))
    regime = models.CharField(_("VAT regime for e-reporting"), max_length=20, choices=Regime.choices,
                              default=Regime.NORMAL)
    start_date = models.DateField(_("report from"), default=REFORM_START,
                                  help_text=_("The first day whose transactions and payments are reported."))
    auto_submit = models.BooleanField(_("build and submit at the end of each period"), default=True)

    class Meta:
        verbose_name = _("e-reporting profile")
        verbose_name_plural = _("e-reporting profiles")

    def __str__(self) -> str:
        return f"{self.organisation} — {self.get_regime_display()}"


class State(models.TextChoices):
    # In their own context: other apps translate the same English words for invoices (feminine in French).
    DRAFT = "draft", pgettext_lazy("e-report state", "Draft")
    BUILT = "built", pgettext_lazy("e-report state", "Built, not valid")
    CHECKED = "checked", pgettext_lazy("e-report state", "Checked")
    SUBMITTED = "submitted", pgettext_lazy("e-report state", "Submitted")
    ACCEPTED = "accepted", pgettext_lazy("e-report state", "Accepted")
    REJECTED = "rejected", pgettext_lazy("e-report state", "Rejected")


class Nature(models.TextChoices):
    INITIAL = "initial", pgettext_lazy("e-report nature", "Initial")
    RECTIFICATION = "rectification", pgettext_lazy("e-report nature", "Rectification")


class EReport(models.Model):
    """One e-reporting file for one period: built, checked, archived, submitted through the platform."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="ereports",
                                     verbose_name=_("organisation"))
    report_id = models.CharField(_("report id"), max_length=40, unique=True, editable=False)
    flow = models.CharField(_("content"), max_length=12, choices=Flow.choices)
    regime = models.CharField(_("VAT regime"), max_length=20, choices=Regime.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    due_date = models.DateField(_("due date"))
    nature = models.CharField(_("nature"), max_length=14, choices=Nature.choices, default=Nature.INITIAL)
    rectifies = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="rectifications", verbose_name=_("rectifies"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    archive_entry = models.ForeignKey("archive.ArchiveEntry", on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name=_("archived file"))
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    fingerprint = models.CharField(_("SHA-256"), max_length=64, blank=True)
    entries = models.PositiveIntegerField(_("entries"), default=0)
    documents = models.PositiveIntegerField(_("documents or payments reported"), default=0)
    taxable = models.DecimalField(_("taxable base"), max_digits=18, decimal_places=2, default=0)
    tax = models.DecimalField(_("VAT"), max_digits=18, decimal_places=2, default=0)
    paid = models.DecimalField(_("payments"), max_digits=18, decimal_places=2, default=0)
    findings = models.JSONField(_("findings"), default=list, blank=True)
    submission_id = models.BigIntegerField(_("platform submission"), null=True, blank=True)
    status_code = models.CharField(_("platform status"), max_length=10, blank=True)
    status_text = models.CharField(_("platform status text"), max_length=500, blank=True)
    built_at = models.DateTimeField(_("built at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("e-report")
        verbose_name_plural = _("e-reports")
        ordering = ["-period_start", "flow", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "flow", "period_start"],
                                    condition=models.Q(nature="initial"), name="ereport_one_initial_per_period"),
            models.CheckConstraint(condition=models.Q(period_start__lte=models.F("period_end")),
                                   name="ereport_period_ordered"),
        ]
        indexes = [models.Index(fields=["organisation", "state"], name="ereport_org_state")]

    def __str__(self) -> str:
        return f"{self.get_flow_display()} {self.period_start:%Y-%m-%d} – {self.period_end:%Y-%m-%d}"

    @property
    def refused_at_submission(self) -> bool:
        """The PA refused the file itself (no life-cycle status): it never entered, it may be built again."""
        return self.state == State.REJECTED and not self.status_code

    @property
    def can_build(self) -> bool:
        return self.state in (State.DRAFT, State.BUILT, State.CHECKED) or self.refused_at_submission

    @property
    def can_submit(self) -> bool:
        return self.state == State.CHECKED

    @property
    def can_rectify(self) -> bool:
        return self.state in (State.SUBMITTED, State.ACCEPTED, State.REJECTED) and not self.refused_at_submission
