"""Retention, purge by crypto-shredding with a tombstone, legal hold, and the counters of the usage plans."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from facturier.archive.models import ArchiveEntry, ArchivePolicy, ArtefactKind, EntryKind, JournalRecord
from facturier.archive.selectors import archive_counters, archived_content, subscription_period
from facturier.archive.services import (
    NotArchivable,
    archive_purge,
    checkpoint_seal,
    legal_hold_set,
    policy_set,
    retention_end,
)
from facturier.archive.verification import archive_verify
from facturier.engine.archive import ContentShredded

pytestmark = pytest.mark.django_db


def test_retention_is_ten_years_by_default_and_never_below_six(org):
    assert retention_end(org, dt.date(2026, 3, 2)) == dt.date(2036, 12, 31)
    policy_set(organisation=org, retention_years=12)
    assert retention_end(org, dt.date(2026, 3, 2)) == dt.date(2038, 12, 31)
    with pytest.raises(NotArchivable):
        policy_set(organisation=org, retention_years=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        ArchivePolicy.objects.filter(organisation=org).update(retention_years=5)


def test_purge_shreds_files_past_retention_leaves_tombstones_and_verification_passes(archived, org):
    checkpoint_seal(org)
    entries = list(ArchiveEntry.objects.filter(document=archived))
    day_after = entries[0].retention_until + dt.timedelta(days=1)
    assert archive_purge(today=entries[0].retention_until) == 0  # the last day is still kept
    out = io.StringIO()
    assert archive_purge(organisation=org, today=day_after) == 2
    for entry in entries:
        entry.refresh_from_db()
        assert entry.wrapped_key is None and entry.purged_at is not None
        with pytest.raises(ContentShredded):
            archived_content(entry)
        tombstone = JournalRecord.objects.get(organisation=org, kind=EntryKind.TOMBSTONE, ref=entry.journal_seq)
        assert tombstone.subject == entry.reference
    assert archive_purge(organisation=org, today=day_after) == 0  # twice: once
    report = archive_verify(org)
    assert report.ok, [str(p) for p in report.problems]
    call_command("archive", "verify", "--org", org.slug, stdout=out)


def test_a_key_destroyed_without_a_tombstone_is_named(archived, org):
    from archive_helpers import untriggered

    entry = ArchiveEntry.objects.get(document=archived, kind=ArtefactKind.XML)
    with untriggered("archive_archiveentry") as connection, connection.cursor() as cursor:
        cursor.execute("UPDATE archive_archiveentry SET wrapped_key = NULL WHERE id = %s", [entry.pk])
    assert [(p.code, p.seq) for p in archive_verify(org).problems] == [("tombstone", entry.journal_seq)]


def test_legal_hold_keeps_a_file_past_its_retention(archived, org, owner):
    pdf = ArchiveEntry.objects.get(document=archived, kind=ArtefactKind.FACTURX_PDF)
    legal_hold_set(entry_id=pdf.pk, organisation=org, hold=True, by=owner)
    assert archive_purge(today=pdf.retention_until + dt.timedelta(days=1)) == 1  # only the XML
    pdf.refresh_from_db()
    assert pdf.wrapped_key is not None and archived_content(pdf).startswith(b"%PDF")
    assert archive_verify(org).ok


def test_the_subscription_period_runs_from_the_anniversary():
    assert subscription_period(dt.date(2024, 9, 15), dt.date(2026, 3, 2)) == (dt.date(2025, 9, 15),
                                                                               dt.date(2026, 9, 14))
    assert subscription_period(dt.date(2024, 2, 29), dt.date(2026, 2, 28)) == (dt.date(2026, 2, 28),
                                                                               dt.date(2027, 2, 27))


def test_counters_count_documents_in_total_and_in_the_current_period(archived, issue_another, org):
    issue_another()
    today = dt.date.today()
    policy_set(organisation=org, subscription_anniversary=today.replace(year=today.year - 2))
    counters = archive_counters(organisation=org, today=today)
    assert (counters.total, counters.period, counters.files) == (2, 2, 4)
    assert counters.period_start == today.replace(year=today.year - 2).replace(year=today.year)
    later = archive_counters(organisation=org, today=counters.period_end + dt.timedelta(days=1))
    assert (later.total, later.period) == (2, 0)
    out = io.StringIO()
    call_command("archive", "counters", "--org", org.slug, stdout=out)
    assert "documents archived: 2 in total, 2 from" in out.getvalue()
