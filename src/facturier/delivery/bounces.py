"""The bounce mailbox: reading it over IMAP, understanding what came back (RFC 3464 delivery
status notifications, RFC 8098 read receipts, and non-standard bounces through flufl.bounce),
matching it to the message sent (VERP token, else Message-ID, else recipient), and acting:
delivery marked bounced, the organisation notified, the correction delay opened."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from dataclasses import dataclass, field
from email.message import Message

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.audit.services import audit_record
from facturier.delivery import smtp
from facturier.delivery.history import delivery_mark
from facturier.delivery.imap import open_mailbox
from facturier.delivery.models import (
    Delivery,
    DeliveryState,
    MessageKind,
    Notification,
    OutboxMessage,
    ProcessedBounce,
)
from facturier.delivery.services import imap_password_of, settings_of
from facturier.errors import localized

VERP = re.compile(r"\+([0-9a-f]{20})@", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Report:
    """What a returned message says about one sent message."""

    kind: str  # "failed", "delayed", "delivered", "read", "unknown"
    recipients: tuple[str, ...] = ()
    status: str = ""
    diagnostic: str = ""
    token: str = ""
    original_message_id: str = ""


def _text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = part.get_payload()
        if isinstance(payload, list):
            return "\n".join(p.as_string() if isinstance(p, Message) else str(p) for p in payload)
        return str(payload)
    return payload.decode(part.get_content_charset() or "utf-8", "replace")


def _status_groups(part: Message) -> list[Message]:
    """The per-message and per-recipient field groups of a message/delivery-status part."""
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        return payload
    text = _text(part).replace("\r\n", "\n")
    return [email.message_from_string(block.strip() + "\n") for block in re.split(r"\n\s*\n", text) if block.strip()]


def _address(value: str) -> str:
    value = (value or "").strip()
    if ";" in value:
        value = value.split(";", 1)[1]
    return value.strip().strip("<>").strip()


def _original_headers(msg: Message) -> Message | None:
    for part in msg.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                return payload[0]
            return email.message_from_string(_text(part))
    return None


def parse(raw: bytes) -> Report:
    """Read a returned message: a DSN, a read receipt, or a non-standard bounce."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    token = ""
    for header in ("Delivered-To", "X-Original-To", "To", "Envelope-To"):
        for value in msg.get_all(header) or []:
            match = VERP.search(value)
            if match:
                token = match.group(1).lower()
                break
        if token:
            break
    original = _original_headers(msg)
    original_id = (original.get("Message-ID", "") if original is not None else "").strip()
    if not token and original is not None:
        token = (original.get("X-Facturier-Token", "") or "").strip().lower()
        rp = VERP.search(original.get("Return-Path", "") or "")
        token = token or (rp.group(1).lower() if rp else "")
    content_type = msg.get_content_type()
    report_type = (msg.get_param("report-type") or "").lower()
    if content_type == "multipart/report" and report_type == "disposition-notification":
        for part in msg.walk():
            if part.get_content_type() == "message/disposition-notification":
                fields = _status_groups(part)[0]
                disposition = (fields.get("Disposition", "") or "").lower()
                original_id = original_id or (fields.get("Original-Message-ID", "") or "").strip()
                kind = "read" if "displayed" in disposition else "unknown"
                return Report(kind=kind, recipients=(_address(fields.get("Final-Recipient", "")),),
                              status=disposition, token=token, original_message_id=original_id)
    if content_type == "multipart/report" and report_type == "delivery-status":
        for part in msg.walk():
            if part.get_content_type() == "message/delivery-status":
                groups = _status_groups(part)
                failed, delayed, delivered, statuses, diagnostics = [], [], [], [], []
                for group in groups[1:] or groups:
                    action = (group.get("Action", "") or "").strip().lower()
                    recipient = _address(group.get("Original-Recipient", "") or group.get("Final-Recipient", ""))
                    status = (group.get("Status", "") or "").strip()
                    if not action and not status:
                        continue
                    statuses.append(status)
                    diagnostics.append((group.get("Diagnostic-Code", "") or "").strip())
                    if action == "failed" or status.startswith("5"):
                        failed.append(recipient)
                    elif action == "delayed" or status.startswith("4"):
                        delayed.append(recipient)
                    else:
                        delivered.append(recipient)
                diagnostic = "; ".join(d for d in diagnostics if d)
                status = ", ".join(s for s in statuses if s)
                if failed:
                    return Report("failed", tuple(failed), status, diagnostic, token, original_id)
                if delayed:
                    return Report("delayed", tuple(delayed), status, diagnostic, token, original_id)
                return Report("delivered", tuple(delivered), status, diagnostic, token, original_id)
    from flufl.bounce import scan_message

    found = scan_message(email.message_from_bytes(raw))
    if found:
        recipients = tuple(sorted(a.decode() if isinstance(a, bytes) else str(a) for a in found))
        return Report("failed", recipients, "", str(_("Non-standard bounce")), token, original_id)
    return Report("unknown", (), "", "", token, original_id)


