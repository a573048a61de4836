"""Reading the messages the local mail catcher kept for one organisation (never another's)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.core.exceptions import ObjectDoesNotExist

from facturier.accounts.models import Organisation
from facturier.delivery.catcher import folder_of

_KEY = re.compile(r"^[0-9]{8}T[0-9]{12}Z-[0-9a-f]{12}$")
HEAD_BYTES = 64 * 1024
SHOWN_HEADERS = ("From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "Return-Path", "X-Original-To",
                 "Disposition-Notification-To")


class CaughtNotFound(ObjectDoesNotExist):
    """No such caught message in this organisation's mailbox."""


@dataclass(frozen=True, slots=True)
class CaughtSummary:
    key: str
    sender: str
    recipients: str
    subject: str
    date: dt.datetime | None
    size: int


@dataclass(frozen=True, slots=True)
class CaughtAttachment:
    index: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True, slots=True)
class CaughtMessage:
    summary: CaughtSummary
    headers: list[tuple[str, str]]
    text: str
    attachments: list[CaughtAttachment]


def _path(organisation: Organisation, key: str) -> Path:
    if not _KEY.match(key or ""):
        raise CaughtNotFound(key)
    path = folder_of(organisation.pk) / f"{key}.eml"
    if not path.is_file():
        raise CaughtNotFound(key)
    return path


def _date(value: str | None) -> dt.datetime | None:
    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None


def _summary(key: str, head, size: int) -> CaughtSummary:
    return CaughtSummary(key=key, sender=str(head.get("From", "")), recipients=str(head.get("To", "")),
                         subject=str(head.get("Subject", "")), date=_date(head.get("Date")), size=size)


def mailbox_count(*, organisation: Organisation) -> int:
    folder = folder_of(organisation.pk)
    return sum(1 for _ in folder.glob("*.eml")) if folder.is_dir() else 0


def mailbox_list(*, organisation: Organisation, limit: int = 200) -> list[CaughtSummary]:
    """The organisation's caught messages, newest first (headers only: a message is not read whole)."""
    folder = folder_of(organisation.pk)
    if not folder.is_dir():
        return []
    keys = sorted((p.stem for p in folder.glob("*.eml") if _KEY.match(p.stem)), reverse=True)[:limit]
    found = []
    for key in keys:
        path = folder / f"{key}.eml"
        try:
            with path.open("rb") as fh:
                start = fh.read(HEAD_BYTES)
            size = path.stat().st_size
        except OSError:
            continue
        head = email.message_from_bytes(start.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n", policy=email.policy.default)
        found.append(_summary(key, head, size))
    return found


def _parse(organisation: Organisation, key: str):
    path = _path(organisation, key)
    raw = path.read_bytes()
    return email.message_from_bytes(raw, policy=email.policy.default), len(raw)


def mailbox_message(*, organisation: Organisation, key: str) -> CaughtMessage:
    message, size = _parse(organisation, key)
    headers = [(name, str(value)) for name in SHOWN_HEADERS for value in (message.get_all(name) or [])]
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    attachments = [CaughtAttachment(index=i, filename=part.get_filename() or f"attachment-{i + 1}",
                                    content_type=part.get_content_type(),
                                    size=len(part.get_payload(decode=True) or b""))
                   for i, part in enumerate(message.iter_attachments())]
    return CaughtMessage(summary=_summary(key, message, size), headers=headers, text=text, attachments=attachments)


def mailbox_attachment(*, organisation: Organisation, key: str, index: int) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of one attachment of a caught message."""
    message, _size = _parse(organisation, key)
    for i, part in enumerate(message.iter_attachments()):
        if i == index:
            return part.get_filename() or f"attachment-{i + 1}", part.get_content_type(), \
                part.get_payload(decode=True) or b""
    raise CaughtNotFound(f"{key}/{index}")


def mailbox_raw(*, organisation: Organisation, key: str) -> bytes:
    return _path(organisation, key).read_bytes()
