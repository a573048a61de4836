"""Settings of the outgoing webhooks (manage-settings right): the endpoints, their secret, a test event and
the delivery log of each, with the decision on failed or unknown deliveries."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from facturier.accounts.models import Right
from facturier.api import webhooks
from facturier.api.models import WebhookDeliveryState, WebhookEventType
from facturier.errors import FacturierError
from facturier.web.views.base import member_required

LOG_ROWS = 50


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(label=gettext_lazy("URL"), max_length=1000, assume_scheme="https",
                         help_text=gettext_lazy("An https:// address of your system that receives the events."))
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False,
                                  help_text=gettext_lazy("e.g. Accounting software"))
    events = forms.MultipleChoiceField(label=gettext_lazy("Events"), choices=WebhookEventType.choices,
                                       widget=forms.CheckboxSelectMultiple)
    enabled = forms.BooleanField(label=gettext_lazy("Enabled"), required=False, initial=True)

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("url", "description", "events", "enabled")}


def _initial(endpoint) -> dict:
    return {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events,
            "enabled": endpoint.enabled}


def _endpoint_or_404(request, pk: int):
    endpoint = webhooks.endpoint_of(organisation=request.member.organisation, endpoint_id=pk)
    if endpoint is None:
        raise Http404
    return endpoint


@member_required(Right.MANAGE_SETTINGS)
def webhook_list(request):
    """The organisation's endpoints; POST adds one (its secret is shown once, on the page that follows)."""
    organisation = request.member.organisation
    form = WebhookEndpointForm(request.POST or None, initial={"enabled": True})
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = webhooks.endpoint_create(by=request.member, **form.values())
        except FacturierError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, _("Webhook endpoint added."))
            return _detail(request, endpoint, secret=secret)
    return render(request, "web/settings/webhooks.html", {
        "endpoints": [(e, _labels(e)) for e in webhooks.endpoints(organisation=organisation)], "form": form,
    }, status=400 if form.errors else 200)


def _labels(endpoint) -> list[str]:
    return [str(label) for value, label in WebhookEventType.choices if value in endpoint.events]


def _detail(request, endpoint, *, form=None, secret: str = "", status: int = 200):
    log = list(webhooks.delivery_log(organisation=request.member.organisation, endpoint_id=endpoint.pk)[:LOG_ROWS])
    return render(request, "web/settings/webhook.html", {
        "endpoint": endpoint, "form": form or WebhookEndpointForm(initial=_initial(endpoint)), "secret": secret,
        "log": log, "decidable": (WebhookDeliveryState.FAILED, WebhookDeliveryState.UNKNOWN),
        "labels": _labels(endpoint)}, status=status)


@member_required(Right.MANAGE_SETTINGS)
def webhook_detail(request, pk: int):
    """An endpoint: its settings (POST saves them), its secret, a test event and its delivery log."""
    endpoint = _endpoint_or_404(request, pk)
    if request.method != "POST":
        return _detail(request, endpoint)
    form = WebhookEndpointForm(request.POST)
    if form.is_valid():
        try:
            webhooks.endpoint_update(by=request.member, endpoint_id=endpoint.pk, **form.values())
        except FacturierError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, _("Webhook endpoint saved."))
            return redirect("web:settings_webhook", pk=endpoint.pk)
    return _detail(request, endpoint, form=form, status=400)


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def webhook_test(request, pk: int):
    endpoint = _endpoint_or_404(request, pk)
    try:
        webhooks.webhook_send_test(by=request.member, endpoint_id=endpoint.pk)
    except FacturierError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Test event queued: it appears in the log below."))
    return redirect(reverse("web:settings_webhook", args=[endpoint.pk]) + "#log")


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def webhook_secret(request, pk: int):
    """Show the signing secret (or replace it, then show the new one)."""
    endpoint = _endpoint_or_404(request, pk)
    rotate = request.POST.get("action") == "rotate"
    secret = webhooks.endpoint_secret(by=request.member, endpoint_id=endpoint.pk, rotate=rotate)
    if rotate:
        messages.success(request, _("A new signing secret replaces the old one: update your receiver."))
    return _detail(request, endpoint, secret=secret)


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def webhook_decide(request, pk: int, delivery_id: int):
    endpoint = _endpoint_or_404(request, pk)
    resend = request.POST.get("action") != "done"
    try:
        webhooks.delivery_decide(by=request.member, delivery_id=delivery_id, resend=resend)
    except FacturierError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Queued to be sent again.") if resend else _("Marked done."))
    return redirect(reverse("web:settings_webhook", args=[endpoint.pk]) + "#log")
