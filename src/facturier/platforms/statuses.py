"""Life-cycle statuses: received from the PA (webhook, or the search of incoming flows as a fallback),
validated, stored, archived and mapped onto the document; and the statuses the seller owes, built.

Every CDAR received is kept — one `PlatformStatusEvent` per incoming flow (its flow id unique, so a
status delivered twice, by webhook and by search, is applied once) — whether it could be read or
not: a CDAR that does not parse, or carries a status code nobody knows, is stored as unreadable,
logged, and the organisation notified; nothing is lost. A rejection (213, 501, 221) or a refusal
(210) notifies the organisation with the reason and what to do.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from facturier.platforms.submissions import (
    EventSource,
    PlatformState,
    PlatformStatusEvent,
    PlatformSubmission,
    PollCursor,
    SubmissionKind,
)

log = logging.getLogger(__name__)

# The statuses of the reform (public summaries, see ../shared/specs/README.md), used when the engine's
# table (facturier.engine.cdar.STATUSES) is not there; the engine's table wins when it is.
_FALLBACK = {
    "200": ("Deposited", "Déposée"), "201": ("Issued by the platform", "Émise par la plateforme"),
    "202": ("Received by the platform", "Reçue par la plateforme"), "203": ("Made available", "Mise à disposition"),
    "204": ("Taken over", "Prise en charge"), "205": ("Approved", "Approuvée"),
    "206": ("Partially approved", "Approuvée partiellement"), "207": ("In dispute", "En litige"),
    "208": ("Suspended", "Suspendue"), "209": ("Completed", "Complétée"), "210": ("Refused", "Refusée"),
    "211": ("Payment transmitted", "Paiement transmis"), "212": ("Cashed", "Encaissée"),
    "213": ("Rejected", "Rejetée"), "214": ("Approved for payment", "Visée"), "220": ("Cancelled", "Annulée"),
    "221": ("Routing error", "Erreur de routage"), "501": ("Inadmissible", "Irrecevable"),
}
REJECTIONS = {"213", "501", "221"}
REFUSALS = {"210"}
SUBMITTED = "submitted"
"""The platform state of an invoice handed to the PA before its first status."""

# Chorus Pro's invoice statuses (statutFacture) as they are stored on the document's platform state, with
# IRRECEVABLE for a flow rejected before any invoice came out of it (IN_REJETE). Their names in both
# languages are the Chorus Pro app's (`ChorusStatus`); these sets say which ones need the seller.
CHORUS_REJECTIONS = {"REJETEE", "IRRECEVABLE"}
CHORUS_TO_ACT = {"SUSPENDUE", "A_RECYCLER"}
CHORUS_PROBLEMS = CHORUS_REJECTIONS | CHORUS_TO_ACT
PROBLEMS = REJECTIONS | REFUSALS | CHORUS_PROBLEMS
"""The statuses that notify the organisation and that the dashboard's "rejected or refused" filter shows."""


def _statuses() -> dict:
    try:
        from facturier.engine.cdar import STATUSES
    except ImportError:
        return {}
    return STATUSES


def known(code: str) -> bool:
    return code in _statuses() or code in _FALLBACK


def chorus_statuses() -> dict[str, str]:
    """{Chorus Pro status: its name in the active language} (empty without the Chorus Pro app)."""
    from django.apps import apps

    if not apps.is_installed("facturier.platforms.chorus"):
        return {}
    from facturier.platforms.chorus.models import ChorusStatus

    return {value: str(label) for value, label in ChorusStatus.choices}


def is_chorus(code: str) -> bool:
    return bool(code) and not code[:1].isdigit() and code != SUBMITTED


