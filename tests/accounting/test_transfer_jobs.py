"""Big transfers run in the worker with their progress recorded; the screen polls it, then shows the outcome."""

import datetime as dt
import os
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from facturier.accounting import jobs
from facturier.accounting.models import JobState, JournalEntry, Transfer, TransferJob
from facturier.accounting.services import settings_save, transfer_run
from facturier.invoicing.settlement import payment_record

pytestmark = pytest.mark.django_db
YEAR = {"start": "2026-01-01", "end": "2026-12-31"}


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner.user)
    session = client.session
    session["organisation_id"] = owner.organisation_id
    session.save()
    return client


def test_small_transfer_stays_synchronous(owner, issued, settings):
    settings.FACTURIER_ACCOUNTING_SYNC_MAX = 10
    settings_save(by=owner, values={})
    outcome = jobs.transfer_start(by=owner, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    assert isinstance(outcome, Transfer) and not TransferJob.objects.exists()


def test_big_transfer_is_queued_shows_a_progress_bar_then_its_result(signed_in, owner, issued, settings,
                                                                     django_capture_on_commit_callbacks):
    settings.FACTURIER_ACCOUNTING_SYNC_MAX = 0  # every transfer is "big"
    settings_save(by=owner, values={})
    payment_record(by=owner, document_id=issued.pk, amount=Decimal("100.00"), date=dt.date(2026, 3, 10))
    with django_capture_on_commit_callbacks(execute=True):
        answer = signed_in.post(reverse("web:accounting_transfer"), YEAR)
    job = TransferJob.objects.get()
    assert answer.status_code == 302 and answer.url == reverse("web:accounting_job", args=[job.pk])
    # FACTURIER_TASKS=immediate: the worker's task ran when the request's transaction committed.
    assert job.state == JobState.DONE and job.transfer.documents_count == 1 and job.transfer.payments_count == 1
    assert JournalEntry.objects.filter(document=issued).count() == 2
    page = signed_in.get(answer.url)
    assert b'id="transfer-progress"' in page.content and b'value="100"' in page.content
    assert b'data-state="done"' in page.content and b'href="/accounting/#transfers"' in page.content
    assert b"hx-trigger" not in page.content  # finished: the polling stops


def test_a_running_job_page_polls_its_progress(signed_in, owner):
    job = TransferJob.objects.create(organisation=owner.organisation, member=owner, period_start=dt.date(2026, 1, 1),
                                     period_end=dt.date(2026, 12, 31), state=JobState.RUNNING, phase="write",
                                     processed=500, total=1000)
    part = signed_in.get(reverse("web:accounting_job", args=[job.pk]), HTTP_HX_REQUEST="true")
    text = part.content.decode()
    assert 'hx-trigger="every 1s"' in text and "Enregistrement des écritures" in text and "500 sur 1000" in text
    assert 'value="67"' in text  # 40 % before writing, then half of the writing's 55 %
    assert "<html" not in text  # the fragment only
    home = signed_in.get(reverse("web:accounting")).content.decode()
    assert reverse("web:accounting_job", args=[job.pk]) in home  # the accounting screen leads back to it


def test_progress_is_recorded_per_chunk_through_each_phase(owner, issued):
    settings_save(by=owner, values={})
    heard = []
    transfer_run(by=owner, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                 progress=lambda phase, done, total: heard.append((phase, done, total)))
    phases = [p for p, _d, _t in heard]
    assert phases[0] == "read" and phases[-1] == "verify"
    assert ("build", 1, 1) in heard and ("write", 1, 1) in heard


ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith("postgres")


def _records_and_reads(owner, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    job = TransferJob.objects.create(organisation=owner.organisation, member=owner, state=JobState.RUNNING,
                                     period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 12, 31))
    recorder = jobs._Recorder(job.pk)
    try:
        recorder("write", 3000, 5000)
        seen = jobs.live(TransferJob.objects.get(pk=job.pk))
        assert (seen.phase, seen.processed, seen.total) == ("write", 3000, 5000)
    finally:
        recorder.close()


@pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite: the progress goes through a file in the data folder")
def test_the_worker_records_progress_in_a_file_the_screen_reads_on_sqlite(owner, settings, tmp_path):
    _records_and_reads(owner, settings, tmp_path)


@pytest.mark.skipif(not ON_POSTGRESQL, reason="PostgreSQL: the progress goes through a second connection")
@pytest.mark.django_db(transaction=True)  # committed: the progress is written by another connection
def test_the_worker_records_progress_through_its_own_connection_on_postgresql(owner, settings, tmp_path):
    _records_and_reads(owner, settings, tmp_path)


def test_a_job_run_twice_transfers_once(owner, issued, settings, django_capture_on_commit_callbacks):
    settings.FACTURIER_ACCOUNTING_SYNC_MAX = 0
    settings_save(by=owner, values={})
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.transfer_start(by=owner, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    assert TransferJob.objects.get(pk=job.pk).state == JobState.DONE
    again = jobs.job_run(job.pk)
    assert again.state == JobState.DONE and Transfer.objects.count() == 1


def test_a_failed_job_says_why_and_writes_nothing(signed_in, owner, issued, settings,
                                                  django_capture_on_commit_callbacks):
    settings.FACTURIER_ACCOUNTING_SYNC_MAX = 0
    settings_save(by=owner, values={"vat_accounts": {}})  # no collected-VAT account for 20 %
    with django_capture_on_commit_callbacks(execute=True):
        answer = signed_in.post(reverse("web:accounting_transfer"), YEAR)
    job = TransferJob.objects.get()
    assert job.state == JobState.FAILED and issued.number in job.error and job.transfer is None
    assert not JournalEntry.objects.exists() and not Transfer.objects.exists()
    page = signed_in.get(answer.url).content.decode()
    assert 'data-state="failed"' in page and escape(job.error) in page


def test_a_job_whose_worker_died_is_shown_failed_and_can_be_run_again(signed_in, owner, issued, settings, tmp_path,
                                                                       django_capture_on_commit_callbacks):
    settings.DATA_DIR = tmp_path
    settings_save(by=owner, values={})
    # A worker claimed the job, then died: nothing committed, no progress for longer than ABANDONED_AFTER.
    silent_since = timezone.now() - jobs.ABANDONED_AFTER - dt.timedelta(minutes=1)
    job = TransferJob.objects.create(organisation=owner.organisation, member=owner, state=JobState.RUNNING,
                                     period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 12, 31),
                                     heartbeat_at=silent_since)
    page = signed_in.get(reverse("web:accounting_job", args=[job.pk])).content.decode()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and 'data-state="failed"' in page and "hx-trigger" not in page
    assert not JournalEntry.objects.exists()
    # The task run again (a retry) leaves a failed job as it is: it transfers nothing.
    assert jobs.job_run(job.pk).state == JobState.FAILED and not Transfer.objects.exists()
    settings.FACTURIER_ACCOUNTING_SYNC_MAX = 0
    with django_capture_on_commit_callbacks(execute=True):
        again = jobs.transfer_start(by=owner, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    assert TransferJob.objects.get(pk=again.pk).state == JobState.DONE and Transfer.objects.count() == 1
