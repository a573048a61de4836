"""Background work of the webhooks (run by `facturier worker`); idempotent: a flush sends what is due."""

from django_tasks import task


@task()
def webhooks_flush_task(organisation_id: int) -> None:
    from facturier.api.webhook_sender import webhooks_flush

    webhooks_flush(organisation_id=organisation_id)
