"""The periodic jobs `facturier worker` runs by itself.

django-tasks has no scheduler and a fresh install has no cron: without this, the archive would
never seal its daily checkpoint nor purge past retention, and bounces would never be read.
Every job only enqueues idempotent tasks — except recovery, which runs in this thread so that
a queue stuck behind tasks a dead worker left running still gets unstuck — so a restart (which
runs what is due at once) or two workers doing the same thing cost a little time and never do
the work twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections

log = logging.getLogger(__name__)
TICK_S = 60.0


def _recovery() -> None:
    from facturier.config.leases import recover

    recover()


def _archive_checkpoints() -> None:
    from facturier.archive.tasks import seal_checkpoints

    seal_checkpoints.enqueue()


def _archive_backfill() -> None:
    from facturier.archive.tasks import backfill_unarchived

    backfill_unarchived.enqueue()


def _archive_purge() -> None:
    from facturier.archive.tasks import purge_expired

    purge_expired.enqueue()


def _delivery_bounces() -> None:
    from facturier.delivery.models import MailSettings
    from facturier.delivery.tasks import bounces_fetch_task

    for organisation_id in MailSettings.objects.exclude(imap_host="").values_list("organisation_id", flat=True):
        bounces_fetch_task.enqueue(organisation_id=organisation_id)


def _delivery_postal() -> None:
    from facturier.delivery.models import MailSettings
    from facturier.delivery.tasks import postal_fallback_task

    for organisation_id in MailSettings.objects.values_list("organisation_id", flat=True):
        postal_fallback_task.enqueue(organisation_id=organisation_id)


def _api_idempotency_cleanup() -> None:
    from facturier.api.tasks import idempotency_cleanup_task

    idempotency_cleanup_task.enqueue()
def _import_mail() -> None:
    from django.conf import settings

    from facturier.imports.mail_tasks import mail_import_fetch_task, mail_import_spool_task

    if settings.FACTURIER_IMPORT_IMAP_HOST:
        mail_import_fetch_task.enqueue()
    if settings.FACTURIER_IMPORT_SMTP_LISTEN:
        mail_import_spool_task.enqueue()  # what the listener stored and could not read yet


def _termination_erasure() -> None:
    from facturier.accounts.tasks import termination_erase_due_task

    termination_erase_due_task.enqueue()


def _billing_periods() -> None:
    from facturier.billing.tasks import periods_close_task

    periods_close_task.enqueue()


def _contracts_due() -> None:
    from facturier.contracts.tasks import generate_due_task

    generate_due_task.enqueue()


def _chorus_poll() -> None:
    from facturier.platforms.chorus.tasks import poll_all

    poll_all()


def _ereporting_period_ends() -> None:
    from facturier.platforms.ereporting.tasks import period_ends_task

    period_ends_task.enqueue()


def _platform_statuses() -> None:
    """The fallback of the PA's webhooks: search the incoming life-cycle flows of every connected organisation;
    and flush any submission whose queued flush was lost."""
    from django.apps import apps

    if not apps.is_installed("facturier.platforms"):
        return
    from facturier.platforms.models import PlatformConnection, PlatformSubmission
    from facturier.platforms.tasks import platform_flush_task, platform_poll_task

    for organisation_id in set(PlatformConnection.objects.values_list("organisation_id", flat=True)):
        platform_poll_task.enqueue(organisation_id=organisation_id)
    from django.utils import timezone

    for organisation_id in set(PlatformSubmission.objects.filter(
            state__in=("pending", "unknown"), next_attempt_at__lte=timezone.now()).values_list(
            "organisation_id", flat=True)):
        platform_flush_task.enqueue(organisation_id=organisation_id)


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    every: dt.timedelta
    enqueue: Callable[[], None]


JOBS = (
    Job("recovery", dt.timedelta(seconds=0), _recovery),  # every tick (the lease, at most a minute)
    Job("archive backfill", dt.timedelta(hours=24), _archive_backfill),
    Job("archive checkpoints", dt.timedelta(hours=24), _archive_checkpoints),
    Job("archive purge", dt.timedelta(hours=24), _archive_purge),
    Job("delivery bounces", dt.timedelta(minutes=10), _delivery_bounces),
    Job("delivery postal fallback", dt.timedelta(hours=1), _delivery_postal),
    Job("api idempotency cleanup", dt.timedelta(hours=1), _api_idempotency_cleanup),
    Job("import mail", dt.timedelta(minutes=2), _import_mail),
    Job("termination erasure", dt.timedelta(hours=24), _termination_erasure),
    Job("billing period ends", dt.timedelta(hours=1), _billing_periods),  # statements and operator invoices
    # Hourly, so a worker back after a stop (which runs every job at once) catches up within the hour;
    # each contract period is invoiced once whatever the number of runs.
    Job("contracts due", dt.timedelta(hours=1), _contracts_due),
    Job("chorus statuses", dt.timedelta(minutes=5), _chorus_poll),  # Chorus Pro has no push: polled
    # Hourly: a period's report is built (and submitted) within the hour after its last day.
    Job("e-reporting period ends", dt.timedelta(hours=1), _ereporting_period_ends),
    Job("platform statuses", dt.timedelta(minutes=1), _platform_statuses),  # the webhooks' fallback
)


def run_due(last_run: dict[str, dt.datetime], now: dt.datetime, jobs=JOBS) -> list[str]:
    """Enqueue every job whose period has passed since its last run; returns their names.
    A job that fails is logged and retried at its next period, and never stops the others."""
    ran = []
    for job in jobs:
        previous = last_run.get(job.name)
        if previous is not None and now - previous < job.every:
            continue
        last_run[job.name] = now
        try:
            job.enqueue()
        except Exception:  # noqa: BLE001 — a broken job must not stop the worker's other jobs
            log.exception("periodic job %r failed", job.name)
            continue
        ran.append(job.name)
    return ran


def start(stop: threading.Event, tick: float = TICK_S) -> threading.Thread:
    """A daemon thread that checks the jobs every `tick` seconds until `stop` is set."""

    def loop() -> None:
        last_run: dict[str, dt.datetime] = {}
        while not stop.is_set():
            run_due(last_run, dt.datetime.now(dt.UTC))
            connections.close_all()  # this thread's own connections: none is held between ticks
            stop.wait(tick)

    thread = threading.Thread(target=loop, name="facturier-schedule", daemon=True)
    thread.start()
    return thread