def status_label(code: str, language: str | None = None) -> str:
    """"205 Approuvée", or "Chorus Pro : Mise à disposition": the status and its name in the reader's language."""
    language = (language or get_language() or "fr")[:2]
    if is_chorus(code):
        from django.utils import translation

        with translation.override(language):
            name = chorus_statuses().get(code)
            if name is None:
                return str(gettext_lazy("Unknown status %(code)s")) % {"code": code}
            return _("Chorus Pro: %(status)s") % {"status": name}
    info = _statuses().get(code)
    if info is not None:
        name = info.name_fr if language == "fr" else info.name_en
    elif code in _FALLBACK:
        name = _FALLBACK[code][1 if language == "fr" else 0]
    elif code == SUBMITTED:
        return str(gettext_lazy("Handed to the platform, waiting for its first status"))
    else:
        return str(gettext_lazy("Unknown status %(code)s")) % {"code": code}
    return f"{code} {name}"


def reason_label(code: str, text: str = "", language: str | None = None) -> str:
    """A reason code's text in the reader's language (the engine's table), else the text the PA gave."""
    if not code:
        return text
    language = (language or get_language() or "fr")[:2]
    try:
        from facturier.engine.cdar import REASONS
    except ImportError:
        REASONS = {}  # noqa: N806
    info = REASONS.get(code)
    if info is None:
        return f"{code} — {text}" if text else code
    known_text = info.text_fr if language == "fr" else info.text_en
    return f"{code} — {known_text}" + (f" ({text})" if text and text != known_text else "")


ADDRESS_REASONS = {"DEST_INC", "ADR_ERR", "ROUTAGE_ERR", "DEST_ERR"}
AMOUNT_REASONS = {"MONTANTTOTAL_ERR", "CALCUL_ERR", "TX_TVA_ERR", "MONTANT_ERR", "TVA_ERR", "QTE_ERR", "PRIX_ERR"}


def what_to_do(code: str, reason_code: str) -> str:
    """What the seller does after a rejection or a refusal, per status and reason."""
    if code in CHORUS_PROBLEMS:
        return _chorus_what_to_do(code)
    if reason_code == "DOUBLON":
        return _("The platform holds this invoice already: do not send it again. If it was issued twice by "
                 "mistake, cancel the second one with a credit note.")
    if code == "221" or reason_code in ADDRESS_REASONS:
        return _("The buyer's platform could not be found from the invoice's address: check the customer's SIREN and "
                 "electronic address (the PA directory), then issue a corrective invoice to the right address and "
                 "cancel this one with a credit note.")
    if code in ("501", "213"):
        return _("The invoice was not accepted as filed: correct what the reason says and issue a corrective "
                 "invoice; cancel the rejected one in your books with a credit note.")
    if code == "210" and reason_code in AMOUNT_REASONS:
        return _("The buyer refused the amounts: issue a credit note for this invoice and a corrective invoice with "
                 "the right amounts.")
    if code == "210":
        return _("The buyer refused the invoice: agree with the buyer, then issue a credit note (in full or in "
                 "part) and, if needed, a corrective invoice.")
    return ""


def _chorus_what_to_do(code: str) -> str:
    if code == "IRRECEVABLE":
        return _("Chorus Pro could not read the file: correct what the reason says (the buyer's SIRET, its service "
                 "code, the engagement number, or the file itself), then send the invoice again; nothing was "
                 "booked on Chorus Pro.")
    if code == "REJETEE":
        return _("The public buyer rejected the invoice: cancel it with a credit note and issue a corrected invoice "
                 "(check the buyer's SIRET, its service code and the engagement number on the customer and the "
                 "invoice).")
    if code == "SUSPENDUE":
        return _("The public buyer suspended the invoice: complete it on Chorus Pro (the missing document or "
                 "information the reason names) within the time the buyer gives; it resumes its course then.")
    return _("The public buyer says the invoice was not addressed to the right service: check the service code "
             "with the buyer, then have it recycled on Chorus Pro to the right service, or cancel it with a credit "
             "note and issue it again with the right service code.")


# --- reading a CDAR -----------------------------------------------------------------------------


