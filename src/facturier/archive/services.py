"""Writes on the archive: ingest, the journal, checkpoints, purge and legal hold.

Every journal append happens under the organisation's `JournalHead` row lock, inside the
transaction that records what the entry is about, so the journal and the rows it proves
commit together or not at all. Slow work (rendering, sealing, time-stamping, encrypting,
storing) happens before the lock is taken.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.archive.keys import current_data_key, operator_key, stamped_time, timestamper
from facturier.archive.models import (
    MEDIA_TYPES,
    SINGLE_PER_DOCUMENT,
    ArchiveEntry,
    ArchivePolicy,
    ArtefactKind,
    Checkpoint,
    EntryKind,
    JournalHead,
    JournalRecord,
    journal_id,
)
from facturier.archive.storage import discard_blob, put_blob
from facturier.billing.services import meter_archived
from facturier.engine.archive import (
    Anchor,
    JournalEntry,
    make_checkpoint,
    next_entry,
    payload_digest,
    seal_artefact,
)
from facturier.errors import FacturierError

log = logging.getLogger(__name__)


class NotArchivable(FacturierError):
    code = "not_archivable"


# --- the journal --------------------------------------------------------------------------------


def _pk(organisation) -> int:
    return organisation.pk if hasattr(organisation, "pk") else int(organisation)


def _key_share(*targets: tuple[str, int | None]) -> None:
    """Take, before the head, the row locks the inserts' foreign-key checks will need (PostgreSQL).

    Services lock their rows first and the head last (`document_get` locks the document,
    its customer and its organisation FOR UPDATE, then audits). The archive's own
    transactions take the head and only then, at commit, the FOR KEY SHARE locks of their
    foreign keys — a cycle. Taking those KEY SHARE locks first keeps one lock order.
    """
    if connection.vendor != "postgresql":
        return  # SQLite transactions are serialised as a whole (IMMEDIATE)
    with connection.cursor() as cursor:
        for table, pk in targets:
            if pk is not None:
                cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR KEY SHARE", [pk])


_HEAD = JournalHead._meta.db_table
_ENTRY = ArchiveEntry._meta.db_table
_POLICY = ArchivePolicy._meta.db_table


@dataclass(slots=True)
class _Head:
    """An organisation's journal head, its row locked by `_locked_head` until the transaction ends."""

    organisation_id: int
    seq: int
    hash: str
    recorded_at: dt.datetime | None


def utc_of_row(moment: dt.datetime | None) -> dt.datetime | None:
    """A datetime read with plain SQL, aware and in UTC: SQLite gives naive UTC values, PostgreSQL aware ones."""
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _locked_head(organisation, *, references: tuple[tuple[str, int | None], ...] = ()) -> _Head:
    """Lock the organisation's journal head row (created on first use) and read it.

    Plain SQL: every journal append — every audited change of the whole application —
    runs this, and the ORM's query building costs ten times the query itself.
    """
    organisation_id = _pk(organisation)
    targets = [(table, pk) for table, pk in (("accounts_organisation", organisation_id), *references) if pk is not None]
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""  # SQLite: BEGIN IMMEDIATE
    sql = f"SELECT seq, hash, recorded_at FROM {_HEAD} WHERE organisation_id = %s{lock}"
    row = None
    if connection.vendor == "postgresql":
        # The KEY SHARE locks of `_key_share` and the head's lock in one statement: each EXISTS is an
        # uncorrelated InitPlan, run (and its row locked) before the head's row is read and locked,
        # so the lock order is `_key_share`'s, one round trip less under the head's lock.
        exists = "".join(f" AND EXISTS (SELECT 1 FROM {table} WHERE id = %s FOR KEY SHARE)" for table, _pk_ in targets)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT seq, hash, recorded_at FROM {_HEAD} WHERE organisation_id = %s{exists} FOR UPDATE",
                           [organisation_id, *(pk for _t, pk in targets)])
            row = cursor.fetchone()
    if row is None:
        _key_share(*targets)
        with connection.cursor() as cursor:
            cursor.execute(sql, [organisation_id])
            row = cursor.fetchone()
    if row is None:
        try:
            with transaction.atomic():
                JournalHead.objects.create(organisation_id=organisation_id)
        except IntegrityError:
            pass
        with connection.cursor() as cursor:
            cursor.execute(sql, [organisation_id])
            row = cursor.fetchone()
    return _Head(organisation_id, row[0], row[1], utc_of_row(row[2]))


