"""The journal, checkpoints and archived files' proven data cannot be changed, by the ORM or by SQL."""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from facturier.archive.keys import data_key_rotate, master_key_rotate
from facturier.archive.models import ArchiveEntry, ArchiveIsAppendOnly, ArtefactKind, Checkpoint, JournalRecord
from facturier.archive.selectors import archived_content
from facturier.archive.services import checkpoint_seal
from facturier.archive.verification import archive_verify

pytestmark = pytest.mark.django_db


def test_journal_records_refuse_update_and_delete_through_the_orm(archived, org):
    record = JournalRecord.objects.filter(organisation=org).first()
    record.subject = "forged"
    with pytest.raises(ArchiveIsAppendOnly):
        record.save()
    with pytest.raises(ArchiveIsAppendOnly):
        record.delete()
    with pytest.raises(ArchiveIsAppendOnly):
        JournalRecord.objects.filter(organisation=org).update(subject="forged")
    with pytest.raises(ArchiveIsAppendOnly):
        JournalRecord.objects.filter(organisation=org).delete()


@pytest.mark.parametrize("statement", [
    "UPDATE archive_journalrecord SET subject = 'forged'",
    "DELETE FROM archive_journalrecord",
    "UPDATE archive_checkpoint SET merkle_root = 'x'",
    "DELETE FROM archive_checkpoint",
    "UPDATE archive_archiveentry SET filename = 'forged.pdf'",
    "UPDATE archive_archiveentry SET fingerprint = 'x'",
    "DELETE FROM archive_archiveentry",
    "UPDATE archive_journalhead SET seq = 0",
    "DELETE FROM archive_journalhead",
])
def test_database_triggers_refuse_raw_sql(archived, org, statement):
    checkpoint_seal(org)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)


def test_an_archived_file_may_only_lose_its_key_or_change_its_hold(archived):
    entry = ArchiveEntry.objects.get(document=archived, kind=ArtefactKind.XML)
    entry.legal_hold = True
    entry.save(update_fields=["legal_hold"])
    entry.filename = "forged.xml"
    with pytest.raises(ArchiveIsAppendOnly):
        entry.save()
    with pytest.raises(ArchiveIsAppendOnly):
        entry.delete()
    with pytest.raises(ArchiveIsAppendOnly):
        ArchiveEntry.objects.all().delete()


def test_rotating_the_data_key_rewraps_content_keys_without_touching_blobs(archived, org):
    entry = ArchiveEntry.objects.get(document=archived, kind=ArtefactKind.XML)
    before = archived_content(entry)
    key = data_key_rotate(org)
    entry.refresh_from_db()
    assert key.version == 2 and entry.key_version == 2
    assert archived_content(entry) == before
    assert archive_verify(org).ok


def test_rotating_the_master_key_rewraps_data_keys(archived, org, settings, tmp_path):
    settings.DATA_DIR = tmp_path  # the operator key file is re-sealed: keep it away from other tests
    entry = ArchiveEntry.objects.get(document=archived, kind=ArtefactKind.FACTURX_PDF)
    before = archived_content(entry)
    checkpoint_seal(org)
    new_master = bytes(range(32))
    assert master_key_rotate(old_master=settings.FACTURIER_MASTER_KEY, new_master=new_master) >= 1
    settings.FACTURIER_MASTER_KEY = new_master
    assert archived_content(entry) == before
    assert archive_verify(org).ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_gapless_chain(org):
    """Eight threads auditing at once: the head row lock serialises them into one unbroken journal."""
    from facturier.audit.services import audit_record

    errors = []

    def work(n):
        try:
            for i in range(10):
                with transaction.atomic():
                    audit_record(actor=None, organisation=org, subject=org, action=f"test.{n}.{i}")
        except Exception as e:  # noqa: BLE001 - collected for the assertion
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    seqs = list(JournalRecord.objects.filter(organisation=org).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 80
    checkpoint_seal(org)
    assert archive_verify(org).ok
    assert Checkpoint.objects.filter(organisation=org).count() == 1
