"""The settings page of API keys (manage-settings right): create a key (its secret shown once), revoke one."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from facturier.accounts.models import Right
from facturier.api.keys import api_keys_of, key_create, key_revoke
from facturier.api.models import ApiKey, Scope
from facturier.errors import FacturierError
from facturier.web.views.base import member_required


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100,
                           help_text=gettext_lazy("What uses the key, e.g. “ERP” or “point of sale”."))
    scopes = forms.MultipleChoiceField(label=gettext_lazy("Scopes"), choices=Scope.choices,
                                       widget=forms.CheckboxSelectMultiple, initial=[Scope.READ])
    expires_on = forms.DateField(label=gettext_lazy("Expires on"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text=gettext_lazy("Empty: the key works until it is revoked."))


def _page(request, form=None, *, secret: str = "", created: ApiKey | None = None, status: int = 200):
    response = render(request, "api/settings_keys.html", {
        "form": form or ApiKeyForm(), "keys": api_keys_of(organisation=request.member.organisation),
        "secret": secret, "created": created, "now": timezone.now(),
        "api_base": request.build_absolute_uri("/api/v1/")}, status=status)
    if secret:
        response["Cache-Control"] = "no-store"  # the secret is shown once, never kept by a cache
    return response


@member_required(Right.MANAGE_SETTINGS)
def api_keys(request):
    return _page(request)


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def api_key_create(request):
    form = ApiKeyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        expires_at = None
        if data["expires_on"]:
            expires_at = timezone.make_aware(dt.datetime.combine(data["expires_on"], dt.time.max))
        try:
            key, secret = key_create(by=request.member, name=data["name"], scopes=data["scopes"],
                                     expires_at=expires_at)
        except FacturierError as e:
            form.add_error(None, e.message)
        else:
            return _page(request, secret=secret, created=key)
    return _page(request, form, status=422)


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def api_key_revoke(request, pk: int):
    try:
        key = key_revoke(by=request.member, key_id=pk)
    except ApiKey.DoesNotExist:
        from django.http import Http404

        raise Http404 from None
    messages.success(request, _("The key %(prefix)s… is revoked: it no longer works.") % {"prefix": key.prefix})
    return redirect(reverse("apikeys:list"))
