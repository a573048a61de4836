"""Reads of the delivery app, always within one organisation."""

from __future__ import annotations

from django.db.models import QuerySet

from facturier.accounts.models import Organisation
from facturier.delivery.models import Delivery, DeliveryEvent, Notification, OutboxMessage, OutboxState


def delivery_state_of(*, organisation: Organisation, document_id: int) -> Delivery | None:
    return Delivery.objects.filter(organisation=organisation, document_id=document_id).first()


def delivery_history(*, organisation: Organisation, document_id: int) -> QuerySet[DeliveryEvent]:
    return (DeliveryEvent.objects.filter(delivery__organisation=organisation, delivery__document_id=document_id)
            .select_related("message").order_by("at", "id"))


def deliveries(*, organisation: Organisation, states: tuple[str, ...] = ()) -> QuerySet[Delivery]:
    qs = Delivery.objects.filter(organisation=organisation).select_related("document", "document__customer")
    if states:
        qs = qs.filter(state__in=states)
    return qs.order_by("-updated_at")


def outbox(*, organisation: Organisation, batch: str = "") -> QuerySet[OutboxMessage]:
    qs = OutboxMessage.objects.filter(organisation=organisation)
    if batch:
        qs = qs.filter(batch=batch)
    return qs.order_by("id")


def notifications(*, organisation: Organisation, unread_only: bool = True) -> QuerySet[Notification]:
    qs = Notification.objects.filter(organisation=organisation)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-at", "-id")


def undecided_message(*, organisation: Organisation, document_id: int) -> OutboxMessage | None:
    """The document's message whose outcome is unknown (its worker died, or the answer never came after
    the final dot), waiting for a member to decide: send it again, or mark it sent."""
    return OutboxMessage.objects.filter(organisation=organisation, document_id=document_id,
                                        state=OutboxState.UNKNOWN).order_by("-pk").first()
