"""Settings screens of the export connectors: list, add, edit, test (step by step), enable or disable,
re-pin a host key, send a selection, and the history of transfers. Views only translate: every rule
is in `services` and `outbox`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from facturier.accounts.models import Right
from facturier.delivery.connectors import services
from facturier.delivery.connectors.forms import ConnectorForm, ExportForm
from facturier.delivery.connectors.models import Connector, ConnectorTransfer, TransferState
from facturier.delivery.connectors.outbox import transfer_decide
from facturier.delivery.connectors.transport import Step
from facturier.errors import FacturierError
from facturier.invoicing.models import Document, State
from facturier.web.views.base import member_required
from facturier.web.views.settings import _errors_into

HISTORY = 100


def _connector(request, pk) -> Connector:
    connector = Connector.objects.filter(organisation=request.member.organisation, pk=pk).first()
    if connector is None:
        raise Http404
    return connector


@member_required(Right.MANAGE_SETTINGS)
def connector_list(request):
    connectors = Connector.objects.filter(organisation=request.member.organisation).order_by("name")
    return render(request, "delivery/connectors/list.html", {"connectors": connectors})


@member_required(Right.MANAGE_SETTINGS)
def connector_edit(request, pk=None):
    connector = _connector(request, pk) if pk else None
    initial = ConnectorForm.initial_of(connector) if connector else {"kind": request.GET.get("kind", "sftp")}
    form = ConnectorForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.connector_save(by=request.member, connector_id=pk, **form.values())
        except ValidationError as e:
            _errors_into(form, e)
        except FacturierError as e:
            form.add_error(None, e.message)
        else:
            if request.POST.get("action") == "test":
                return _test(request, saved)
            messages.success(request, _("Connector saved."))
            if not saved.enabled:
                messages.info(request, _("Test the connection to enable it."))
            return redirect("web:settings_connector", pk=saved.pk)
    return render(request, "delivery/connectors/form.html", {"form": form, "connector": connector},
                  status=422 if form.errors else 200)


def _history(connector):
    return (ConnectorTransfer.objects.filter(connector=connector).select_related("document")
            .order_by("-id")[:HISTORY])


def _detail(request, connector, *, status=200, report=None, export_form=None):
    connector.refresh_from_db()
    steps = report.steps if report is not None else connector.test_steps
    return render(request, "delivery/connectors/detail.html", {
        "connector": connector, "transfers": _history(connector), "export_form": export_form or ExportForm(),
        "steps": [{**s, "label": Step.LABELS.get(s["step"], s["step"])} for s in steps or []],
        "just_tested": report is not None, "can_send": request.member.has_right(Right.SEND),
        "unknown_state": TransferState.UNKNOWN,
    }, status=status)


@member_required(Right.MANAGE_SETTINGS)
def connector_detail(request, pk):
    return _detail(request, _connector(request, pk))


def _test(request, connector):
    report = services.connector_test(by=request.member, connector_id=connector.pk)
    if report.ok:
        messages.success(request, _("Connection test passed: the connector is enabled."))
    else:
        messages.error(request, _("Connection test failed: the connector stays disabled."))
    return _detail(request, connector, status=200 if report.ok else 422, report=report)


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def connector_test_view(request, pk):
    return _test(request, _connector(request, pk))


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def connector_enable_view(request, pk):
    connector = _connector(request, pk)
    enabled = request.POST.get("enabled") == "1"
    try:
        services.connector_enable(by=request.member, connector_id=connector.pk, enabled=enabled)
    except FacturierError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Connector enabled.") if enabled else _("Connector disabled."))
    return redirect("web:settings_connector", pk=connector.pk)


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def connector_repin_view(request, pk):
    connector = _connector(request, pk)
    services.connector_repin(by=request.member, connector_id=connector.pk)
    messages.warning(request, _("The pinned host key was forgotten. Test the connection: it pins the key the "
                                "server presents now — check its fingerprint with the server's administrator."))
    return redirect("web:settings_connector", pk=connector.pk)


@require_POST
@member_required(Right.SEND)
def connector_export_view(request, pk):
    connector = _connector(request, pk)
    form = ExportForm(request.POST)
    if not form.is_valid():
        return _detail(request, connector, status=422, export_form=form)
    data = form.cleaned_data
    documents = Document.objects.filter(organisation=request.member.organisation).exclude(state=State.DRAFT)
    numbers = [n.strip() for n in (data.get("numbers") or "").splitlines() if n.strip()]
    if numbers:
        documents = documents.filter(number__in=numbers)
    if data.get("start"):
        documents = documents.filter(issue_date__gte=data["start"])
    if data.get("end"):
        documents = documents.filter(issue_date__lte=data["end"])
    ids = list(documents.order_by("issue_date", "id").values_list("pk", flat=True))
    try:
        queued, refused = services.connector_export(by=request.member, connector_id=connector.pk, document_ids=ids)
    except FacturierError as e:
        messages.error(request, e.message)
        return redirect("web:settings_connector", pk=connector.pk)
    messages.success(request, _("Documents queued for %(name)s: %(n)d.") % {"n": len(queued), "name": connector.name})
    for _pk, reason in refused[:20]:
        messages.warning(request, reason)
    return redirect(reverse("web:settings_connector", args=[connector.pk]) + "#history")


@require_POST
@member_required(Right.SEND)
def transfer_decide_view(request, pk, transfer_id):
    connector = _connector(request, pk)
    try:
        transfer_decide(by=request.member, transfer_id=transfer_id, resend=request.POST.get("decision") == "resend")
    except FacturierError as e:
        messages.error(request, e.message)
    return redirect(reverse("web:settings_connector", args=[connector.pk]) + "#history")
