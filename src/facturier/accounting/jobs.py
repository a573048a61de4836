"""Transfers too big for the time of a page: queued for the worker, their progress polled by the screen.

A transfer is one transaction (all or nothing), so its progress cannot be read from the rows it is
writing. The worker records it beside the transaction, per chunk: on PostgreSQL through a second
connection of its own (committed at once, visible to the screen while the transfer's transaction is
still open); on SQLite, where the transfer's transaction holds the only write lock, in a small file in
the data folder (an SQLite installation is one machine: the web server and the worker share that folder).
The job's outcome (done with its transfer, or failed with the reason) is written in the transfer's own
transaction, so a job is done exactly when its transfer exists, and a job run twice transfers once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from facturier.accounting.models import AccountingSettings, JobPhase, JobState, Transfer, TransferJob
from facturier.accounting.services import AccountingNotConfigured, pending_count, transfer_run
from facturier.accounts.models import Membership, Right
from facturier.accounts.services import require_right
from facturier.errors import FacturierError

EVERY_S = 0.25  # at most four progress writes a second
# A running job silent this long was abandoned (its worker died: its transaction was rolled back). Progress is
# written per chunk of a few thousand entries, a fraction of a second each; the longest silent step is the
# commit's foreign-key checks, about a minute for a million documents.
ABANDONED_AFTER = dt.timedelta(minutes=15)


def _progress_file(job_id: int) -> Path:
    return Path(settings.DATA_DIR) / "progress" / f"transfer-job-{job_id}.json"


class _Recorder:
    """Writes a job's progress where the screen can read it while the transfer's transaction is open."""

    def __init__(self, job_id: int):
        self.job_id, self.last = job_id, 0.0
        self.side = None
        if connection.vendor == "postgresql":
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)  # autocommit: each write is seen at once
        else:
            self.path = _progress_file(job_id)
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < EVERY_S and done < total:
            return
        self.last = now
        if self.side is not None:
            with self.side.cursor() as cursor:
                cursor.execute("UPDATE accounting_transferjob SET phase = %s, processed = %s, total = %s, "
                               "heartbeat_at = %s WHERE id = %s", [phase, done, total, timezone.now(), self.job_id])
        else:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"phase": phase, "processed": done, "total": total}))
            os.replace(tmp, self.path)

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
        else:
            self.path.unlink(missing_ok=True)


class JobAbandoned(FacturierError):
    code = "transfer_job_abandoned"


def live(job: TransferJob) -> TransferJob:
    """The job with its latest progress (on SQLite, read from the worker's progress file while it runs). A running
    job silent for ABANDONED_AFTER is recorded as failed: its worker died, and its transfer was rolled back (were
    its worker still alive, it finds the job no longer running at the end and rolls its transfer back)."""
    if job.state != JobState.RUNNING:
        return job
    beat = job.heartbeat_at or job.created_at
    if connection.vendor != "postgresql":
        path = _progress_file(job.pk)
        try:
            data = json.loads(path.read_text())
            beat = max(beat, dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC))
        except (OSError, ValueError):
            data = None
        if data:
            job.phase, job.processed, job.total = data["phase"], data["processed"], data["total"]
    if timezone.now() - beat > ABANDONED_AFTER:
        with translation.override(job.language):
            error = str(_("The worker running this transfer stopped; nothing was transferred. Start the transfer "
                          "again."))
        if TransferJob.objects.filter(pk=job.pk, state=JobState.RUNNING, heartbeat_at=job.heartbeat_at).update(
                state=JobState.FAILED, error=error, finished_at=timezone.now()):
            job.state, job.error = JobState.FAILED, error
    return job


def transfer_start(*, by: Membership, start: dt.date | None = None, end: dt.date | None = None,
                   document_ids: list[int] | None = None) -> Transfer | TransferJob:
    """Transfer now when it is small (at most FACTURIER_ACCOUNTING_SYNC_MAX documents and payments), else queue
    a job for the worker and return it (the screen then shows its progress)."""
    require_right(by, Right.RECORD_PAYMENTS)
    if document_ids is None and (start is None or end is None or end < start):
        from facturier.accounting.mapping import AccountingRefused

        raise AccountingRefused(_("Give a period: a start date and an end date after it."))
    org = by.organisation
    if not AccountingSettings.objects.filter(organisation=org).exists():
        raise AccountingNotConfigured(_("Set up the accounting (journals and accounts) before the first "
                                        "transfer."))
    size = pending_count(org, start=start, end=end, document_ids=document_ids)
    if size <= settings.FACTURIER_ACCOUNTING_SYNC_MAX:
        return transfer_run(by=by, start=start, end=end, document_ids=document_ids)
    from facturier.accounting.tasks import transfer_job

    with transaction.atomic():
        job = TransferJob.objects.create(organisation=org, member=by, language=translation.get_language() or "fr",
                                         period_start=start, period_end=end, document_ids=document_ids,
                                         total=size)
        transaction.on_commit(lambda: transfer_job.enqueue(job_id=job.pk))
    return job


def job_run(job_id: int) -> TransferJob:
    """Run a queued transfer job (the worker's task). Idempotent: a done or failed job is left as it is."""
    claimed = TransferJob.objects.filter(pk=job_id, state__in=(JobState.QUEUED, JobState.RUNNING)).update(
        state=JobState.RUNNING, phase=JobPhase.READ, processed=0, heartbeat_at=timezone.now())
    job = TransferJob.objects.select_related("member__organisation", "member__user").get(pk=job_id)
    if not claimed:
        return job
    recorder = _Recorder(job.pk)
    try:
        with translation.override(job.language), transaction.atomic():
            # The settings row is the transfers' lock (transfer_run takes it too): once it is ours, a run of the
            # same job by another worker has finished, and its outcome is visible. The job row itself is only
            # written at the end: the progress connection writes it meanwhile, and must never wait for us.
            AccountingSettings.objects.select_for_update().filter(organisation=job.organisation_id).first()
            if TransferJob.objects.filter(pk=job.pk, state=JobState.RUNNING).count() == 0:
                return TransferJob.objects.get(pk=job.pk)
            outcome = {"finished_at": timezone.now()}
            try:
                with transaction.atomic():
                    transfer = transfer_run(by=job.member, start=job.period_start, end=job.period_end,
                                            document_ids=job.document_ids, progress=recorder)
            except FacturierError as e:
                outcome.update(state=JobState.FAILED, error=str(e.message))
            else:
                done = transfer.documents_count + transfer.payments_count
                outcome.update(state=JobState.DONE, transfer=transfer, processed=done, total=done)
            if not TransferJob.objects.filter(pk=job.pk, state=JobState.RUNNING).update(**outcome):
                # Recorded as abandoned meanwhile (the screen said "nothing was transferred"): keep it true.
                raise JobAbandoned(_("The transfer job was recorded as abandoned; its transfer is rolled back."))
        return TransferJob.objects.get(pk=job.pk)
    except JobAbandoned:
        return TransferJob.objects.get(pk=job.pk)
    except Exception:
        TransferJob.objects.filter(pk=job.pk, state=JobState.RUNNING).update(
            state=JobState.FAILED, finished_at=timezone.now(),
            error=str(_("The transfer stopped on an unexpected error; nothing was transferred.")))
        raise
    finally:
        recorder.close()
