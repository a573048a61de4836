"""The outbox worker: sends what is due over one reused SMTP connection, exactly once.

Each row is claimed by this worker with a conditional update (pending → sending) committed
before the SMTP transaction; "the final dot is on its way" is committed just before that dot,
and the server's answer right after it (`facturier.config.leases`, shared by every outbox).
A worker killed before the dot leaves its message to recovery, which gives it back to pending
(the server delivered nothing); killed after it, or losing the connection while waiting for
the answer, it leaves the message "unknown, check": the server may have taken it, so it is
never sent again without a person's decision (`outbox_decide`: resend, or mark sent).

Speed comes from overlapping, not from batching the marks: the next message is claimed and
built while the server reads the current one, and its transaction is opened (without the final
dot, so nothing is delivered) while the previous one is being marked sent (see `_send_all`).
"""

from __future__ import annotations

import binascii
import datetime as dt
import re
import smtplib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from email.header import Header
from email.utils import format_datetime, formataddr

from django import db
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from facturier.config import leases
from facturier.delivery import smtp
from facturier.delivery.history import delivery_mark
from facturier.delivery.models import (
    AttachXml,
    Delivery,
    DeliveryState,
    MailSettings,
    MessageKind,
    OutboxMessage,
    OutboxState,
)
from facturier.delivery.services import settings_of, smtp_endpoint
from facturier.delivery.wording import render_document_message
from facturier.errors import FacturierError

BACKOFF = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2),
           dt.timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1
CHUNK = 100


@dataclass(slots=True)
class FlushReport:
    sent: int = 0
    rescheduled: int = 0
    failed: int = 0
    unknown: int = 0
    errors: list[str] = field(default_factory=list)
    retry_at: dt.datetime | None = None


def _attachments(message: OutboxMessage, ms: MailSettings) -> list[tuple[str, bytes, str]]:
    """The Factur-X PDF (sealed when the organisation seals) and, if asked, the XML on its own."""
    from facturier.documents.services import facturx_of

    document = message.document
    produced = facturx_of(document)
    files = [(produced.filename, produced.data, "application/pdf")]
    if ms.attach_xml in (AttachXml.CII, AttachXml.UBL):
        from facturier.documents.services import document_xml

        syntax = str(ms.attach_xml)
        files.append((f"{document.number}.{syntax}.xml", document_xml(document, syntax), "application/xml"))
    return files


attachments_of: Callable[[OutboxMessage, MailSettings], list[tuple[str, bytes, str]]] = _attachments
"""Seam for the benchmark, which measures sending with a fixed attachment."""


def return_path(ms: MailSettings, token: str) -> str:
    local, domain = ms.return_path_domain
    return f"{local}+{token}@{domain}"


