"""The platforms' outbox: each flow handed to the organisation's PA once, across crashes and outages.

A submission is recorded (`submission_queue`, unique per organisation and tracking id) in the
transaction that decides it, then the worker (`platform_flush`) claims it
(`facturier.config.leases.claim`), marks its request as begun and sends `POST /v1/flows`.
- an answer with a flow id: submitted;
- 5xx, 408, 425, 429, a timeout or a dropped connection: the PA may or may not hold the flow.
  It is submitted again only after asking the PA by tracking id (`POST /v1/flows/search`,
  `where.trackingId`, which the Flow Service 1.3.0 allows): found, it is recorded as submitted
  with the PA's flow id; not found, it is sent again, with backoff over more than a day;
- another 4xx (the PA refuses the flow): failed, the organisation notified with the PA's reason;
- a worker killed after the request began leaves the row "unknown" (leases.recover); the next
  flush asks the PA by tracking id before anything is sent again. Nothing is repeated blindly.
The client (pa-core's `FlowClient`) refreshes its token itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.config import leases
from facturier.platforms.submissions import PlatformSubmission, SubmissionKind, SubmissionState

log = logging.getLogger(__name__)

BACKOFF = tuple(dt.timedelta(minutes=m) for m in (1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 720, 1440))
MAX_ATTEMPTS = len(BACKOFF) + 1
CHUNK = 100
IN_FLIGHT = 4
"""Requests queued ahead of the answers read (sent one at a time, over one connection)."""
OUTCOMES = 20
"""Answers recorded per transaction."""
RETRY_STATUSES = {408, 425, 429}

flow_status_received = Signal()
"""Sent for a status received about a flow that is not an invoice (a CDAR we sent, an e-reporting):
`submission`, `status_code`, `cdar` (the parsed message, or None)."""


@dataclass(slots=True)
class FlushReport:
    sent: int = 0
    rescheduled: int = 0
    failed: int = 0
    unknown: int = 0
    confirmed: int = 0
    """Submissions whose outcome was unknown, found at the PA by their tracking id."""
    retry_at: dt.datetime | None = None
    errors: list[str] = field(default_factory=list)


def submission_queue(*, organisation, kind: str, tracking_id: str, file_name: str, data: bytes, flow_syntax: str,
                     processing_rule: str, document=None, flow_type: str = "") -> PlatformSubmission:
    """Record a flow to submit, exactly once: the same tracking id again gives the row already recorded.
    The worker is asked to flush after the transaction commits."""
    if kind not in SubmissionKind.values:
        raise ValueError(f"unknown submission kind {kind!r}")
    tracking_id = str(tracking_id)[:64]
    existing = PlatformSubmission.objects.filter(organisation=organisation, tracking_id=tracking_id).first()
    if existing is not None:
        return existing
    row = PlatformSubmission(
        organisation=organisation, kind=kind, document=document, tracking_id=tracking_id, file_name=file_name[:255],
        data=data, sha256=hashlib.sha256(data).hexdigest(), flow_syntax=flow_syntax,
        processing_rule=processing_rule, flow_type=flow_type, next_attempt_at=timezone.now())
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:  # queued concurrently: the first one stands
        return PlatformSubmission.objects.get(organisation=organisation, tracking_id=tracking_id)
    organisation_id = organisation.pk
    transaction.on_commit(lambda: enqueue_platform_flush(organisation_id))
    return row


def enqueue_platform_flush(organisation_id: int, *, run_after: dt.datetime | None = None) -> None:
    from django_tasks import default_task_backend

    from facturier.platforms.tasks import platform_flush_task

    if run_after is not None and default_task_backend.supports_defer:
        platform_flush_task.using(run_after=run_after).enqueue(organisation_id=organisation_id)
    elif run_after is None:
        platform_flush_task.enqueue(organisation_id=organisation_id)


# --- seams --------------------------------------------------------------------------------------


def _after_begun(submission: PlatformSubmission) -> None:
    """Called once a submission's request is recorded as begun (a seam the crash tests raise from)."""


def _after_submitted(submission: PlatformSubmission) -> None:
    """Called once the PA answered, before the answer is recorded (a seam the crash tests raise from)."""


def _client(organisation):
    """The organisation's flow client, or None with no PA connection."""
    from facturier.platforms.client import FlowClient
    from facturier.platforms.selectors import connection_for

    connection = connection_for(organisation)
    return None if connection is None else FlowClient(connection)


def _get(obj, *names, default=None):
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return default


# --- the flush ----------------------------------------------------------------------------------


def _due(organisation_id: int, now: dt.datetime, state: str):
    return PlatformSubmission.objects.filter(organisation_id=organisation_id, state=state,
                                             next_attempt_at__lte=now).order_by("id")


