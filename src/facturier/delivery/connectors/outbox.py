"""The connectors' outbox: each transfer sent once, across crashes, over one connection per flush.

A transfer is claimed (`facturier.config.leases.claim`), its file made (format, conversion,
official rules), then:
- SFTP: written under a hidden temporary name (nothing the receiver picks up), the transfer
  marked as begun, and renamed to its final name — the one irreversible step. A worker killed
  before the rename leaves it to recovery (back to pending; the partial file is only a ".part");
  killed during it, or losing the connection while waiting for the answer, it leaves the
  transfer "unknown": a person checks the folder and decides.
- HTTP: the connection opened, the transfer marked as begun, the request sent with an
  `Idempotency-Key` the receiver can use; an answer 2xx is sent, 408/425/429/5xx a retry
  with backoff, another 4xx a failure; no answer is "unknown", never repeated blindly.
A file the engine refuses is never sent: the transfer fails with the reasons.
"""

from __future__ import annotations

import datetime as dt
import http.client
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

from django import db
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.config import leases
from facturier.delivery.connectors import transport
from facturier.delivery.connectors.files import Made, make_file
from facturier.delivery.connectors.models import Connector, ConnectorKind, ConnectorTransfer, TransferState, Trigger
from facturier.delivery.outbox import FlushReport  # the same report as the e-mail outbox
from facturier.errors import FacturierError

BACKOFF = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2),
           dt.timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1
CHUNK = 100
RETRY_STATUSES = {408, 425, 429}


def make(transfer: ConnectorTransfer) -> Made:
    """The file of a transfer (a seam for the benchmark, which sends a fixed 100 KB file)."""
    return make_file(transfer.document, transfer.file_format, transfer.connector.file_name)


def _after_begun(transfer: ConnectorTransfer) -> None:
    """Called once a transfer's irreversible step is recorded as begun (a seam the crash tests raise from)."""


def _due(connector_id: int, now: dt.datetime):
    return ConnectorTransfer.objects.filter(connector_id=connector_id, state=TransferState.PENDING,
                                            next_attempt_at__lte=now).order_by("id")


def _rows(ids: list[int]) -> Iterator[ConnectorTransfer]:
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        loaded = ConnectorTransfer.objects.select_related(
            "connector", "document__organisation", "document__customer").in_bulk(chunk)
        for pk in chunk:
            if pk in loaded:
                yield loaded[pk]


def connector_flush(*, connector_id: int, now: dt.datetime | None = None, limit: int | None = None) -> FlushReport:
    """Send every due transfer of the connector over one connection (opened again only if it drops)."""
    now = now or timezone.now()
    report = FlushReport()
    connector = Connector.objects.select_related("organisation").get(pk=connector_id)
    ids = list(_due(connector_id, now).values_list("pk", flat=True)[:limit])
    if not ids:
        return report
    if not connector.enabled:
        reason = str(_("The connector is not enabled: test its connection in the settings."))
        ConnectorTransfer.objects.filter(pk__in=ids, state=TransferState.PENDING).update(last_error=reason)
        report.errors.append(reason)
        return report
    _send_all(connector, ids, now, report)
    _schedule_retry(connector_id, report)
    return report


def _session(connector: Connector):
    from facturier.delivery.connectors.services import http_endpoint, sftp_endpoint

    if connector.kind == ConnectorKind.SFTP:
        return transport.SftpSession(sftp_endpoint(connector))
    return transport.HttpSession(http_endpoint(connector))