_ADVANCE = f"UPDATE {_HEAD} SET seq = %s, hash = %s, recorded_at = %s WHERE organisation_id = %s AND seq = %s"


def _advance_params(head: _Head, entry: JournalEntry) -> list:
    return [entry.seq, entry.entry_hash, connection.ops.adapt_datetimefield_value(entry.recorded_at),
            head.organisation_id, head.seq]


def _check_advanced(head: _Head, rowcount: int) -> None:
    if rowcount != 1:  # the head moved under us: the lock was not held
        raise RuntimeError(f"journal head of organisation {head.organisation_id} moved during an append")


def _advance(head: _Head, entry: JournalEntry) -> None:
    """Move the locked head to `entry`: one UPDATE of the row `_locked_head` locked."""
    with connection.cursor() as cursor:
        cursor.execute(_ADVANCE, _advance_params(head, entry))
        _check_advanced(head, cursor.rowcount)
    head.seq, head.hash, head.recorded_at = entry.seq, entry.entry_hash, entry.recorded_at


_RECORD_FIELDS = [JournalRecord._meta.get_field(name) for name in (
    "organisation_id", "seq", "kind", "subject", "payload_digest", "prev_hash", "entry_hash", "recorded_at", "ref",
    "metadata")]
_RECORD_INSERT = (f"INSERT INTO {JournalRecord._meta.db_table} ({', '.join(f.column for f in _RECORD_FIELDS)}) "
                  f"VALUES ({', '.join(['%s'] * len(_RECORD_FIELDS))})")


def journal_append(organisation, *, kind: str, subject: str, digest: str, ref: int | None = None,
                   metadata: dict | None = None, head: _Head | None = None) -> JournalEntry:
    """Append one entry to the organisation's journal (call inside a transaction; locks the head).

    The row is inserted with plain SQL, each value prepared by its model field as the ORM
    would (a third of `objects.create()`'s cost: this runs for every audited change).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("journal_append must run inside the transaction that records its subject")
    head = head or _locked_head(organisation)
    now = timezone.now()
    if head.recorded_at is not None:
        now = max(now, head.recorded_at)  # the journal's clock never goes backwards
    entry = next_entry(Anchor(head.seq, head.hash), kind=kind, organisation=journal_id(organisation),
                       subject=subject, payload_digest=digest, recorded_at=now, ref=ref)
    values = (_pk(organisation), entry.seq, kind, subject, digest, entry.prev_hash, entry.entry_hash,
              entry.recorded_at, ref, metadata)
    prepared = [field.get_db_prep_save(value, connection) for field, value in zip(_RECORD_FIELDS, values, strict=True)]
    if connection.vendor == "postgresql":
        # The insert and the head's move in one statement: one round trip less under the head's lock.
        with connection.cursor() as cursor:
            cursor.execute(f"WITH record AS ({_RECORD_INSERT} RETURNING seq) {_ADVANCE}",
                           [*prepared, *_advance_params(head, entry)])
            _check_advanced(head, cursor.rowcount)
        head.seq, head.hash, head.recorded_at = entry.seq, entry.entry_hash, entry.recorded_at
        return entry
    with connection.cursor() as cursor:
        cursor.execute(_RECORD_INSERT, prepared)
    _advance(head, entry)
    return entry


_CHANGES = DjangoJSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
"""What `json.dumps(..., cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False, separators=(",", ":"))`
builds, without making an encoder per call (verification runs this once per audit event)."""


def audit_metadata(event) -> dict:
    """What the journal proves about an audit event: who, what, when, and a digest of before/after."""
    return audit_metadata_of(event.pk, event.at, event.action, event.actor_id, event.actor_label,
                             event.subject_type, event.subject_id, event.before, event.after)


def audit_metadata_of(pk: int, at: dt.datetime, action: str, actor_id: int | None, actor_label: str,
                      subject_type: str, subject_id: str, before, after) -> dict:
    """`audit_metadata` from an event's column values, as verification reads them (`at` timezone-aware, or
    naive in UTC as SQLite returns it)."""
    changes = _CHANGES.encode({"before": before, "after": after})
    return {"event": pk, "at": utc_of_row(at).isoformat(timespec="microseconds"),
            "action": action, "actor": actor_id, "actor_label": actor_label,
            "subject_type": subject_type, "subject_id": subject_id,
            "changes": hashlib.sha256(changes.encode()).hexdigest()}


def journal_audit_event(event) -> JournalEntry | None:
    """Chain one audit event into its organisation's journal (same transaction as the event)."""
    if event.organisation_id is None:
        return None  # platform-level events (no tenant) have no organisation journal
    # No savepoint (two round trips, under the head's lock): a failure here fails the whole
    # transaction that records the event, which must not commit the event unchained anyway.
    with transaction.atomic(savepoint=False):
        return journal_append(event.organisation_id, kind=EntryKind.AUDIT,
                              subject=f"audit:{event.pk}", digest=payload_digest(audit_metadata(event)))


