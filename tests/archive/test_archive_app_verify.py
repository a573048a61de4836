"""`facturier archive verify`: an intact archive passes; every kind of tampering is found and named."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from archive_helpers import untriggered
from django.core.management import CommandError, call_command

from facturier.archive.models import ArchiveEntry, ArtefactKind, JournalHead, JournalRecord
from facturier.archive.services import checkpoint_seal
from facturier.archive.storage import archive_storage
from facturier.archive.verification import archive_verify
from facturier.engine.archive import ProblemCode

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_archived(archived, issue_another):
    second = issue_another()
    return (ArchiveEntry.objects.get(document=archived, kind=ArtefactKind.FACTURX_PDF),
            ArchiveEntry.objects.get(document=second, kind=ArtefactKind.FACTURX_PDF))


def found(organisation) -> set[tuple[str, int | None]]:
    return {(str(p.code), p.seq) for p in archive_verify(organisation).problems}


def blob_path(entry: ArchiveEntry) -> Path:
    return Path(archive_storage().path(entry.storage_key))


def overwrite(path: Path, data: bytes) -> None:
    os.chmod(path, 0o640)
    path.write_bytes(data)


def test_an_intact_archive_verifies_and_the_command_says_ok(two_archived, org):
    checkpoint_seal(org)
    report = archive_verify(org)
    assert report.ok, [str(p) for p in report.problems]
    assert report.artefacts == 4 and report.checkpoints == 1
    out = io.StringIO()
    call_command("archive", "verify", "--org", org.slug, stdout=out)
    assert "acme: OK" in out.getvalue()


def test_a_flipped_byte_in_a_stored_blob_is_named(two_archived, org):
    first, _ = two_archived
    path = blob_path(first)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    overwrite(path, bytes(data))
    assert found(org) == {(ProblemCode.BLOB, first.journal_seq)}
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("archive", "verify", "--org", org.slug, stderr=err)
    seq = first.journal_seq
    assert f"[blob] seq {seq}: The file of entry seq {seq} does not decrypt" in err.getvalue()


def test_a_blob_replaced_by_another_valid_blob_is_named(two_archived, org):
    first, second = two_archived
    overwrite(blob_path(second), blob_path(first).read_bytes())
    assert found(org) == {(ProblemCode.BLOB, second.journal_seq)}


def test_a_missing_blob_is_named(two_archived, org):
    first, _ = two_archived
    blob_path(first).unlink()
    assert (ProblemCode.BLOB, first.journal_seq) in found(org)


def test_an_altered_metadata_field_is_named(two_archived, org):
    first, _ = two_archived
    with untriggered("archive_archiveentry") as connection, connection.cursor() as cursor:
        cursor.execute("UPDATE archive_archiveentry SET document_number = 'FA-2026-999999' WHERE id = %s",
                       [first.pk])
    assert found(org) == {(ProblemCode.METADATA, first.journal_seq)}


def test_an_altered_retention_date_is_named(two_archived, org):
    _, second = two_archived
    with untriggered("archive_archiveentry") as connection, connection.cursor() as cursor:
        cursor.execute("UPDATE archive_archiveentry SET retention_until = '2027-01-01' WHERE id = %s", [second.pk])
    assert found(org) == {(ProblemCode.METADATA, second.journal_seq)}


def test_a_replaced_time_stamp_token_is_named(two_archived, org):
    first, second = two_archived
    with untriggered("archive_archiveentry") as connection, connection.cursor() as cursor:
        cursor.execute("UPDATE archive_archiveentry SET timestamp_token = %s WHERE id = %s",
                       [bytes(second.timestamp_token), first.pk])
    assert found(org) == {(ProblemCode.TIMESTAMP, first.journal_seq)}


def test_a_deleted_journal_entry_is_named(two_archived, org):
    first, _ = two_archived
    with untriggered("archive_journalrecord") as connection, connection.cursor() as cursor:
        cursor.execute("DELETE FROM archive_journalrecord WHERE organisation_id = %s AND seq = %s",
                       [org.pk, first.journal_seq])
    problems = found(org)
    assert (ProblemCode.GAP, first.journal_seq) in problems
    # The file's row now claims an entry that does not record it.
    assert (ProblemCode.METADATA, first.journal_seq) in problems


def test_a_deleted_archive_row_is_named(two_archived, org):
    _, second = two_archived
    with untriggered("archive_archiveentry") as connection, connection.cursor() as cursor:
        cursor.execute("DELETE FROM archive_archiveentry WHERE id = %s", [second.pk])
    # the journal names the entry, and its document is now an issued document without its file
    assert found(org) == {(ProblemCode.METADATA, second.journal_seq), (ProblemCode.MISSING, None)}


def test_two_reordered_entries_are_named(two_archived, org):
    first, second = two_archived
    a, b = first.journal_seq, second.journal_seq
    with untriggered("archive_journalrecord") as connection, connection.cursor() as cursor:
        swap = "UPDATE archive_journalrecord SET seq = %s WHERE organisation_id = %s AND seq = %s"
        cursor.execute(swap, [10**12, org.pk, a])
        cursor.execute(swap, [a, org.pk, b])
        cursor.execute(swap, [b, org.pk, 10**12])
    problems = found(org)
    assert {(ProblemCode.REORDERED, a), (ProblemCode.REORDERED, b)} <= problems
    assert {code for code, _ in problems} <= {ProblemCode.REORDERED, ProblemCode.METADATA, ProblemCode.BLOB,
                                              ProblemCode.TIMESTAMP}


def test_an_altered_journal_entry_is_named(two_archived, org):
    first, _ = two_archived
    with untriggered("archive_journalrecord") as connection, connection.cursor() as cursor:
        cursor.execute("UPDATE archive_journalrecord SET subject = 'document:999/facturx-pdf' "
                       "WHERE organisation_id = %s AND seq = %s", [org.pk, first.journal_seq])
    assert (ProblemCode.ALTERED, first.journal_seq) in found(org)


def test_a_truncated_journal_is_named(two_archived, org):
    _, second = two_archived
    last = JournalHead.objects.get(organisation=org).seq
    with untriggered("archive_journalrecord") as connection, connection.cursor() as cursor:
        cursor.execute("DELETE FROM archive_journalrecord WHERE organisation_id = %s AND seq >= %s",
                       [org.pk, second.journal_seq])
    problems = found(org)
    assert (ProblemCode.TRUNCATED, second.journal_seq) in problems
    assert last > second.journal_seq


def test_a_truncated_journal_with_its_head_rewound_is_caught_by_the_checkpoint(two_archived, org):
    _, second = two_archived
    checkpoint = checkpoint_seal(org)
    keep = second.journal_seq - 1
    previous = JournalRecord.objects.get(organisation=org, seq=keep)
    with untriggered("archive_journalrecord", "archive_journalhead") as connection, connection.cursor() as cursor:
        cursor.execute("DELETE FROM archive_journalrecord WHERE organisation_id = %s AND seq > %s", [org.pk, keep])
        cursor.execute("UPDATE archive_journalhead SET seq = %s, hash = %s WHERE organisation_id = %s",
                       [keep, previous.entry_hash, org.pk])
    problems = archive_verify(org).problems
    truncated = [p for p in problems if p.code == ProblemCode.TRUNCATED]
    assert {p.seq for p in truncated} == {keep + 1, keep + 2}  # the journal, and the files past its end
    assert any(p.seq == keep + 1 and f"the latest checkpoint seals up to seq {checkpoint.last_seq}" in p.message.en
               for p in truncated)


def test_an_altered_audit_event_is_named(archived, org):
    from facturier.audit.models import Event

    event = Event.objects.filter(organisation=org, action="document.issue").get()
    record = JournalRecord.objects.get(organisation=org, subject=f"audit:{event.pk}")
    with untriggered("audit_event") as connection, connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("UPDATE audit_event SET actor_label = 'someone else' WHERE id = %s", [event.pk])
        else:
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute("UPDATE audit_event SET actor_label = 'someone else' WHERE id = %s", [event.pk])
    assert found(org) == {(ProblemCode.METADATA, record.seq)}


def test_a_forged_checkpoint_signature_is_named(two_archived, org):
    checkpoint = checkpoint_seal(org)
    with untriggered("archive_checkpoint") as connection, connection.cursor() as cursor:
        cursor.execute("UPDATE archive_checkpoint SET merkle_root = %s WHERE id = %s", ["0" * 64, checkpoint.pk])
    assert (ProblemCode.CHECKPOINT, checkpoint.last_seq) in found(org)


def test_an_audit_event_moved_to_another_organisation_is_named(archived, org, other_org):
    from facturier.audit.models import Event

    event = Event.objects.filter(organisation=org, action="document.issue").get()
    record = JournalRecord.objects.get(organisation=org, subject=f"audit:{event.pk}")
    with untriggered("audit_event") as connection, connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("DROP TRIGGER audit_event_no_update")
        cursor.execute("UPDATE audit_event SET organisation_id = %s WHERE id = %s", [other_org.pk, event.pk])
    assert (ProblemCode.METADATA, record.seq) in found(org)  # its row now belongs to another tenant
