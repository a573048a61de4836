"""Which webhook events a change makes: derived from ONE place, the audit log.

Every change of a document that matters to a receiver is already recorded as an audit event, in
the transaction of the change (`audit.services.audit_record`): issuing (`document.issue`),
payments (`payment.record`, `payment.cancel`), credit notes (`document.credit`), write-offs
(`document.write_off`) and every delivery state (`delivery.<state>`, written by
`delivery.history.delivery_mark`, the one place a delivery state changes). A `post_save` receiver
on `audit.models.Event` (as the archive chains them) turns each into webhook events and one
outbox row per subscribed endpoint, in that same transaction: a change rolled back leaves no
event, a change committed cannot lose its event; the flush is queued on commit.

The rules (`event_types`), on audit events whose subject is a document:
- `document.issue` → `document.issued`;
- `delivery.sent` and `delivery.by_post` → `document.delivered`; `delivery.bounced` → `document.bounced`;
- any `delivery.<state>` → `document.status_changed` (what changed: the delivery state);
- any event whose `before`/`after` carry different document states → `document.status_changed`
  (what changed: the document state); one whose new state is "paid" → `document.paid`;
- `payment.record` leaving the document partially paid → `document.partially_paid`.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone

from facturier.api.models import (
    WEBHOOK_TEST_EVENT,
    WebhookDelivery,
    WebhookDeliveryState,
    WebhookEndpoint,
    WebhookEvent,
    WebhookEventType,
)
from facturier.audit.models import Event
from facturier.config.rows import any_row

DOCUMENT_SUBJECT = "invoicing.document"
DELIVERED_STATES = ("sent", "by_post")
BOUNCED_STATES = ("bounced",)
E = WebhookEventType
DOCUMENT_FIELDS = ("id", "organisation_id", "number", "kind", "state", "currency", "issue_date", "due_date",
                   "customer_id", "tax_exclusive", "tax_total", "tax_inclusive", "payable", "paid_amount",
                   "credited_amount", "written_off_amount", "amount_due", "customer__code", "customer__name",
                   "organisation__slug", "organisation__name")


def _delivery_states() -> tuple[str, ...]:
    if not apps.is_installed("facturier.delivery"):
        return ()
    from facturier.delivery.models import DeliveryState

    return tuple(DeliveryState.values)


def event_types(event: Event) -> list[tuple[str, dict]]:
    """The webhook events an audit event makes, each with what changed ([] for most audit events)."""
    if event.subject_type != DOCUMENT_SUBJECT:
        return []
    action = event.action
    found: list[tuple[str, dict]] = []
    if action.startswith("delivery."):
        state = action.removeprefix("delivery.")
        if state not in _delivery_states():
            return []  # e.g. delivery.late_bounce, delivery.duplicate_confirmed: no state changed
        change = {"action": action, "what": "delivery", "to": state}
        if state in DELIVERED_STATES:
            found.append((E.DOCUMENT_DELIVERED, change))
        if state in BOUNCED_STATES:
            found.append((E.DOCUMENT_BOUNCED, change))
        found.append((E.DOCUMENT_STATUS_CHANGED, change))
        return found
    before = (event.before or {}).get("state") if isinstance(event.before, dict) else None
    after = (event.after or {}).get("state") if isinstance(event.after, dict) else None
    change = {"action": action, "what": "document", "from": before, "to": after}
    if action in ("document.issue", "document.import"):  # an imported document arrives issued
        found.append((E.DOCUMENT_ISSUED, change))
    if before and after and before != after:
        if after == "paid":
            found.append((E.DOCUMENT_PAID, change))
        found.append((E.DOCUMENT_STATUS_CHANGED, change))
    if action == "payment.record" and after == "partially_paid":
        found.append((E.DOCUMENT_PARTIALLY_PAID, change))
    return found


def _money(value) -> str | None:
    return None if value is None else str(Decimal(value))


def document_data(document) -> dict:
    """What every document event says of its document (amounts as decimal strings)."""
    return {
        "id": document.pk, "number": document.number, "kind": document.kind, "state": document.state,
        "currency": document.currency,
        "issue_date": document.issue_date.isoformat() if document.issue_date else None,
        "due_date": document.due_date.isoformat() if document.due_date else None,
        "customer": {"id": document.customer_id, "code": document.customer.code, "name": document.customer.name},
        "amounts": {name: _money(getattr(document, field)) for name, field in (
            ("tax_exclusive", "tax_exclusive"), ("tax", "tax_total"), ("tax_inclusive", "tax_inclusive"),
            ("payable", "payable"), ("paid", "paid_amount"), ("credited", "credited_amount"),
            ("written_off", "written_off_amount"), ("due", "amount_due"))},
    }


def delivery_data(document_id: int) -> dict | None:
    if not apps.is_installed("facturier.delivery"):
        return None
    from facturier.delivery.models import Delivery

    for state, recipient, updated in Delivery.objects.filter(document_id=document_id).order_by().values_list(
            "state", "recipient", "updated_at")[:1]:
        return {"state": state, "recipient": recipient, "updated": updated}
    return None


def _previous_delivery_state(document_id: int) -> str | None:
    from facturier.delivery.models import DeliveryEvent

    states = list(DeliveryEvent.objects.filter(delivery__document_id=document_id).order_by("-id")
                  .values_list("state", flat=True)[:2])
    return states[1] if len(states) == 2 else None


def body_of(*, uid: str, type: str, created, organisation, data: dict) -> str:
    """The JSON body (fixed once: every attempt and every endpoint gets the same bytes)."""
    return json.dumps({"id": uid, "type": type, "created": created,
                       "organisation": {"id": organisation.pk, "slug": organisation.slug, "name": organisation.name},
                       "data": data}, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def new_uid() -> str:
    return f"evt_{uuid.uuid4().hex}"


def _subscribed(organisation_id: int, types: set[str]) -> dict[str, list[int]]:
    """{event type: [endpoint ids]} of the organisation's enabled endpoints subscribed to these types."""
    found: dict[str, list[int]] = {}
    if not any_row(WebhookEndpoint, organisation_id=organisation_id, enabled=True):
        return found  # most organisations: no endpoint, and no query to compile
    for pk, events in WebhookEndpoint.objects.filter(organisation_id=organisation_id, enabled=True).values_list(
            "pk", "events"):
        for kind in types.intersection(events or ()):
            found.setdefault(kind, []).append(pk)
    return found