def _rows(ids: list[int]) -> Iterator[PlatformSubmission]:
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        loaded = PlatformSubmission.objects.select_related("organisation").in_bulk(chunk)
        for pk in chunk:
            if pk in loaded:
                yield loaded[pk]


def platform_flush(*, organisation_id: int, now: dt.datetime | None = None, limit: int | None = None,
                   client=None) -> FlushReport:
    """Submit every due flow of the organisation; first settle those whose outcome is unknown by asking the PA."""
    from facturier.accounts.models import Organisation

    now = now or timezone.now()
    report = FlushReport()
    organisation = Organisation.objects.get(pk=organisation_id)
    unknown = list(_due(organisation_id, now, SubmissionState.UNKNOWN).values_list("pk", flat=True)[:limit])
    ids = list(_due(organisation_id, now, SubmissionState.PENDING).values_list("pk", flat=True)[:limit])
    if not ids and not unknown:
        return report
    client = client or _client(organisation)
    if client is None:
        reason = str(_("No approved platform (PA) is connected: set up the connection in the settings."))
        PlatformSubmission.objects.filter(pk__in=ids, state=SubmissionState.PENDING).update(last_error=reason)
        report.errors.append(reason)
        return report
    for row in _rows(unknown):
        _settle_unknown(client, row, now, report)
    for start in range(0, len(ids), CHUNK):
        _send_chunk(client, ids[start:start + CHUNK], now, report)
    _schedule_retry(organisation_id, report)
    return report


def _send_chunk(client, ids: list[int], now: dt.datetime, report: FlushReport) -> None:
    """Submit a chunk of flows: claimed together (one UPDATE), their requests marked as begun together (one
    UPDATE, before the first leaves), sent one after the other over one connection, their outcomes recorded in
    one transaction. A worker killed half-way leaves the chunk's rows begun: recovery makes them "unknown" and
    the next flush asks the PA for each by tracking id before anything is sent again — so a chunk costs three
    commits instead of three per flow, and exactly-once still holds. Rows to check first go one by one."""
    me, claimed_at = leases.worker_id(), timezone.now()
    PlatformSubmission.objects.filter(pk__in=ids, state=SubmissionState.PENDING).update(
        state=SubmissionState.SENDING, claimed_by=me, claimed_at=claimed_at, transfer_started_at=None)
    rows = list(PlatformSubmission.objects.filter(pk__in=ids, state=SubmissionState.SENDING, claimed_by=me,
                                                  claimed_at=claimed_at).select_related("organisation").order_by("id"))
    for row in [r for r in rows if r.check_first]:
        _submit_one(client, row, now, report)
    rows = [r for r in rows if not r.check_first]
    if not rows:
        return
    try:
        leases.heartbeat()
    except leases.Fenced:
        return
    begun_at = timezone.now()
    PlatformSubmission.objects.filter(pk__in=[r.pk for r in rows], state=SubmissionState.SENDING,
                                      claimed_by=me).update(transfer_started_at=begun_at)
    # The requests leave one after the other from the I/O thread (the socket only, no database), up to
    # IN_FLIGHT ahead of the answers read here; the answers' outcomes are recorded OUTCOMES at a time in one
    # transaction while the next requests travel: the network and the database overlap.
    in_flight: deque[tuple[PlatformSubmission, Future]] = deque()
    done: list[tuple[PlatformSubmission, str]] = []
    submitted = 0
    io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pa-submit")

    def read_answer() -> None:
        row, answer = in_flight.popleft()
        try:
            flow_id = answer.result()
        except Exception as e:  # noqa: BLE001 — sorted by `_request_failed`, re-raised when unknown
            _request_failed(row, e, now, report)
            return
        _after_submitted(row)
        done.append((row, flow_id))

    try:
        for row in rows:
            row.transfer_started_at = begun_at
            _after_begun(row)
            in_flight.append((row, io.submit(_call, client, row)))
            submitted += 1
            while len(in_flight) > IN_FLIGHT or (in_flight and in_flight[0][1].done()):
                read_answer()
            if len(done) >= OUTCOMES:
                _record(done, now, report)
        while in_flight:
            read_answer()
    finally:
        io.shutdown(wait=True)
        _record(done, now, report)
        # the rows whose request never started: back to the queue, as if never claimed (a request that left
        # and whose answer was not read stays begun: recovery makes it "unknown", settled by asking the PA)
        untouched = [r.pk for r in rows[submitted:]]
        if untouched:
            PlatformSubmission.objects.filter(pk__in=untouched, state=SubmissionState.SENDING, claimed_by=me).update(
                state=SubmissionState.PENDING, transfer_started_at=None)


