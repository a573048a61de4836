"""The Chorus Pro outbox: each document deposited once, across crashes; then its statuses followed.

A submission is claimed (`facturier.config.leases.claim`), its file read (the archived Factur-X of the
issued document, else the Factur-X produced for it), the PISTE token made sure of, the deposit marked
as begun, and `deposer/flux` called:
- an answer with a flow number: deposited;
- nothing reached Chorus Pro (connection refused), or it answered 5xx / 408 / 429: a retry with
  backoff; a 401 is retried once with a fresh token inside the client (the gateway refused the request);
- the technical account or the application refused: nothing is deposited, the submissions wait and the
  organisation is told to fix and re-test the account;
- another refusal (4xx): failed, with Chorus Pro's reason;
- the request left and no answer came (timeout, connection lost): "unknown" — never repeated blindly.
  The next poll looks the invoice up by its number (rechercherFactureParFournisseur): found, it is
  deposited; otherwise a person checks on Chorus Pro and decides.
Polling (`chorus_poll`, scheduled and queued after each deposit) reads the flow's report
(consulterCRDetaille), finds the invoice, reads its status history and records what is new; a
rejection (REJETEE, SUSPENDUE, IRRECEVABLE…) notifies the organisation with the reason.
"""

from __future__ import annotations

import datetime as dt
import logging
from contextlib import suppress

from django import db
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.config import leases
from facturier.delivery.outbox import FlushReport
from facturier.errors import FacturierError
from facturier.platforms.chorus import client as cp
from facturier.platforms.chorus.models import (
    FINAL,
    ChorusAccount,
    ChorusStatus,
    ChorusStatusEvent,
    ChorusSubmission,
    SubmissionState,
)

log = logging.getLogger(__name__)

BACKOFF = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2),
           dt.timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1
CREDENTIALS_WAIT = dt.timedelta(hours=1)
POLL_AFTER = dt.timedelta(seconds=30)


class NothingToDecide(FacturierError):
    code = "nothing_to_decide"


def file_of(submission: ChorusSubmission) -> tuple[str, bytes]:
    """The Factur-X of the issued document: the archived file byte for byte when archived, else produced."""
    from facturier.archive.selectors import archived_document_file
    from facturier.documents.services import facturx_of

    document = submission.document
    archived = archived_document_file(organisation=document.organisation, document_id=document.pk)
    if archived is not None:
        return archived
    produced = facturx_of(document)
    return produced.filename, produced.data


def _after_begun(submission: ChorusSubmission) -> None:
    """Called once a deposit is recorded as begun (a seam the crash tests raise from)."""


def _due(organisation_id: int, now: dt.datetime):
    return ChorusSubmission.objects.filter(organisation_id=organisation_id, state=SubmissionState.PENDING,
                                           next_attempt_at__lte=now).order_by("id")


def chorus_flush(*, organisation_id: int, now: dt.datetime | None = None) -> FlushReport:
    """Deposit every due submission of the organisation, one client (and one token) for all."""
    from facturier.platforms.chorus.services import client_for

    now = now or timezone.now()
    report = FlushReport()
    ids = list(_due(organisation_id, now).values_list("pk", flat=True))
    if not ids:
        return report
    account = ChorusAccount.objects.filter(organisation_id=organisation_id).first()
    if account is None or not account.enabled:
        reason = str(_("The Chorus Pro account is not enabled: test its connection in Settings → Chorus Pro."))
        ChorusSubmission.objects.filter(pk__in=ids, state=SubmissionState.PENDING).update(last_error=reason)
        report.errors.append(reason)
        return report
    with client_for(account) as client:
        try:
            client.token()
        except cp.ChorusError as e:
            _wait_all(account, ids, e, now, report)
            _schedule(organisation_id, report)
            return report
        for pk in ids:
            submission = ChorusSubmission.objects.select_related("document__organisation", "document__customer",
                                                                 "document__series").filter(pk=pk).first()
            if submission is None or not leases.claim(submission):
                continue
            if not _one(client, account, submission, now, report):
                break
    _schedule(organisation_id, report)
    return report