def _match(organisation_id: int, report: Report) -> OutboxMessage | None:
    qs = OutboxMessage.objects.filter(organisation_id=organisation_id).select_related("document", "customer")
    if report.token:
        found = qs.filter(verp_token=report.token).first()
        if found is not None:
            return found
    if report.original_message_id:
        found = qs.filter(message_id=report.original_message_id).first()
        if found is not None:
            return found
    for recipient in report.recipients:
        found = (qs.filter(recipients__icontains=recipient, sent_at__isnull=False).order_by("-sent_at").first()
                 if recipient else None)
        if found is not None:
            return found
    return None


@dataclass(slots=True)
class FetchResult:
    read: int = 0
    bounced: list[int] = field(default_factory=list)
    receipts: list[int] = field(default_factory=list)
    unmatched: int = 0
    errors: list[str] = field(default_factory=list)


def handle(organisation_id: int, raw: bytes, *, key: str, result: FetchResult) -> None:
    """Act on one returned message, once (keyed by its Message-ID in the mailbox)."""
    report = parse(raw)
    message = _match(organisation_id, report)
    try:
        with transaction.atomic():
            ProcessedBounce.objects.create(organisation_id=organisation_id, key=key[:300],
                                           outcome=f"{report.kind}:{message.pk if message else '-'}")
            if message is None or report.kind in ("delivered", "delayed", "unknown"):
                if message is None and report.kind in ("failed", "read"):
                    result.unmatched += 1
                return
            if report.kind == "read":
                if message.kind == MessageKind.DOCUMENT:
                    delivery_mark(document=message.document, state=DeliveryState.READ, message=message,
                                  detail=str(_("Read receipt from %(who)s") % {"who": ", ".join(report.recipients)}))
                    result.receipts.append(message.document_id)
                return
            bounce_record(message=message, report=report)
            result.bounced.append(message.document_id or message.customer_id)
    except IntegrityError:
        return  # already handled by an earlier read of the mailbox


def bounce_record(*, message: OutboxMessage, report: Report) -> None:
    """A permanent failure: mark the delivery, notify, open the correction delay."""
    organisation = message.organisation
    ms = settings_of(organisation)
    reason = str(_("Returned by the recipient's server: %(who)s %(status)s %(diagnostic)s") % {
        "who": ", ".join(report.recipients), "status": report.status, "diagnostic": report.diagnostic}).strip()
    if message.kind != MessageKind.DOCUMENT:
        Notification.objects.create(organisation=organisation, kind="consent.bounce",
                                    text=str(_("The consent letter to %(customer)s came back: %(reason)s") % {
                                        "customer": message.customer.name, "reason": reason})[:500])
        audit_record(actor=None, organisation=organisation, subject=message.customer, action="consent.letter_bounced",
                     after={"reason": reason[:300]})
        return
    current = Delivery.objects.filter(document_id=message.document_id).values_list("last_message_id", flat=True).first()
    if current is not None and current != message.pk:
        # A late bounce of an earlier message: the document was sent again since; only the history says it.
        audit_record(actor=None, organisation=organisation, subject=message.document, action="delivery.late_bounce",
                     after={"message_id": message.message_id, "reason": reason[:300]})
        return
    deadline = timezone.localdate() + dt.timedelta(days=ms.correction_delay_days)
    delivery_mark(document=message.document, state=DeliveryState.BOUNCED, message=message, detail=reason,
                  correction_deadline=deadline)
    Notification.objects.create(
        organisation=organisation, kind="delivery.bounce", document=message.document,
        text=str(_("%(document)s did not reach %(who)s. Correct the address before %(date)s, or it goes by post.")
                 % {"document": str(message.document), "who": ", ".join(report.recipients) or "?",
                    "date": localized(deadline)})[:500])


def bounces_fetch(*, organisation_id: int) -> FetchResult:
    """Read the unseen messages of the bounce mailbox and act on each; they are then marked seen."""
    from facturier.accounts.models import Organisation

    organisation = Organisation.objects.get(pk=organisation_id)
    ms = settings_of(organisation)
    result = FetchResult()
    if not ms.imap_host:
        return result
    try:
        mailbox = open_mailbox(ms)
        with mailbox.login(ms.imap_username, imap_password_of(ms), initial_folder=ms.imap_folder) as box:
            from imap_tools import AND, MailMessageFlags

            for item in box.fetch(AND(seen=False), mark_seen=False, bulk=True):
                key = item.headers.get("message-id", ("",))[0] or f"uid:{item.uid}:{item.date_str}"
                handle(organisation_id, item.obj.as_bytes(), key=key, result=result)
                result.read += 1
                box.flag(item.uid, MailMessageFlags.SEEN, True)
    except smtp.MailError as e:
        result.errors.append(e.message)
    except Exception as e:  # noqa: BLE001 — imap_tools raises many types; the report says which
        result.errors.append(str(_("The bounce mailbox %(host)s could not be read: %(reason)s") % {
            "host": ms.imap_host, "reason": f"{e.__class__.__name__}: {e}"}))
    return result


def delivery_of(document) -> Delivery | None:
    return Delivery.objects.filter(document=document).first()
