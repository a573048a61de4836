"""Background work of the documents app (run by `facturier worker`)."""

from django_tasks import task


@task()
def generate_batch(job_id: int) -> None:
    from facturier.documents.batch import batch_run

    batch_run(job_id)
