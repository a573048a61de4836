"""Background work of terminations: the export, then (daily) the erasure after the grace period."""

from django_tasks import task


@task()
def termination_export_task(termination_id: int) -> str:
    from facturier.accounts.termination import termination_export

    return termination_export(termination_id=termination_id).export_sha256


@task()
def termination_erase_due_task() -> int:
    from facturier.accounts.termination import termination_erase_due

    return termination_erase_due()