def _one(client: cp.ChorusClient, account: ChorusAccount, submission: ChorusSubmission, now, report) -> bool:
    """Deposit one claimed submission; False when the account cannot be used (stop this flush)."""
    begun = False
    try:
        try:
            file_name, data = file_of(submission)
        except FacturierError as e:
            _failure(submission, e.message, temporary=False, now=now, report=report)
            return True
        if not leases.transfer_begins(submission):
            return True  # recovery gave it to another worker
        begun = True
        _after_begun(submission)
        try:
            deposit = client.deposer_flux(file_name=submission.file_name or file_name, data=data)
        except cp.OutcomeUnknown as e:
            _unknown(submission, e.message, report=report)
        except (cp.TokenRejected, cp.AccountRejected) as e:
            _credentials_refused(account, submission, e, now, report)
            return False
        except cp.ChorusError as e:
            _failure(submission, e.message, temporary=e.temporary, now=now, report=report)
        else:
            _deposited(submission, deposit, report)
        return True
    finally:
        submission.refresh_from_db(fields=["state"])
        if submission.state == SubmissionState.SENDING:  # stopped half-way (an exception): never lost
            with suppress(db.DatabaseError):
                if not begun:
                    leases.give_back(submission)
                else:
                    _unknown(submission, str(_("The worker stopped while the invoice was being deposited: "
                                               "Chorus Pro may have it.")), report=report)


def _deposited(submission: ChorusSubmission, deposit: cp.Deposit, report: FlushReport) -> None:
    from facturier.delivery.history import delivery_mark
    from facturier.delivery.models import DeliveryState

    with transaction.atomic():
        at = timezone.now()
        if not leases.finish(submission, state=SubmissionState.DEPOSITED, deposited_at=at, last_error="",
                             attempts=submission.attempts + 1, flow_number=deposit.flow_number):
            return
        delivery_mark(document=submission.document, state=DeliveryState.SENT, recipient="Chorus Pro",
                      detail=str(_("Deposited on Chorus Pro, flow %(flow)s") % {"flow": deposit.flow_number}))
    report.sent += 1
    report.retry_at = min(filter(None, (report.retry_at, timezone.now() + POLL_AFTER)))


def _failure(submission: ChorusSubmission, reason: str, *, temporary: bool, now, report: FlushReport) -> None:
    from facturier.delivery.history import delivery_mark
    from facturier.delivery.models import DeliveryState

    with transaction.atomic():
        attempts = submission.attempts + 1
        if temporary and attempts < MAX_ATTEMPTS:
            state, retry = SubmissionState.PENDING, now + BACKOFF[attempts - 1]
        else:
            state, retry = SubmissionState.FAILED, submission.next_attempt_at
        if not leases.finish(submission, state=state, attempts=attempts, last_error=str(reason)[:2000],
                             next_attempt_at=retry):
            return
        if state == SubmissionState.FAILED:
            detail = str(_("Not deposited on Chorus Pro: %(reason)s") % {"reason": reason})
            delivery_mark(document=submission.document, state=DeliveryState.FAILED, detail=detail)
            notify(submission, detail)
            report.failed += 1
        else:
            report.rescheduled += 1
            report.retry_at = min(filter(None, (report.retry_at, retry)))
    report.errors.append(str(reason))


def _unknown(submission: ChorusSubmission, reason: str, *, report: FlushReport) -> None:
    from facturier.delivery.history import delivery_mark
    from facturier.delivery.models import DeliveryState

    text = str(_("%(reason)s The invoice is looked up on Chorus Pro at the next check; if it is not found, check "
                 "on Chorus Pro, then deposit it again or record it as deposited from the document's page.") % {
        "reason": reason})
    with transaction.atomic():
        if not leases.finish(submission, state=SubmissionState.UNKNOWN, last_error=text[:2000]):
            return
        delivery_mark(document=submission.document, state=DeliveryState.UNKNOWN, detail=text)
    report.unknown += 1
    report.errors.append(text)
    report.retry_at = min(filter(None, (report.retry_at, timezone.now() + POLL_AFTER)))


