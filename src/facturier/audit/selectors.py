"""Reads on the audit log, always within one organisation."""

from __future__ import annotations

from django.db import models
from django.db.models import QuerySet

from facturier.audit.models import Event


def events_of(*, organisation, subject: models.Model | None = None) -> QuerySet[Event]:
    qs = Event.objects.filter(organisation=organisation)
    if subject is not None:
        qs = qs.filter(subject_type=subject._meta.label_lower, subject_id=str(subject.pk))
    return qs.order_by("at", "id")
