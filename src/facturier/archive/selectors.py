"""Reads on the archive, always scoped by organisation: files, the journal, counters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from facturier.archive.keys import data_key
from facturier.archive.models import ArchiveEntry, ArchivePolicy, ArtefactKind, JournalRecord, journal_id
from facturier.archive.storage import get_blob
from facturier.engine.archive import JournalEntry, open_artefact

CHUNK = 5000


def archive_entries(*, organisation, start: dt.date | None = None, end: dt.date | None = None,
                    kinds=None) -> QuerySet[ArchiveEntry]:
    qs = ArchiveEntry.objects.filter(organisation=organisation)
    if start:
        qs = qs.filter(document_date__gte=start)
    if end:
        qs = qs.filter(document_date__lte=end)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return qs.order_by("journal_seq")


def document_archive(*, organisation, document_id: int, kind: str = ArtefactKind.FACTURX_PDF) -> ArchiveEntry | None:
    return ArchiveEntry.objects.filter(organisation=organisation, document_id=document_id, kind=kind).first()


def archived_content(entry: ArchiveEntry) -> bytes:
    """The archived file's bytes, decrypted (ContentShredded once purged, IntegrityError if tampered)."""
    key = data_key(entry.organisation_id, entry.key_version) if entry.wrapped_key else None
    blob = get_blob(entry.storage_key) if entry.wrapped_key else b""
    return open_artefact(key, bytes(entry.wrapped_key) if entry.wrapped_key else None, blob,
                         reference=entry.reference)


def archived_document_file(*, organisation, document_id: int) -> tuple[str, bytes] | None:
    """What the portal and exports serve for an issued document: its archived Factur-X, byte for byte."""
    entry = document_archive(organisation=organisation, document_id=document_id)
    return None if entry is None else (entry.filename, archived_content(entry))


_FIELDS = ("seq", "kind", "subject", "payload_digest", "prev_hash", "entry_hash", "recorded_at", "ref")


def journal_rows(organisation, *, start: int = 1, end: int | None = None) -> Iterator[tuple]:
    """The journal's rows as tuples in seq order, streamed (constant memory)."""
    qs = JournalRecord.objects.filter(organisation=organisation, seq__gte=start)
    if end is not None:
        qs = qs.filter(seq__lte=end)
    return qs.order_by("seq").values_list(*_FIELDS, "metadata").iterator(chunk_size=CHUNK)


def row_entry(row: tuple, organisation_key: str) -> JournalEntry:
    seq, kind, subject, digest, prev, entry_hash, recorded_at, ref = row[:8]
    return JournalEntry(seq=seq, kind=kind, organisation=organisation_key, subject=subject, payload_digest=digest,
                        prev_hash=prev, entry_hash=entry_hash, recorded_at=recorded_at.astimezone(dt.UTC), ref=ref)


def journal_entries(organisation, *, start: int = 1, end: int | None = None) -> Iterator[JournalEntry]:
    key = journal_id(organisation)
    for row in journal_rows(organisation, start=start, end=end):
        yield row_entry(row, key)


# --- counters -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArchiveCounters:
    """Documents archived by an organisation, in total and in its current subscription period."""

    total: int
    period: int
    period_start: dt.date
    period_end: dt.date
    """Last day of the current period."""
    files: int
    bytes: int


def _anniversary(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:  # 29 February in a common year
        return dt.date(year, month, 28)


def subscription_period(anniversary: dt.date, today: dt.date) -> tuple[dt.date, dt.date]:
    """The yearly period containing `today`, running from the anniversary (inclusive) to the next (exclusive)."""
    start = _anniversary(today.year, anniversary.month, anniversary.day)
    if start > today:
        start = _anniversary(today.year - 1, anniversary.month, anniversary.day)
    following = _anniversary(start.year + 1, anniversary.month, anniversary.day)
    return start, following - dt.timedelta(days=1)


def archive_counters(*, organisation, today: dt.date | None = None) -> ArchiveCounters:
    from django.db.models import Count, Sum

    today = today or timezone.localdate()
    policy = ArchivePolicy.objects.filter(organisation=organisation).first()
    anniversary = (policy.subscription_anniversary if policy and policy.subscription_anniversary
                   else timezone.localtime(organisation.created_at).date())
    start, end = subscription_period(anniversary, today)
    documents = ArchiveEntry.objects.filter(organisation=organisation, kind=ArtefactKind.FACTURX_PDF)
    start_at = timezone.make_aware(dt.datetime.combine(start, dt.time()))
    end_at = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
    files = ArchiveEntry.objects.filter(organisation=organisation).aggregate(n=Count("id"), size=Sum("size"))
    return ArchiveCounters(total=documents.count(),
                           period=documents.filter(archived_at__gte=start_at, archived_at__lt=end_at).count(),
                           period_start=start, period_end=end, files=files["n"] or 0, bytes=files["size"] or 0)


def unarchived_documents(*, organisation=None, issued_before: dt.datetime | None = None):
    """Issued documents missing one of their archived files (the Factur-X PDF or its XML), oldest first.

    `organisation=None` is the platform's own recovery job, which looks at every organisation.
    """
    from django.db.models import Exists, OuterRef, Q

    from facturier.invoicing.models import Document, State

    qs = Document.objects.exclude(state=State.DRAFT)
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    if issued_before is not None:
        qs = qs.filter(issued_at__lt=issued_before)

    def archived(kind):
        return Exists(ArchiveEntry.objects.filter(document=OuterRef("pk"), kind=kind))

    return qs.filter(~Q(archived(ArtefactKind.FACTURX_PDF)) | ~Q(archived(ArtefactKind.XML))).order_by("issued_at",
                                                                                                        "pk")
