"""The one place a document's delivery state changes, with its history line and audit event."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from facturier.audit.services import audit_record
from facturier.delivery.models import Delivery, DeliveryEvent, DeliveryState, OutboxMessage
from facturier.invoicing.models import Document


def delivery_mark(*, document: Document, state: DeliveryState, detail: str = "", recipient: str | None = None,
                  message: OutboxMessage | None = None, actor=None, delivery_id: int | None = None,
                  **fields) -> Delivery:
    """Record a new delivery state for a document; returns the delivery.

    One conditional UPDATE (the row lock of the write) when the document already has a delivery,
    an INSERT the first time; then the history line and the audit event, in the same transaction.
    """
    changes = {"state": state, "updated_at": timezone.now(), **fields}
    if recipient is not None:
        changes["recipient"] = recipient[:500]
    if message is not None:
        changes["last_message"] = message
    with transaction.atomic(savepoint=False):  # no savepoint: nothing catches a failure half-way
        rows = Delivery.objects.filter(pk=delivery_id) if delivery_id else Delivery.objects.filter(document=document)
        if not rows.update(**changes):
            delivery_id = Delivery.objects.create(organisation_id=document.organisation_id, document=document,
                                                  **changes).pk
        delivery = Delivery(document=document, **changes)
        delivery.pk = delivery_id or Delivery.objects.filter(document=document).values_list("pk", flat=True).get()
        DeliveryEvent.objects.create(delivery_id=delivery.pk, state=state, detail=str(detail)[:500], message=message)
        audit_record(actor=actor, organisation=document.organisation, subject=document,
                     action=f"delivery.{state}",
                     after={"state": str(state), "detail": str(detail)[:500],
                            **({"message_id": message.message_id} if message else {})})
    return delivery
