"""E-reporting: the profile, building, checking, archiving and submitting a period's report.

One gate per decision: every caller (screen, worker, command) builds and submits through the
functions here, which lock the report row, check its state and record the audit line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Right, VatRegime
from facturier.accounts.selectors import legal_profile_at
from facturier.accounts.services import require_right
from facturier.audit.services import audit_record
from facturier.engine import ereporting as er
from facturier.engine.ereporting import format as fmt
from facturier.engine.ereporting.aggregate import (
    DailyAggregator,
    PaymentAggregator,
    category_of,
    payment_records,
    subtotals,
)
from facturier.engine.ereporting.currency import (
    DocumentCurrency,
    amount_in_euros,
    breakdown_in_euros,
    euro_rate,
    missing_euro_figure,
)
from facturier.engine.validation.report import Finding
from facturier.engine.validation.report import Report as RuleReport
from facturier.errors import FacturierError
from facturier.platforms.ereporting import selectors
from facturier.platforms.ereporting.models import EReport, EReportingProfile, Flow, Nature, Regime, State

log = logging.getLogger(__name__)


class EReportError(FacturierError):
    code = "ereport_error"


def profile_of(organisation, *, create: bool = True) -> EReportingProfile:
    """The organisation's e-reporting profile, made on first use from its VAT settings (franchise stays
    franchise; otherwise réel normal, the strictest calendar, until someone says otherwise). With
    `create=False` (the screens' reads), an unsaved default when there is none yet."""
    regime = Regime.FRANCHISE if organisation.vat_regime == VatRegime.FRANCHISE else Regime.NORMAL
    if not create:
        return (EReportingProfile.objects.filter(organisation=organisation).first()
                or EReportingProfile(organisation=organisation, regime=regime))
    profile, _created = EReportingProfile.objects.get_or_create(organisation=organisation,
                                                                defaults={"regime": regime})
    return profile


def profile_set(*, by, regime: str, start_date: dt.date, auto_submit: bool) -> EReportingProfile:
    require_right(by, Right.MANAGE_SETTINGS)
    if regime not in Regime.values:
        raise EReportError(_("Unknown VAT regime for e-reporting."))
    with transaction.atomic():
        profile = profile_of(by.organisation)
        before = {"regime": profile.regime, "start_date": str(profile.start_date), "auto_submit": profile.auto_submit}
        profile.regime, profile.start_date, profile.auto_submit = regime, start_date, auto_submit
        profile.save()
        audit_record(actor=by, subject=profile, action="ereporting.profile", before=before,
                     after={"regime": regime, "start_date": str(start_date), "auto_submit": auto_submit})
    return profile


def _new_report_id(flow: str, start: dt.date) -> str:
    return f"{'TR' if flow == Flow.TRANSACTIONS else 'PA'}{start:%Y%m%d}-{secrets.token_hex(5).upper()}"


def report_for_period(*, organisation, flow: str, start: dt.date, by=None) -> EReport:
    """The initial report of the period that starts on `start` (made as a draft if none yet)."""
    profile = profile_of(organisation)
    period = er.period_containing(er.Regime(profile.regime), er.Flow(flow), start)
    if period.start != start:
        raise EReportError(_("%(day)s does not start a reporting period of the organisation's calendar."), day=start)
    existing = EReport.objects.filter(organisation=organisation, flow=flow, period_start=start,
                                      nature=Nature.INITIAL).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return EReport.objects.create(
                organisation=organisation, report_id=_new_report_id(flow, start), flow=flow, regime=profile.regime,
                period_start=period.start, period_end=period.end, due_date=period.due,
                created_by=getattr(by, "user", None))
    except IntegrityError:  # made at the same moment by the worker or another click
        return EReport.objects.get(organisation=organisation, flow=flow, period_start=start, nature=Nature.INITIAL)


def _declarant(organisation, on: dt.date, regime: str) -> er.Declarant:
    try:
        legal = legal_profile_at(organisation=organisation, on=on)
        siren, name = legal.siren, legal.legal_name
    except Exception:  # noqa: BLE001 — no legal profile yet: the rules say the SIREN is missing
        siren, name = "", organisation.name
    return er.Declarant(siren=siren, name=name, regime=er.Regime(regime))


def compose(*, organisation, report: EReport, issued_at: dt.datetime | None = None
            ) -> tuple[er.Report, int, list[Finding]]:
    """The engine report of an EReport's period, streamed from the database, in euros; how many documents or
    payments it reports; and the documents it could not report (a foreign currency with no VAT stated in
    euros: ER-CUR-02 findings naming them, which keep the report from being submitted)."""
    start, end = report.period_start, report.period_end
    transactions, summaries, payments, payment_summaries = [], (), [], ()
    count = 0
    unconvertible: dict[str, Finding] = {}

    def rate_of(number: str, money: DocumentCurrency):
        rate = euro_rate(money)
        if rate is None and number not in unconvertible:
            unconvertible[number] = missing_euro_figure(number=number, doc=money)
        return rate

    if report.flow == Flow.TRANSACTIONS:
        daily = DailyAggregator()
        for row in selectors.issued_documents(organisation=organisation, start=start, end=end):
            rate = rate_of(row.number, row.money)
            if rate is None:
                continue
            breakdown = breakdown_in_euros(row.breakdown, row.money, rate)
            count += 1
            if row.scope == selectors.B2C:
                daily.add_document(day=row.issue_date, operation=row.operation, breakdown=breakdown, sign=row.sign)
                continue
            first = breakdown[0] if breakdown else {}
            transactions.append(er.Transaction(
                number=row.number, issue_date=row.issue_date, type_code=row.type_code,
                category=category_of(operation=row.operation, vat_category=first.get("category") or "S",
                                     exemption_code=first.get("exemption_code") or ""),
                buyer_name=row.buyer_name, buyer_country=row.buyer_country, buyer_vat_id=row.buyer_vat,
                subtotals=subtotals(breakdown, row.sign)))
        summaries = daily.summaries()
    else:
        daily_payments = PaymentAggregator()
        for row in selectors.received_payments(organisation=organisation, start=start, end=end):
            rate = rate_of(row.invoice_number, row.money)
            if rate is None:
                continue
            amount = amount_in_euros(row.amount, rate)
            breakdown = breakdown_in_euros(row.breakdown, row.money, rate)
            count += 1
            if row.scope == selectors.B2C:
                daily_payments.add_payment(day=row.date, amount=amount, breakdown=breakdown)
            else:
                payments.extend(payment_records(invoice_number=row.invoice_number, invoice_date=row.invoice_date,
                                                payment_date=row.date, amount=amount, breakdown=breakdown))
        payment_summaries = daily_payments.summaries()
    engine_report = er.Report(
        report_id=report.report_id, nature=er.Nature(report.nature), flow=er.Flow(report.flow),
        declarant=_declarant(organisation, end, report.regime), start=start, end=end,
        issued_at=issued_at or timezone.now(), rectifies=report.rectifies.report_id if report.rectifies_id else "",
        transactions=tuple(transactions), summaries=summaries, payments=tuple(payments),
        payment_summaries=payment_summaries)
    return dataclasses.replace(engine_report, totals=er.computed_totals(engine_report)), count, list(
        unconvertible.values())


def report_build(*, report_pk: int, organisation, by=None) -> EReport:
    """Build the report's file from the period's documents and payments, check it, archive it.

    A report whose check fails stays "built" with its findings (nothing is submitted); a checked one is
    ready to submit. Once submitted it never changes again: a correction is a rectification."""
    if by is not None:
        require_right(by, Right.ISSUE)
    from facturier.archive.models import ArtefactKind
    from facturier.archive.services import Artefact, archive_artefact

    with transaction.atomic():
        report = EReport.objects.select_for_update().get(pk=report_pk, organisation=organisation)
        if not report.can_build:
            raise EReportError(_("This report was submitted: it can no longer be rebuilt. Make a rectification."))
        if report.period_end >= timezone.localdate():
            raise EReportError(_("This period is not over yet: its report can be built from %(day)s."),
                               day=report.period_end + dt.timedelta(days=1))
        if report.refused_at_submission:  # a new file under a new id: the PA keeps the refused one's tracking id
            report.report_id = _new_report_id(report.flow, report.period_start)
            report.submission_id, report.status_text, report.submitted_at = None, "", None
        engine_report, count, unreported = compose(organisation=organisation, report=report)
        data = er.write(engine_report)
        _read_back, checked = er.validate(data)
        findings = RuleReport.of(unreported, "ereporting.currency").merge(checked)
        name = er.file_name(engine_report)
        entry = archive_artefact(organisation, Artefact(
            kind=ArtefactKind.XML, filename=name, data=data, reference=f"ereport-{report.report_id}",
            number=report.report_id, date=report.period_end))
        totals = engine_report.totals
        report.archive_entry, report.file_name, report.size = entry, name, len(data)
        report.fingerprint = hashlib.sha256(data).hexdigest()
        report.entries, report.documents = totals.entries, count
        report.taxable, report.tax, report.paid = totals.taxable, totals.tax, totals.paid
        report.findings = [f.as_dict("fr") | {"message_en": f.message.en} for f in findings.findings]
        report.state = State.CHECKED if findings.passed else State.BUILT
        report.built_at = timezone.now()
        report.save()
        audit_record(actor=by, subject=report, action="ereporting.build", organisation=organisation,
                     after={"state": report.state, "entries": report.entries, "documents": count,
                            "fingerprint": report.fingerprint})
    return report


def report_submit(*, report_pk: int, organisation, by=None) -> EReport:
    """Hand a checked report to the organisation's platform (PA) through the platform outbox, exactly once."""
    if by is not None:
        require_right(by, Right.ISSUE)
    from facturier.archive.selectors import archived_content
    from facturier.platforms.outbox import submission_queue

    with transaction.atomic():
        report = EReport.objects.select_for_update().get(pk=report_pk, organisation=organisation)
        if report.state != State.CHECKED:
            raise EReportError(_("Only a checked report can be submitted (this one is “%(state)s”)."),
                               state=report.get_state_display())
        data = archived_content(report.archive_entry)
        engine_report = er.parse(data)
        submission = submission_queue(
            organisation=organisation, kind="ereport", tracking_id=report.report_id, file_name=report.file_name,
            data=data, flow_syntax=fmt.FLOW_SYNTAX, processing_rule=fmt.processing_rule(engine_report),
            flow_type=fmt.flow_type(engine_report))
        report.submission_id = submission.pk
        report.state, report.submitted_at = State.SUBMITTED, timezone.now()
        report.save(update_fields=["submission_id", "state", "submitted_at", "updated_at"])
        audit_record(actor=by, subject=report, action="ereporting.submit", organisation=organisation,
                     after={"submission": report.submission_id})
    return report


def report_rectify(*, report_pk: int, organisation, by=None) -> EReport:
    """A rectification of a submitted report: same period, built from the documents as they are now."""
    if by is not None:
        require_right(by, Right.ISSUE)
    with transaction.atomic():
        original = EReport.objects.select_for_update().get(pk=report_pk, organisation=organisation)
        if not original.can_rectify:
            raise EReportError(_("Only a submitted report can be rectified; rebuild this one instead."))
        pending = original.rectifications.filter(state__in=(State.DRAFT, State.BUILT, State.CHECKED)).first()
        rectification = pending or EReport.objects.create(
            organisation=organisation, report_id=_new_report_id(original.flow, original.period_start),
            flow=original.flow, regime=original.regime, period_start=original.period_start,
            period_end=original.period_end, due_date=original.due_date, nature=Nature.RECTIFICATION,
            rectifies=original, created_by=getattr(by, "user", None))
    return report_build(report_pk=rectification.pk, organisation=organisation, by=by)


# Platform statuses of a submitted report (the outbox's signal flow_status_received).
REJECTING = frozenset({"213", "501", "221", "210"})
DEPOSITED = frozenset({"200", "201", "202"})
"""The platform holds the file and has not said yet whether it passes: the report stays submitted."""


def status_received(*, organisation_id: int, tracking_id: str, status_code: str, text: str = "",
                    reason_code: str = "") -> EReport | None:
    """Apply a platform status to the report it concerns: 200 Déposée (and 201, 202) keeps it submitted with the
    status shown; a rejection (213, 501…) marks it rejected and tells the organisation why and what to do; any
    other status marks it accepted (passed on). A deposit arriving after the final status changes nothing."""
    with transaction.atomic():
        # the organisation whose flow it is: a status never reaches another organisation's report
        report = EReport.objects.select_for_update().filter(organisation_id=organisation_id,
                                                            report_id=tracking_id).first()
        if report is None or report.state not in (State.SUBMITTED, State.ACCEPTED, State.REJECTED):
            return None
        code = str(status_code)
        if code in DEPOSITED and report.state != State.SUBMITTED:
            return report  # statuses may arrive out of order (webhook and search): the final one stands
        report.status_code, report.status_text = code, _status_text(reason_code, text)[:500]
        report.state = (State.REJECTED if code in REJECTING else
                        State.SUBMITTED if code in DEPOSITED else State.ACCEPTED)
        report.save(update_fields=["status_code", "status_text", "state", "updated_at"])
        audit_record(actor=None, subject=report, action="ereporting.status", organisation=report.organisation,
                     after={"status": code, "reason": reason_code, "text": text[:200]})
        if report.state == State.REJECTED:
            _notify_rejected(report)
    return report


def _status_text(reason_code: str, text: str) -> str:
    if reason_code and text and reason_code not in text:
        return f"{reason_code} — {text}"
    return text or reason_code


def _notify_rejected(report: EReport) -> None:
    """The organisation's notification of a rejected report, in its language: which report, why, what to do."""
    from django.utils import translation
    from django.utils.translation import gettext

    from facturier.delivery.models import Notification

    with translation.override(report.organisation.default_language or "fr"):
        text = gettext("The platform rejected the e-reporting report %(report)s (%(flow)s, %(start)s – %(end)s): "
                       "%(reason)s Correct what the reason says, then make a rectification from the E-reporting "
                       "page.") % {
            "report": report.report_id, "flow": report.get_flow_display(), "start": report.period_start,
            "end": report.period_end,
            "reason": (report.status_text.rstrip(".") + ".") if report.status_text else ""}
    Notification.objects.create(organisation=report.organisation, kind="ereporting", text=text[:500])


def submissions_refused_sync() -> int:
    """Reports whose file the platform outbox gave up on (the PA refused it, or kept failing): marked rejected
    with the reason, so the page and the calendar show them as to do again. Returns how many."""
    try:
        from facturier.platforms.models import PlatformSubmission
    except ImportError:
        return 0
    waiting = dict(EReport.objects.filter(state=State.SUBMITTED, submission_id__isnull=False)
                   .values_list("submission_id", "pk"))
    if not waiting:
        return 0
    failed = PlatformSubmission.objects.filter(pk__in=list(waiting), state="failed").values_list("pk", "last_error")
    count = 0
    for submission_id, error in failed:
        with transaction.atomic():
            report = EReport.objects.select_for_update().get(pk=waiting[submission_id])
            if report.state != State.SUBMITTED:
                continue
            report.state, report.status_text = State.REJECTED, (error or "")[:500]
            report.save(update_fields=["state", "status_text", "updated_at"])
            audit_record(actor=None, subject=report, action="ereporting.refused", organisation=report.organisation,
                         after={"error": (error or "")[:200]})
            count += 1
    return count


def build_and_submit(*, organisation, flow: str, start: dt.date) -> EReport:
    """What the worker does at the end of a period: build the initial report if not yet checked, then
    submit it when the profile says so and the platform outbox is there. Idempotent."""
    report = report_for_period(organisation=organisation, flow=flow, start=start)
    if report.state in (State.DRAFT,):
        report = report_build(report_pk=report.pk, organisation=organisation)
    if report.state == State.CHECKED and profile_of(organisation).auto_submit:
        report = report_submit(report_pk=report.pk, organisation=organisation)
    return report


def due_periods(*, today: dt.date | None = None) -> list[tuple[int, str, dt.date]]:
    """(organisation id, flow, period start) of every ended period of every auto-submitting profile whose
    initial report is not built yet, or checked and not submitted:
    what the worker has to do now."""
    today = today or timezone.localdate()
    todo = []
    for profile in EReportingProfile.objects.filter(auto_submit=True).select_related("organisation"):
        pending = (State.DRAFT, State.CHECKED)
        done = set(EReport.objects.filter(organisation_id=profile.organisation_id, nature=Nature.INITIAL)
                   .exclude(state__in=pending).values_list("flow", "period_start"))
        for flow in Flow.values:
            for period in er.ended_periods(er.Regime(profile.regime), er.Flow(flow), since=profile.start_date,
                                           today=today):
                if (flow, period.start) not in done:
                    todo.append((profile.organisation_id, flow, period.start))
    return todo
