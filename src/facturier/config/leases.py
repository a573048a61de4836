"""Leases: how work claimed by a worker that dies is found and given back, exactly once.

Every process that claims work registers a `Worker` row and keeps its heartbeat fresh (the
worker command in a thread, any other process each time it claims). A worker is dead when its
heartbeat is older than the lease (`FACTURIER_WORKER_LEASE_SECONDS`), or at once when it ran on
this host and its process is gone — so a worker restarted after `kill -9` recovers its
predecessor's work without waiting.

Recovery (`recover`, run by a starting worker and by the periodic job) marks the dead workers,
then gives back what they held:
- outbox rows (every model registered with `register_outbox`, built on `LeasedClaim`): a row
  whose irreversible step had not begun goes back to pending; a row whose step had begun (the
  final dot of an SMTP message was on its way) becomes "unknown": a person decides;
- tasks of the queue left RUNNING: re-queued (django-tasks-db offers no recovery; every task of
  ours is idempotent, so running one again does its work once);
- then each outbox's `after_recovery` runs (e-mail: a flush for the organisations concerned),
  and each other recovery registered with `register_recovery` (the archive: issued documents
  left unarchived are queued again).

A worker found dead is fenced: its id can claim and finish nothing more (every claim, transfer
mark and outcome is a conditional UPDATE on `claimed_by`), so a worker that was only stalled
cannot race the one that took its work over.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from facturier.config.models import LeasedClaim, Worker

log = logging.getLogger(__name__)


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.FACTURIER_WORKER_LEASE_SECONDS)


class Fenced(Exception):  # noqa: N818 — a state, not an error a user reads
    """This process's worker id was found dead by another: it must claim nothing more under it."""


@dataclass(slots=True)
class _Me:
    id: str | None = None
    beat_at: dt.datetime | None = None
    fenced: bool = False
    dedicated: bool = False
    """A `facturier worker` (its heartbeat in a thread): fenced, it exits rather than start afresh."""
    lock: threading.Lock = field(default_factory=threading.Lock)


_me = _Me()


def _new_id() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def register(worker_id: str | None = None) -> str:
    """Register this process as a worker (a fresh id unless given); returns its id."""
    now = timezone.now()
    with _me.lock:
        _me.id, _me.fenced = worker_id or _new_id(), False
        Worker.objects.update_or_create(id=_me.id, defaults={
            "host": socket.gethostname()[:255], "pid": os.getpid(), "started_at": now, "heartbeat_at": now,
            "stopped_at": None})
        _me.beat_at = now
        return _me.id


def heartbeat(*, force: bool = False) -> str:
    """Renew this process's lease (at most every third of it unless forced); returns the worker id.

    Raises Fenced when recovery has found this worker dead. A row missing altogether (a test's
    rolled-back transaction) is written again under the same id.
    """
    if _me.id is None:
        return register()
    if _me.fenced:
        raise Fenced(_me.id)
    now = timezone.now()
    if not force and _me.beat_at is not None and now - _me.beat_at < lease() / 3:
        return _me.id
    with _me.lock:
        renewed = Worker.objects.filter(id=_me.id, stopped_at__isnull=True).update(heartbeat_at=now)
        if not renewed:
            if Worker.objects.filter(id=_me.id).exists():
                _me.fenced = True
                raise Fenced(_me.id)
            Worker.objects.create(id=_me.id, host=socket.gethostname()[:255], pid=os.getpid(), started_at=now,
                                  heartbeat_at=now)
        _me.beat_at = now
        return _me.id


def worker_id() -> str:
    """The id this process claims under: registered on first use, renewed as it works. A process
    that is not a dedicated worker (the web server running a task at once) starts again under a
    new id when it was found dead while idle: it held nothing by then."""
    try:
        return heartbeat()
    except Fenced:
        if _me.dedicated:
            raise
        return register()


def stop() -> None:
    """This worker stops cleanly: nothing to recover after it (it gave its claims back)."""
    if _me.id is not None:
        Worker.objects.filter(id=_me.id).update(stopped_at=timezone.now())
        _me.id = None