def journal_backfill_audit(organisation) -> int:
    """Chain the organisation's audit events that are not in its journal yet (those from before the archive)."""
    from facturier.audit.models import Event

    chained = {int(s.split(":", 1)[1]) for s in JournalRecord.objects.filter(
        organisation=organisation, kind=EntryKind.AUDIT).values_list("subject", flat=True)}
    added = 0
    for event in Event.objects.filter(organisation=organisation).order_by("id").iterator(chunk_size=1000):
        if event.pk not in chained:
            journal_audit_event(event)
            added += 1
    return added


# --- ingest -------------------------------------------------------------------------------------


def retention_years(organisation) -> int:
    policy = ArchivePolicy.objects.filter(organisation=organisation).first()
    return policy.retention_years if policy else settings.FACTURIER_ARCHIVE_RETENTION_YEARS


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def retention_end(organisation, day: dt.date) -> dt.date:
    """Kept until the end of the year `retention_years` after the document's date (fiscal years end in December)."""
    return dt.date(_add_years(day, retention_years(organisation)).year, 12, 31)


@dataclass(frozen=True, slots=True)
class Artefact:
    """A file to archive and what it is about."""

    kind: str
    filename: str
    data: bytes
    reference: str
    document: object | None = None
    customer_id: int | None = None
    owner_user_id: int | None = None
    number: str = ""
    date: dt.date | None = None


def _storage_name(organisation, artefact: Artefact, blob_sha256: str, when: dt.datetime) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", artefact.reference)[:120]
    return f"{organisation.slug}/{when:%Y/%m}/{safe}-{blob_sha256[:16]}.fxb"


def _lookup(organisation_id: int, artefact: Artefact, fingerprint: str) -> tuple[int | None, int]:
    """What ingest reads before its work, in one round trip of plain SQL (the ORM's query building costs
    more than the queries): the id of the entry that already archives this file — or this document's
    file of this kind — if any, and the organisation's retention in years."""
    kind = str(artefact.kind)
    same_file = f"SELECT id FROM {_ENTRY} WHERE organisation_id = %s AND fingerprint = %s AND kind = %s"
    params: list = [organisation_id, fingerprint, kind]
    document_id = getattr(artefact.document, "pk", None)
    if document_id is not None and kind in SINGLE_PER_DOCUMENT:
        same_document = f"(SELECT id FROM {_ENTRY} WHERE document_id = %s AND kind = %s)"
        params += [document_id, kind]
    else:
        same_document = "NULL"
    policy = f"SELECT retention_years FROM {_POLICY} WHERE organisation_id = %s"
    params.append(organisation_id)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(({same_file}), {same_document}), ({policy})", params)
        found, years = cursor.fetchone()
    return found, years or settings.FACTURIER_ARCHIVE_RETENTION_YEARS