def record_events(event: Event) -> list[WebhookEvent]:
    """Turn one audit event into webhook events and their outbox rows (in the caller's transaction)."""
    kinds = event_types(event)
    if not kinds or event.organisation_id is None:
        return []
    endpoints = _subscribed(event.organisation_id, {k for k, _change in kinds})
    if not endpoints:
        return []
    from facturier.invoicing.models import Document

    found = list(Document.objects.select_related("customer", "organisation").only(*DOCUMENT_FIELDS)
                 .filter(pk=int(event.subject_id), organisation_id=event.organisation_id).order_by()[:1])
    if not found:
        return []
    document = found[0]
    delivery = delivery_data(document.pk)
    made = []
    for kind, what in kinds:
        if kind not in endpoints:
            continue
        change = dict(what)
        if change["what"] == "delivery":
            change["from"] = _previous_delivery_state(document.pk)
        uid, created = new_uid(), timezone.now()
        data = {"document": document_data(document), "delivery": delivery, "change": change}
        webhook_event = WebhookEvent.objects.create(
            organisation_id=event.organisation_id, uid=uid, type=kind, created_at=created,
            audit_event_id=event.pk, document_id=document.pk,
            body=body_of(uid=uid, type=kind, created=created, organisation=document.organisation, data=data))
        WebhookDelivery.objects.bulk_create([
            WebhookDelivery(organisation_id=event.organisation_id, endpoint_id=pk, event=webhook_event,
                            state=WebhookDeliveryState.PENDING, next_attempt_at=created)
            for pk in endpoints[kind]])
        made.append(webhook_event)
    if made:
        flush_on_commit(event.organisation_id)
    return made


def test_event(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.test` event for one endpoint, queued like any other (the caller's transaction)."""
    uid, created = new_uid(), timezone.now()
    webhook_event = WebhookEvent.objects.create(
        organisation_id=endpoint.organisation_id, uid=uid, type=WEBHOOK_TEST_EVENT, created_at=created,
        body=body_of(uid=uid, type=WEBHOOK_TEST_EVENT, created=created, organisation=endpoint.organisation,
                     data={"endpoint": {"id": endpoint.pk, "url": endpoint.url}}))
    delivery = WebhookDelivery.objects.create(organisation_id=endpoint.organisation_id, endpoint=endpoint,
                                              event=webhook_event, next_attempt_at=created)
    flush_on_commit(endpoint.organisation_id)
    return delivery


def flush_on_commit(organisation_id: int) -> None:
    """Queue the organisation's flush when the transaction commits — once per transaction, however many
    events it made (a batch of a thousand issues queues one flush)."""
    from django.db import connection

    if connection.in_atomic_block:
        for entry in connection.run_on_commit:
            if getattr(entry[1], "webhooks_flush_of", None) == organisation_id:
                return

    def flush() -> None:
        enqueue_flush(organisation_id)

    flush.webhooks_flush_of = organisation_id
    transaction.on_commit(flush)


def enqueue_flush(organisation_id: int) -> None:
    from facturier.api.webhook_tasks import webhooks_flush_task

    webhooks_flush_task.enqueue(organisation_id=organisation_id)


def _on_audit_event(sender, instance: Event, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        record_events(instance)


def connect() -> None:
    post_save.connect(_on_audit_event, sender=Event, dispatch_uid="api-webhook-events")
