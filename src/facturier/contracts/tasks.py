"""The worker's side of contracts: invoice what is due (idempotent, safe to run twice)."""

from __future__ import annotations

from django_tasks import task


@task()
def generate_due_task(organisation_id: int | None = None) -> int:
    from facturier.contracts.services import generate_due

    return generate_due(organisation_id=organisation_id)
