"""An issued document whose worker died during the ingest: named by `archive verify`, archived again by the
recovery job (idempotently), and by the daily backfill, which says which ones it archived late."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from facturier.archive.services import archive_backfill_all, archive_recover
from facturier.archive.tasks import archive_document
from facturier.archive.verification import archive_verify
from facturier.config import leases
from facturier.engine.archive import ProblemCode

pytestmark = pytest.mark.django_db


@pytest.fixture
def left_unarchived(issued, settings):
    """Issued, its archiving task lost with its worker (the on-commit task never ran), more than a lease ago:
    the lease is made zero, since the database refuses to change an issued document's date."""
    settings.FACTURIER_WORKER_LEASE_SECONDS = 0
    return issued


def test_verify_names_an_issued_document_that_has_no_archived_files(org, left_unarchived):
    report = archive_verify(org)
    assert not report.ok
    [problem] = report.problems
    assert problem.code == ProblemCode.MISSING
    assert left_unarchived.number in problem.message.en and left_unarchived.number in problem.message.fr
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("archive", "verify", "--org", org.slug, stdout=io.StringIO(), stderr=err)
    assert f"The issued document {left_unarchived.number} is not archived" in err.getvalue()


def test_the_recovery_job_archives_an_issued_document_left_unarchived_once(org, left_unarchived):
    report = leases.recover()
    assert report.other["archive"] == [left_unarchived.pk]
    assert archive_verify(org).ok
    assert leases.recover().other["archive"] == []  # archived: nothing more to do


def test_the_recovery_job_leaves_a_just_issued_document_to_its_own_task(org, issued):
    assert archive_recover(older_than=leases.lease()) == []
    assert not archive_verify(org).ok  # until its task runs


def test_a_document_whose_archiving_is_still_queued_is_not_queued_twice(org, left_unarchived, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    archive_document.enqueue(document_id=left_unarchived.pk)
    assert archive_recover(older_than=leases.lease()) == []
    assert DBTaskResult.objects.filter(task_path=archive_document.module_path).count() == 1


def test_the_daily_backfill_archives_what_is_missing_and_says_which(org, left_unarchived, caplog):
    assert archive_backfill_all() == {org.slug: [left_unarchived.number]}
    assert f"archived late: {left_unarchived.number}" in caplog.text
    assert archive_verify(org).ok
    assert archive_backfill_all() == {}
