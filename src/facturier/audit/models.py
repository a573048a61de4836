"""The append-only audit log (piste d'audit fiable): who did what, when, before and after.

Rows are inserted, never updated or deleted: the model and its queryset refuse it, and
database triggers (see the migration) refuse it from any other code path too.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.errors import FacturierError


class AuditLogIsAppendOnly(FacturierError):
    code = "audit_append_only"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        self.model.refuse_change()

    def delete(self):
        self.model.refuse_change()

    def bulk_update(self, *args, **kwargs):
        self.model.refuse_change()


class AppendOnly(models.Model):
    """Rows that are inserted, never updated or deleted, refused with the subclass's own error.
    Database triggers (in each app's migrations) refuse it from any other code path too."""

    append_only_error: ClassVar[type[FacturierError]]
    append_only_message: ClassVar[str]

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    @classmethod
    def refuse_change(cls):
        raise cls.append_only_error(cls.append_only_message)

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            self.refuse_change()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self.refuse_change()


class Event(AppendOnly):
    append_only_error = AuditLogIsAppendOnly
    append_only_message = _("The audit log cannot be changed or deleted.")

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("organisation"))
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("who"))
    actor_label = models.CharField(_("who (as shown)"), max_length=200, blank=True,
                                   help_text=_("Kept so the log stays readable if the user is renamed."))
    action = models.CharField(_("action"), max_length=60)
    subject_type = models.CharField(_("subject type"), max_length=60)
    subject_id = models.CharField(_("subject id"), max_length=40)
    subject_label = models.CharField(_("subject"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("after"), null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["organisation", "subject_type", "subject_id"], name="audit_subject")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.subject_label}"