def _record(done: list[tuple[PlatformSubmission, str]], now: dt.datetime, report: FlushReport) -> None:
    """The outcomes of answered requests, in one transaction (each row's finish stays conditional on this
    worker still holding it)."""
    if not done:
        return
    with transaction.atomic():
        while done:
            _sent(*done.pop(0), now, report)


def _call(client, row: PlatformSubmission) -> str:
    """`POST /v1/flows` for a row marked as begun: the PA's flow id (raises the client's errors)."""
    submitted = client.submit(file_name=row.file_name, data=bytes(row.data), flow_syntax=row.flow_syntax,
                              processing_rule=row.processing_rule or None, tracking_id=row.tracking_id,
                              **({"flow_type": row.flow_type} if row.flow_type else {}))
    return str(_get(submitted, "flow_id", "flowId", default=""))


def _request(client, row: PlatformSubmission, now: dt.datetime, report: FlushReport) -> str | None:
    """`POST /v1/flows` for a row marked as begun: the PA's flow id, or None (the failure recorded)."""
    try:
        return _call(client, row)
    except Exception as e:  # noqa: BLE001 — sorted by `_request_failed`, re-raised when unknown
        _request_failed(row, e, now, report)
        return None


def _request_failed(row: PlatformSubmission, e: Exception, now: dt.datetime, report: FlushReport) -> None:
    """Record why a request failed: retried (asking the PA first when it may have the flow), or failed."""
    from facturier.platforms.client import PlatformError, Refused, TokenRejected, Unreachable

    try:
        raise e
    except Refused as e:
        status = getattr(e, "status", 0) or 0
        temporary = status >= 500 or status in RETRY_STATUSES or getattr(e, "temporary", False)
        _failure(row, _message(e), temporary=temporary, now=now, report=report, check_first=temporary)
        return None
    except Unreachable as e:  # sent whole before the failure: the PA may have the flow, ask before resending
        _failure(row, _message(e), temporary=True, now=now, report=report,
                 check_first=bool(getattr(e, "maybe_received", True)))
        return None
    except TokenRejected as e:  # nothing reached the PA: wait (with backoff) for the settings to be corrected
        if row.attempts == 0:
            _notify(row, _message(e))
        _failure(row, _message(e), temporary=True, now=now, report=report)
        return None
    except PlatformError as e:
        _failure(row, _message(e), temporary=e.temporary, now=now, report=report, check_first=e.temporary)
        return None
    except OSError as e:
        _failure(row, str(e) or e.__class__.__name__, temporary=True, now=now, report=report, check_first=True)
        return None


def find_by_tracking_id(client, tracking_id: str):
    """The PA's flow with this tracking id, or None (`POST /v1/flows/search`, `where.trackingId`)."""
    page = client.search(tracking_id=tracking_id, directions=["Out"])
    for flow in _get(page, "flows", "results", default=[]) or []:
        # our own flow (Out): the platform's statuses about it carry the same tracking id, incoming (In)
        if _get(flow, "tracking_id", "trackingId") == tracking_id and _get(flow, "flow_direction",
                                                                            "flowDirection", default="Out") == "Out":
            return flow
    return None


def _settle_unknown(client, row: PlatformSubmission, now: dt.datetime, report: FlushReport) -> None:
    """A flow whose outcome is unknown: found at the PA, it is submitted; not found, it goes back to the queue
    (its next attempt asks again first). The PA unreachable, it stays unknown until the next flush."""
    from facturier.platforms.client import PlatformError

    try:
        flow = find_by_tracking_id(client, row.tracking_id)
    except PlatformError as e:
        PlatformSubmission.objects.filter(pk=row.pk, state=SubmissionState.UNKNOWN).update(
            next_attempt_at=now + BACKOFF[0], last_error=str(_message(e))[:2000])
        report.retry_at = min(filter(None, (report.retry_at, now + BACKOFF[0])))
        return
    if flow is not None:
        done = PlatformSubmission.objects.filter(pk=row.pk, state=SubmissionState.UNKNOWN).update(
            state=SubmissionState.SENT, flow_id=str(_get(flow, "flow_id", "flowId", default=""))[:64],
            sent_at=row.transfer_started_at or now, last_error="", check_first=False)
        if done:
            row.state, row.flow_id = SubmissionState.SENT, str(_get(flow, "flow_id", "flowId", default=""))
            _on_sent(row)
            report.confirmed += 1
        return
    PlatformSubmission.objects.filter(pk=row.pk, state=SubmissionState.UNKNOWN).update(
        state=SubmissionState.PENDING, check_first=False, next_attempt_at=now, claimed_by="",
        transfer_started_at=None)
    row.state = SubmissionState.PENDING
    if leases.claim(row):
        _submit_one(client, row, now, report, checked=True)


