"""Background work of the API: forgetting idempotency records once they expire."""

from __future__ import annotations

from django_tasks import task


@task()
def idempotency_cleanup_task() -> int:
    from facturier.api.idempotency import idempotency_cleanup

    return idempotency_cleanup()