def build(message: OutboxMessage, ms: MailSettings, *, templates: dict | None = None) -> bytes:
    """The MIME message of an outbox row, as the bytes to send (7-bit clean, so any relay takes it).

    Written directly rather than through `email.generator`: the attachments are base64-encoded in
    one C call, where the generic generator rewrites a 100 KB file's 1,800 lines one by one and
    parses every header through the header registry — most of the cost of a message.
    """
    if message.kind == MessageKind.CONSENT:
        from facturier.delivery.consent import consent_message

        subject, body, files = consent_message(message, ms)
    else:
        document = message.document
        with translation.override(document.language):
            rendered = render_document_message(document, contact_email=ms.reply_to or ms.sender_address,
                                               reminder=message.reminder, templates=templates)
        subject, body, files = rendered.subject, rendered.body, attachments_of(message, ms)
    message.subject = subject[:300]  # kept with the row (saved when it is marked sent)
    token = message.verp_token
    headers = [
        ("Subject", subject),
        ("From", formataddr((ms.sender_name, ms.sender_address), charset="utf-8") if ms.sender_name
         else ms.sender_address),
        ("To", ", ".join(message.recipients)),
        ("Reply-To", ms.reply_to),
        ("Date", format_datetime(timezone.now())),
        ("Message-ID", message.message_id),
        ("X-Facturier-Token", token),
        # Receipts go to the VERP address too, so the bounce mailbox reader matches them to the message.
        ("Disposition-Notification-To", return_path(ms, token)
         if ms.read_receipts and message.kind == MessageKind.DOCUMENT else ""),
        ("MIME-Version", "1.0"),
    ]
    boundary = f"=_facturier_{token}"
    if not files:
        headers += [("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "quoted-printable")]
        return _header_block(headers) + _quoted_printable(body) + b"\r\n"
    text = [b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n",
            _quoted_printable(body), b"\r\n"]
    headers.append(("Content-Type", f'multipart/mixed; boundary="{boundary}"'))
    chunks = [_header_block(headers), b"This is a multi-part message in MIME format.\r\n",
              f"--{boundary}\r\n".encode(), *text]
    for filename, data, mime in files:
        name = _param(filename)
        chunks += [f"--{boundary}\r\nContent-Type: {mime}; name={name}\r\n"
                   f"Content-Disposition: attachment; filename={name}\r\n"
                   "Content-Transfer-Encoding: base64\r\n\r\n".encode(),
                   _base64_lines(data)]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks)


def _base64_lines(data: bytes) -> bytes:
    """Base64 in 76-character CRLF lines, encoded in one C call (`base64.encodebytes` makes one per
    57-byte line, 1,800 for a 100 KB file)."""
    encoded = binascii.b2a_base64(data, newline=False)
    return b"\r\n".join([encoded[i:i + 76] for i in range(0, len(encoded), 76)]) + b"\r\n"


def _header_block(headers: list[tuple[str, str]]) -> bytes:
    lines = []
    for name, raw in headers:
        value = header_safe(raw)
        if value:
            lines.append(f"{name}: {value if value.isascii() else _encoded_words(value)}\r\n")
    return "".join(lines).encode("ascii") + b"\r\n"


# Every control character (C0, DEL, C1) and the Unicode line and paragraph separators: a header value
# carrying one could end the header early or smuggle another (header injection), whatever its origin —
# a subject template, a customer's name, a sender name typed in the settings.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def header_safe(value: str) -> str:
    """A header value with each run of control characters folded to one space, trimmed."""
    return _CONTROLS.sub(" ", value or "").strip()


def _encoded_words(value: str) -> str:
    """A non-ASCII header value as RFC 2047 base64 words of at most 45 bytes (75 characters), folded;
    a character is never split between two words."""
    words, chunk, size = [], [], 0
    for char in value:
        width = len(char.encode())
        if size + width > 45:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(char)
        size += width
    words.append("".join(chunk))
    return "\r\n ".join(f"=?utf-8?b?{binascii.b2a_base64(w.encode(), newline=False).decode()}?=" for w in words)


def _quoted_printable(text: str) -> bytes:
    """Quoted-printable in CRLF lines, in C (`email.quoprimime` goes through the text a character at a time)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    return binascii.b2a_qp(lines.encode("utf-8"), istext=True)


def _param(value: str) -> str:
    """A MIME parameter value: quoted when ASCII, else RFC 2047-encoded (what mail clients read)."""
    value = header_safe(value)
    if value.isascii():
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return '"' + Header(value, "utf-8").encode() + '"'


def _due(organisation_id: int, now: dt.datetime, batch: str | None):
    qs = OutboxMessage.objects.filter(state=OutboxState.PENDING, next_attempt_at__lte=now,
                                      organisation_id=organisation_id)
    if batch:
        qs = qs.filter(batch=batch)
    return qs.order_by("id")


def _after_sent(message: OutboxMessage) -> None:
    """Called once a message is marked sent (a seam the crash tests raise from)."""


def outbox_flush(*, organisation_id: int, batch: str | None = None, now: dt.datetime | None = None,
                 limit: int | None = None, connections: int = 1) -> FlushReport:
    """Send every due message of the organisation, each connection reused for its whole share.

    With several connections, each runs in its own thread (and database connection); the claim
    keeps every message to one of them, so the result is the same as with one, only sooner.
    """
    from facturier.accounts.models import Organisation

    now = now or timezone.now()
    organisation = Organisation.objects.get(pk=organisation_id)
    ms = settings_of(organisation)
    ids = list(_due(organisation_id, now, batch).values_list("pk", flat=True)[:limit])
    if connections <= 1 or len(ids) < 2 * connections:
        report = _send_all(ids, ms, now)
        _schedule_retry(organisation_id, report)
        return report
    reports: list[FlushReport] = []

    def run(share: list[int]) -> None:
        try:
            reports.append(_send_all(share, ms, now))
        finally:
            db.connection.close()

    threads = [threading.Thread(target=run, args=(ids[i::connections],)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = FlushReport()
    for report in reports:
        total.sent += report.sent
        total.rescheduled += report.rescheduled
        total.failed += report.failed
        total.unknown += report.unknown
        total.errors += report.errors
        total.retry_at = min(filter(None, (total.retry_at, report.retry_at)), default=None)
    _schedule_retry(organisation_id, total)
    return total


def _schedule_retry(organisation_id: int, report: FlushReport) -> None:
    """Rescheduled messages get a flush of their own at their time (when the task backend can defer)."""
    if report.retry_at is None:
        return
    from django_tasks import default_task_backend

    from facturier.delivery.tasks import outbox_flush_task

    if default_task_backend.supports_defer:
        outbox_flush_task.using(run_after=report.retry_at).enqueue(organisation_id=organisation_id)


@dataclass(slots=True)
class _Ready:
    """A message claimed by this worker and built, waiting for its SMTP transaction."""

    message: OutboxMessage
    delivery_id: int | None
    data: bytes


def _rows(ids: list[int]) -> Iterator[tuple[OutboxMessage, int | None]]:
    """The rows and their deliveries' ids, read a chunk at a time: memory stays flat on big batches."""
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        loaded = OutboxMessage.objects.select_related(
            "organisation", "document__organisation", "document__customer", "customer").in_bulk(chunk)
        deliveries = dict(Delivery.objects.filter(
            document_id__in=[m.document_id for m in loaded.values() if m.document_id])
            .values_list("document_id", "pk"))
        for pk in chunk:
            if pk in loaded:
                yield loaded[pk], deliveries.get(loaded[pk].document_id)


def _next_ready(rows, ms: MailSettings, now: dt.datetime, templates: dict, report: FlushReport) -> _Ready | None:
    """Claim and build the next message this worker can send (None when there is none left)."""
    for message, delivery_id in rows:
        if not leases.claim(message):
            continue  # another worker has it
        try:
            data = build(message, ms, templates=templates)
        except FacturierError as e:
            _failure(message, e.message, temporary=False, now=now, report=report)
            continue
        return _Ready(message, delivery_id, data)
    return None


def _unclaim(ready: _Ready | None) -> None:
    """Give back a message claimed but not sent (the worker is stopping), so the next flush sends it
    at once rather than after recovery."""
    if ready is None:
        return
    with suppress(db.DatabaseError):
        leases.give_back(ready.message)


def _send_all(ids: list[int], ms: MailSettings, now: dt.datetime) -> FlushReport:
    """Send these messages over one SMTP connection (opened again only if the server drops it).

    The work overlaps the server's without loosening exactly-once: once the server has taken a
    message, a second thread starts the next one's transaction (MAIL, RCPT, DATA, content, but
    not the final dot) while this one marks the first sent; while the server reads the content,
    the message after is claimed and built. The final dot — the moment the server takes a
    message — is only sent once everything before it is marked sent. A worker stopped anywhere
    drops the connection before that dot (the server delivers nothing) and gives its claims back;
    killed outright, it leaves at most the message whose answer it was reading "unknown" (its
    dot was recorded as on its way), and the rest to recovery.
    """
    report = FlushReport()
    if not ids:
        return report
    client = None
    templates: dict = {}
    rows = _rows(ids)
    ready: _Ready | None = None  # claimed and built, its transaction not begun
    current: _Ready | None = None  # its content may be with the server, the final dot not sent yet
    accepted: tuple[_Ready, dict] | None = None  # taken by the server, not marked sent yet
    begun: Future | None = None
    io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smtp")  # sockets only, never the database
    try:
        while True:
            if client is None:
                try:
                    client = smtp.connect(smtp_endpoint(ms))
                except smtp.MailError as e:
                    # The server cannot be used at all: nothing is sent, every message waits with the reason.
                    _unclaim(ready)
                    ready = None
                    OutboxMessage.objects.filter(pk__in=ids, state=OutboxState.PENDING).update(
                        last_error=e.message[:2000])
                    report.errors.append(e.message)
                    break
            ready = ready or _next_ready(rows, ms, now, templates, report)
            if ready is None:
                break
            job, ready = ready, None
            current = job
            begun = io.submit(smtp.data_begin, client, return_path(ms, job.message.verp_token),
                              job.message.recipients, job.data)
            if accepted is not None:
                done, refused = accepted
                accepted = None
                _sent(done.message, refused, now, report, delivery_id=done.delivery_id)
                _after_sent(done.message)
            try:
                refused = begun.result()
            except (smtplib.SMTPException, OSError) as e:
                current = None
                if _refused(job.message, e, now=now, report=report):
                    client = _drop(client)
                continue
            finally:
                begun = None
            ready = _next_ready(rows, ms, now, templates, report)  # while the server reads `job`
            if not leases.transfer_begins(job.message):
                current = None  # recovery gave it to another worker: drop the open transaction, no dot
                smtp.abandon_open(client)
                client = None
                continue
            try:
                smtp.data_end(client)
            except smtplib.SMTPResponseException as e:  # the server answered: it did not take the message
                current = None
                if _refused(job.message, e, now=now, report=report):
                    client = _drop(client)
                continue
            except (smtplib.SMTPException, OSError) as e:  # no answer after the dot: it may have been taken
                current = None
                _unknown(job.message, e, report=report)
                client = _drop(client)
                continue
            current = None
            accepted = (job, refused)
        if accepted is not None:
            done, refused = accepted
            accepted = None
            _sent(done.message, refused, now, report, delivery_id=done.delivery_id)
            _after_sent(done.message)
    finally:
        if begun is not None:
            with suppress(Exception):  # noqa: BLE001 - stopping anyway; only wait for the socket to be free
                begun.result()
        io.shutdown(wait=True)
        if current is not None:
            smtp.abandon_open(client)
            client = None
            if current.message.transfer_started_at is None:  # stopped before the final dot: nothing delivered
                _unclaim(current)
            else:  # stopped while the dot may have gone: a person checks (this worker lives on, holding nothing)
                with suppress(db.DatabaseError):
                    _unknown(current.message, RuntimeError("sending interrupted"), report=report)
        if accepted is not None:  # the server took it: recorded even when stopping
            with suppress(db.DatabaseError):
                _sent(accepted[0].message, accepted[1], now, report, delivery_id=accepted[0].delivery_id)
        _unclaim(ready)
        smtp.close(client)
    return report


def _refused(message: OutboxMessage, e: Exception, *, now: dt.datetime, report: FlushReport) -> bool:
    """Record why the server did not take the message; True when the connection cannot be used again."""
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        detail = "; ".join(f"{addr}: {code} {_text(reply)}" for addr, (code, reply) in e.recipients.items())
        temporary = all(400 <= code < 500 for code, _reply in e.recipients.values())
        _failure(message, str(_("The server refused the recipient: %(detail)s") % {"detail": detail}),
                 temporary=temporary, now=now, report=report, recipients=tuple(e.recipients))
        return any(code == 421 for code, _reply in e.recipients.values())
    if isinstance(e, smtplib.SMTPResponseException):
        _failure(message, str(_("The server answered %(code)s %(reply)s") % {
            "code": e.smtp_code, "reply": _text(e.smtp_error)}), temporary=400 <= e.smtp_code < 500,
            now=now, report=report)
        return isinstance(e, smtplib.SMTPSenderRefused) or e.smtp_code == 421
    _failure(message, str(_("The connection to the mail server was lost: %(reason)s") % {
        "reason": str(e) or e.__class__.__name__}), temporary=True, now=now, report=report)
    return True


def _text(raw) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _drop(client):
    smtp.close(client)
    return None


def _sent(message: OutboxMessage, refused: dict, now: dt.datetime, report: FlushReport,
          delivery_id: int | None = None) -> None:
    with transaction.atomic():
        message.state = OutboxState.SENT
        message.sent_at = timezone.now()
        message.attempts += 1
        message.last_error = ""
        message.smtp_response = "; ".join(f"{a}: {c}" for a, (c, _r) in refused.items())[:500]
        if not leases.finish(message, state=message.state, sent_at=message.sent_at, attempts=message.attempts,
                             last_error="", smtp_response=message.smtp_response, subject=message.subject):
            return  # no longer this worker's (found dead meanwhile): the one that holds it records it
        _mark_sent(message, delivery_id=delivery_id)
    report.sent += 1


def _mark_sent(message: OutboxMessage, *, delivery_id: int | None = None, actor=None, detail: str = "") -> None:
    """The delivery (or the consent letter) of a message the server took."""
    if message.kind == MessageKind.DOCUMENT:
        delivery_mark(document=message.document, state=DeliveryState.SENT, message=message,
                      recipient=", ".join(message.recipients), delivery_id=delivery_id, actor=actor,
                      detail=detail or str(_("Sent to %(to)s") % {"to": ", ".join(message.recipients)}))
    else:
        from facturier.delivery.consent import consent_letter_sent

        consent_letter_sent(message)


def _failure(message: OutboxMessage, reason: str, *, temporary: bool, now: dt.datetime,
             report: FlushReport, recipients: tuple[str, ...] = ()) -> None:
    """A message not sent: rescheduled with backoff while temporary, else failed with the reason.
    A recipient refused for good is a bounce: the correction delay opens, as for a returned message."""
    with transaction.atomic():
        message.attempts += 1
        message.last_error = reason[:2000]
        if temporary and message.attempts < MAX_ATTEMPTS:
            message.state = OutboxState.PENDING
            message.next_attempt_at = now + BACKOFF[message.attempts - 1]
        else:
            message.state = OutboxState.FAILED
        if not leases.finish(message, attempts=message.attempts, last_error=message.last_error,
                             state=message.state, next_attempt_at=message.next_attempt_at):
            return  # no longer this worker's: the one that holds it records its outcome
        if message.state == OutboxState.PENDING:
            report.rescheduled += 1
        else:
            report.failed += 1
        if message.state == OutboxState.FAILED:
            if recipients and not temporary:
                from facturier.delivery.bounces import Report, bounce_record

                bounce_record(message=message, report=Report("failed", recipients, "", reason))
            elif message.kind == MessageKind.DOCUMENT:
                delivery_mark(document=message.document, state=DeliveryState.FAILED, message=message,
                              detail=reason)
    report.errors.append(reason)
    if message.state == OutboxState.PENDING:
        report.retry_at = min(filter(None, (report.retry_at, message.next_attempt_at)))


def _unknown(message: OutboxMessage, e: Exception, *, report: FlushReport) -> None:
    """The final dot went and no answer came back: the server may have taken the message. Left for a
    person to check (`outbox_decide`), never sent again on its own."""
    reason = str(_("The connection was lost after the message was handed over (%(reason)s): the server may have "
                   "taken it. Check with the recipient, then send it again or mark it sent.") % {
        "reason": str(e) or e.__class__.__name__})
    with transaction.atomic():
        if not leases.finish(message, state=OutboxState.UNKNOWN, last_error=reason[:2000]):
            return
        message.state = OutboxState.UNKNOWN
        _mark_unknown(message, reason)
    report.unknown += 1
    report.errors.append(reason)


def _mark_unknown(message: OutboxMessage, reason: str) -> None:
    if message.kind == MessageKind.DOCUMENT:
        delivery_mark(document=message.document, state=DeliveryState.UNKNOWN, message=message, detail=reason)


def outbox_recovered(pending: list[int], unknown: list[int]) -> None:
    """After recovery (`facturier.config.leases`): the messages given back are flushed again, and
    those whose final dot was on its way are shown as "outcome unknown" on their documents."""
    reason = str(_("The worker stopped while the server was taking this message: it may have been delivered. "
                   "Check with the recipient, then send it again or mark it sent."))
    for message in OutboxMessage.objects.filter(pk__in=unknown).select_related("document__organisation"):
        with transaction.atomic():
            OutboxMessage.objects.filter(pk=message.pk, state=OutboxState.UNKNOWN).update(last_error=reason)
            _mark_unknown(message, reason)
    from facturier.delivery.services import enqueue_flush

    for organisation_id in set(OutboxMessage.objects.filter(pk__in=pending).values_list("organisation_id",
                                                                                          flat=True)):
        enqueue_flush(organisation_id)


class NothingToDecide(FacturierError):
    code = "nothing_to_decide"


def outbox_decide(*, by, message_id: int, resend: bool) -> OutboxMessage:
    """A person's decision on a message whose outcome is unknown: send it again (they checked that
    the recipient did not get it), or record it as sent (they checked that it arrived)."""
    from facturier.accounts.models import Right
    from facturier.accounts.services import require_right
    from facturier.delivery.services import enqueue_flush

    require_right(by, Right.SEND)
    with transaction.atomic():
        message = (OutboxMessage.objects.select_for_update(of=("self",)).select_related("document__organisation")
                   .filter(pk=message_id, organisation=by.organisation, state=OutboxState.UNKNOWN).first())
        if message is None:
            raise NothingToDecide(_("This message is not waiting for a decision: it was sent, or someone "
                                    "already decided."))
        now = timezone.now()
        if resend:
            OutboxMessage.objects.filter(pk=message.pk).update(
                state=OutboxState.PENDING, next_attempt_at=now, claimed_by="", transfer_started_at=None)
            if message.kind == MessageKind.DOCUMENT:
                delivery_mark(document=message.document, state=DeliveryState.QUEUED, message=message, actor=by,
                              detail=str(_("Checked: not received, sent again")))
            transaction.on_commit(lambda: enqueue_flush(message.organisation_id))
        else:
            OutboxMessage.objects.filter(pk=message.pk).update(
                state=OutboxState.SENT, sent_at=message.transfer_started_at or now, last_error="")
            _mark_sent(message, actor=by, detail=str(_("Checked: received by %(to)s") % {
                "to": ", ".join(message.recipients)}))
        message.refresh_from_db()
    return message
