"""Reads of the platforms' sending side, scoped by organisation."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from facturier.platforms.statuses import PROBLEMS, chorus_statuses, reason_label, status_label, what_to_do
from facturier.platforms.submissions import (
    PlatformState,
    PlatformStatusEvent,
    PlatformSubmission,
    SubmissionKind,
    SubmissionState,
)


def platform_in_use(organisation) -> bool:
    return PlatformState.objects.filter(organisation=organisation).exists()


WAITING_CHANNELS = ("platform", "chorus")
"""The channels whose documents have a status to wait for once sent (the PA's, Chorus Pro's)."""


def _label(state: PlatformState) -> tuple[str, str, str]:
    if not state.code:
        from django.utils.translation import gettext as _

        if state.channel == "chorus":
            return "", _("Chorus Pro: waiting for its first status"), state.route_reason
        return "", _("Waiting for its first status") if state.channel == "platform" else state.channel, \
            state.route_reason
    return state.code, status_label(state.code), reason_label(state.reason_code, state.reason_text)


def platform_states(*, organisation, document_ids: list[int]) -> dict[int, tuple[str, str, str]]:
    return {s.document_id: _label(s) for s in PlatformState.objects.filter(
        organisation=organisation, document_id__in=document_ids).only(
        "document_id", "code", "reason_code", "reason_text", "channel", "route_reason")}


def platform_filter(qs, organisation, which: str):
    states = PlatformState.objects.filter(organisation=organisation, document_id=OuterRef("pk"))
    if which == "waiting":
        return qs.filter(Exists(states.filter(code="", channel__in=WAITING_CHANNELS)))
    if which == "problem":
        return qs.filter(Exists(states.filter(code__in=sorted(PROBLEMS))))
    if which.isdigit() or which in chorus_statuses():
        return qs.filter(Exists(states.filter(code=which)))
    return qs


def platform_panel(*, organisation, document) -> dict | None:
    """The routing decided for a document, its current status and its history, in the reader's language;
    for a document not sent yet, the routing it would take (from the directory cache, no lookup)."""
    state = PlatformState.objects.filter(organisation=organisation, document=document).first()
    events = list(PlatformStatusEvent.objects.filter(organisation=organisation, document=document)
                  .order_by("status_at", "id"))
    submissions = list(PlatformSubmission.objects.filter(organisation=organisation, document=document)
                       .order_by("id"))
    preview = None
    if state is None and not events and not submissions:
        if document.state == "draft" or document.kind not in ("invoice", "credit_note", "corrective", "deposit",
                                                              "final"):
            return None
        from facturier.platforms.sending import _connection

        if _connection(organisation) is None and document.customer.preferred_channel not in ("platform", "chorus"):
            return None
        from facturier.platforms.routing import decide

        preview = decide(document, lookup=False)
    history = [{
        "at": e.status_at, "code": e.code, "label": status_label(e.code) if e.readable else e.problem,
        "reason": reason_label(e.reason_code, e.reason_text), "readable": e.readable,
        "todo": what_to_do(e.code, e.reason_code) if e.code in PROBLEMS else "",
        "source": e.get_source_display(), "valid": (e.validation or {}).get("ok"),
    } for e in events]
    current = None
    if state is not None and state.code:
        current = {"code": state.code, "label": status_label(state.code),
                   "reason": reason_label(state.reason_code, state.reason_text),
                   "problem": state.code in PROBLEMS,
                   "todo": what_to_do(state.code, state.reason_code)}
    return {
        "state": state, "current": current, "history": history, "preview": preview,
        "submissions": [{"kind": s.get_kind_display(), "kind_code": s.kind, "state": s.state,
                         "state_label": s.get_state_display(),
                         "tracking_id": s.tracking_id, "flow_id": s.flow_id, "error": s.last_error,
                         "sent_at": s.sent_at, "attempts": s.attempts} for s in submissions],
        "invoice_sent": any(s.kind == SubmissionKind.INVOICE and s.state == SubmissionState.SENT for s in submissions),
    }


def document_platform_status(*, organisation, document_id: int) -> dict | None:
    """For the API and the portal: the current status and the history, codes and texts."""
    state = PlatformState.objects.filter(organisation=organisation, document_id=document_id).first()
    if state is None:
        return None
    events = PlatformStatusEvent.objects.filter(organisation=organisation, document_id=document_id,
                                                readable=True).order_by("status_at", "id")
    return {
        "channel": state.channel, "routing_reason": state.route_reason, "address": state.address,
        "code": state.code, "label": status_label(state.code) if state.code else "",
        "reason": reason_label(state.reason_code, state.reason_text), "status_at": state.status_at,
        "history": [{"code": e.code, "label": status_label(e.code),
                     "reason": reason_label(e.reason_code, e.reason_text), "at": e.status_at} for e in events],
    }


def unreadable_events(*, organisation):
    return PlatformStatusEvent.objects.filter(organisation=organisation, readable=False).filter(
        ~Q(problem="")).order_by("-id")