def xsd_dir() -> Path | None:
    """The CDAR D22B schemas, read in place (`FACTURIER_SPECS_DIR`/cdar-d22b/xsd); None when absent (the
    validation then says "XSD check could not run", never a pass)."""
    from facturier.engine.cdar import xsd_dir_in

    return xsd_dir_in(getattr(settings, "SPECS_DIR", None))


@dataclass(frozen=True, slots=True)
class Read:
    message: object | None
    problem: str
    validation: dict


def read_cdar(data: bytes, *, validate: bool = True) -> Read:
    """Parse and validate a CDAR; never raises: an unreadable one says why."""
    from facturier.engine import cdar

    try:
        message = cdar.parse(data)
    except cdar.CdarError as e:
        return Read(None, str(getattr(e, "message", None) or e), {})
    validation: dict = {}
    problem = ""
    if validate:
        try:
            report = cdar.validate(data, xsd_dir=xsd_dir())
            validation = {"ok": bool(report.ok), "xsd_checked": bool(report.xsd_checked),
                          "errors": [f"{e.rule}: {_finding_text(e)}" for e in list(report.errors)[:20]]}
            if not report.xsd_checked:
                validation["note"] = "XSD check could not run"
            if not report.ok:
                problem = _("The CDAR does not pass the rules: %(errors)s") % {
                    "errors": "; ".join(validation["errors"][:5])}
        except Exception as e:  # noqa: BLE001 — a validator that crashes has not passed it: said so, kept
            validation = {"ok": False, "crashed": str(e)[:300]}
            problem = _("The CDAR could not be validated: %(reason)s") % {"reason": str(e)[:300]}
    code = str(getattr(message, "status_code", "") or "")
    if not known(code):
        problem = _("Unknown status code %(code)s: the status was stored, not applied.") % {"code": code or "?"}
    return Read(message, problem, validation)


def _finding_text(finding) -> str:
    message = getattr(finding, "message", "")
    in_language = getattr(message, "in_language", None)
    return in_language((get_language() or "fr")[:2]) if in_language else str(message)


def _field(message, *names, default=""):
    for name in names:
        value = message
        for part in name.split("."):
            value = getattr(value, part, None)
            if value is None:
                break
        if value not in (None, ""):
            return value
    return default


def _document_of(organisation, message):
    from facturier.invoicing.models import Document

    number = _field(message, "invoice.number", "referenced_invoice.number", "invoice_number")
    if not number:
        return None
    return Document.objects.filter(organisation=organisation, number=str(number)).exclude(state="draft").first()


# --- applying -----------------------------------------------------------------------------------


def _event_of(organisation, data: bytes, flow_id: str, source: str, document_lookup, read: Read | None = None):
    read = read or read_cdar(data, validate=False)
    message = read.message
    code = str(_field(message, "status_code")) if message is not None else ""
    document = document_lookup(message) if message is not None else None
    readable = message is not None and known(code)
    status_at = _field(message, "status_datetime", "issue_datetime", default=None) if message else None
    if isinstance(status_at, dt.date) and not isinstance(status_at, dt.datetime):
        status_at = dt.datetime.combine(status_at, dt.time(), tzinfo=dt.UTC)
    if isinstance(status_at, dt.datetime) and timezone.is_naive(status_at):
        from zoneinfo import ZoneInfo

        status_at = status_at.replace(tzinfo=ZoneInfo("Europe/Paris"))  # CDAR moments are French local time
    event = PlatformStatusEvent(
        organisation=organisation, document=document, flow_id=flow_id[:64], source=source, code=code[:8],
        reason_code=str(_field(message, "reason_code") if message else "")[:20],
        reason_text=str(_field(message, "reason_text") if message else "")[:1000],
        status_at=status_at or timezone.now(), readable=readable, problem=read.problem,
        validation=read.validation, data=data)
    return event, message


