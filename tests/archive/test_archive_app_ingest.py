"""Issuing a document archives its legal files: fingerprinted, time-stamped, encrypted, journalled, once."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import call_command

from facturier.archive.models import ArchiveEntry, ArtefactKind, EntryKind, JournalHead, JournalRecord
from facturier.archive.selectors import archived_content, archived_document_file
from facturier.archive.services import NotArchivable, archive_document
from facturier.archive.storage import get_blob
from facturier.engine.archive import payload_digest
from facturier.engine.facturx.unpack import unpack_facturx
from facturier.engine.pdf.tsa import verify_token

pytestmark = pytest.mark.django_db


def test_issuing_an_invoice_archives_its_facturx_and_its_xml(archived, owner, org):
    entries = {e.kind: e for e in ArchiveEntry.objects.filter(document=archived)}
    assert set(entries) == {ArtefactKind.FACTURX_PDF, ArtefactKind.XML}
    pdf, xml = entries[ArtefactKind.FACTURX_PDF], entries[ArtefactKind.XML]
    pdf_bytes, xml_bytes = archived_content(pdf), archived_content(xml)
    assert pdf_bytes.startswith(b"%PDF") and pdf.filename == f"{archived.number}.pdf"
    assert unpack_facturx(pdf_bytes).xml == xml_bytes  # the XML is the CII the PDF carries
    for entry, data in ((pdf, pdf_bytes), (xml, xml_bytes)):
        assert entry.fingerprint == hashlib.sha256(data).hexdigest() and entry.size == len(data)
        assert entry.owner_user == owner.user and entry.organisation == org and entry.customer == org.customer
        assert entry.document_number == archived.number
        assert verify_token(bytes(entry.timestamp_token), message_digest=bytes.fromhex(entry.fingerprint))
        record = JournalRecord.objects.get(organisation=org, seq=entry.journal_seq)
        assert record.kind == EntryKind.ARTEFACT and record.payload_digest == payload_digest(entry.metadata())
        assert entry.retention_until.year == archived.issue_date.year + 10


def test_files_are_encrypted_at_rest(archived):
    entry = ArchiveEntry.objects.get(document=archived, kind=ArtefactKind.XML)
    blob = get_blob(entry.storage_key)
    plain = archived_content(entry)
    assert blob.startswith(b"FXB\x01") and plain not in blob and b"CrossIndustryInvoice" not in blob
    assert hashlib.sha256(blob).hexdigest() == entry.blob_sha256


def test_archiving_twice_stores_once(archived, org):
    before = (ArchiveEntry.objects.count(), JournalHead.objects.get(organisation=org).seq)
    again = archive_document(archived.pk)
    assert {e.pk for e in again} == set(ArchiveEntry.objects.filter(document=archived).values_list("pk", flat=True))
    assert (ArchiveEntry.objects.count(), JournalHead.objects.get(organisation=org).seq) == before


def test_a_draft_is_not_archived(draft):
    with pytest.raises(NotArchivable):
        archive_document(draft.pk)
    assert not ArchiveEntry.objects.exists()


def test_every_audit_event_is_chained_in_its_organisations_journal(archived, org):
    from facturier.audit.models import Event

    events = set(Event.objects.filter(organisation=org).values_list("pk", flat=True))
    chained = {int(s.split(":")[1]) for s in JournalRecord.objects.filter(
        organisation=org, kind=EntryKind.AUDIT).values_list("subject", flat=True)}
    assert events and events == chained
    seqs = list(JournalRecord.objects.filter(organisation=org).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_each_organisation_has_its_own_journal(archived, other_org, org):
    from facturier.accounts.models import Role

    other_org.member(Role.CLERK)
    assert JournalRecord.objects.filter(organisation=other_org).exists()
    assert JournalHead.objects.get(organisation=other_org).seq < JournalHead.objects.get(organisation=org).seq


def test_the_served_file_is_the_archived_file(archived, org):
    name, data = archived_document_file(organisation=org, document_id=archived.pk)
    entry = ArchiveEntry.objects.get(document=archived, kind=ArtefactKind.FACTURX_PDF)
    assert name == entry.filename and hashlib.sha256(data).hexdigest() == entry.fingerprint


def test_the_demo_organisation_is_archived_and_verifies(django_capture_on_commit_callbacks):
    from facturier.accounts.models import Organisation
    from facturier.invoicing.models import State

    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo", stdout=io.StringIO())
    demo = Organisation.objects.get(slug="demo")
    issued = demo.documents.exclude(state=State.DRAFT)
    assert issued.count() >= 30
    assert ArchiveEntry.objects.filter(organisation=demo, kind=ArtefactKind.FACTURX_PDF).count() == issued.count()
    assert ArchiveEntry.objects.filter(organisation=demo, kind=ArtefactKind.XML).count() == issued.count()
    sample = ArchiveEntry.objects.filter(organisation=demo, kind=ArtefactKind.FACTURX_PDF).first()
    assert b"/ByteRange" in archived_content(sample)  # the demo seals: the archived PDF is the sealed one
    call_command("archive", "checkpoint", "--org", "demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("archive", "verify", "--org", "demo", stdout=out)
    assert out.getvalue().startswith("demo: OK")


def test_documents_and_events_from_before_the_archive_are_backfilled(owner, draft, org):
    from django.db.models.signals import post_save

    from facturier.archive.signals import chain_audit_event
    from facturier.archive.verification import archive_verify
    from facturier.audit.models import Event
    from facturier.invoicing.services import document_issue

    post_save.disconnect(chain_audit_event, sender=Event, dispatch_uid="archive-chain-audit-events")
    try:
        document = document_issue(by=owner, document_id=draft.pk)  # no on-commit here: not archived
    finally:
        post_save.connect(chain_audit_event, sender=Event, dispatch_uid="archive-chain-audit-events")
    # the unchained events, and the document issued without its archived files, named
    assert [(p.code, p.seq) for p in archive_verify(org).problems] == [("gap", None), ("missing", None)]
    out = io.StringIO()
    call_command("archive", "backfill", "--org", org.slug, stdout=out)
    assert "1 issued document(s)" in out.getvalue() and "1 audit event(s) chained" in out.getvalue()
    assert ArchiveEntry.objects.filter(document=document).count() == 2
    assert archive_verify(org).ok


def test_the_admin_lists_the_archive_read_only(archived, client):
    from facturier.accounts.models import User

    admin = User.objects.create_superuser("root@example.test", "correct horse battery")
    client.force_login(admin)
    page = client.get("/admin/archive/archiveentry/")
    assert page.status_code == 200 and archived.number in page.content.decode()
    entry = ArchiveEntry.objects.filter(document=archived).first()
    assert client.get(f"/admin/archive/archiveentry/{entry.pk}/change/").status_code == 200
    assert client.get("/admin/archive/archiveentry/add/").status_code == 403
    assert client.get("/admin/archive/journalrecord/").status_code == 200


def test_a_batch_is_archived_in_one_journal_append_and_only_once(archived, org):
    from facturier.archive.services import Artefact, archive_artefacts
    from facturier.archive.verification import archive_verify

    existing = ArchiveEntry.objects.get(document=archived, kind=ArtefactKind.XML)
    batch = [Artefact(kind=ArtefactKind.STATUS, filename=f"status-{i}.json", data=b'{"status": %d}' % i,
                      reference=f"status:{i}") for i in range(3)]
    batch.append(Artefact(kind=ArtefactKind.XML, filename="again.xml", data=archived_content(existing),
                          reference="again"))
    head = JournalHead.objects.get(organisation=org).seq
    entries = archive_artefacts(org, batch)
    assert entries[3] == existing and [e.journal_seq for e in entries[:3]] == [head + 1, head + 2, head + 3]
    assert [e.pk for e in archive_artefacts(org, batch)] == [e.pk for e in entries]
    assert JournalHead.objects.get(organisation=org).seq == head + 3
    assert archived_content(entries[1]) == b'{"status": 1}'
    assert archive_verify(org).ok


def test_a_stored_blob_is_read_only_and_never_overwritten(archived):
    import datetime as dt
    import stat
    from pathlib import Path

    from facturier.archive.storage import archive_storage, put_blob

    entry = ArchiveEntry.objects.get(document=archived, kind=ArtefactKind.XML)
    path = Path(archive_storage().path(entry.storage_key))
    assert stat.S_IMODE(path.stat().st_mode) == 0o440
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        put_blob(entry.storage_key, b"something else", retain_until=dt.date(2036, 12, 31))
    assert path.read_bytes() == before and hashlib.sha256(before).hexdigest() == entry.blob_sha256