def _send_all(connector: Connector, ids: list[int], now: dt.datetime, report: FlushReport) -> None:
    """Send these transfers over one connection, overlapping the network with the database: while a file
    uploads (SFTP) or its request is in flight (HTTP), the previous one's outcome is recorded. A file is
    only made visible (renamed) or requested once its transfer is marked as begun, so a worker stopped
    anywhere leaves at most the transfers whose step had begun "unknown", and the rest to recovery."""
    session = None
    current: ConnectorTransfer | None = None  # claimed, its outcome neither recorded nor deferred
    deferred: list = []  # the outcome of the previous transfer, recorded while the next one travels
    io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="connector-http")  # sockets only, no database

    def settle() -> None:
        while deferred:
            deferred.pop(0)()

    try:
        for transfer in _rows(ids):
            if not leases.claim(transfer):
                continue  # another worker has it
            current = transfer
            try:
                made = make(transfer)
            except FacturierError as e:
                settle()
                _failure(transfer, e.message, temporary=False, now=now, report=report)
                current = None
                continue
            name = transfer.file_name or made.name
            if session is None:
                settle()
                try:
                    session = _session(connector)
                    session.open()
                except transport.StepFailed as e:
                    if session is not None:
                        session.close()
                    session = None
                    _unusable(connector, transfer, ids, e, now, report)
                    current = None
                    break
            one = _sftp_one if connector.kind == ConnectorKind.SFTP else _http_one
            session, outcome = one(session, transfer, name, made, now, report, settle, io)
            current = None
            if outcome is not None:
                deferred.append(outcome)
        settle()
    finally:
        with suppress(db.DatabaseError):
            settle()  # outcomes known: recorded even when stopping
        if current is not None:  # stopped half-way: give back a claim not begun, leave a begun one unknown
            with suppress(db.DatabaseError):
                if current.transfer_started_at is None:
                    leases.give_back(current)
                else:
                    _unknown(current, RuntimeError("sending interrupted"), report=report)
        io.shutdown(wait=True)
        if session is not None:
            session.close()


def _unusable(connector, transfer, ids, e: transport.StepFailed, now, report) -> None:
    """The connector cannot be used at all: nothing is sent, every due transfer waits with the reason (a
    changed host key also disables the connector until a settings manager re-pins it)."""
    leases.give_back(transfer)
    reason = str(_("%(step)s: %(reason)s") % {"step": transport.Step.LABELS.get(e.step, e.step), "reason": e.message})
    retry = now + BACKOFF[0]
    ConnectorTransfer.objects.filter(pk__in=ids, state=TransferState.PENDING).update(
        last_error=reason[:2000], next_attempt_at=retry)
    if isinstance(e, transport.HostKeyChanged):
        Connector.objects.filter(pk=connector.pk).update(enabled=False, test_ok=False)
        _notify(connector, reason)
    elif e.temporary:
        report.retry_at = retry
    report.errors.append(reason)


def _sftp_one(session: transport.SftpSession, transfer, name: str, made: Made, now, report, settle, io):
    """Upload under a temporary name (the previous outcome is recorded meanwhile), mark begun, rename.
    Returns the session (None when it cannot be used again) and the outcome to record, if deferred."""
    upload = session.submit_upload(name, made.data)
    settle()
    try:
        part = upload.result()
    except (transport.StepFailed, TimeoutError) as e:  # nothing visible was written
        if isinstance(e, TimeoutError):
            e = transport.StepFailed(transport.Step.WRITE, _("Writing the file failed: %(reason)s."),
                                     reason="timed out")
        _failure(transfer, e.message, temporary=e.temporary, now=now, report=report)
        if e.step == transport.Step.WRITE:
            session.close()
            return None, None
        return session, None
    if not leases.transfer_begins(transfer):
        session.discard(part)  # recovery gave it to another worker: the receiver never saw it
        return session, None
    _after_begun(transfer)
    try:
        session.publish(part, name)
    except transport.asyncssh.SFTPError as e:  # the server answered: the file was not renamed
        session.discard(part)
        _failure(transfer, str(_("The server refused to name the file: %(reason)s") % {"reason": e.reason}),
                 temporary=False, now=now, report=report)
        return session, None
    except (OSError, transport.asyncssh.Error, TimeoutError) as e:  # no answer: the rename may have happened
        _unknown(transfer, e, report=report)
        session.close()
        return None, None
    where = f"{session.endpoint.folder.rstrip('/') or '.'}/{name}"
    return session, lambda: _sent(transfer, now, report, response=where, name=name)