def statuses_apply(organisation, items: list[tuple[str, bytes]], *, source: str = EventSource.POLL,
                   check: bool = True) -> int:
    """Apply a page of CDARs received ((flow id, data), as a search page brings them) in one transaction:
    the invoices read in one query, the events inserted together (a flow id already applied is skipped), each
    invoice's state moved once to its latest status. The same outcome as `status_apply` one by one; returns
    how many were new."""
    from facturier.invoicing.models import Document

    items = [(str(f)[:64], d) for f, d in items if f]
    if not items:
        return 0
    with transaction.atomic():
        known_ids = set(PlatformStatusEvent.objects.filter(
            organisation=organisation, flow_id__in=[f for f, _d in items]).values_list("flow_id", flat=True))
        fresh = [(f, d) for f, d in dict(items).items() if f not in known_ids]
        parsed = [(f, d, read_cdar(d, validate=False)) for f, d in fresh]
        numbers = {str(_field(r.message, "invoice.number")) for _f, _d, r in parsed if r.message is not None}
        documents = {d.number: d for d in Document.objects.filter(organisation=organisation, number__in=numbers)
                     .exclude(state="draft").only("id", "number", "organisation_id")}
        events, messages = [], {}
        for flow_id, data, read in parsed:
            event, message = _event_of(organisation, data, flow_id, source,
                                       lambda m: documents.get(str(_field(m, "invoice.number"))), read)
            events.append(event)
            messages[flow_id] = message
        PlatformStatusEvent.objects.bulk_create(events)
        latest: dict[int, PlatformStatusEvent] = {}
        for event in events:
            if event.readable and event.document is not None:
                if event.document_id not in latest or event.status_at >= latest[event.document_id].status_at:
                    latest[event.document_id] = event
                if event.code in PROBLEMS:
                    _notify_problem(event, event.document)
            elif event.readable:
                _to_other_flow(organisation, event, messages[event.flow_id])
            if not event.readable or (event.document is None and not event.submission_id):
                _notify_unreadable(event)
        for event in latest.values():
            _move_state(event, event.document)
    if check:
        from facturier.platforms.tasks import platform_statuses_check_task

        organisation_id = organisation.pk
        transaction.on_commit(lambda: platform_statuses_check_task.enqueue(organisation_id=organisation_id))
    return len(events)


def status_apply(organisation, data: bytes, *, flow_id: str = "", source: str = EventSource.POLL,
                 check: bool = True) -> PlatformStatusEvent:
    """Store and apply one CDAR received (once per flow id); returns its event. Its validation (XSD and
    BR-FR-CDV) and its archiving follow in the worker (`statuses_check`), queued after commit, so that a burst
    of statuses is applied at once and checked at the validator's pace; nothing is lost between the two (an
    event not checked yet has an empty `validation`, and `statuses_check` takes every such event)."""
    event, message = _event_of(organisation, data, flow_id, source, lambda m: _document_of(organisation, m))
    document, readable = event.document, event.readable
    try:
        with transaction.atomic():
            event.save(force_insert=True)
            if readable and document is not None:
                _apply_to_document(event, document)
            elif readable and document is None:
                _to_other_flow(organisation, event, message)
            if not readable or (document is None and readable and not event.submission_id):
                _notify_unreadable(event)
    except IntegrityError:  # the same flow again (webhook and search): the first one stands, applied once
        return PlatformStatusEvent.objects.get(organisation=organisation, flow_id=flow_id)
    if check:
        from facturier.platforms.tasks import platform_statuses_check_task

        organisation_id = organisation.pk
        transaction.on_commit(lambda: platform_statuses_check_task.enqueue(organisation_id=organisation_id))
    return event