def archive_artefact(organisation, artefact: Artefact, *, timestamp=None, time_stamped: bool = True) -> ArchiveEntry:
    """Fingerprint, time-stamp, encrypt, store and journal one file; the existing entry if already archived.

    `timestamp` is the `digest -> token` callable (the organisation's TSA by default).
    """
    fingerprint = hashlib.sha256(artefact.data).hexdigest()
    found, years = _lookup(organisation.pk, artefact, fingerprint)
    if found is not None:
        return ArchiveEntry.objects.get(pk=found)
    retain_until = dt.date(_add_years(artefact.date or timezone.localdate(), years).year, 12, 31)
    stamp = timestamp or timestamper(organisation)
    token = stamp(bytes.fromhex(fingerprint)) if time_stamped else b""
    stamped_at = stamped_time(stamp, token, bytes.fromhex(fingerprint)) if token else timezone.now()
    sealed = seal_artefact(current_data_key(organisation), artefact.data, reference=artefact.reference,
                           fingerprint=fingerprint)
    now = timezone.now()
    name = put_blob(_storage_name(organisation, artefact, sealed.blob_sha256, now), sealed.blob,
                    retain_until=retain_until)
    entry = _entry(organisation, artefact, sealed, name=name, token=token, stamped_at=stamped_at, now=now,
                   retain_until=retain_until)
    digest = payload_digest(entry.metadata())
    try:
        with transaction.atomic():
            head = _locked_head(organisation, references=_references([artefact]))
            entry.journal_seq = head.seq + 1
            journal_append(organisation, kind=EntryKind.ARTEFACT, subject=artefact.reference, digest=digest,
                           head=head)
            entry.save(force_insert=True)  # the unique constraints catch a concurrent archiving of the same file
            meter_archived(organisation, [entry])  # billing: counted in the transaction that archives
    except IntegrityError:
        again = _existing(organisation, artefact, fingerprint)
        if again is None:
            raise
        discard_blob(name)  # lost the race: the first one stays, the journal did not move
        return again
    return entry


def _entry(organisation, artefact: Artefact, sealed, *, name: str, token: bytes, stamped_at: dt.datetime,
           now: dt.datetime, retain_until: dt.date) -> ArchiveEntry:
    return ArchiveEntry(
        organisation=organisation, document=artefact.document, kind=artefact.kind, filename=artefact.filename,
        media_type=MEDIA_TYPES.get(artefact.kind, "application/octet-stream"), size=sealed.size,
        fingerprint=sealed.fingerprint, blob_sha256=sealed.blob_sha256, storage_key=name,
        reference=artefact.reference, wrapped_key=sealed.wrapped_key, key_version=sealed.key_version,
        timestamp_token=token, timestamped_at=stamped_at, owner_user_id=artefact.owner_user_id,
        customer_id=artefact.customer_id, document_number=artefact.number, document_date=artefact.date,
        archived_at=now, retention_until=retain_until, journal_seq=0)


def _references(artefacts) -> tuple[tuple[str, int | None], ...]:
    """The rows the entries' foreign keys point to, for `_key_share`, in a fixed order."""
    found = set()
    for a in artefacts:
        found |= {("invoicing_document", getattr(a.document, "pk", None)), ("parties_customer", a.customer_id),
                  ("accounts_user", a.owner_user_id)}
    return tuple(sorted(found, key=str))


STORE_THREADS = 8
"""Blobs of one batch stored at once: writes and fsyncs wait on the disk (or S3), not on the CPU."""


