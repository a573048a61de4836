"""Background work of billing: ids in, idempotent."""

from __future__ import annotations

from django_tasks import task


@task()
def periods_close_task() -> list[int]:
    from facturier.billing.operator_billing import periods_close

    return periods_close()


@task()
def operator_invoice_task(*, usage_id: int) -> int | None:
    from facturier.billing.operator_billing import operator_invoice

    invoice = operator_invoice(usage_id=usage_id)
    return invoice.pk if invoice is not None else None


@task()
def tranche_notify_task(*, usage_id: int, before: int) -> None:
    from facturier.billing.operator_billing import tranche_notify

    tranche_notify(usage_id=usage_id, before=before)


@task()
def statement_send_task(*, usage_ids: list[int]) -> None:
    from facturier.billing.operator_billing import statement_send

    statement_send(usage_ids=usage_ids)