def chorus_status_apply(*, document, code: str, reason: str, at: dt.datetime) -> PlatformStatusEvent:
    """A status Chorus Pro reported for a document (read by polling its API, `chorus.outbox`): recorded in the
    document's platform history and applied like a PA status — the current status moves when it is not older
    than the one shown, and a rejection, a suspension or a "to recycle" notifies the organisation with the
    reason and what to do. Chorus Pro answers in JSON, not CDAR: nothing to validate or archive here."""
    event = PlatformStatusEvent.objects.create(
        organisation_id=document.organisation_id, document=document, source=EventSource.CHORUS, code=code[:30],
        reason_text=(reason or "")[:1000], status_at=at, readable=True,
        validation={"ok": True, "note": "Chorus Pro API status (JSON), no CDAR"})
    _apply_to_document(event, document)
    return event


def statuses_check(*, organisation_id: int, limit: int = 1000) -> int:
    """Validate (XSD + BR-FR-CDV) and archive the statuses received and not checked yet; a CDAR that fails is
    flagged on its event and the organisation told (it was applied: the PA's status stands, our check says
    what is wrong with its message). Returns how many were checked."""
    from facturier.accounts.models import Organisation

    organisation = Organisation.objects.get(pk=organisation_id)
    events = list(PlatformStatusEvent.objects.filter(organisation=organisation, validation={})
                  .exclude(data=b"").select_related("document").order_by("id")[:limit])
    for event in events:
        read = read_cdar(bytes(event.data), validate=event.readable)
        validation = read.validation or {"ok": False, "note": "not readable"}
        changes = {"validation": validation}
        if event.readable and read.problem and not event.problem:
            changes["problem"] = read.problem
            from facturier.delivery.models import Notification

            text = _("The life-cycle status %(status)s received from the platform (flow %(flow)s) was applied, but "
                     "its message is not valid: %(problem)s Tell your platform.") % {
                "status": status_label(event.code), "flow": event.flow_id or "?", "problem": read.problem}
            Notification.objects.create(organisation_id=event.organisation_id, kind="platform_status",
                                        text=text[:500], document_id=event.document_id)
        PlatformStatusEvent.objects.filter(pk=event.pk).update(**changes)
        _archive(organisation, event, event.document)
    return len(events)


def _apply_to_document(event: PlatformStatusEvent, document) -> None:
    _move_state(event, document)
    if event.code in PROBLEMS:
        _notify_problem(event, document)


def _move_state(event: PlatformStatusEvent, document) -> None:
    # One conditional UPDATE (its row lock orders concurrent statuses): a status older than the one shown
    # (delivered late by the search) enters the history only.
    changes = {"code": event.code[:30], "reason_code": event.reason_code, "reason_text": event.reason_text[:1000],
               "status_at": event.status_at, "updated_at": timezone.now()}
    newer = Q(status_at__isnull=True) | Q(status_at__lte=event.status_at)
    if not PlatformState.objects.filter(Q(document=document) & newer).update(**changes):
        state, created = PlatformState.objects.get_or_create(
            document=document, defaults={"organisation_id": event.organisation_id, **changes})
        if not created and (state.status_at is None or event.status_at >= state.status_at):
            PlatformState.objects.filter(pk=state.pk).update(**changes)


def _notify_problem(event: PlatformStatusEvent, document) -> None:
    from facturier.delivery.models import Notification

    told = (_("%(document)s: %(status)s. %(reason)s %(todo)s") if event.source == EventSource.CHORUS
            else _("%(document)s: %(status)s by the platform. %(reason)s %(todo)s"))
    text = told % {
        "document": document.number, "status": status_label(event.code),
        "reason": (_("Reason: %(reason)s.") % {"reason": reason_label(event.reason_code, event.reason_text)})
        if event.reason_code or event.reason_text else "",
        "todo": what_to_do(event.code, event.reason_code)}
    Notification.objects.create(organisation_id=event.organisation_id, kind="platform_status",
                                text=text[:500], document=document)


