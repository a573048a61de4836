"""`facturier archive verify`: the whole archive of an organisation, in one streaming pass.

For every journal entry, in seq order: the chain (hash, link, gaps, order, duplicates,
truncation against the locked head row), every checkpoint (signature, time-stamp, Merkle
root, link to the previous one), and for each archived file its metadata against the entry,
its time-stamp token against its fingerprint, its blob decrypted and re-hashed; for each
audit event its row against the entry. Rows are read in chunks, blobs one at a time, so
memory stays flat whatever the size of the archive.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection

from facturier.archive.keys import data_key, operator_key, token_time
from facturier.archive.models import ArchiveEntry, Checkpoint, EntryKind, JournalHead, JournalRecord, journal_id
from facturier.archive.services import audit_metadata_of, utc_of_row
from facturier.archive.storage import get_blob
from facturier.engine.archive import (
    Anchor,
    IntegrityError,
    JournalEntry,
    Problem,
    ProblemCode,
    StoredRecord,
    verify_archive,
)
from facturier.engine.errors import Message

CHUNK = 2000


@dataclass(frozen=True, slots=True)
class Report:
    organisation: str
    entries: int
    artefacts: int
    checkpoints: int
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def _problem(code: ProblemCode, seq: int | None, fr: str, en: str) -> Problem:
    return Problem(code, seq, Message(fr, en))


def _key_loader(organisation_id: int):
    cache: dict[int, object] = {}

    def load(_organisation: str, version: int):
        if version not in cache:
            try:
                cache[version] = data_key(organisation_id, version)
            except Exception as error:  # noqa: BLE001 - missing or unreadable: reported per entry by the engine
                raise IntegrityError(Message("Clé d'organisation illisible.", "Unreadable organisation key."),
                                     detail=str(error)) from None
        return cache[version]

    return load


def _json(value):
    # Plain SQL rows: JSON columns come as text (Django decodes them in the ORM only).
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _records(organisation, extra: list[Problem], counts: dict) -> Iterator[StoredRecord]:
    """Journal rows joined, chunk by chunk, with the archived files and audit events they prove.

    The journal and the audit events are read with plain SQL into tuples: at a million rows,
    the ORM's model instances and per-row converters cost more than every check together.
    """
    from facturier.audit.models import Event

    key = journal_id(organisation)
    last = 0
    journal = (f"SELECT seq, kind, subject, payload_digest, prev_hash, entry_hash, recorded_at, ref, metadata "
               f"FROM {JournalRecord._meta.db_table} WHERE organisation_id = %s AND seq > %s ORDER BY seq LIMIT %s")
    events_sql = (f"SELECT id, at, action, actor_id, actor_label, subject_type, subject_id, before, after "
                  f"FROM {Event._meta.db_table} WHERE organisation_id = %s AND id IN ")
    while True:
        rows = _fetch(journal, [organisation.pk, last, CHUNK])
        if not rows:
            break
        low, high = rows[0][0], rows[-1][0]
        files = {e.journal_seq: e for e in ArchiveEntry.objects.filter(
            organisation=organisation, journal_seq__gte=low if last else 0, journal_seq__lte=high).defer("document")}
        event_ids = [int(r[2][6:]) for r in rows if r[1] == EntryKind.AUDIT
                     and r[2].startswith("audit:") and r[2][6:].isdigit()]
        events = {}
        for i in range(0, len(event_ids), 500):  # bound the statement's parameters
            ids = event_ids[i:i + 500]
            for pk, at, *columns, before, after in _fetch(events_sql + f"({', '.join(['%s'] * len(ids))})",
                                                           [organisation.pk, *ids]):
                events[pk] = audit_metadata_of(pk, at, *columns, _json(before), _json(after))
        artefact_seqs = set()
        for seq, kind, subject, digest, prev_hash, entry_hash, recorded_at, ref, metadata in rows:
            entry = JournalEntry(seq=seq, kind=kind, organisation=key, subject=subject, payload_digest=digest,
                                 prev_hash=prev_hash, entry_hash=entry_hash, recorded_at=utc_of_row(recorded_at),
                                 ref=ref)
            if kind == EntryKind.ARTEFACT:
                artefact_seqs.add(seq)
                counts["artefacts"] += 1
                file = files.get(seq)
                if file is None:
                    extra.append(_problem(
                        ProblemCode.METADATA, seq,
                        f"L'entrée n° {seq} ({subject}) enregistre un fichier archivé dont la fiche a "
                        "disparu de la base.",
                        f"Entry seq {seq} ({subject}) records an archived file whose row is gone from "
                        "the database."))
                    yield StoredRecord(entry=entry)
                    continue
                yield StoredRecord(
                    entry=entry, metadata=file.metadata(), reference=file.reference, key_version=file.key_version,
                    wrapped_key=bytes(file.wrapped_key) if file.wrapped_key else None,
                    blob=_blob_loader(file, extra), timestamp_token=bytes(file.timestamp_token or b""))
            elif kind == EntryKind.AUDIT:
                event_id = subject.split(":", 1)[1] if ":" in subject else ""
                found = events.get(int(event_id)) if event_id.isdigit() else None
                if found is None:
                    extra.append(_problem(
                        ProblemCode.METADATA, seq,
                        f"L'événement d'audit de l'entrée n° {seq} ({subject}) a disparu.",
                        f"The audit event of entry seq {seq} ({subject}) is gone."))
                    yield StoredRecord(entry=entry)
                else:
                    yield StoredRecord(entry=entry, metadata=found)
            elif kind == EntryKind.TOMBSTONE:
                proven = _json(metadata)
                yield StoredRecord(entry=entry, metadata=proven if proven is not None else {})
            else:
                yield StoredRecord(entry=entry)
        for seq, file in files.items():
            if seq not in artefact_seqs:
                extra.append(_problem(
                    ProblemCode.METADATA, seq,
                    f"Le fichier archivé {file.filename} se réclame de l'entrée n° {seq}, qui n'est pas la sienne "
                    "dans le journal (entrée supprimée ou fiche modifiée).",
                    f"The archived file {file.filename} claims journal entry seq {seq}, which does not record it "
                    "(entry deleted or row altered)."))
        last = high
    for file in ArchiveEntry.objects.filter(organisation=organisation, journal_seq__gt=last):
        extra.append(_problem(
            ProblemCode.TRUNCATED, file.journal_seq,
            f"Le fichier archivé {file.filename} se réclame de l'entrée n° {file.journal_seq}, absente du journal "
            f"(qui s'arrête au n° {last}).",
            f"The archived file {file.filename} claims journal entry seq {file.journal_seq}, missing from the "
            f"journal (which ends at seq {last})."))


def _blob_loader(file: ArchiveEntry, extra: list[Problem]):
    def load():
        try:
            return get_blob(file.storage_key)
        except Exception as error:  # noqa: BLE001 - a missing or unreadable blob is a finding
            extra.append(_problem(
                ProblemCode.BLOB, file.journal_seq,
                f"Le fichier de l'entrée n° {file.journal_seq} ({file.filename}) est introuvable dans le stockage "
                f"({file.storage_key}).",
                f"The file of entry seq {file.journal_seq} ({file.filename}) is missing from storage "
                f"({file.storage_key}: {type(error).__name__})."))
            return None

    return load


def _unchained_events(organisation) -> list[Problem]:
    """Audit events of the organisation that no journal entry records (chained by none, or their entry deleted)."""
    from facturier.audit.models import Event

    events = Event.objects.filter(organisation=organisation).count()
    chained = JournalRecord.objects.filter(organisation=organisation, kind=EntryKind.AUDIT).count()
    if events <= chained:
        return []
    return [_problem(
        ProblemCode.GAP, None,
        f"{events - chained} événement(s) d'audit ne sont pas dans le journal : lancez `facturier archive "
        "backfill` s'ils datent d'avant l'archive, sinon leurs entrées ont été supprimées.",
        f"{events - chained} audit event(s) are not in the journal: run `facturier archive backfill` if they "
        "predate the archive; otherwise their entries were deleted.")]


def _unarchived_documents(organisation) -> list[Problem]:
    """Issued documents of the organisation without their archived files, each named."""
    from facturier.archive.selectors import unarchived_documents

    return [_problem(
        ProblemCode.MISSING, None,
        f"Le document émis {number or pk} n'est pas archivé (PDF Factur-X ou XML absent) : lancez `facturier "
        f"archive backfill --org {organisation.slug}`.",
        f"The issued document {number or pk} is not archived (Factur-X PDF or XML missing): run `facturier "
        f"archive backfill --org {organisation.slug}`.")
        for pk, number in unarchived_documents(organisation=organisation).values_list("pk", "number")]


def archive_verify(organisation) -> Report:
    """Every check of the organisation's archive; `report.ok` when nothing is wrong."""
    head_row = JournalHead.objects.filter(organisation=organisation).first()
    head = Anchor(head_row.seq, head_row.hash) if head_row and head_row.seq else None
    checkpoints = [c.sealed() for c in Checkpoint.objects.filter(organisation=organisation).order_by("number")]
    extra: list[Problem] = []
    counts = {"artefacts": 0}
    entries = 0

    def counted():
        nonlocal entries
        for record in _records(organisation, extra, counts):
            entries += 1
            yield record

    problems = list(verify_archive(
        counted(), checkpoints, data_key=_key_loader(organisation.pk), public_keys=[operator_key().public_key],
        verify_token=token_time, head=head))
    if head_row is not None and head_row.seq > entries and not any(p.code == ProblemCode.TRUNCATED for p in problems):
        problems.append(_problem(
            ProblemCode.TRUNCATED, entries + 1,
            f"Journal tronqué : la tête enregistrée est au n° {head_row.seq}, le journal n'a que {entries} entrées.",
            f"Truncated journal: the recorded head is at seq {head_row.seq}, the journal holds {entries} entries."))
    problems.extend(extra)
    problems.extend(_unchained_events(organisation))
    problems.extend(_unarchived_documents(organisation))
    problems.sort(key=lambda p: (p.seq or 0, str(p.code)))
    return Report(organisation=organisation.slug, entries=entries, artefacts=counts["artefacts"],
                  checkpoints=len(checkpoints), problems=problems)
