"""The platforms' status screens and the webhook the PA calls (one URL per connection)."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from facturier.accounts.models import Right
from facturier.errors import FacturierError
from facturier.platforms.submissions import WebhookDelivery
from facturier.web.views.base import member_required

log = logging.getLogger(__name__)

MAX_BODY = 256 * 1024
TOLERANCE_S = 300
"""A webhook signed longer ago (or later) than this is stale: refused (a replay kept for later)."""


def _problem(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"errorCode": str(status), "errorMessage": detail}, status=status)


def verify_signature(connection, headers, body: bytes):
    """pa-core's verifier (`facturier.platforms.webhooks`): signature (HMAC-SHA-256 with the connection's
    signing key), freshness, novelty (a signature already taken is a replay); raises a WebhookRefused."""
    from facturier.platforms import webhooks
    from facturier.platforms.models import secret_of

    def seen(signature: str) -> bool:
        return WebhookDelivery.objects.filter(organisation_id=connection.organisation_id,
                                              key=signature[:128]).exists()

    return webhooks.verify(body, headers, secret_of(connection, "webhook_secret"), seen=seen,
                           tolerance=TOLERANCE_S)


@csrf_exempt
@require_POST
def webhook(request, connection_id: int):
    """`POST` from the PA (Flow Service callback, body: a Flow): signature checked (Afnor-Signature, HMAC-SHA-256
    over the timestamped body), stale and replayed calls refused, the flow's CDAR fetched and applied by the
    worker. Answers at once; nothing heavy runs in the request."""
    from facturier.platforms.models import PlatformConnection

    if int(request.headers.get("Content-Length") or 0) > MAX_BODY:
        return _problem(413, "body too large")
    body = request.body
    if len(body) > MAX_BODY:
        return _problem(413, "body too large")
    connection = PlatformConnection.objects.filter(pk=connection_id).select_related("organisation").first()
    if connection is None:
        return _problem(404, "unknown connection")
    from facturier.platforms.webhooks import ReplayedEvent, WebhookRefused

    try:
        event = verify_signature(connection, request.headers, body)
    except ReplayedEvent as e:
        log.warning("replayed webhook for connection %s", connection_id)
        return _problem(409, str(e.message))
    except WebhookRefused as e:
        log.warning("webhook refused for connection %s: %s", connection_id, e.message)
        return _problem(401, str(e.message))
    flow = event.payload
    organisation = connection.organisation
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(organisation=organisation, key=event.signature[:128])
    except IntegrityError:
        return _problem(409, "replayed")
    flow_id = str(flow.get("flowId") or "")
    direction = flow.get("flowDirection", "In")
    lifecycle = flow.get("flowSyntax") == "CDAR" or str(flow.get("flowType", "")).endswith("LC")
    if flow_id and direction == "In" and lifecycle:
        from facturier.platforms.tasks import platform_status_apply_task

        organisation_id = organisation.pk
        transaction.on_commit(lambda: platform_status_apply_task.enqueue(organisation_id=organisation_id,
                                                                         flow_id=flow_id))
    return HttpResponse(status=200)


@require_POST
@member_required(Right.SEND)
def route_choose(request, customer_id: int):
    """The user's choice among a SIREN's directory lines (from a document's page)."""
    from facturier.platforms.routing import customer_route_choose

    back = request.POST.get("document")
    try:
        customer_route_choose(by=request.member, customer_id=customer_id, address=request.POST.get("address", ""))
        messages.success(request, _("The customer's invoices will go to %(address)s.") % {
            "address": request.POST.get("address", "")})
    except FacturierError as e:
        messages.error(request, e.message)
    if back and back.isdigit():
        return redirect("web:document", int(back))
    return redirect("web:dashboard")


@require_POST
@member_required(Right.SEND)
def poll_now(request, document_id: int):
    """Ask the platform now for the statuses not received yet (the worker searches; the page shows them)."""
    from facturier.platforms.tasks import platform_poll_task

    platform_poll_task.enqueue(organisation_id=request.member.organisation.pk)
    messages.success(request, _("The platform is being asked for new statuses: reload the page in a moment."))
    return redirect("web:document", document_id)