def _to_other_flow(organisation, event: PlatformStatusEvent, message) -> None:
    """A status about a flow that is not one of our invoices (a CDAR or an e-reporting we sent): its owner
    hears of it through the `flow_status_received` signal."""
    from facturier.platforms.outbox import flow_status_received

    reference = str(_field(message, "invoice.number", "referenced_invoice.number", "invoice_number"))
    submission = (PlatformSubmission.objects.filter(organisation=organisation, tracking_id=reference)
                  .exclude(kind=SubmissionKind.INVOICE).first())
    if submission is None:
        return
    PlatformStatusEvent.objects.filter(pk=event.pk).update(submission=submission)
    event.submission = submission
    flow_status_received.send(sender=PlatformSubmission, submission=submission, status_code=event.code, cdar=message)


def _notify_unreadable(event: PlatformStatusEvent) -> None:
    from facturier.delivery.models import Notification

    log.warning("platform status %s (flow %s) not applied: %s", event.code, event.flow_id, event.problem)
    text = (_("A life-cycle status received from the platform (flow %(flow)s) could not be applied: %(problem)s "
              "It is kept; contact your platform if it concerns one of your invoices.") % {
        "flow": event.flow_id or "?",
        "problem": event.problem or _("it refers to no invoice of this organisation.")})
    Notification.objects.create(organisation_id=event.organisation_id, kind="platform_status", text=text[:500],
                                document_id=event.document_id)


def _archive(organisation, event: PlatformStatusEvent, document) -> None:
    """Archive the CDAR as received (without a time stamp: the PA's message carries its own date)."""
    from facturier.archive.models import ArtefactKind
    from facturier.archive.services import Artefact, archive_artefact

    try:
        entry = archive_artefact(organisation, Artefact(
            kind=ArtefactKind.STATUS, filename=f"cdar-{event.flow_id or event.pk}.xml", data=bytes(event.data),
            reference=f"CDAR {event.code or '?'} {event.flow_id or event.pk}", document=document,
            number=getattr(document, "number", "") or ""), time_stamped=False)
    except Exception:  # noqa: BLE001 — the status is stored; the archive backfill can take it later
        log.exception("archiving the CDAR of flow %s failed", event.flow_id)
        return
    PlatformStatusEvent.objects.filter(pk=event.pk).update(archive_entry_id=entry.pk)


# --- receiving ----------------------------------------------------------------------------------


def _client(organisation):
    from facturier.platforms.outbox import _client as client_of

    return client_of(organisation)


def status_fetch_apply(*, organisation_id: int, flow_id: str, client=None, source: str = EventSource.WEBHOOK):
    """Download an incoming life-cycle flow (`GET /v1/flows/{id}?docType=Original`) and apply it, once."""
    from facturier.accounts.models import Organisation

    organisation = Organisation.objects.get(pk=organisation_id)
    if PlatformStatusEvent.objects.filter(organisation=organisation, flow_id=flow_id).exists():
        return None
    client = client or _client(organisation)
    if client is None:
        return None
    data = client.download(flow_id, "Original")
    return status_apply(organisation, data, flow_id=flow_id, source=source)


LIFECYCLE_FLOW_TYPES = ("CustomerInvoiceLC", "StateTransactionReportLC", "StatePaymentReportLC")
"""The incoming life-cycle flows searched: an invoice's statuses, and an e-reporting file's (whose CDAR names
the report's tracking id; `_to_other_flow` hands them to e-reporting)."""


def _is_incoming_lifecycle(flow) -> bool:
    from facturier.platforms.outbox import _get

    kind = str(_get(flow, "flow_type", "flowType", default="") or "")
    direction = str(_get(flow, "flow_direction", "flowDirection", default="In") or "In")
    syntax = str(_get(flow, "flow_syntax", "flowSyntax", default="CDAR") or "CDAR")
    return direction == "In" and (kind in LIFECYCLE_FLOW_TYPES or syntax == "CDAR")