def _credentials_message(e: cp.ChorusError) -> str:
    return str(_("Chorus Pro: %(step)s — %(reason)s Fix the account in Settings → Chorus Pro and test it again: "
                 "the invoices waiting are deposited then.") % {
        "step": cp.Step.LABELS.get(e.step, e.step), "reason": e.message})


def _credentials_refused(account, submission, e: cp.ChorusError, now, report) -> None:
    """The application or the technical account was refused (nothing was deposited): this submission and the
    others wait, the account is disabled until tested again, and the organisation is told once."""
    reason = _credentials_message(e)
    leases.finish(submission, state=SubmissionState.PENDING, last_error=reason[:2000],
                  next_attempt_at=now + CREDENTIALS_WAIT)
    _wait_all(account, [submission.pk], e, now, report)


def _wait_all(account: ChorusAccount, ids: list[int], e: cp.ChorusError, now, report: FlushReport) -> None:
    from facturier.delivery.models import Notification

    reason = _credentials_message(e)
    if e.temporary:  # PISTE unreachable: try again soon
        retry = now + BACKOFF[0]
        ChorusSubmission.objects.filter(organisation_id=account.organisation_id, state=SubmissionState.PENDING,
                                        next_attempt_at__lte=now).update(last_error=reason[:2000],
                                                                         next_attempt_at=retry)
        report.retry_at = retry
    else:
        ChorusSubmission.objects.filter(organisation_id=account.organisation_id, state=SubmissionState.PENDING).update(
            last_error=reason[:2000], next_attempt_at=now + CREDENTIALS_WAIT)
        with transaction.atomic():
            if ChorusAccount.objects.filter(pk=account.pk, enabled=True).update(enabled=False, test_ok=False):
                Notification.objects.create(organisation_id=account.organisation_id, kind="chorus",
                                            text=reason[:500])
    report.errors.append(reason)


def notify(submission: ChorusSubmission, text: str) -> None:
    from facturier.delivery.models import Notification

    Notification.objects.create(organisation_id=submission.organisation_id, kind="chorus", text=str(text)[:500],
                                document_id=submission.document_id)


def _schedule(organisation_id: int, report: FlushReport) -> None:
    if report.retry_at is None:
        return
    from django_tasks import default_task_backend

    from facturier.platforms.chorus.tasks import chorus_flush_task, chorus_poll_task

    if default_task_backend.supports_defer:
        chorus_flush_task.using(run_after=report.retry_at).enqueue(organisation_id=organisation_id)
        if report.sent or report.unknown:
            chorus_poll_task.using(run_after=timezone.now() + POLL_AFTER).enqueue(organisation_id=organisation_id)


def enqueue_chorus_flush(organisation_id: int) -> None:
    from facturier.platforms.chorus.tasks import chorus_flush_task

    chorus_flush_task.enqueue(organisation_id=organisation_id)


def submissions_recovered(pending: list[int], unknown: list[int]) -> None:
    """After recovery: submissions given back are deposited again; those whose deposit had begun are unknown."""
    from facturier.delivery.history import delivery_mark
    from facturier.delivery.models import DeliveryState

    reason = str(_("The worker stopped while the invoice was being deposited: Chorus Pro may have it. It is looked "
                   "up at the next check; if it is not found, check on Chorus Pro and decide from the document's "
                   "page."))
    for submission in ChorusSubmission.objects.filter(pk__in=unknown).select_related("document"):
        with transaction.atomic():
            ChorusSubmission.objects.filter(pk=submission.pk, state=SubmissionState.UNKNOWN).update(last_error=reason)
            delivery_mark(document=submission.document, state=DeliveryState.UNKNOWN, detail=reason)
    for organisation_id in set(ChorusSubmission.objects.filter(pk__in=pending + unknown)
                               .values_list("organisation_id", flat=True)):
        enqueue_chorus_flush(organisation_id)


