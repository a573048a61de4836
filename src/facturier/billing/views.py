"""Screens: the operator's subscriptions (with CSV), plans and settings; a company's own plan."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from facturier.accounts.models import Organisation
from facturier.billing import selectors
from facturier.billing.forms import OperatorForm, PlanForm, StatementFilter, SubscriptionForm
from facturier.billing.models import Plan
from facturier.billing.operator_billing import statement_csv, usage_statement
from facturier.billing.services import (
    SubscriptionRefused,
    operator_organisation,
    operator_organisation_set,
    plan_save,
    subscription_set,
)
from facturier.web.views.base import member_required

LIMIT = 500


def operator_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_platform_operator:
            return render(request, "web/forbidden.html", {
                "message": _("This page is for the platform's operators only.")}, status=403)
        return view(request, *args, **kwargs)

    return wrapper


@operator_required
def subscriptions(request):
    form = StatementFilter(request.GET or None)
    f = form.cleaned_data if form.is_valid() else {}
    export = request.GET.get("format") == "csv"
    rows = usage_statement(plan_id=f["plan"].pk if f.get("plan") else None, state=f.get("state", ""),
                           search=f.get("q", ""), renews_before=f.get("renews_before"),
                           limit=None if export else LIMIT)
    if export:
        response = HttpResponse(statement_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="usage-{timezone.localdate():%Y-%m-%d}.csv"'
        return response
    subscribed = {r.organisation_id for r in rows}
    return render(request, "billing/subscriptions.html", {
        "form": form, "rows": rows, "limit_reached": len(rows) >= LIMIT, "query": request.GET.urlencode(),
        "unsubscribed": Organisation.objects.exclude(subscription__isnull=False).exclude(pk__in=subscribed)
        .order_by("name")[:100]})


@operator_required
def plans(request):
    operator_form = OperatorForm(initial={"operator_organisation": operator_organisation()})
    return render(request, "billing/plans.html", {"plans": Plan.objects.all(), "form": PlanForm(),
                                                  "operator_form": operator_form})


@operator_required
def plan_edit(request, pk: int | None = None):
    plan = get_object_or_404(Plan, pk=pk) if pk else Plan()
    form = PlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        plan_save(by=request.user, plan=form.save(commit=False))
        messages.success(request, _("Plan “%(name)s” saved.") % {"name": plan.name})
        return redirect("billing:plans")
    return render(request, "billing/plan_edit.html", {"form": form, "plan": plan},
                  status=422 if request.method == "POST" else 200)


@require_POST
@operator_required
def operator_set(request):
    form = OperatorForm(request.POST)
    if form.is_valid():
        operator_organisation_set(by=request.user, organisation=form.cleaned_data["operator_organisation"])
        messages.success(request, _("Operator organisation saved."))
    return redirect("billing:plans")


@operator_required
def subscription_edit(request, organisation_id: int):
    organisation = get_object_or_404(Organisation, pk=organisation_id)
    subscription = selectors.subscription_of(organisation=organisation)
    initial = {"plan": subscription.plan, "state": subscription.state} if subscription else {}
    form = SubscriptionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            subscription_set(by=request.user, organisation=organisation, plan=form.cleaned_data["plan"],
                             state=form.cleaned_data["state"], anniversary=form.cleaned_data["anniversary"])
        except SubscriptionRefused as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, _("Subscription of %(org)s saved.") % {"org": organisation.name})
            return redirect("billing:subscriptions")
    return render(request, "billing/subscription_edit.html", {
        "form": form, "organisation": organisation, "subscription": subscription,
        "history": selectors.history(subscription) if subscription else []},
        status=422 if request.method == "POST" else 200)


@member_required()
def my_plan(request):
    """The company's plan: what it includes, what it does not and how to get it, the period's count."""
    subscription = selectors.subscription_of(organisation=request.member.organisation)
    context = {"subscription": subscription}
    if subscription is not None:
        usage = selectors.current_usage(subscription)
        plan = subscription.plan
        count = usage.count if usage else 0
        context.update(usage=usage, count=count, capabilities=selectors.capability_lines(subscription),
                       history=selectors.history(subscription, limit=20),
                       capacity=plan.included_invoices + subscription.tranche * plan.tranche_size)
    return render(request, "billing/my_plan.html", context)