def statuses_poll(*, organisation_id: int, client=None, max_pages: int = 50) -> int:
    """The fallback of the webhook: search the incoming life-cycle flows from the stored cursor, apply each
    not applied yet, and keep the next cursor. Returns how many statuses were applied."""
    from facturier.accounts.models import Organisation
    from facturier.platforms.client import PlatformError
    from facturier.platforms.outbox import _get

    organisation = Organisation.objects.get(pk=organisation_id)
    client = client or _client(organisation)
    if client is None:
        return 0
    cursor_row, _created = PollCursor.objects.get_or_create(organisation=organisation)
    cursor = cursor_row.cursor or None
    applied = 0
    try:
        for _page in range(max_pages):
            page = client.search(cursor=cursor, flow_types=list(LIFECYCLE_FLOW_TYPES), directions=["In"])
            wanted = [str(_get(flow, "flow_id", "flowId", default=""))
                      for flow in _get(page, "flows", "results", default=[]) or [] if _is_incoming_lifecycle(flow)]
            done = set(PlatformStatusEvent.objects.filter(organisation=organisation, flow_id__in=wanted)
                       .values_list("flow_id", flat=True))
            fetched = [(flow_id, client.download(flow_id, "Original")) for flow_id in wanted if flow_id not in done]
            applied += statuses_apply(organisation, fetched, source=EventSource.POLL)
            next_cursor = _get(page, "next_cursor", "nextCursor", default=None)
            if next_cursor:
                cursor = next_cursor
                PollCursor.objects.filter(pk=cursor_row.pk).update(cursor=str(cursor)[:500])
            if not next_cursor:
                break
    except PlatformError as e:
        PollCursor.objects.filter(pk=cursor_row.pk).update(last_error=str(getattr(e, "message", e))[:500],
                                                           polled_at=timezone.now())
        return applied
    PollCursor.objects.filter(pk=cursor_row.pk).update(polled_at=timezone.now(), last_error="")
    return applied


# --- the statuses the seller owes -------------------------------------------------------------


def build_status(document, *, code: str, amounts=(), when: dt.datetime | None = None, reason_code: str = "",
                 reason_text: str = "") -> bytes:
    """A CDAR the seller sends about its own invoice (212 "Encaissée" with the amounts cashed per VAT rate),
    built by the engine and checked before it leaves: a CDAR that fails the rules is never queued."""
    from facturier.engine import cdar
    from facturier.errors import FacturierError

    message = cdar_message(document, code=code, amounts=amounts, when=when, reason_code=reason_code,
                           reason_text=reason_text)
    data = cdar.build(message)
    report = cdar.validate(data, xsd_dir=xsd_dir())
    if not report.ok:
        raise FacturierError(gettext_lazy("The status %(code)s for %(document)s does not pass the rules: %(errors)s"),
                             code=code, document=document.number,
                             errors="; ".join(f"{e.rule}: {_finding_text(e)}" for e in list(report.errors)[:5]))
    return data


def cdar_message(document, *, code: str, amounts=(), when=None, reason_code: str = "", reason_text: str = ""):
    """The engine's CdarMessage for a status the seller sends about `document` (`engine.cdar.status_message`:
    the parties and recipients the official examples show)."""
    from facturier.engine import cdar

    seller = document.seller_snapshot or {}
    buyer = document.buyer_snapshot or {}
    return cdar.status_message(
        status=code, invoice_number=document.number, invoice_date=document.issue_date,
        seller=cdar.Company(siren=seller.get("siren", ""), name=seller.get("legal_name") or None),
        buyer=cdar.Company(siren=buyer.get("siren", ""), name=buyer.get("name") or None,
                           status_address=buyer.get("electronic_address") or None) if buyer.get("siren") else None,
        at=when or timezone.now(), invoice_type="381" if document.kind == "credit_note" else "380",
        reason_code=reason_code or None, reason=reason_text or None,
        amounts_cashed=[cdar.AmountCashed(vat_rate=rate, amount=amount, currency=document.currency)
                        for rate, amount in amounts])
