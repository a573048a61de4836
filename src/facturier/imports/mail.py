"""Import by e-mail: one received message → the organisation it is for → its attachments imported
through `import_files(source=EMAIL)` → a report to whoever may receive one.

How a message finds its organisation (the route):
- "token": a recipient is `import+<token>@<FACTURIER_IMPORT_MAIL_DOMAIN>` with an organisation's
  current token (the envelope recipient over SMTP; Delivered-To, X-Original-To, To, Cc over IMAP);
- "sender": else, its From address is an allowed sender of exactly one organisation AND the receiving
  mail server vouched for it: the topmost Authentication-Results header carries the operator's
  authserv-id (FACTURIER_IMPORT_AUTHSERV_ID) and says dmarc=pass, or dkim/spf pass aligned with the
  From domain. A From header alone is trivially forged, so without that proof the route is closed.
- otherwise the message is ignored and logged, and nobody is answered (no backscatter).

Who gets the report (never anyone else, so a forged sender cannot turn the platform into a mailer):
- route "sender": the authenticated allowed sender (the From address that was vouched for);
- route "token": the envelope sender (SMTP MAIL FROM, or the Return-Path the delivering server wrote),
  never the From or Reply-To headers. Whoever knows the token may forge that address; the report then
  names only file names and outcomes, to one address, once per message.
- never a null sender, an automatic message (Auto-Submitted, Precedence bulk/list/junk), the import
  domain itself, or a mailer-daemon/postmaster (no loops).

Each message is kept once by its key (Message-ID and a digest of its content, else the SHA-256 of its
bytes): reading it again
(a second IMAP pass, an SMTP retry) imports nothing. The record is committed before the import, so a
crash mid-way leaves it "received" (visible on the settings screen) rather than imported twice.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import hashlib
import logging
import re
from dataclasses import dataclass, field
from email.message import EmailMessage as ParsedMessage

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from facturier.errors import FacturierError
from facturier.imports.models import MailImportMessage, MailImportOutcome, MailImportSender, MailImportSettings

log = logging.getLogger(__name__)

MAX_ATTACHMENTS = 200
EXTENSIONS = (".pdf", ".xml", ".zip")
CONTENT_TYPES = {"application/pdf": ".pdf", "application/xml": ".xml", "text/xml": ".xml",
                 "application/zip": ".zip", "application/x-zip-compressed": ".zip"}
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc")


def domain() -> str:
    return settings.FACTURIER_IMPORT_MAIL_DOMAIN


def address_of(token: str) -> str:
    return f"import+{token}@{domain()}"


def _token_pattern() -> re.Pattern:
    return re.compile(r"import\+([0-9a-z]{16,40})@" + re.escape(domain()) + r"\b", re.IGNORECASE)


def redact(text: str) -> str:
    """Addresses for the log: a token is a credential, only its first characters are written."""
    return re.sub(r"(import\+)([0-9a-z]{4})[0-9a-z]+@", r"\1\2…@", text or "", flags=re.IGNORECASE)


def _address(value: str) -> str:
    _name, addr = email.utils.parseaddr(value or "")
    return addr.strip().lower() if "@" in addr else ""


@dataclass(slots=True)
class Received:
    """What the receiving side knows besides the bytes."""

    channel: str  # "imap" or "smtp"
    envelope_sender: str | None = None  # None: unknown (IMAP: the Return-Path header is read)
    recipients: list[str] = field(default_factory=list)  # SMTP: RCPT TO; IMAP: read from the headers
    trust_auth_results: bool = True  # SMTP: only when the peer is one of the operator's relays


def message_key(parsed: ParsedMessage, raw: bytes) -> str:
    """The message's identity: its Message-ID with a digest of its content (the decoded parts, which
    relays do not change), so that an ERP reusing one Message-ID for different invoices still has each
    message imported; without a Message-ID, the digest of its bytes."""
    message_id = (str(parsed.get("Message-ID", "") or "")).strip()
    if message_id and len(message_id) <= 250:
        content = hashlib.sha256()
        for part in parsed.walk():
            if not part.is_multipart():
                content.update(part.get_payload(decode=True) or b"")
                content.update(b"\0")
        return f"mid:{message_id}|{content.hexdigest()[:24]}"
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


def _recipients(parsed: ParsedMessage, received: Received) -> list[str]:
    if received.recipients:
        return [r.strip() for r in received.recipients]
    found = []
    for header in RECIPIENT_HEADERS:
        for value in parsed.get_all(header) or []:
            found.extend(addr for _name, addr in email.utils.getaddresses([str(value)]) if addr)
    return found


def _by_token(recipients: list[str]) -> MailImportSettings | None:
    pattern = _token_pattern()
    for recipient in recipients:
        match = pattern.search(recipient)
        if match:
            found = (MailImportSettings.objects.filter(token=match.group(1).lower())
                     .select_related("organisation").first())
            if found is not None:
                return found
    return None


def vouched_sender(parsed: ParsedMessage) -> str:
    """The From address when the operator's mail server authenticated it; "" otherwise.

    Only the topmost Authentication-Results header counts (the receiving server adds its own on top;
    any below it came with the message) and only when it bears the operator's authserv-id.
    """
    authserv = settings.FACTURIER_IMPORT_AUTHSERV_ID
    from_values = parsed.get_all("From") or []
    if not authserv or len(from_values) != 1:
        return ""
    addresses = email.utils.getaddresses([str(from_values[0])])
    if len(addresses) != 1 or "@" not in addresses[0][1]:
        return ""
    sender = addresses[0][1].strip().lower()
    sender_domain = sender.rsplit("@", 1)[1]
    results = parsed.get_all("Authentication-Results") or []
    if not results:
        return ""
    parts = [p.strip() for p in str(results[0]).replace("\r\n", " ").replace("\n", " ").split(";")]
    server = parts[0].split()
    if not server or server[0].lower() != authserv:
        return ""
    for part in parts[1:]:
        words = part.split()
        if not words or "=" not in words[0]:
            continue
        method, result = (w.lower() for w in words[0].split("=", 1))
        props = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        props = {k.lower(): v.strip("\"'<>").lower() for k, v in props.items()}
        if result != "pass":
            continue
        if method == "dmarc" and props.get("header.from", sender_domain) == sender_domain:
            return sender
        if method == "dkim" and (props.get("header.d") == sender_domain
                                 or props.get("header.i", "").rsplit("@", 1)[-1] == sender_domain):
            return sender
        if method == "spf" and props.get("smtp.mailfrom", "").rsplit("@", 1)[-1] == sender_domain:
            return sender
    return ""


def _by_sender(sender: str) -> MailImportSettings | None:
    organisation_ids = list(MailImportSender.objects.filter(email__iexact=sender)
                            .values_list("organisation_id", flat=True)[:2])
    if len(organisation_ids) != 1:
        return None  # unknown, or listed by two organisations: which one is meant cannot be known
    from facturier.accounts.models import Organisation
    from facturier.imports.mail_services import mail_import_settings

    return mail_import_settings(Organisation.objects.get(pk=organisation_ids[0]))


def attachments(parsed: ParsedMessage) -> list:
    """The invoice files of a message (PDF, XML, ZIP), as `IncomingFile`s."""
    from facturier.imports.services import IncomingFile

    files = []
    for part in parsed.walk():
        if part.is_multipart():
            continue
        name = part.get_filename() or ""
        content_type = part.get_content_type()
        if not name.lower().endswith(EXTENSIONS):
            if content_type not in CONTENT_TYPES or part.get_content_disposition() not in ("attachment", "inline"):
                continue
            name = name or f"attachment-{len(files) + 1}{CONTENT_TYPES[content_type]}"
        data = part.get_payload(decode=True)
        if data:
            files.append(IncomingFile(name=name.replace("/", "_").replace("\\", "_")[:200], data=data))
        if len(files) >= MAX_ATTACHMENTS:
            break
    return files


def _automatic(parsed: ParsedMessage) -> bool:
    auto = str(parsed.get("Auto-Submitted", "") or "").strip().lower()
    precedence = str(parsed.get("Precedence", "") or "").strip().lower()
    return (auto not in ("", "no")) or precedence in ("bulk", "list", "junk")


def _may_answer(address: str) -> bool:
    if not address or "@" not in address:
        return False
    local, _at, host = address.lower().rpartition("@")
    return host != domain() and local not in ("mailer-daemon", "postmaster", "noreply", "no-reply")


def receive(raw: bytes, received: Received, *, size: int | None = None) -> MailImportMessage | None:
    """Import one received message once; None when it was already received (nothing done).

    `size`: the message's whole size when `raw` holds its headers only (an IMAP message above the cap
    is not downloaded: its headers route it and its sender is told).
    """
    size = len(raw) if size is None else size
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    key = message_key(parsed, raw)
    if MailImportMessage.objects.filter(key=key).exists():
        return None
    recipients = _recipients(parsed, received)
    envelope_sender = (received.envelope_sender if received.envelope_sender is not None
                       else _address(str(parsed.get("Return-Path", "") or "")))
    envelope_sender = _address(envelope_sender) if envelope_sender else ""
    record = MailImportMessage(
        key=key, channel=received.channel, envelope_sender=envelope_sender[:320],
        from_address=_address(str(parsed.get("From", "") or ""))[:320],
        recipients=redact(", ".join(recipients))[:1000], subject=str(parsed.get("Subject", "") or "")[:300],
        size=size)
    setup, report_to = _by_token(recipients), ""
    if setup is not None:
        record.route, report_to = "token", envelope_sender
    else:
        sender = vouched_sender(parsed) if received.trust_auth_results else ""
        setup = _by_sender(sender) if sender else None
        if setup is not None:
            record.route, report_to = "sender", sender
    if setup is None:
        record.outcome = MailImportOutcome.IGNORED
        record.reason = "no valid import address among the recipients, and no authenticated allowed sender"
        log.warning("import mail ignored (%s): from %s to %s, %s", key, record.envelope_sender or "<>",
                    record.recipients or "?", record.reason)
        return _keep(record)
    record.organisation = setup.organisation
    if report_to and not _automatic(parsed) and _may_answer(report_to):
        record.report_to = report_to[:320]
    if size > settings.FACTURIER_IMPORT_MAIL_MAX_BYTES:
        record.outcome = MailImportOutcome.TOO_LARGE
        record.reason = f"{size} bytes, above the limit of {settings.FACTURIER_IMPORT_MAIL_MAX_BYTES}"
        record = _keep(record)
        if record is not None:
            _report(record, batch=None)
        return record
    files = attachments(parsed)
    if not files:
        record.outcome = MailImportOutcome.NO_FILES
        record = _keep(record)
        if record is not None:
            _report(record, batch=None)
        return record
    record = _keep(record)  # committed first: a second reading stops at the key, whatever happens next
    if record is None:
        return None
    batch = None
    try:
        from facturier.imports.models import ImportSource
        from facturier.imports.services import import_files

        batch = import_files(organisation=setup.organisation, files=files, source=ImportSource.EMAIL, by=None,
                             sender=(report_to or record.from_address)[:320])
        record.outcome, record.batch = MailImportOutcome.IMPORTED, batch
    except FacturierError as e:  # refused as a whole (too large together…): the sender is told why
        with translation.override(setup.organisation.default_language):
            record.outcome, record.reason = MailImportOutcome.FAILED, str(e.message)[:500]
    except Exception as e:  # noqa: BLE001 — the message is kept and the failure shown, never lost silently
        log.exception("import mail %s for organisation %s could not be imported", key, setup.organisation_id)
        record.outcome, record.reason = MailImportOutcome.FAILED, f"{e.__class__.__name__}: {e}"[:500]
    record.save(update_fields=["outcome", "batch", "reason"])
    _report(record, batch=batch)
    return record


def _keep(record: MailImportMessage) -> MailImportMessage | None:
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        return None  # the same message, read at the same time by another pass
    return record


# --- the report -----------------------------------------------------------------------------------


def _outcome_lines(batch) -> tuple[list[str], int, int]:
    """One line per file of the batch (with its rule ids and messages in the active language), and the
    counts of imported and not imported files."""
    language = "fr" if (translation.get_language() or "").startswith("fr") else "en"
    lines, imported, other = [], 0, 0
    for item in batch.items.all().select_related("document").order_by("position", "pk"):
        line = f"- {item.name}: {item.get_outcome_display()}"
        if item.outcome == "imported":
            imported += 1
            if item.document is not None:
                line += f" — {item.document.number}"
        else:
            other += 1
            if item.rules:
                line += f" ({', '.join(item.rules)})"
        lines.append(line)
        for message in item.messages or []:
            text = message.get(language) or message.get("en") or "" if isinstance(message, dict) else str(message)
            rule = message.get("rule", "") if isinstance(message, dict) else ""
            lines.append(f"    {f'[{rule}] ' if rule else ''}{text}")
    return lines, imported, other


def _report(record: MailImportMessage, *, batch) -> None:
    """Tell the sender what became of the message, in the organisation's language."""
    if not record.report_to:
        return
    from facturier.delivery.platform_mail import PlatformMailError, platform_send

    organisation = record.organisation
    with translation.override(organisation.default_language):
        if record.outcome == MailImportOutcome.IMPORTED and batch is not None:
            lines, imported, other = _outcome_lines(batch)
            subject = _("Import into %(org)s: %(imported)d imported, %(other)d not imported") % {
                "org": organisation.name, "imported": imported, "other": other}
            intro = _("The files attached to your message “%(subject)s” were read. For each file:") % {
                "subject": record.subject}
        else:
            lines = []
            subject = _("Import into %(org)s: nothing imported") % {"org": organisation.name}
            intro = {
                MailImportOutcome.NO_FILES: _("Your message “%(subject)s” has no invoice attached: send Factur-X "
                                              "PDFs, CII or UBL XML files, or a ZIP of them."),
                MailImportOutcome.TOO_LARGE: _("Your message “%(subject)s” is too large (%(size)s MB; at most "
                                               "%(max)s MB): send the files in several messages."),
            }.get(record.outcome, _("Your message “%(subject)s” could not be read; nothing was imported. Try "
                                    "again later, or upload the files in Facturier.")) % {
                "subject": record.subject, "size": round(record.size / 1048576, 1),
                "max": round(settings.FACTURIER_IMPORT_MAIL_MAX_BYTES / 1048576, 1)}
        if record.outcome == MailImportOutcome.FAILED and record.reason and ":" not in record.reason[:40]:
            lines = [record.reason]  # a refusal in words (not an internal error's class name)
        body = "\n".join([intro, "", *lines, "",
                          _("This message was written automatically by Facturier for %(org)s; do not answer it.")
                          % {"org": organisation.name}])
    message = EmailMessage(subject=subject, body=body, to=[record.report_to],
                           headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All",
                                    **({"In-Reply-To": record.key[4:].rsplit("|", 1)[0],
                                        "References": record.key[4:].rsplit("|", 1)[0]}
                                       if record.key.startswith("mid:") else {})})
    try:
        platform_send(message, organisation_id=organisation.pk)
    except PlatformMailError as e:
        record.report_error = str(e.message)[:500]
        record.save(update_fields=["report_error"])
        return
    record.report_sent_at = timezone.now()
    record.save(update_fields=["report_sent_at"])
