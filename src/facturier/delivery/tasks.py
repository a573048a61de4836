"""Background work of the delivery app (run by `facturier worker`); each task is idempotent."""

from django_tasks import task


@task()
def outbox_flush_task(organisation_id: int) -> None:
    from facturier.delivery.outbox import outbox_flush

    outbox_flush(organisation_id=organisation_id)


@task()
def bounces_fetch_task(organisation_id: int) -> None:
    from facturier.delivery.bounces import bounces_fetch

    bounces_fetch(organisation_id=organisation_id)


@task()
def postal_fallback_task(organisation_id: int) -> None:
    from facturier.delivery.postal import postal_fallback

    postal_fallback(organisation_id=organisation_id)


@task()
def connector_flush_task(connector_id: int) -> None:
    from facturier.delivery.connectors.outbox import connector_flush

    connector_flush(connector_id=connector_id)
