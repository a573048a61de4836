"""Background work of Chorus Pro (run by `facturier worker`); each task is idempotent."""

from django_tasks import task


@task()
def chorus_flush_task(organisation_id: int) -> None:
    from facturier.platforms.chorus.outbox import chorus_flush

    chorus_flush(organisation_id=organisation_id)


@task()
def chorus_poll_task(organisation_id: int) -> None:
    from facturier.platforms.chorus.outbox import chorus_poll

    chorus_poll(organisation_id=organisation_id)


def poll_all() -> None:
    """The periodic job: a poll for each organisation with invoices on Chorus Pro not yet final."""
    from facturier.platforms.chorus.outbox import followed

    for organisation_id in set(followed().values_list("organisation_id", flat=True)):
        chorus_poll_task.enqueue(organisation_id=organisation_id)
