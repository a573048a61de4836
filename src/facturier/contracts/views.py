"""Contract screens: the list (next date, next amount), create (from an issued invoice or from scratch),
edit, pause, resume, end, and the history of what each contract generated. Views only translate."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from facturier.accounts.models import Right
from facturier.contracts import selectors, services
from facturier.contracts.forms import ContractForm
from facturier.contracts.models import Contract, ContractSettings
from facturier.errors import FacturierError
from facturier.invoicing.models import Document
from facturier.invoicing.selectors import document_get
from facturier.parties.models import Customer
from facturier.web.views.base import member_required

CALENDAR_FIELDS = ("frequency", "every_months", "start_date", "day_of_month", "timing")


def _contract(request, pk) -> Contract:
    try:
        return selectors.contract_get(organisation=request.member.organisation, pk=pk)
    except Contract.DoesNotExist:
        raise Http404 from None


def _customers(request):
    return Customer.objects.filter(organisation=request.member.organisation).order_by("code")


def _fields(form: ContractForm) -> dict:
    data = {k: form.cleaned_data.get(k) for k in
            ("name", "reference", "start_date", "frequency", "timing", "day_of_month", "end_date", "occurrences",
             "revision_percent", "action")}
    data["every_months"] = form.cleaned_data.get("every_months") or 1
    data["reference"] = data["reference"] or ""
    return data


def _show_errors(form: ContractForm, error: FacturierError) -> None:
    for field, problems in getattr(error, "errors", {}).items():
        target = field if field in form.fields else None
        for problem in problems:
            form.add_error(target, str(problem))
    if not getattr(error, "errors", None):
        form.add_error(None, error.message)


@member_required()
@require_http_methods(["GET"])
def contract_list(request):
    organisation = request.member.organisation
    rows = [{"contract": c, "amount": selectors.next_amount(c)}
            for c in selectors.contracts_of(organisation=organisation)]
    backdating = ContractSettings.objects.filter(organisation=organisation, allow_backdating=True).exists()
    return render(request, "contracts/list.html", {"rows": rows, "member": request.member, "backdating": backdating})


@member_required(Right.ISSUE)
@require_http_methods(["GET", "POST"])
def contract_new(request):
    source: Document | None = None
    if request.GET.get("from", "").isdigit():
        try:
            source = document_get(organisation=request.member.organisation, pk=int(request.GET["from"]))
        except Document.DoesNotExist:
            raise Http404 from None
    customers = _customers(request)
    initial = {"action": "draft", "timing": "advance", "frequency": "monthly"}
    if source is not None:
        initial.update(name=f"{source.customer.name} — {source.number}", customer=source.customer_id,
                       reference=source.contract_reference)
    form = ContractForm(request.POST or None, customers=customers, with_lines=source is None, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = _fields(form)
        try:
            if source is not None:
                contract = services.contract_from_invoice(by=request.member, document_id=source.pk, **fields)
            else:
                contract = services.contract_create(by=request.member, customer_id=form.cleaned_data["customer"],
                                                    lines=form.lines(), **fields)
        except FacturierError as e:
            _show_errors(form, e)
        else:
            messages.success(request, _("The contract “%(name)s” is running.") % {"name": contract.name})
            return redirect("contracts:detail", pk=contract.pk)
    return render(request, "contracts/form.html", {"form": form, "source": source, "contract": None})


@member_required(Right.ISSUE)
@require_http_methods(["GET", "POST"])
def contract_edit(request, pk):
    contract = _contract(request, pk)
    fixed = contract.next_index > 0
    initial = {name: getattr(contract, name) for name in
               ("name", "reference", "start_date", "frequency", "every_months", "timing", "day_of_month", "end_date",
                "occurrences", "revision_percent", "action")}
    initial["customer"] = contract.customer_id
    initial.update(ContractForm.line_initial(contract.lines))
    form = ContractForm(request.POST or None, customers=_customers(request), calendar_fixed=fixed, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = _fields(form)
        if fixed:
            for name in CALENDAR_FIELDS:
                changes.pop(name, None)
        try:
            services.contract_update(by=request.member, contract_id=contract.pk,
                                     lines=form.lines(contract.lines), **changes)
        except FacturierError as e:
            _show_errors(form, e)
        else:
            messages.success(request, _("Saved: the next invoices use these changes."))
            return redirect("contracts:detail", pk=contract.pk)
    return render(request, "contracts/form.html", {"form": form, "source": None, "contract": contract})


@member_required()
@require_http_methods(["GET"])
def contract_detail(request, pk):
    contract = _contract(request, pk)
    periods = selectors.periods_of(organisation=request.member.organisation, contract=contract)
    return render(request, "contracts/detail.html", {
        "contract": contract, "periods": periods, "amount": selectors.next_amount(contract), "member": request.member})


VERBS = {"pause": services.contract_pause, "resume": services.contract_resume, "end": services.contract_end}
DONE = {"pause": gettext_lazy("Paused: nothing is invoiced until you resume it."),
        "resume": gettext_lazy("Resumed: the periods due while paused are skipped."),
        "end": gettext_lazy("Ended: nothing more is invoiced.")}


@member_required(Right.ISSUE)
@require_POST
def contract_state(request, pk, verb):
    contract = _contract(request, pk)
    if verb not in VERBS:
        raise Http404
    try:
        VERBS[verb](by=request.member, contract_id=contract.pk)
    except FacturierError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, DONE[verb])
    return redirect("contracts:detail", pk=contract.pk)


@member_required(Right.MANAGE_SETTINGS)
@require_POST
def contract_settings(request):
    services.settings_update(by=request.member, allow_backdating=request.POST.get("allow_backdating") == "1")
    messages.success(request, _("Saved."))
    return redirect("contracts:list")
