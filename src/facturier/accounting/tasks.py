"""Background work of the accounting app (run by `facturier worker`)."""

from django_tasks import task


@task()
def transfer_job(job_id: int) -> None:
    from facturier.accounting.jobs import job_run

    job_run(job_id)