def _message(e) -> str:
    return getattr(e, "message", None) or str(e) or e.__class__.__name__


def _submit_one(client, row: PlatformSubmission, now: dt.datetime, report: FlushReport, *,
                checked: bool = False) -> None:
    from facturier.platforms.client import PlatformError

    if row.check_first and not checked:
        try:
            flow = find_by_tracking_id(client, row.tracking_id)
        except PlatformError as e:
            _failure(row, _message(e), temporary=True, now=now, report=report)
            return
        if flow is not None:
            _sent(row, str(_get(flow, "flow_id", "flowId", default="")), now, report)
            return
    if not leases.transfer_begins(row):
        return
    _after_begun(row)
    flow_id = _request(client, row, now, report)
    if flow_id is None:
        return
    _after_submitted(row)
    _sent(row, flow_id, now, report)


def _sent(row: PlatformSubmission, flow_id: str, now: dt.datetime, report: FlushReport) -> None:
    with transaction.atomic():
        if not leases.finish(row, state=SubmissionState.SENT, sent_at=timezone.now(), flow_id=flow_id[:64],
                             attempts=row.attempts + 1, last_error="", check_first=False):
            return
        row.state, row.flow_id = SubmissionState.SENT, flow_id
        _on_sent(row)
    report.sent += 1


def _on_sent(row: PlatformSubmission) -> None:
    """An invoice handed to the PA: its delivery shows it, its platform state waits for the first status."""
    if row.kind != SubmissionKind.INVOICE or row.document_id is None:
        return
    from facturier.delivery.history import delivery_mark
    from facturier.delivery.models import DeliveryState
    from facturier.invoicing.models import Document

    document = Document.objects.get(pk=row.document_id)
    delivery_mark(document=document, state=DeliveryState.SENT, recipient=str(_("Approved platform (PA)")),
                  detail=str(_("Handed to the approved platform (flow %(flow)s)") % {"flow": row.flow_id or "?"}))


def _failure(row: PlatformSubmission, reason: str, *, temporary: bool, now: dt.datetime, report: FlushReport,
             check_first: bool = False) -> None:
    row.attempts += 1
    row.last_error = str(reason)[:2000]
    if temporary and row.attempts < MAX_ATTEMPTS:
        state = SubmissionState.PENDING
        row.next_attempt_at = now + BACKOFF[row.attempts - 1]
    else:
        state = SubmissionState.FAILED
    with transaction.atomic():
        if not leases.finish(row, attempts=row.attempts, last_error=row.last_error, state=state,
                             next_attempt_at=row.next_attempt_at, check_first=check_first or row.check_first):
            return
        row.state = state
        if state == SubmissionState.FAILED:
            report.failed += 1
            _failed(row)
        else:
            report.rescheduled += 1
            report.retry_at = min(filter(None, (report.retry_at, row.next_attempt_at)))
    report.errors.append(row.last_error)


def _notify(row: PlatformSubmission, text: str) -> None:
    from facturier.delivery.models import Notification

    Notification.objects.create(organisation_id=row.organisation_id, kind="platform", text=str(text)[:500],
                                document_id=row.document_id)


def _failed(row: PlatformSubmission) -> None:
    text = str(_("The approved platform did not take %(what)s %(id)s: %(reason)s") % {
        "what": row.get_kind_display().lower(), "id": row.tracking_id, "reason": row.last_error})
    _notify(row, text)
    if row.kind == SubmissionKind.INVOICE and row.document_id:
        from facturier.delivery.history import delivery_mark
        from facturier.delivery.models import DeliveryState
        from facturier.invoicing.models import Document

        delivery_mark(document=Document.objects.get(pk=row.document_id), state=DeliveryState.FAILED,
                      detail=text)


def _schedule_retry(organisation_id: int, report: FlushReport) -> None:
    if report.retry_at is not None:
        enqueue_platform_flush(organisation_id, run_after=report.retry_at)


def submissions_recovered(pending: list[int], unknown: list[int]) -> None:
    """After recovery: a submission given back is flushed again; one whose request had begun is settled by
    asking the PA for its tracking id at the next flush (never sent again blindly)."""
    PlatformSubmission.objects.filter(pk__in=unknown, state=SubmissionState.UNKNOWN).update(
        next_attempt_at=timezone.now(), check_first=True,
        last_error=str(_("The worker stopped while the flow was being submitted: the PA will be asked whether it "
                         "has it before anything is sent again.")))
    for organisation_id in set(PlatformSubmission.objects.filter(pk__in=[*pending, *unknown])
                               .values_list("organisation_id", flat=True)):
        enqueue_platform_flush(organisation_id)