# --- statuses ------------------------------------------------------------------------------------


def followed(organisation_id: int | None = None):
    qs = ChorusSubmission.objects.filter(state__in=(SubmissionState.DEPOSITED, SubmissionState.UNKNOWN)).exclude(
        status__in=FINAL)
    return qs if organisation_id is None else qs.filter(organisation_id=organisation_id)


def chorus_poll(*, organisation_id: int) -> int:
    """Read the statuses of the organisation's deposited invoices not yet final; returns how many changed."""
    from facturier.platforms.chorus.services import client_for

    account = ChorusAccount.objects.filter(organisation_id=organisation_id).first()
    if account is None:
        return 0
    changed = 0
    with client_for(account) as client:
        for submission in followed(organisation_id).select_related("document").order_by("id"):
            try:
                changed += _poll_one(client, submission)
            except (cp.TokenRejected, cp.AccountRejected) as e:
                log.warning("Chorus Pro polling of organisation %s stopped: %s", organisation_id, e)
                break
            except cp.ChorusError as e:
                log.warning("Chorus Pro polling of submission %s failed: %s", submission.pk, e)
                ChorusSubmission.objects.filter(pk=submission.pk).update(polled_at=timezone.now())
    return changed


def _poll_one(client: cp.ChorusClient, submission: ChorusSubmission) -> int:
    now = timezone.now()
    if submission.state == SubmissionState.UNKNOWN:
        return _reconcile(client, submission)
    if not submission.chorus_invoice_id:
        flow = client.consulter_cr(submission.flow_number)
        ChorusSubmission.objects.filter(pk=submission.pk).update(flow_state=flow.state, polled_at=now)
        if flow.rejected:
            reason = "; ".join(flow.errors) or flow.state
            return _record(submission, [cp.StatusEntry(ChorusStatus.IRRECEVABLE, now.isoformat(), reason)])
        found = [f for f in client.rechercher_factures(invoice_number=submission.document.number) if f.chorus_id]
        if not found:
            return 0
        submission.chorus_invoice_id = found[0].chorus_id
        ChorusSubmission.objects.filter(pk=submission.pk).update(chorus_invoice_id=submission.chorus_invoice_id)
    detail = client.consulter_facture(submission.chorus_invoice_id)
    ChorusSubmission.objects.filter(pk=submission.pk).update(polled_at=now)
    history = detail.history or [cp.StatusEntry(detail.status, now.isoformat())]
    return _record(submission, history)


def _reconcile(client: cp.ChorusClient, submission: ChorusSubmission) -> int:
    """An unknown deposit: found on Chorus Pro by the invoice's number, it is deposited (never sent twice)."""
    from facturier.delivery.history import delivery_mark
    from facturier.delivery.models import DeliveryState

    found = [f for f in client.rechercher_factures(invoice_number=submission.document.number) if f.chorus_id]
    if not found:
        ChorusSubmission.objects.filter(pk=submission.pk).update(polled_at=timezone.now())
        return 0
    with transaction.atomic():
        if not ChorusSubmission.objects.filter(pk=submission.pk, state=SubmissionState.UNKNOWN).update(
                state=SubmissionState.DEPOSITED, chorus_invoice_id=found[0].chorus_id,
                deposited_at=submission.transfer_started_at or timezone.now(), last_error=""):
            return 0
        delivery_mark(document=submission.document, state=DeliveryState.SENT, recipient="Chorus Pro",
                      detail=str(_("Found on Chorus Pro: the deposit had arrived")))
    submission.refresh_from_db()
    return _poll_one(client, submission)


