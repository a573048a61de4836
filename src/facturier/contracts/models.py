"""Subscription contracts (S3.24): what to invoice again and again, and each period invoiced.

A `ContractPeriod` row per contract and period start is the "exactly once": it is created in the
same transaction as the period's draft, behind a unique key, so a worker killed at any point and
restarted, or two workers at once, never invoice a period twice and never skip one.
"""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Membership, Organisation
from facturier.invoicing.models import Document
from facturier.parties.models import Customer


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    HALF_YEARLY = "half_yearly", _("Half-yearly")
    YEARLY = "yearly", _("Yearly")
    EVERY_N_MONTHS = "every_n", _("Every N months")


FREQUENCY_MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.HALF_YEARLY: 6, Frequency.YEARLY: 12}


class Timing(models.TextChoices):
    IN_ADVANCE = "advance", _("In advance")
    IN_ARREARS = "arrears", _("In arrears")


class Action(models.TextChoices):
    DRAFT = "draft", _("Leave as a draft")
    ISSUE = "issue", _("Issue")
    ISSUE_AND_SEND = "send", _("Issue and send")


class ContractState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    ENDED = "ended", _("Ended")


class Contract(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="contracts",
                                 verbose_name=_("customer"))
    name = models.CharField(_("name"), max_length=200)
    reference = models.CharField(_("contract reference"), max_length=100, blank=True)  # BT-12 on each invoice
    lines = models.JSONField(_("lines"), default=list, encoder=DjangoJSONEncoder)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    frequency = models.CharField(_("frequency"), max_length=12, choices=Frequency.choices, default=Frequency.MONTHLY)
    every_months = models.PositiveSmallIntegerField(_("every N months"), default=1)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    occurrences = models.PositiveIntegerField(_("number of invoices"), null=True, blank=True)
    timing = models.CharField(_("invoicing"), max_length=8, choices=Timing.choices, default=Timing.IN_ADVANCE)
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"))
    revision_percent = models.DecimalField(_("yearly price revision (%)"), max_digits=6, decimal_places=3,
                                           null=True, blank=True)
    action = models.CharField(_("each invoice"), max_length=8, choices=Action.choices, default=Action.DRAFT)
    state = models.CharField(_("state"), max_length=8, choices=ContractState.choices, default=ContractState.RUNNING)
    next_index = models.PositiveIntegerField(_("next period"), default=0, editable=False)
    next_due = models.DateField(_("next invoice date"), null=True, blank=True, editable=False)
    source = models.ForeignKey(Document, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("created from"))
    acting = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, related_name="+",
                               verbose_name=_("invoices in the name of"))
    paused_at = models.DateField(_("paused on"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["next_due", "id"]
        indexes = [models.Index(fields=["state", "next_due"], name="contract_due")]

    def __str__(self) -> str:
        return self.name


class Outcome(models.TextChoices):
    PENDING = "pending", _("Being generated")
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    SENT = "sent", _("Issued and queued for sending")
    REFUSED = "refused", _("Refused")
    SKIPPED = "skipped", _("Skipped (paused)")


class ContractPeriod(models.Model):
    """One period of a contract, invoiced (or skipped) once."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="periods",
                                 verbose_name=_("contract"))
    index = models.PositiveIntegerField(_("period number"))
    start = models.DateField(_("period start"))
    end = models.DateField(_("period end"))
    due = models.DateField(_("due on"))
    document = models.OneToOneField(Document, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="contract_period", verbose_name=_("invoice"))
    action = models.CharField(_("action"), max_length=8, choices=Action.choices, default=Action.DRAFT)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, default=Outcome.PENDING)
    reason = models.CharField(_("reason"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("generated"), auto_now_add=True)

    class Meta:
        verbose_name = _("contract period")
        verbose_name_plural = _("contract periods")
        ordering = ["contract", "start"]
        constraints = [models.UniqueConstraint(fields=["contract", "start"], name="contract_period_once")]

    def __str__(self) -> str:
        return f"{self.contract} {self.start}–{self.end}"


class ContractSettings(models.Model):
    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="+")
    allow_backdating = models.BooleanField(
        _("date a late invoice as it should have been"), default=False,
        help_text=_("When the worker catches up after a stop, date each missed invoice on its due date "
                    "(when the series allows it: numbering is chronological), else today."))
