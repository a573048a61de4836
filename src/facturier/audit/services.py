"""Writing to the audit log: one call per change of state, payment, send or write-off."""

from __future__ import annotations

from typing import Any

from django.db import models

from facturier.audit.models import Event


def audit_record(*, actor: Any, subject: models.Model, action: str, before: dict | None = None,
                 after: dict | None = None, organisation: Any = None) -> Event:
    """Append one event. `actor` is a Membership, a User or None (the system, a customer's link)."""
    user = getattr(actor, "user", actor)
    if organisation is None:
        organisation = getattr(actor, "organisation", None) or getattr(subject, "organisation", None)
    return Event.objects.create(
        organisation=organisation,
        actor=user if user is not None and user.pk else None,
        # a member acting through an API key carries its own label ("<member> (API key fk_…)")
        actor_label=(getattr(actor, "audit_label", None) or str(user)) if user is not None else "système",
        action=action,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        subject_label=str(subject)[:200],
        before=before,
        after=after,
    )