def archive_artefacts(organisation, artefacts: list[Artefact], *, timestamp=None,
                      time_stamped: bool = True) -> list[ArchiveEntry]:
    """`archive_artefact` for many files of one organisation (imports, backfills): the same work, the blobs
    stored concurrently, one journal lock and two bulk inserts for the whole batch. Files already archived
    are returned as they are."""
    prepared = artefacts_prepare(organisation, artefacts, timestamp=timestamp, time_stamped=time_stamped)
    try:
        return artefacts_record(organisation, prepared)
    except IntegrityError:  # archived concurrently meanwhile: redo one by one (each one idempotent)
        artefacts_discard(prepared)
        return [archive_artefact(organisation, a, timestamp=timestamp, time_stamped=time_stamped)
                for a in artefacts]


@dataclass(slots=True)
class Prepared:
    """Artefacts time-stamped, sealed and stored, not yet journalled (`artefacts_record` does that)."""

    artefacts: list[Artefact]
    prints: list[str]
    known: dict
    fresh: list[tuple[Artefact, ArchiveEntry]]


def artefacts_prepare(organisation, artefacts: list[Artefact], *, timestamp=None,
                      time_stamped: bool = True, years: int | None = None) -> Prepared:
    """The slow half of archiving — fingerprint, time-stamp, seal, store — done before any lock is taken.
    The entries' links (document, customer, owner, number, date) may still be set before they are recorded;
    a caller that does not record them calls `artefacts_discard`. `years`: the organisation's
    `retention_years`, when the caller already read it (an import reads it once per batch)."""
    from concurrent.futures import ThreadPoolExecutor

    prints = [hashlib.sha256(a.data).hexdigest() for a in artefacts]
    known = {(e.fingerprint, e.kind): e for e in ArchiveEntry.objects.filter(
        organisation=organisation, fingerprint__in=prints).order_by()}
    years = retention_years(organisation) if years is None else years
    key = current_data_key(organisation)
    stamp = (timestamp or timestamper(organisation)) if time_stamped else None
    fresh: list[tuple[Artefact, ArchiveEntry]] = []
    with ThreadPoolExecutor(STORE_THREADS, thread_name_prefix="archive-store") as pool:
        stored = []
        for artefact, fingerprint in zip(artefacts, prints, strict=True):
            if (fingerprint, artefact.kind) in known:
                continue
            known[(fingerprint, artefact.kind)] = None  # twice in the batch: archived once
            retain_until = dt.date(_add_years(artefact.date or timezone.localdate(), years).year, 12, 31)
            token = stamp(bytes.fromhex(fingerprint)) if stamp else b""
            sealed = seal_artefact(key, artefact.data, reference=artefact.reference, fingerprint=fingerprint)
            now = timezone.now()
            name = _storage_name(organisation, artefact, sealed.blob_sha256, now)
            stored.append(pool.submit(put_blob, name, sealed.blob, retain_until=retain_until))
            fresh.append((artefact, _entry(
                organisation, artefact, sealed, name=name, token=token, now=now, retain_until=retain_until,
                stamped_at=stamped_time(stamp, token, bytes.fromhex(fingerprint)) if token else now)))
            del sealed  # the blob is the pool's now
        failed = [f.exception() for f in stored if f.exception() is not None]
    prepared = Prepared(list(artefacts), prints, known, fresh)
    if failed:
        artefacts_discard(prepared)
        raise failed[0]
    return prepared


def artefacts_discard(prepared: Prepared) -> None:
    """Forget prepared artefacts that will not be recorded: their stored blobs are removed."""
    for _artefact, entry in prepared.fresh:
        discard_blob(entry.storage_key)


