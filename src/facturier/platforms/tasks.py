"""Background work of the platforms app (run by `facturier worker`); each task is idempotent."""

from django_tasks import task


@task()
def platform_flush_task(organisation_id: int) -> None:
    from facturier.platforms.outbox import platform_flush

    platform_flush(organisation_id=organisation_id)


@task()
def platform_poll_task(organisation_id: int) -> None:
    from facturier.platforms.statuses import statuses_poll

    statuses_poll(organisation_id=organisation_id)


@task()
def platform_status_apply_task(organisation_id: int, flow_id: str) -> None:
    from facturier.platforms.statuses import status_fetch_apply

    status_fetch_apply(organisation_id=organisation_id, flow_id=flow_id)


@task()
def platform_statuses_check_task(organisation_id: int) -> None:
    from facturier.platforms.statuses import statuses_check

    statuses_check(organisation_id=organisation_id)
