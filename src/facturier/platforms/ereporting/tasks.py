"""The worker's side of e-reporting: at the end of each period, build, check and submit (idempotent)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task


@task()
def period_ends_task() -> int:
    """Enqueue one build-and-submit per period that ended without its report; returns how many."""
    from facturier.platforms.ereporting.services import due_periods, submissions_refused_sync

    submissions_refused_sync()
    todo = due_periods()
    for organisation_id, flow, start in todo:
        build_and_submit_task.enqueue(organisation_id=organisation_id, flow=flow, start=start.isoformat())
    return len(todo)


@task()
def build_and_submit_task(organisation_id: int, flow: str, start: str) -> str:
    from facturier.accounts.models import Organisation
    from facturier.platforms.ereporting.services import build_and_submit

    organisation = Organisation.objects.get(pk=organisation_id)
    return build_and_submit(organisation=organisation, flow=flow, start=dt.date.fromisoformat(start)).state
