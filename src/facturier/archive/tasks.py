"""Background work of the archive (run by `facturier worker`).

`archive_document` is queued on commit by `document_issue` (and again by the recovery job when
a worker died during the ingest); `archive_documents` by `documents_issue`, one task for each
chunk of a batch's issued documents instead of one task row per document.
`seal_checkpoints`, `purge_expired` and `backfill_unarchived` are the daily jobs, enqueued by the worker's own schedule
(`facturier.config.schedule`; `facturier archive checkpoint` and `purge` run them by hand).
Each is idempotent: run twice, it does the work once.
"""

from django_tasks import task


@task()
def archive_document(document_id: int) -> list[int]:
    from facturier.archive.services import archive_document as archive

    return [entry.pk for entry in archive(document_id)]


@task()
def archive_documents(document_ids: list[int]) -> list[int]:
    """Archive each of these issued documents (idempotent, like `archive_document`). One document's
    failure does not stop the others; the task then fails naming them, and the recovery job and the
    daily backfill archive what is still missing."""
    import logging

    from facturier.archive.services import archive_document as archive

    done, failed = [], []
    for pk in document_ids:
        try:
            done.extend(entry.pk for entry in archive(pk))
        except Exception:  # noqa: BLE001 - the others are archived all the same; this one is retried
            logging.getLogger(__name__).exception("archiving document %s failed", pk)
            failed.append(pk)
    if failed:
        raise RuntimeError(f"archiving failed for documents {failed}")
    return done


@task()
def seal_checkpoints() -> int:
    from facturier.archive.services import checkpoint_all

    return checkpoint_all()


@task()
def purge_expired() -> int:
    from facturier.archive.services import archive_purge

    return archive_purge()


@task()
def backfill_unarchived() -> dict[str, list[str]]:
    from facturier.archive.services import archive_backfill_all

    return archive_backfill_all()