def _record(submission: ChorusSubmission, history: list[cp.StatusEntry]) -> int:
    """Record the statuses not seen yet (in order); the last one becomes the submission's status. Each new one
    goes to the document's platform status (`platforms.statuses.chorus_status_apply`), the one place every
    screen, the portal and the API read, which also notifies a rejection with its reason and what to do."""
    from facturier.platforms.statuses import chorus_status_apply

    known = set(ChorusStatusEvent.objects.filter(submission=submission).values_list("status", "at"))
    new = 0
    with transaction.atomic():
        for entry in history:
            if entry.status not in ChorusStatus.values:
                log.warning("unknown Chorus Pro status %r for submission %s", entry.status, submission.pk)
                continue
            at = cp.parse_when(entry.at) or timezone.now()
            if (entry.status, at) in known:
                continue
            ChorusStatusEvent.objects.create(submission=submission, status=entry.status, reason=entry.comment, at=at)
            known.add((entry.status, at))
            new += 1
            ChorusSubmission.objects.filter(pk=submission.pk).update(status=entry.status, status_reason=entry.comment,
                                                                     status_at=at)
            chorus_status_apply(document=submission.document, code=entry.status, reason=entry.comment, at=at)
    return new


def submission_decide(*, by, submission_id: int, resend: bool) -> ChorusSubmission:
    """A person's decision on a deposit whose outcome is unknown: deposit it again, or record it as deposited."""
    from facturier.accounts.models import Right
    from facturier.accounts.services import require_right
    from facturier.audit.services import audit_record
    from facturier.delivery.history import delivery_mark
    from facturier.delivery.models import DeliveryState

    require_right(by, Right.SEND)
    with transaction.atomic():
        submission = (ChorusSubmission.objects.select_for_update(of=("self",)).select_related("document")
                      .filter(pk=submission_id, organisation=by.organisation, state=SubmissionState.UNKNOWN).first())
        if submission is None:
            raise NothingToDecide(_("This deposit is not waiting for a decision: it was deposited, or someone "
                                    "already decided."))
        now = timezone.now()
        if resend:
            ChorusSubmission.objects.filter(pk=submission.pk).update(
                state=SubmissionState.PENDING, next_attempt_at=now, claimed_by="", transfer_started_at=None)
            delivery_mark(document=submission.document, state=DeliveryState.QUEUED, actor=by, recipient="Chorus Pro",
                          detail=str(_("Checked: not on Chorus Pro, deposited again")))
            organisation_id = submission.organisation_id
            transaction.on_commit(lambda: enqueue_chorus_flush(organisation_id))
        else:
            ChorusSubmission.objects.filter(pk=submission.pk).update(
                state=SubmissionState.DEPOSITED, deposited_at=submission.transfer_started_at or now, last_error="")
            delivery_mark(document=submission.document, state=DeliveryState.SENT, actor=by, recipient="Chorus Pro",
                          detail=str(_("Checked: on Chorus Pro")))
        audit_record(actor=by, subject=submission.document, action="chorus.decide", after={"resend": resend})
        submission.refresh_from_db()
    return submission


def submission_refresh(*, by, submission_id: int) -> ChorusSubmission:
    """Read one submission's status on Chorus Pro now (the document page's button); a Chorus Pro error
    is raised to the reader as it is (ChorusError, translated)."""
    from facturier.platforms.chorus.services import client_for

    submission = (ChorusSubmission.objects.select_related("document")
                  .filter(pk=submission_id, organisation=by.organisation).first())
    if submission is None:
        raise NothingToDecide(_("No such Chorus Pro deposit."))
    account = ChorusAccount.objects.filter(organisation=by.organisation).first()
    if account is not None and submission.state in (SubmissionState.DEPOSITED, SubmissionState.UNKNOWN) \
            and submission.status not in FINAL:
        with client_for(account) as client:
            _poll_one(client, submission)
    submission.refresh_from_db()
    return submission