def artefacts_record(organisation, prepared: Prepared) -> list[ArchiveEntry]:
    """The quick half: journal the prepared entries under the organisation's head lock and insert them.
    Raises IntegrityError when one of the files was archived meanwhile (the caller discards or retries)."""
    known, fresh, artefacts, prints = prepared.known, prepared.fresh, prepared.artefacts, prepared.prints
    if not fresh:
        return [known[(f, a.kind)] for a, f in zip(artefacts, prints, strict=True)]
    with transaction.atomic():
        head = _locked_head(organisation, references=_references(e for _a, e in fresh))
        previous, records = Anchor(head.seq, head.hash), []
        now = max(timezone.now(), head.recorded_at or timezone.now())
        for artefact, entry in fresh:
            link = next_entry(previous, kind=EntryKind.ARTEFACT, organisation=journal_id(organisation),
                              subject=artefact.reference, payload_digest=payload_digest(entry.metadata()),
                              recorded_at=now)
            entry.journal_seq = link.seq
            records.append(JournalRecord(
                organisation=organisation, seq=link.seq, kind=link.kind, subject=link.subject,
                payload_digest=link.payload_digest, prev_hash=link.prev_hash, entry_hash=link.entry_hash,
                recorded_at=link.recorded_at))
            previous = link
        JournalRecord.objects.bulk_create(records)
        ArchiveEntry.objects.bulk_create([e for _a, e in fresh])
        meter_archived(organisation, [e for _a, e in fresh])  # billing: counted in this transaction
        _advance(head, previous)
    made = {(e.fingerprint, e.kind): e for _a, e in fresh}
    return [known.get((f, a.kind)) or made[(f, a.kind)] for a, f in zip(artefacts, prints, strict=True)]


def _existing(organisation, artefact: Artefact, fingerprint: str) -> ArchiveEntry | None:
    # No ordering: `.first()` would order by the model's (organisation, journal_seq) and let
    # SQLite walk that index instead of the unique (organisation, fingerprint, kind) one.
    found = next(iter(ArchiveEntry.objects.filter(organisation=organisation, fingerprint=fingerprint,
                                                  kind=artefact.kind).order_by()[:1]), None)
    if found is None and artefact.document is not None and artefact.kind in (ArtefactKind.FACTURX_PDF,
                                                                               ArtefactKind.XML):
        found = next(iter(ArchiveEntry.objects.filter(document=artefact.document, kind=artefact.kind)
                          .order_by()[:1]), None)
    return found


def archive_document(document_id: int) -> list[ArchiveEntry]:
    """Archive an issued document's legal files: its Factur-X PDF (sealed when the organisation seals)
    and the CII XML it carries. Idempotent: a document already archived is not produced again."""
    from facturier.documents.services import facturx_of
    from facturier.engine.facturx.unpack import unpack_facturx
    from facturier.invoicing.models import IMPORTED_SERIES_CODE, Document, State

    document = Document.objects.select_related("organisation", "customer", "series").get(pk=document_id)
    if document.state == State.DRAFT:
        raise NotArchivable(_("A draft is not archived: issue it first."))
    organisation = document.organisation
    done = {e.kind: e for e in ArchiveEntry.objects.filter(document=document,
                                                            kind__in=[ArtefactKind.FACTURX_PDF, ArtefactKind.XML])}
    if len(done) == 2:
        return [done[ArtefactKind.FACTURX_PDF], done[ArtefactKind.XML]]
    if document.series.code == IMPORTED_SERIES_CODE:
        return list(done.values())  # imported: the files received were archived at import, none is produced
    common = {"document": document, "customer_id": document.customer_id, "owner_user_id": document.issued_by_id,
              "number": document.number, "date": document.issue_date}
    base = f"document:{document.pk}"
    if not done:
        # The usual case, just issued: both files in one journal transaction (one lock, one fsync).
        produced = facturx_of(document)
        return archive_artefacts(organisation, [
            Artefact(kind=ArtefactKind.FACTURX_PDF, filename=produced.filename, data=produced.data,
                     reference=f"{base}/facturx-pdf", **common),
            Artefact(kind=ArtefactKind.XML, filename=f"{document.number}.xml",
                     data=unpack_facturx(produced.data).xml, reference=f"{base}/cii-xml", **common)])
    pdf_entry = done.get(ArtefactKind.FACTURX_PDF)
    if pdf_entry is None:
        produced = facturx_of(document)
        pdf = produced.data
        pdf_entry = archive_artefact(organisation, Artefact(kind=ArtefactKind.FACTURX_PDF, filename=produced.filename,
                                                            data=pdf, reference=f"{base}/facturx-pdf", **common))
    else:
        from facturier.archive.selectors import archived_content

        pdf = archived_content(pdf_entry)
    xml_entry = done.get(ArtefactKind.XML)
    if xml_entry is None:
        attachment = unpack_facturx(pdf)
        xml_entry = archive_artefact(organisation, Artefact(
            kind=ArtefactKind.XML, filename=f"{document.number}.xml", data=attachment.xml,
            reference=f"{base}/cii-xml", **common))
    return [pdf_entry, xml_entry]


