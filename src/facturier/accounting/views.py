"""The accounting screens: transfers (a period, or the dashboard's selection), exports, settings.

Views only translate: every rule is in `services` and `exports`.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from facturier.accounting import jobs, selectors, services
from facturier.accounting.exports import export
from facturier.accounting.forms import ExportForm, PeriodForm, SettingsForm
from facturier.accounting.models import TransferJob
from facturier.accounting.services import AccountingNotConfigured
from facturier.accounts.models import Right
from facturier.errors import FacturierError
from facturier.web.views.base import is_htmx, member_required


def _to_settings(request):
    messages.info(request, _("Before the first transfer, check the journals and accounts: sensible defaults are "
                             "filled in, save them to go on."))
    return redirect("web:accounting_settings")


def _done(request, transfer):
    messages.success(request, _("Transfer no. %(id)s: %(documents)s documents and %(payments)s payments, "
                                "%(entries)s balanced entries.") % {
        "id": transfer.pk, "documents": transfer.documents_count, "payments": transfer.payments_count,
        "entries": transfer.entries_count})


def _year(organisation):
    today = timezone.localdate()
    settings = selectors.settings_of(organisation)
    start = services.fiscal_year_of(today, settings.fiscal_year_start_month if settings else 1)
    return start, services.fiscal_year_end(start)


@member_required()
def accounting_home(request):
    organisation = request.member.organisation
    start, end = _year(organisation)
    return render(request, "accounting/home.html", {
        "transfers": selectors.transfers(organisation=organisation),
        "jobs": selectors.unfinished_jobs(organisation=organisation),
        "period_form": PeriodForm(initial={"start": start, "end": min(end, timezone.localdate())}),
        "export_form": ExportForm(initial={"start": start, "end": end, "format": (
            selectors.settings_of(organisation).export_format if selectors.settings_of(organisation) else "fec")}),
        "configured": selectors.settings_of(organisation) is not None,
        "can_transfer": request.member.has_right(Right.RECORD_PAYMENTS),
    })


@require_POST
@member_required(Right.RECORD_PAYMENTS)
def accounting_transfer(request):
    form = PeriodForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("__all__", []) or [_("Give a period: a start date and an end date.")]:
            messages.error(request, error)
        return redirect("web:accounting")
    try:
        transfer = jobs.transfer_start(by=request.member, start=form.cleaned_data["start"],
                                       end=form.cleaned_data["end"])
    except AccountingNotConfigured:
        return _to_settings(request)
    except FacturierError as e:
        messages.error(request, e.message)
    else:
        if isinstance(transfer, TransferJob):
            return redirect("web:accounting_job", pk=transfer.pk)
        _done(request, transfer)
    return redirect("web:accounting")


def transfer_selection(request, ids: list[int], back: str):
    """The dashboard's batch action: transfer the ticked documents (with their payments and write-offs)."""
    if not request.member.has_right(Right.RECORD_PAYMENTS):
        messages.error(request, _("You do not have the right to transfer to accounting."))
        return redirect(back)
    try:
        transfer = jobs.transfer_start(by=request.member, document_ids=ids)
    except AccountingNotConfigured:
        return _to_settings(request)
    except FacturierError as e:
        messages.error(request, e.message)
        return redirect(back)
    if isinstance(transfer, TransferJob):
        return redirect("web:accounting_job", pk=transfer.pk)
    _done(request, transfer)
    return redirect("web:accounting")


@member_required()
def accounting_job(request, pk: int):
    """A transfer run by the worker: its progress bar (polled every second), then its outcome."""
    job = get_object_or_404(TransferJob, organisation=request.member.organisation, pk=pk)
    template = "accounting/job_progress.html" if is_htmx(request) else "accounting/job.html"
    return render(request, template, {"job": jobs.live(job)})


@require_POST
@member_required(Right.RECORD_PAYMENTS)
def accounting_transfer_action(request, pk: int, action: str):
    try:
        if action == "cancel":
            services.transfer_cancel(by=request.member, transfer_id=pk)
            messages.success(request, _("Transfer no. %(id)s cancelled: its documents and payments can be "
                                        "transferred again.") % {"id": pk})
        else:
            services.transfer_close(by=request.member, transfer_id=pk)
            messages.success(request, _("Transfer no. %(id)s closed.") % {"id": pk})
    except FacturierError as e:
        messages.error(request, e.message)
    return redirect("web:accounting")


@member_required()
def accounting_export(request):
    form = ExportForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("Give a period and a format to export."))
        return redirect("web:accounting")
    try:
        out = export(request.member.organisation, start=form.cleaned_data["start"], end=form.cleaned_data["end"],
                     fmt=form.cleaned_data["format"])
    except AccountingNotConfigured:
        return _to_settings(request)
    except FacturierError as e:
        messages.error(request, e.message)
        return redirect("web:accounting")
    if out.problems:
        return render(request, "accounting/refused.html", {"problems": out.problems, "name": out.name}, status=422)
    response = StreamingHttpResponse(out.chunks(), content_type=out.content_type)
    response["Content-Disposition"] = f'attachment; filename="{out.name}"'
    return response


@member_required(Right.MANAGE_SETTINGS)
def accounting_settings(request):
    organisation = request.member.organisation
    instance = selectors.settings_of(organisation) or services.default_settings(organisation)
    form = SettingsForm(request.POST or None, instance=instance)
    period_form = PeriodForm(prefix="closed")
    if request.method == "POST" and request.POST.get("action") == "close_period":
        period_form = PeriodForm(request.POST, prefix="closed")
        form = SettingsForm(instance=instance)
        if period_form.is_valid():
            services.closed_period_add(by=request.member, **period_form.cleaned_data)
            messages.success(request, _("Period closed: no new entry can be dated inside it."))
            return redirect("web:accounting_settings")
    elif request.method == "POST" and form.is_valid():
        try:
            services.settings_save(by=request.member, values=form.values())
        except FacturierError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, _("Accounting settings saved."))
            return redirect(reverse("web:accounting"))
    return render(request, "accounting/settings.html", {
        "form": form, "period_form": period_form, "configured": instance.pk is not None,
        "closed": selectors.closed_periods(organisation=organisation)},
        status=422 if form.errors or period_form.errors else 200)
