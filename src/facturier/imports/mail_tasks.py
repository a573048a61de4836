"""Background work of the import by e-mail (run by `facturier worker`); each task is idempotent."""

from django_tasks import task


@task()
def mail_import_fetch_task() -> None:
    from facturier.imports.mail_intake import imap_fetch

    imap_fetch()


@task()
def mail_import_spool_task() -> None:
    from facturier.imports.mail_intake import spool_drain

    spool_drain()


@task()
def auto_deliver_task(document_id: int) -> None:
    from facturier.imports.autodeliver import auto_deliver

    auto_deliver(document_id=document_id)