def _archive_tasks_waiting() -> set[int]:
    """The documents whose archiving task is queued or running (none when tasks run at once)."""
    from django_tasks import default_task_backend

    if not default_task_backend.supports_get_result:
        return set()
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from facturier.archive.tasks import archive_document, archive_documents

    waiting = DBTaskResult.objects.filter(task_path__in=(archive_document.module_path, archive_documents.module_path),
                                          status__in=(TaskResultStatus.READY, TaskResultStatus.RUNNING)
                                          ).values_list("args_kwargs", flat=True)
    ids = set()
    for kw in waiting:  # one document (`archive_document`) or a batch's chunk (`archive_documents`)
        ids.add(kw["kwargs"].get("document_id"))
        ids.update(kw["kwargs"].get("document_ids") or ())
    return ids - {None}


def archive_recover(*, older_than: dt.timedelta) -> list[int]:
    """Queue the archiving of issued documents left unarchived (their worker died during the ingest):
    those issued more than `older_than` ago whose task is neither queued nor running. Idempotent."""
    from facturier.archive.selectors import unarchived_documents
    from facturier.archive.tasks import archive_document as task

    waiting = _archive_tasks_waiting()
    ids = [pk for pk in unarchived_documents(issued_before=timezone.now() - older_than).values_list("pk", flat=True)
           if pk not in waiting]
    for pk in ids:
        task.enqueue(document_id=pk)
    if ids:
        log.warning("%s issued document(s) were not archived: archiving queued again", len(ids))
    return ids


def archive_backfill_all() -> dict[str, list[str]]:
    """The daily backfill: archive every issued document that has no archived files yet, now.
    Returns, per organisation, the numbers archived by it (each logged: it should have been done at issue)."""
    from facturier.archive.selectors import unarchived_documents

    done: dict[str, list[str]] = {}
    for pk, slug, number in unarchived_documents().values_list("pk", "organisation__slug", "number"):
        try:
            archive_document(pk)
        except Exception:  # noqa: BLE001 - one document's failure must not stop the others; it is retried tomorrow
            log.exception("daily backfill: archiving %s of %s failed", number, slug)
            continue
        done.setdefault(slug, []).append(number)
    for slug, numbers in done.items():
        log.warning("daily backfill: %s: %s issued document(s) archived late: %s", slug, len(numbers),
                    ", ".join(numbers))
    return done


# --- checkpoints --------------------------------------------------------------------------------


