"""The worker's periodic jobs: due ones run, others wait their period, a failing one stops nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from facturier.config.schedule import JOBS, Job, run_due

T0 = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)


def test_each_job_runs_at_start_then_once_per_period():
    calls = []
    jobs = (Job("daily", dt.timedelta(hours=24), lambda: calls.append("daily")),
            Job("often", dt.timedelta(minutes=10), lambda: calls.append("often")))
    last: dict = {}
    assert run_due(last, T0, jobs) == ["daily", "often"]
    assert run_due(last, T0 + dt.timedelta(minutes=5), jobs) == []
    assert run_due(last, T0 + dt.timedelta(minutes=10), jobs) == ["often"]
    assert run_due(last, T0 + dt.timedelta(hours=24), jobs) == ["daily", "often"]
    assert calls == ["daily", "often", "often", "daily", "often"]


def test_a_failing_job_is_logged_and_the_others_still_run(caplog):
    def broken():
        raise ConnectionError("IMAP down")

    jobs = (Job("broken", dt.timedelta(minutes=10), broken), Job("fine", dt.timedelta(minutes=10), lambda: None))
    last: dict = {}
    assert run_due(last, T0, jobs) == ["fine"]
    assert "broken" in caplog.text and "IMAP down" in caplog.text
    assert run_due(last, T0 + dt.timedelta(minutes=1), jobs) == []  # retried at its next period, not in a loop


@pytest.mark.django_db
def test_the_real_jobs_seal_the_archive_checkpoint_of_an_organisation_that_issued(owner, draft,
                                                                                  django_capture_on_commit_callbacks):
    from facturier.archive.models import Checkpoint
    from facturier.invoicing.services import document_issue

    with django_capture_on_commit_callbacks(execute=True):
        document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))
    assert not Checkpoint.objects.filter(organisation=owner.organisation).exists()
    assert run_due({}, T0) == [job.name for job in JOBS]
    assert Checkpoint.objects.filter(organisation=owner.organisation).count() == 1
    run_due({}, T0)  # a restart runs everything again: nothing new to seal, nothing sealed twice
    assert Checkpoint.objects.filter(organisation=owner.organisation).count() == 1
