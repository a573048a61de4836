"""The Chorus Pro settings screen (account, connection test step by step) and the decision on a deposit
whose outcome is unknown. Views only translate: the rules are in `services` and `outbox`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from facturier.accounts.models import Right
from facturier.errors import FacturierError
from facturier.platforms.chorus import services
from facturier.platforms.chorus.client import Step
from facturier.platforms.chorus.forms import ChorusAccountForm
from facturier.platforms.chorus.models import ChorusSubmission
from facturier.platforms.chorus.outbox import submission_decide, submission_refresh
from facturier.web.views.base import member_required
from facturier.web.views.settings import _errors_into


def _page(request, form, *, steps=None, status=200):
    account = services.account_of(request.member.organisation)
    shown = steps if steps is not None else (account.test_steps if account else [])
    from facturier.parties.models import Customer

    buyers = list(Customer.objects.filter(organisation=request.member.organisation, is_public_sector=True,
                                          is_archived=False).select_related("chorus_rules").order_by("code"))
    return render(request, "chorus/settings.html", {
        "form": form, "account": account, "just_tested": steps is not None, "buyers": buyers,
        "steps": [{**s, "label": Step.LABELS.get(s["step"], s["step"])} for s in shown or []],
    }, status=status)


@member_required(Right.MANAGE_SETTINGS)
def chorus_settings(request):
    account = services.account_of(request.member.organisation)
    form = ChorusAccountForm(request.POST or None, initial=ChorusAccountForm.initial_of(account))
    if request.method == "POST" and form.is_valid():
        try:
            services.account_save(by=request.member, **form.values())
        except ValidationError as e:
            _errors_into(form, e)
        except FacturierError as e:
            form.add_error(None, e.message)
        else:
            if request.POST.get("action") == "test":
                return _test(request)
            messages.success(request, _("Chorus Pro account saved. Test the connection to enable it."))
            return redirect("web:settings_chorus")
    return _page(request, form, status=422 if form.errors else 200)


def _test(request):
    try:
        steps = services.account_test(by=request.member)
    except FacturierError as e:
        messages.error(request, e.message)
        return redirect("web:settings_chorus")
    ok = all(s["ok"] for s in steps)
    if ok:
        messages.success(request, _("Connection test passed: Chorus Pro is enabled."))
    else:
        messages.error(request, _("Connection test failed: Chorus Pro stays disabled."))
    account = services.account_of(request.member.organisation)
    return _page(request, ChorusAccountForm(initial=ChorusAccountForm.initial_of(account)), steps=steps,
                 status=200 if ok else 422)


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def chorus_test(request):
    return _test(request)


@require_POST
@member_required(Right.SEND)
def chorus_decide(request, pk):
    submission = ChorusSubmission.objects.filter(organisation=request.member.organisation, pk=pk).first()
    if submission is None:
        raise Http404
    try:
        submission_decide(by=request.member, submission_id=pk, resend=request.POST.get("decision") == "resend")
    except FacturierError as e:
        messages.error(request, e.message)
    return redirect("web:document", submission.document_id)


@require_POST
@member_required()
def chorus_refresh(request, pk):
    submission = ChorusSubmission.objects.filter(organisation=request.member.organisation, pk=pk).first()
    if submission is None:
        raise Http404
    try:
        submission = submission_refresh(by=request.member, submission_id=pk)
    except FacturierError as e:
        messages.error(request, e.message)
    else:
        if submission.status:
            messages.info(request, _("Chorus Pro status: %(status)s") % {"status": submission.get_status_display()})
    return redirect("web:document", submission.document_id)


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def chorus_buyer(request, customer_id):
    try:
        rules = services.buyer_rules_save(by=request.member, customer_id=customer_id,
                                          service_code_required=request.POST.get("service_code_required") == "1",
                                          engagement_required=request.POST.get("engagement_required") == "1")
    except FacturierError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Chorus Pro rules of %(customer)s saved.") % {"customer": rules.customer.name})
    return redirect(reverse("web:settings_chorus") + "#buyers")


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def chorus_buyer_fetch(request, customer_id):
    try:
        rules = services.buyer_rules_fetch(by=request.member, customer_id=customer_id)
    except FacturierError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Chorus Pro rules of %(customer)s read from Chorus Pro.") % {
            "customer": rules.customer.name})
    if request.POST.get("back") == "customer":
        return redirect(reverse("web:customer", args=[customer_id]) + "#chorus-buyer")
    return redirect(reverse("web:settings_chorus") + "#buyers")
