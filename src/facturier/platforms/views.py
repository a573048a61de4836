"""Settings → Approved platform: the organisation's connections (one by default, others per SIREN/SIRET of
a group), their form, and the connection test naming the failing step. Settings managers only; views
only translate: the rules are in `services`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from facturier.accounts.models import Right
from facturier.errors import FacturierError
from facturier.platforms import selectors, services
from facturier.platforms.client import Step
from facturier.platforms.forms import ConnectionForm
from facturier.web.views.base import member_required
from facturier.web.views.settings import _errors_into


def _connection(request, pk):
    connection = selectors.connection_of(request.member.organisation, pk)
    if connection is None:
        raise Http404
    return connection


def _steps(steps):
    return [{**s, "label": Step.LABELS.get(s["step"], s["step"])} for s in steps or []]


@member_required(Right.MANAGE_SETTINGS)
def connection_list(request):
    connections = selectors.connections_of(request.member.organisation)
    return render(request, "platforms/list.html", {
        "connections": [(c, _steps(c.test_steps)) for c in connections],
        "platforms": selectors.platforms_offered()})


@member_required(Right.MANAGE_SETTINGS)
def connection_edit(request, pk=None):
    connection = _connection(request, pk) if pk else None
    form = ConnectionForm(request.POST or None, initial=ConnectionForm.initial_of(connection) if connection else None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.connection_save(by=request.member, connection_id=pk, **form.values())
        except ValidationError as e:
            _errors_into(form, e)
        except FacturierError as e:
            form.add_error(None, e.message)
        else:
            if request.POST.get("action") == "test":
                return _test(request, saved)
            messages.success(request, _("Connection saved. Test it to check the platform accepts it."))
            return redirect("web:settings_platform")
    return render(request, "platforms/form.html", {"form": form, "connection": connection},
                  status=422 if form.errors else 200)


def _test(request, connection):
    report = services.connection_test(by=request.member, connection_id=connection.pk)
    if report.ok:
        messages.success(request, _("Connection test passed."))
    else:
        messages.error(request, _("Connection test failed: %(reason)s") % {"reason": report.message})
    connection.refresh_from_db()
    return render(request, "platforms/list.html", {
        "connections": [(c, _steps(c.test_steps)) for c in selectors.connections_of(request.member.organisation)],
        "platforms": selectors.platforms_offered(), "just_tested": connection.pk}, status=200 if report.ok else 422)


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def connection_test_view(request, pk):
    return _test(request, _connection(request, pk))


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def webhook_register_view(request, pk):
    connection = _connection(request, pk)
    try:
        connection = services.webhook_register(by=request.member, connection_id=connection.pk)
    except FacturierError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Webhook registered: the platform will call %(url)s with each status, signed "
                                    "(webhook %(id)s).") % {"url": services.webhook_callback_url(connection),
                                                            "id": connection.webhook_id})
    return redirect("web:settings_platform")


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def connection_delete_view(request, pk):
    connection = _connection(request, pk)
    services.connection_delete(by=request.member, connection_id=connection.pk)
    messages.success(request, _("Connection removed."))
    return redirect("web:settings_platform")
