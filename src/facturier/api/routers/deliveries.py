"""Deliveries: send an issued document through its customer's channel, read its delivery state."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from ninja import Router, Status

from facturier.api.context import acting
from facturier.api.models import Scope
from facturier.api.problems import problem
from facturier.api.schemas import DeliveryOut, Problem, SendIn
from facturier.delivery.models import DeliveryState
from facturier.delivery.selectors import delivery_history, delivery_state_of
from facturier.delivery.services import send_documents
from facturier.invoicing.selectors import document_get

router = Router(tags=["deliveries"])
REFUSAL_STATUS = {"not_found": 404}


def delivery_out(organisation, document_id: int, warnings: list[str] = ()) -> dict:
    delivery = delivery_state_of(organisation=organisation, document_id=document_id)
    return {
        "document_id": document_id, "state": delivery.state if delivery else None,
        "state_label": str(DeliveryState(delivery.state).label) if delivery else str(_("Not sent")),
        "recipient": delivery.recipient if delivery else "", "updated_at": delivery.updated_at if delivery else None,
        "history": [{"at": e.at, "state": e.state, "label": str(DeliveryState(e.state).label), "detail": e.detail}
                    for e in delivery_history(organisation=organisation, document_id=document_id)],
        "warnings": list(warnings),
    }


@router.post("/documents/{int:document_id}/send", response={202: DeliveryOut, 404: Problem, 422: Problem},
             summary="Send a document to its customer",
             description="Queued at once and sent by the worker (202). Refused with the reason (422, `code`: "
                         "draft, refused, channel, no_email, in_progress, unknown, duplicate) when it cannot go.")
def send(request, document_id: int, payload: SendIn | None = None):
    by = acting(request, Scope.SEND)
    document_get(organisation=by.organisation, pk=document_id)  # 404 outside the organisation
    result = send_documents(by=by, document_ids=[document_id],
                            allow_duplicates=bool(payload and payload.allow_duplicates))
    if result.refused:
        refusal = result.refused[0]
        return problem(request, REFUSAL_STATUS.get(refusal.code, 422), code=refusal.code, detail=refusal.reason)
    return Status(202, delivery_out(by.organisation, document_id, [w.reason for w in result.warnings]))


@router.get("/documents/{int:document_id}/delivery", response=DeliveryOut, summary="A document's delivery state")
def delivery(request, document_id: int):
    by = acting(request, Scope.READ)
    document_get(organisation=by.organisation, pk=document_id)
    return delivery_out(by.organisation, document_id)
