"""The e-reporting screen: the periods with their due dates and reports; build, submit, rectify, download.
Views only translate: the services decide."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from facturier.accounts.models import Right
from facturier.archive.selectors import archived_content
from facturier.errors import FacturierError
from facturier.platforms.ereporting import selectors, services
from facturier.platforms.ereporting.models import EReport, Flow, Regime
from facturier.web.views.base import member_required


def _report(request, pk) -> EReport:
    try:
        return selectors.report_get(organisation=request.member.organisation, pk=pk)
    except EReport.DoesNotExist:
        raise Http404 from None


@member_required()
@require_GET
def report_list(request):
    organisation = request.member.organisation
    profile = services.profile_of(organisation, create=False)
    today = timezone.localdate()
    rows = selectors.calendar_rows(organisation=organisation, profile=profile, today=today)
    submissions = selectors.submissions_of([row.report for row in rows])
    for row in rows:
        if row.report is not None:
            row.report.submission = submissions.get(row.report.submission_id)
    rectifications = selectors.reports_of(organisation=organisation).filter(nature="rectification")
    return render(request, "ereporting/list.html", {
        "rows": rows, "profile": profile, "regimes": Regime.choices, "member": request.member,
        "today": today,
        "rectifications": rectifications.order_by("-id")[:20]})


def _done(request, report: EReport, verb: str):
    if report.state == "checked" and verb == "build":
        messages.success(request, _("Report for %(period)s built and checked.") % {"period": _period(report)})
    elif report.state == "built":
        messages.error(request, _("Report for %(period)s built, but its check failed: see the findings below and "
                                  "correct the documents, then build it again.") % {"period": _period(report)})
    elif report.state == "submitted":
        messages.success(request, _("Report for %(period)s handed to the platform.") % {"period": _period(report)})
    return redirect("ereporting:list")


def _period(report: EReport) -> str:
    from django.utils.formats import date_format

    start, end = (date_format(d, "SHORT_DATE_FORMAT") for d in (report.period_start, report.period_end))
    return f"{start} – {end}"


@member_required(Right.ISSUE)
@require_POST
def build(request):
    flow = request.POST.get("flow", "")
    try:
        start = dt.date.fromisoformat(request.POST.get("start", ""))
    except ValueError:
        start = None
    if flow not in Flow.values or start is None:
        messages.error(request, _("Choose a period of the calendar to build."))
        return redirect("ereporting:list")
    organisation = request.member.organisation
    try:
        report = services.report_for_period(organisation=organisation, flow=flow, start=start, by=request.member)
        report = services.report_build(report_pk=report.pk, organisation=organisation, by=request.member)
    except FacturierError as e:
        messages.error(request, e.message)
        return redirect("ereporting:list")
    return _done(request, report, "build")


def _on_report(request, pk, service, done_as: str):
    """Run a service on one of the organisation's reports; its refusal becomes a message on the list."""
    report = _report(request, pk)
    try:
        report = service(report_pk=report.pk, organisation=request.member.organisation, by=request.member)
    except FacturierError as e:
        messages.error(request, e.message)
        return redirect("ereporting:list")
    return _done(request, report, done_as)


@member_required(Right.ISSUE)
@require_POST
def submit(request, pk):
    return _on_report(request, pk, services.report_submit, "submit")


@member_required(Right.ISSUE)
@require_POST
def rectify(request, pk):
    return _on_report(request, pk, services.report_rectify, "build")


@member_required()
@require_GET
def download(request, pk):
    report = _report(request, pk)
    if report.archive_entry_id is None:
        raise Http404
    response = HttpResponse(archived_content(report.archive_entry), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{report.file_name}"'
    return response


@member_required(Right.MANAGE_SETTINGS)
@require_POST
def profile(request):
    try:
        start = dt.date.fromisoformat(request.POST.get("start_date", ""))
    except ValueError:
        messages.error(request, _("Enter the first day to report as a date."))
        return redirect("ereporting:list")
    try:
        services.profile_set(by=request.member, regime=request.POST.get("regime", ""), start_date=start,
                             auto_submit=request.POST.get("auto_submit") == "on")
    except FacturierError as e:
        messages.error(request, e.message)
        return redirect("ereporting:list")
    messages.success(request, _("E-reporting settings saved."))
    return redirect("ereporting:list")