def keep_alive(stop: threading.Event) -> threading.Thread:
    """The dedicated worker's heartbeat: renewed every third of the lease, in its own thread (so a long
    task does not let it expire). Found dead by another (a stall longer than the lease), the worker
    exits at once: what it held is being given to others, and its supervisor starts it afresh."""
    from django.db import connection

    _me.dedicated = True

    def beat() -> None:
        while not stop.wait(lease().total_seconds() / 3):
            try:
                heartbeat(force=True)
            except Fenced:
                log.error("worker %s was found dead by another worker: exiting so that it restarts afresh", _me.id)
                os._exit(75)
            except Exception:  # noqa: BLE001 - a database hiccup: the next beat tries again, within the lease
                log.exception("heartbeat of worker %s failed", _me.id)
            finally:
                connection.close()

    thread = threading.Thread(target=beat, name="facturier-heartbeat", daemon=True)
    thread.start()
    return thread


def _pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def dead_workers(now: dt.datetime | None = None) -> list[str]:
    """The ids of the workers not stopped that are dead: heartbeat past the lease, or gone from this host."""
    now = now or timezone.now()
    host = socket.gethostname()[:255]
    dead = []
    for wid, whost, pid, beat in Worker.objects.filter(stopped_at__isnull=True).values_list(
            "id", "host", "pid", "heartbeat_at"):
        if wid == _me.id:
            continue
        if beat < now - lease() or (whost == host and pid != os.getpid() and _pid_gone(pid)):
            dead.append(wid)
    return dead


def live_workers() -> set[str]:
    return set(Worker.objects.filter(stopped_at__isnull=True).values_list("id", flat=True))


# --- outbox claims ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outbox:
    """An outbox whose claims recovery watches: its model (a LeasedClaim) and what to do after."""

    model: type[LeasedClaim]
    after_recovery: Callable[[list[int], list[int]], None] = lambda pending, unknown: None
    """Called with the ids given back to pending and the ids left unknown."""


OUTBOXES: list[Outbox] = []


def register_outbox(outbox: Outbox) -> None:
    if all(o.model is not outbox.model for o in OUTBOXES):
        OUTBOXES.append(outbox)


RECOVERIES: dict[str, Callable[[], object]] = {}
"""Other work a dead worker may have left half-done, found by a query of its own (the archive's
ingest: issued documents without their archived files); each must be idempotent."""


def register_recovery(name: str, recover_it: Callable[[], object]) -> None:
    RECOVERIES[name] = recover_it


def claim(row: LeasedClaim, **conditions) -> bool:
    """Take a pending row for this worker (one conditional UPDATE, committed); False if another has it.
    The row's claim fields are set to what was written."""
    model, now, me = type(row), timezone.now(), worker_id()
    taken = model.objects.filter(pk=row.pk, state=model.PENDING, **conditions).update(
        state=model.SENDING, claimed_by=me, claimed_at=now, transfer_started_at=None)
    if taken != 1:
        return False
    row.state, row.claimed_by, row.claimed_at, row.transfer_started_at = model.SENDING, me, now, None
    return True


def _mine(row: LeasedClaim) -> models.QuerySet:
    return type(row).objects.filter(pk=row.pk, state=row.SENDING, claimed_by=row.claimed_by)


def transfer_begins(row: LeasedClaim) -> bool:
    """Record, durably, that the irreversible step of this row starts now (before it starts).

    False when the row is no longer this worker's (found dead and taken over): do not start it.
    """
    now = timezone.now()
    try:
        heartbeat()
    except Fenced:
        return False
    if _mine(row).update(transfer_started_at=now) != 1:
        return False
    row.transfer_started_at = now
    return True


def finish(row: LeasedClaim, **changes) -> bool:
    """Record the outcome of a row this worker holds (one conditional UPDATE); False when it no longer
    holds it. A row recovery left "unknown" meanwhile takes the outcome too: it is the real one."""
    return type(row).objects.filter(pk=row.pk, claimed_by=row.claimed_by,
                                    state__in=(row.SENDING, row.UNKNOWN)).update(**changes) == 1


