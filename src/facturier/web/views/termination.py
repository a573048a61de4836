"""Leaving the platform: the owner terminates the organisation and downloads its archive export; the
platform operator can terminate any organisation (the service decides who may)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.accounts.models import Organisation, Role
from facturier.accounts.termination import export_path, organisation_terminate
from facturier.errors import FacturierError
from facturier.web.ranges import ranged_file_response
from facturier.web.views.base import member_required


class TerminationForm(forms.Form):
    confirm_name = forms.CharField(label=gettext_lazy("Type the organisation's name to confirm"), max_length=200)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


def _owner_only(request):
    if request.member.role != Role.OWNER:
        return render(request, "web/forbidden.html", {
            "message": _("Only an owner of %(org)s can terminate it or download its archive export.")
            % {"org": request.member.organisation.name}}, status=403)
    return None


@member_required()
def termination(request):
    refused = _owner_only(request)
    if refused:
        return refused
    organisation = request.member.organisation
    form = TerminationForm(request.POST or None)
    if request.method == "POST" and organisation.terminated is None and form.is_valid():
        try:
            organisation_terminate(organisation_id=organisation.pk, by=request.member,
                                   reason=form.cleaned_data["reason"], confirm_name=form.cleaned_data["confirm_name"])
        except FacturierError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("%(org)s is terminated. Its archive export is being prepared; the account "
                                        "stays readable during the grace period.") % {"org": organisation.name})
            return redirect("web:settings_termination")
    organisation = Organisation.objects.get(pk=organisation.pk)  # the termination as committed
    return render(request, "web/settings/termination.html", {
        "page": "termination", "form": form, "termination": organisation.terminated, "organisation": organisation})


@member_required()
def termination_export_download(request):
    refused = _owner_only(request)
    if refused:
        return refused
    termination = Organisation.objects.get(pk=request.member.organisation_id).terminated
    path = export_path(termination) if termination is not None else None
    if path is None or not path.exists():
        raise Http404
    return ranged_file_response(request, path, sha256=termination.export_sha256, filename=path.name)


def operator_terminate(request, pk: int):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.is_platform_operator:
        return render(request, "web/forbidden.html", {
            "message": _("This page is for the platform's operators only.")}, status=403)
    organisation = get_object_or_404(Organisation, pk=pk)
    form = TerminationForm(request.POST or None)
    if request.method == "POST" and organisation.terminated is None and form.is_valid():
        try:
            organisation_terminate(organisation_id=organisation.pk, operator=request.user,
                                   reason=form.cleaned_data["reason"], confirm_name=form.cleaned_data["confirm_name"])
        except FacturierError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("%(org)s is terminated.") % {"org": organisation.name})
            return redirect("web:operator_terminate", pk=organisation.pk)
    organisation = Organisation.objects.get(pk=organisation.pk)
    return render(request, "web/operator_terminate.html", {
        "form": form, "termination": organisation.terminated, "organisation": organisation})