def checkpoint_seal(organisation, *, timestamp=None) -> Checkpoint | None:
    """Seal the entries recorded since the last checkpoint (None when there are none)."""
    with transaction.atomic():
        head = _locked_head(organisation)
        last = Checkpoint.objects.filter(organisation=organisation).order_by("-number").first()
        first_seq = last.last_seq + 1 if last else 1
        if head.seq < first_seq:
            return None
        if not JournalRecord.objects.filter(organisation=organisation, seq__gte=first_seq).exclude(
                kind=EntryKind.CHECKPOINT).exists():
            # Only the last checkpoint's own record since: nothing happened, so no new seal (a quiet
            # organisation would otherwise get a checkpoint a day sealing the previous one).
            return None
        from facturier.archive.selectors import journal_entries

        sealed = make_checkpoint(
            journal_entries(organisation, start=first_seq, end=head.seq), signer=operator_key(),
            timestamp=timestamp or timestamper(organisation), journal=journal_id(organisation),
            previous=last.sealed() if last else None)
        checkpoint = Checkpoint.from_sealed(organisation, sealed)
        checkpoint.save()
        journal_append(organisation, head=head, **{k: v for k, v in sealed.journal_entry_fields(
            organisation=journal_id(organisation)).items() if k in ("kind", "subject", "ref")},
            digest=sealed.digest)
    return checkpoint


def checkpoint_all() -> int:
    """The daily seal: one checkpoint per organisation that recorded anything since its last one."""
    from facturier.accounts.models import Organisation

    sealed = 0
    for organisation in Organisation.objects.filter(pk__in=JournalHead.objects.values("organisation")):
        try:
            sealed += checkpoint_seal(organisation) is not None
        except Exception:  # noqa: BLE001 - one organisation's TSA outage must not stop the others
            log.exception("checkpoint of %s failed", organisation.slug)
    return sealed


# --- retention ----------------------------------------------------------------------------------


def legal_hold_set(*, entry_id: int, organisation, hold: bool, by=None) -> ArchiveEntry:
    from facturier.audit.services import audit_record

    with transaction.atomic():
        entry = ArchiveEntry.objects.select_for_update().get(pk=entry_id, organisation=organisation)
        if entry.legal_hold != hold:
            entry.legal_hold = hold
            entry.save(update_fields=["legal_hold"])
            audit_record(actor=by, organisation=organisation, subject=entry,
                         action="archive.legal_hold" if hold else "archive.legal_hold_release",
                         after={"legal_hold": hold})
    return entry


def archive_purge(*, organisation=None, today: dt.date | None = None) -> int:
    """Crypto-shred the files past retention (not under legal hold) and leave a tombstone for each."""
    today = today or timezone.localdate()
    due = ArchiveEntry.objects.filter(retention_until__lt=today, legal_hold=False, purged_at__isnull=True)
    if organisation is not None:
        due = due.filter(organisation=organisation)
    purged = 0
    for entry_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            entry = ArchiveEntry.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=entry_id)
            if entry.legal_hold or entry.purged_at is not None or entry.retention_until >= today:
                continue
            now = timezone.now()
            metadata = {"purged": entry.journal_seq, "fingerprint": entry.fingerprint,
                        "retention_until": entry.retention_until.isoformat(), "reason": "retention"}
            journal_append(entry.organisation, kind=EntryKind.TOMBSTONE, subject=entry.reference,
                           digest=payload_digest(metadata), ref=entry.journal_seq, metadata=metadata)
            entry.wrapped_key, entry.purged_at = None, now
            entry.save(update_fields=["wrapped_key", "purged_at"])
            name = entry.storage_key
            transaction.on_commit(lambda name=name: discard_blob(name))
        purged += 1
    return purged


def policy_set(*, organisation, retention_years: int | None = None,
               subscription_anniversary: dt.date | None = None) -> ArchivePolicy:
    from django.core.exceptions import ValidationError

    policy, _created = ArchivePolicy.objects.get_or_create(
        organisation=organisation, defaults={"retention_years": settings.FACTURIER_ARCHIVE_RETENTION_YEARS})
    if retention_years is not None:
        policy.retention_years = retention_years
    if subscription_anniversary is not None:
        policy.subscription_anniversary = subscription_anniversary
    try:
        policy.full_clean()
    except ValidationError as e:
        raise NotArchivable(_("Invalid archive policy: %(errors)s"), errors="; ".join(
            f"{k}: {' '.join(v)}" for k, v in e.message_dict.items()))
    policy.save()
    return policy