def give_back(row: LeasedClaim) -> bool:
    """Back to pending a row this worker claimed and did not start (it is stopping)."""
    return type(row).objects.filter(pk=row.pk, state=row.SENDING, claimed_by=row.claimed_by,
                                    transfer_started_at__isnull=True).update(state=row.PENDING) == 1


@dataclass(slots=True)
class Recovery:
    dead_workers: list[str] = field(default_factory=list)
    pending: dict[str, list[int]] = field(default_factory=dict)
    unknown: dict[str, list[int]] = field(default_factory=dict)
    tasks: list[str] = field(default_factory=list)
    other: dict[str, object] = field(default_factory=dict)

    @property
    def anything(self) -> bool:
        return bool(self.dead_workers or any(self.pending.values()) or any(self.unknown.values()) or self.tasks)


def _recover_claims(outbox: Outbox, alive: set[str]) -> tuple[list[int], list[int]]:
    model = outbox.model
    orphans = model.objects.filter(state=model.SENDING).exclude(claimed_by__in=alive)
    unknown = list(orphans.filter(transfer_started_at__isnull=False).values_list("pk", flat=True))
    pending = list(orphans.filter(transfer_started_at__isnull=True).values_list("pk", flat=True))
    # Conditional on the row still being orphaned: a row finished meanwhile keeps its outcome.
    unknown = [pk for pk in unknown if model.objects.filter(pk=pk, state=model.SENDING).exclude(
        claimed_by__in=alive).update(state=model.UNKNOWN)]
    pending = [pk for pk in pending if model.objects.filter(
        pk=pk, state=model.SENDING, transfer_started_at__isnull=True).exclude(
        claimed_by__in=alive).update(state=model.PENDING)]
    return pending, unknown


def _recover_tasks(alive: set[str]) -> list[str]:
    """Re-queue the tasks a dead worker left RUNNING (their last worker id is not alive)."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    READY, RUNNING = TaskResultStatus.READY, TaskResultStatus.RUNNING
    requeued = []
    for pk, worker_ids in DBTaskResult.objects.filter(status=RUNNING).values_list("id", "worker_ids"):
        if worker_ids and worker_ids[-1] in alive:
            continue
        with transaction.atomic():
            if DBTaskResult.objects.filter(pk=pk, status=RUNNING).update(status=READY, started_at=None):
                requeued.append(str(pk))
    return requeued


def recover(now: dt.datetime | None = None) -> Recovery:
    """Find the dead workers and give back what they held (see the module's docstring)."""
    heartbeat(force=True)  # this process is alive, whatever the clock says
    report = Recovery(dead_workers=dead_workers(now))
    if report.dead_workers:
        Worker.objects.filter(id__in=report.dead_workers, stopped_at__isnull=True).update(
            stopped_at=now or timezone.now())
    alive = live_workers()
    # Claims before tasks: a re-queued flush must find its messages pending again.
    for outbox in OUTBOXES:
        label = outbox.model._meta.label
        report.pending[label], report.unknown[label] = _recover_claims(outbox, alive)
    report.tasks = _recover_tasks(alive)
    for outbox in OUTBOXES:
        label = outbox.model._meta.label
        if report.pending[label] or report.unknown[label]:
            outbox.after_recovery(report.pending[label], report.unknown[label])
    for name, recover_it in RECOVERIES.items():
        try:
            report.other[name] = recover_it()
        except Exception:  # noqa: BLE001 - one recovery failing must not stop the others; it runs again soon
            log.exception("recovery of %s failed", name)
    if report.anything:
        log.warning("recovered after dead workers %s: %s pending again, %s unknown, %s tasks re-queued",
                    report.dead_workers, {k: len(v) for k, v in report.pending.items()},
                    {k: len(v) for k, v in report.unknown.items()}, len(report.tasks))
    return report