def _http_one(session: transport.HttpSession, transfer, name: str, made: Made, now, report, settle, io):
    """Mark begun, send the request (the previous outcome is recorded while it is in flight), read the answer."""
    if not session.connected:
        settle()
        try:
            session.open()
        except transport.StepFailed as e:
            _failure(transfer, e.message, temporary=e.temporary, now=now, report=report)
            return session, None
    headers = session.headers_for(made.data, content_type=made.mime, name=name, key=transfer.key)
    if not leases.transfer_begins(transfer):
        return session, None
    _after_begun(transfer)
    answer = io.submit(session.send, made.data, headers)
    settle()
    try:
        answer = answer.result()
    except (OSError, http.client.HTTPException) as e:
        _unknown(transfer, e, report=report)
        session.close()
        return session, None
    text = f"HTTP {answer.status} {answer.reason}"
    if 200 <= answer.status < 300:
        return session, lambda: _sent(transfer, now, report, response=text, name=name)
    temporary = answer.status >= 500 or answer.status in RETRY_STATUSES
    _failure(transfer, str(_("The receiver answered %(answer)s: %(body)s") % {
        "answer": text, "body": answer.body[:300]}), temporary=temporary, now=now, report=report)
    return session, None


def _sent(transfer: ConnectorTransfer, now, report: FlushReport, *, response: str, name: str = "") -> None:
    from facturier.delivery.history import delivery_mark
    from facturier.delivery.models import DeliveryState

    with transaction.atomic():
        sent_at = timezone.now()
        name = name or transfer.file_name
        if not leases.finish(transfer, state=TransferState.SENT, sent_at=sent_at, attempts=transfer.attempts + 1,
                             last_error="", response=response[:500], file_name=name):
            return
        transfer.state, transfer.file_name = TransferState.SENT, name
        delivery_mark(document=transfer.document, state=DeliveryState.EXPORTED, recipient=transfer.connector.name,
                      detail=str(_("Exported via %(connector)s: %(file)s") % {
                          "connector": transfer.connector.name, "file": transfer.file_name}))
    report.sent += 1


def _failure(transfer: ConnectorTransfer, reason: str, *, temporary: bool, now, report: FlushReport) -> None:
    from facturier.delivery.history import delivery_mark
    from facturier.delivery.models import DeliveryState

    with transaction.atomic():
        transfer.attempts += 1
        transfer.last_error = str(reason)[:2000]
        if temporary and transfer.attempts < MAX_ATTEMPTS:
            transfer.state = TransferState.PENDING
            transfer.next_attempt_at = now + BACKOFF[transfer.attempts - 1]
        else:
            transfer.state = TransferState.FAILED
        if not leases.finish(transfer, attempts=transfer.attempts, last_error=transfer.last_error,
                             state=transfer.state, next_attempt_at=transfer.next_attempt_at):
            return
        if transfer.state == TransferState.FAILED:
            report.failed += 1
            detail = str(_("Not exported via %(connector)s: %(reason)s") % {
                "connector": transfer.connector.name, "reason": transfer.last_error})
            if transfer.trigger in (Trigger.CHANNEL, Trigger.BATCH):
                delivery_mark(document=transfer.document, state=DeliveryState.FAILED, detail=detail)
            else:
                _notify(transfer.connector, detail, document=transfer.document)
        else:
            report.rescheduled += 1
            report.retry_at = min(filter(None, (report.retry_at, transfer.next_attempt_at)))
    report.errors.append(transfer.last_error)


