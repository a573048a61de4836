"""The sending side of the platforms app: the outbox of flows handed to the PA, the routing cache of
directory lookups, and the life-cycle statuses received (imported by `facturier.platforms.models`)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Organisation
from facturier.config.models import LeasedClaim
from facturier.invoicing.models import Document


class SubmissionKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CDAR = "cdar", _("Life-cycle status (CDAR)")
    EREPORT = "ereport", _("E-reporting")


class SubmissionState(models.TextChoices):
    PENDING = "pending", _("Waiting to be submitted")
    SENDING = "sending", _("Being submitted")
    SENT = "sent", _("Submitted")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Outcome unknown, check")


class PlatformSubmission(LeasedClaim):
    """One flow to hand to the organisation's PA (`POST /v1/flows`): recorded before it leaves, claimed by
    one worker, its request marked as begun before it is sent. The tracking id (the document's id for an
    invoice) is unique per organisation: queuing the same flow twice gives the row already there."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("organisation"))
    kind = models.CharField(_("kind"), max_length=8, choices=SubmissionKind.choices)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("document"))
    tracking_id = models.CharField(_("tracking id"), max_length=64)
    file_name = models.CharField(_("file name"), max_length=255)
    data = models.BinaryField(_("file"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    flow_syntax = models.CharField(_("flow syntax"), max_length=10)
    processing_rule = models.CharField(_("processing rule"), max_length=16, blank=True)
    flow_type = models.CharField(_("flow type"), max_length=40, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=SubmissionState.choices,
                             default=SubmissionState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    check_first = models.BooleanField(_("ask the PA before submitting again"), default=False)
    next_attempt_at = models.DateTimeField(_("next attempt"), db_index=True)
    sent_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    flow_id = models.CharField(_("flow id at the PA"), max_length=64, blank=True, db_index=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("platform submission")
        verbose_name_plural = _("platform submissions")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["organisation", "tracking_id"],
                                               name="platform_submission_tracking_unique")]
        indexes = [models.Index(fields=["organisation", "state", "next_attempt_at"], name="platform_submission_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.tracking_id} ({self.get_state_display()})"


class DirectoryEntry(models.Model):
    """What the PA directory said about a SIREN, when (cached per organisation, looked up again after a TTL)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    siren = models.CharField(_("SIREN"), max_length=9)
    lines = models.JSONField(_("directory lines"), default=list)
    looked_up_at = models.DateTimeField(_("looked up at"))

    class Meta:
        verbose_name = _("directory lookup")
        verbose_name_plural = _("directory lookups")
        constraints = [models.UniqueConstraint(fields=["organisation", "siren"], name="directory_entry_unique")]


class PlatformState(models.Model):
    """Where a document stands with the platforms, whichever the channel (the PA or Chorus Pro): the routing
    decided when it was sent and its current life-cycle status (the history is in `PlatformStatusEvent`).
    The one row the dashboard, the document page, the portal and the API read."""

    document = models.OneToOneField(Document, on_delete=models.CASCADE, related_name="platform_state",
                                    verbose_name=_("document"))
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=12, blank=True)
    route_reason = models.CharField(_("routing reason"), max_length=500, blank=True)
    address = models.CharField(_("electronic address"), max_length=125, blank=True)
    code = models.CharField(_("status code"), max_length=30, blank=True, db_index=True,
                            help_text=_("A life-cycle code of the reform (200…501), or a Chorus Pro status "
                                        "(DEPOSEE, REJETEE…) when the channel is Chorus Pro."))
    reason_code = models.CharField(_("reason code"), max_length=20, blank=True)
    reason_text = models.CharField(_("reason"), max_length=1000, blank=True)
    status_at = models.DateTimeField(_("status date"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("platform state")
        verbose_name_plural = _("platform states")
        indexes = [models.Index(fields=["organisation", "code"], name="platform_state_org_code")]


class EventSource(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook")
    POLL = "poll", _("Search")
    SENT = "sent", _("Sent by us")
    SUBMISSION = "submission", _("Submission")
    CHORUS = "chorus", _("Chorus Pro")


class PlatformStatusEvent(models.Model):
    """One life-cycle status received (or sent): the CDAR as received, what was read from it, and whether
    it could be read. A status that could not be read is kept (`readable` false) with why."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="platform_events")
    submission = models.ForeignKey(PlatformSubmission, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    flow_id = models.CharField(_("flow id at the PA"), max_length=64, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=EventSource.choices)
    code = models.CharField(_("status code"), max_length=30, blank=True)
    reason_code = models.CharField(_("reason code"), max_length=20, blank=True)
    reason_text = models.CharField(_("reason"), max_length=1000, blank=True)
    status_at = models.DateTimeField(_("status date"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    readable = models.BooleanField(_("readable"), default=True)
    problem = models.TextField(_("problem"), blank=True)
    validation = models.JSONField(_("validation"), default=dict, blank=True)
    data = models.BinaryField(_("CDAR"), blank=True, default=b"")
    archive_entry_id = models.BigIntegerField(_("archive entry"), null=True, blank=True)

    class Meta:
        verbose_name = _("platform status")
        verbose_name_plural = _("platform statuses")
        ordering = ["status_at", "id"]
        constraints = [models.UniqueConstraint(fields=["organisation", "flow_id"], condition=~models.Q(flow_id=""),
                                               name="platform_event_flow_unique")]
        indexes = [models.Index(fields=["document", "id"], name="platform_event_document")]


class PollCursor(models.Model):
    """Where the search of incoming flows stopped, per organisation (`POST /v1/flows/search`, `nextCursor`)."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="+")
    cursor = models.CharField(max_length=500, blank=True)
    polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)


class WebhookDelivery(models.Model):
    """A webhook call already taken (its signature's id): the same call again is a replay, refused."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=128)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "key"], name="platform_webhook_unique")]
