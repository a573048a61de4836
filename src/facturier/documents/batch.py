"""Batch generation: Factur-X files (sealed or not) for a selection, with progress, and a ZIP.

The job row is the progress record: counters are saved as documents are produced, so the
UI's progress bar and `facturier documents export` show them while the work runs. A job
run twice produces each file again in place (same names), so a retried task is harmless.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Membership, Organisation, Right
from facturier.accounts.services import require_right
from facturier.documents.models import GenerationJob, JobState
from facturier.documents.services import facturx_of
from facturier.errors import FacturierError
from facturier.invoicing.models import Document, State

PROGRESS_EVERY = 10


class NothingToGenerate(FacturierError):
    code = "nothing_to_generate"


def output_dir(organisation: Organisation, job: GenerationJob) -> Path:
    return Path(settings.DATA_DIR) / "organisations" / organisation.slug / "facturx" / f"job-{job.pk}"


def batch_create(*, by: Membership | None, organisation: Organisation, document_ids: list[int],
                 signed: bool) -> GenerationJob:
    """Record a job for the issued documents among `document_ids` (drafts have no Factur-X)."""
    if by is not None:
        require_right(by, Right.SEND)
    ids = list(Document.objects.filter(organisation=organisation, pk__in=document_ids)
               .exclude(state=State.DRAFT).order_by("issue_date", "number_value").values_list("pk", flat=True))
    if not ids:
        raise NothingToGenerate(_("None of the selected documents is issued: there is nothing to generate."))
    return GenerationJob.objects.create(organisation=organisation, requested_by=getattr(by, "user", None),
                                        document_ids=ids, signed=signed, total=len(ids))


def batch_start(*, by: Membership, document_ids: list[int], signed: bool) -> GenerationJob:
    """Queue a job for the worker once the transaction commits."""
    from facturier.documents.tasks import generate_batch

    with transaction.atomic():
        job = batch_create(by=by, organisation=by.organisation, document_ids=document_ids, signed=signed)
        transaction.on_commit(lambda: generate_batch.enqueue(job_id=job.pk))
    return job


def batch_run(job_id: int, *, out: Path | None = None) -> GenerationJob:
    """Produce every file of the job, one per document, then the ZIP; errors are recorded per document."""
    job = GenerationJob.objects.select_related("organisation").get(pk=job_id)
    if job.state == JobState.DONE:
        return job
    folder = out or output_dir(job.organisation, job)
    folder.mkdir(parents=True, exist_ok=True)
    job.state, job.started_at, job.output_dir = JobState.RUNNING, timezone.now(), str(folder)
    job.done = job.failed = 0
    job.errors = []
    job.save(update_fields=["state", "started_at", "output_dir", "done", "failed", "errors"])
    documents = Document.objects.filter(organisation=job.organisation, pk__in=job.document_ids).select_related(
        "organisation", "customer").order_by("issue_date", "number_value")
    written: list[Path] = []
    for document in documents.iterator(chunk_size=200):
        try:
            produced = facturx_of(document, signed=job.signed)
        except FacturierError as e:
            job.failed += 1
            job.errors.append({"document": document.number, "error": e.message})
        except Exception as e:  # noqa: BLE001 — one broken document must not stop the batch; it is reported
            job.failed += 1
            job.errors.append({"document": document.number, "error": f"{type(e).__name__}: {e}"})
        else:
            path = folder / produced.filename
            tmp = path.with_suffix(".part")
            tmp.write_bytes(produced.data)
            tmp.replace(path)
            written.append(path)
            job.done += 1
        if (job.done + job.failed) % PROGRESS_EVERY == 0:
            job.save(update_fields=["done", "failed", "errors"])
    zip_path = folder.with_suffix(".zip")
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_STORED) as archive:  # PDFs are compressed
        for path in written:
            archive.write(path, arcname=path.name)
    job.zip_path = str(zip_path)
    job.state = JobState.DONE if job.failed == 0 else JobState.FAILED
    job.finished_at = timezone.now()
    job.save()
    return job


def issued_between(organisation: Organisation, start: dt.date | None, end: dt.date | None) -> list[int]:
    qs = Document.objects.filter(organisation=organisation).exclude(state=State.DRAFT)
    if start:
        qs = qs.filter(issue_date__gte=start)
    if end:
        qs = qs.filter(issue_date__lte=end)
    return list(qs.values_list("pk", flat=True))