def _unknown(transfer: ConnectorTransfer, e: BaseException, *, report: FlushReport) -> None:
    from facturier.delivery.history import delivery_mark
    from facturier.delivery.models import DeliveryState

    reason = str(_("The connection was lost while the file was being handed over (%(reason)s): the receiver may "
                   "have it. Check with the receiver, then send it again or mark it sent.") % {
        "reason": str(e) or e.__class__.__name__})
    with transaction.atomic():
        if not leases.finish(transfer, state=TransferState.UNKNOWN, last_error=reason[:2000]):
            return
        transfer.state = TransferState.UNKNOWN
        delivery_mark(document=transfer.document, state=DeliveryState.UNKNOWN, detail=reason)
    report.unknown += 1
    report.errors.append(reason)


def _notify(connector: Connector, text: str, document=None) -> None:
    from facturier.delivery.models import Notification

    Notification.objects.create(organisation_id=connector.organisation_id, kind="connector", text=str(text)[:500],
                                document=document)


def _schedule_retry(connector_id: int, report: FlushReport) -> None:
    if report.retry_at is None:
        return
    from django_tasks import default_task_backend

    from facturier.delivery.tasks import connector_flush_task

    if default_task_backend.supports_defer:
        connector_flush_task.using(run_after=report.retry_at).enqueue(connector_id=connector_id)


def transfers_recovered(pending: list[int], unknown: list[int]) -> None:
    """After recovery: transfers given back are flushed again; those whose step had begun show "unknown"."""
    from facturier.delivery.connectors.services import enqueue_connector_flush
    from facturier.delivery.history import delivery_mark
    from facturier.delivery.models import DeliveryState

    reason = str(_("The worker stopped while the file was being handed over: the receiver may have it. Check with "
                   "the receiver, then send it again or mark it sent."))
    for transfer in ConnectorTransfer.objects.filter(pk__in=unknown).select_related("document__organisation"):
        with transaction.atomic():
            ConnectorTransfer.objects.filter(pk=transfer.pk, state=TransferState.UNKNOWN).update(last_error=reason)
            delivery_mark(document=transfer.document, state=DeliveryState.UNKNOWN, detail=reason)
    for connector_id in set(ConnectorTransfer.objects.filter(pk__in=pending).values_list("connector_id", flat=True)):
        enqueue_connector_flush(connector_id)


class NothingToDecide(FacturierError):
    code = "nothing_to_decide"


def transfer_decide(*, by, transfer_id: int, resend: bool) -> ConnectorTransfer:
    """A person's decision on a transfer whose outcome is unknown: send it again, or record it as sent."""
    from facturier.accounts.models import Right
    from facturier.accounts.services import require_right
    from facturier.delivery.connectors.services import enqueue_connector_flush
    from facturier.delivery.history import delivery_mark
    from facturier.delivery.models import DeliveryState

    require_right(by, Right.SEND)
    with transaction.atomic():
        transfer = (ConnectorTransfer.objects.select_for_update(of=("self",))
                    .select_related("document__organisation", "connector")
                    .filter(pk=transfer_id, organisation=by.organisation, state=TransferState.UNKNOWN).first())
        if transfer is None:
            raise NothingToDecide(_("This transfer is not waiting for a decision: it was sent, or someone already "
                                    "decided."))
        now = timezone.now()
        if resend:
            ConnectorTransfer.objects.filter(pk=transfer.pk).update(
                state=TransferState.PENDING, next_attempt_at=now, claimed_by="", transfer_started_at=None)
            delivery_mark(document=transfer.document, state=DeliveryState.QUEUED, actor=by,
                          recipient=transfer.connector.name, detail=str(_("Checked: not received, sent again")))
            connector_id = transfer.connector_id
            transaction.on_commit(lambda: enqueue_connector_flush(connector_id))
        else:
            ConnectorTransfer.objects.filter(pk=transfer.pk).update(
                state=TransferState.SENT, sent_at=transfer.transfer_started_at or now, last_error="")
            delivery_mark(document=transfer.document, state=DeliveryState.EXPORTED, actor=by,
                          recipient=transfer.connector.name,
                          detail=str(_("Checked: received via %(connector)s") % {"connector": transfer.connector.name}))
        transfer.refresh_from_db()
    return transfer
