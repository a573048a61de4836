"""Sealing certificates and batch generation jobs (with the progress the UI and CLI show)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Organisation


class Certificate(models.Model):
    """An organisation's sealing certificate: the PKCS#12 and its password, encrypted at rest."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="certificates",
                                     verbose_name=_("organisation"))
    label = models.CharField(_("label"), max_length=200, blank=True)
    pkcs12 = models.BinaryField(_("PKCS#12 (encrypted)"), editable=False)
    password = models.BinaryField(_("password (encrypted)"), editable=False)
    holder = models.CharField(_("holder"), max_length=300)
    issuer = models.CharField(_("issuer"), max_length=300)
    serial = models.CharField(_("serial number"), max_length=100)
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"))
    is_demo = models.BooleanField(_("demo certificate"), default=False,
                                  help_text=_("Self-signed, for trying Facturier out: never for real invoices."))
    is_active = models.BooleanField(_("in use"), default=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("uploaded by"))

    class Meta:
        verbose_name = _("sealing certificate")
        verbose_name_plural = _("sealing certificates")
        ordering = ["organisation", "-is_active", "-uploaded_at"]
        constraints = [models.UniqueConstraint(fields=["organisation"], condition=models.Q(is_active=True),
                                               name="one_active_certificate")]

    def __str__(self) -> str:
        return f"{self.holder} ({self.not_after:%Y-%m-%d})" + (" — DÉMO" if self.is_demo else "")


class JobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class GenerationJob(models.Model):
    """A batch of Factur-X files being produced; its counters are the progress bar."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="generation_jobs",
                                     verbose_name=_("organisation"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("requested by"))
    document_ids = models.JSONField(_("documents"), default=list)
    signed = models.BooleanField(_("sealed"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    total = models.PositiveIntegerField(_("documents to produce"), default=0)
    done = models.PositiveIntegerField(_("produced"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    output_dir = models.CharField(_("folder"), max_length=500, blank=True)
    zip_path = models.CharField(_("ZIP file"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("generation job")
        verbose_name_plural = _("generation jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.done + self.failed}/{self.total} ({self.get_state_display()})"

    @property
    def progress(self) -> int:
        """Percentage of documents handled, for a progress bar."""
        return 100 if not self.total else round(100 * (self.done + self.failed) / self.total)
