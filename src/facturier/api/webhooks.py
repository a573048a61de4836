"""Outgoing webhooks: an organisation's endpoints, their signing secrets, test events and the decisions
on deliveries (services write; the reads are the selectors at the end).

Where the events come from: `facturier.api.webhook_events` (the audit log, in the transaction of
each change). How they leave: `facturier.api.webhook_sender` (the outbox, signed, retried, once).
"""

from __future__ import annotations

import secrets as random

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Membership, Organisation, Right
from facturier.accounts.services import require_right
from facturier.api import webhook_sender
from facturier.api.models import WebhookDelivery, WebhookDeliveryState, WebhookEndpoint, WebhookEventType
from facturier.audit.services import audit_record
from facturier.engine import net
from facturier.errors import FacturierError
from facturier.secrets import open_secret, seal_secret

SECRET_PURPOSE = "webhook-secret"
MAX_ENDPOINTS = 20


class WebhookRefused(FacturierError):
    code = "webhook_refused"


class NothingToDecide(FacturierError):
    code = "nothing_to_decide"


def _purpose(endpoint_id: int) -> str:
    return f"{SECRET_PURPOSE}:{endpoint_id}"


def new_secret() -> str:
    return "whsec_" + random.token_urlsafe(32)


def endpoint_secret_of(endpoint: WebhookEndpoint) -> str:
    """The endpoint's signing secret in clear (for signing; never logged)."""
    return open_secret(bytes(endpoint.secret), purpose=_purpose(endpoint.pk)).decode()


def check_url(url: str) -> str:
    """Refuse a URL the sender would refuse: not https (http only where the operator allows private hosts),
    credentials in it, a host that does not resolve or resolves to a non-public address."""
    url = (url or "").strip()
    try:
        webhook_sender.resolve(url)
    except webhook_sender.Refused as e:
        raise WebhookRefused(_("%(reason)s"), reason=str(e))
    except net.HostNotFound:
        raise WebhookRefused(_("The host of this URL cannot be found (DNS). Check its spelling."))
    return url


def _events(events) -> list[str]:
    chosen = [e for e in WebhookEventType.values if e in set(events or ())]
    if not chosen:
        raise WebhookRefused(_("Choose at least one event to send."))
    return chosen


def endpoint_create(*, by: Membership, url: str, events, description: str = "",
                    enabled: bool = True) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret, returned in clear this once (stored encrypted)."""
    require_right(by, Right.MANAGE_SETTINGS)
    url, events = check_url(url), _events(events)
    if WebhookEndpoint.objects.filter(organisation=by.organisation).count() >= MAX_ENDPOINTS:
        raise WebhookRefused(_("An organisation has at most %(count)s webhook endpoints."), count=MAX_ENDPOINTS)
    secret = new_secret()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            organisation=by.organisation, url=url, events=events, description=description.strip()[:200],
            enabled=enabled, created_by=by.user, secret=b"")
        endpoint.secret = seal_secret(secret.encode(), purpose=_purpose(endpoint.pk))
        endpoint.save(update_fields=["secret"])
        audit_record(actor=by, subject=endpoint, action="webhook.create",
                     after={"url": url, "events": events, "enabled": enabled})
    return endpoint, secret


def _endpoint(by: Membership, endpoint_id: int, *, lock: bool = False) -> WebhookEndpoint:
    qs = WebhookEndpoint.objects.filter(organisation=by.organisation, pk=endpoint_id)
    if lock:
        qs = qs.select_for_update()
    endpoint = qs.first()
    if endpoint is None:
        raise WebhookRefused(_("This webhook endpoint does not exist."))
    return endpoint


def endpoint_update(*, by: Membership, endpoint_id: int, url: str, events, description: str = "",
                    enabled: bool = True) -> WebhookEndpoint:
    """Change an endpoint; enabling it again clears its failures and sends what waited meanwhile."""
    require_right(by, Right.MANAGE_SETTINGS)
    url, events = check_url(url), _events(events)
    with transaction.atomic():
        endpoint = _endpoint(by, endpoint_id, lock=True)
        before = {"url": endpoint.url, "events": endpoint.events, "enabled": endpoint.enabled}
        reenabled = enabled and not endpoint.enabled
        endpoint.url, endpoint.events, endpoint.enabled = url, events, enabled
        endpoint.description = description.strip()[:200]
        if enabled:
            endpoint.disabled_reason, endpoint.consecutive_failures = "", 0
        elif not endpoint.disabled_reason or before["enabled"]:
            endpoint.disabled_reason = str(_("Disabled by %(who)s.") % {"who": by.user})
        endpoint.save()
        audit_record(actor=by, subject=endpoint, action="webhook.update", before=before,
                     after={"url": url, "events": events, "enabled": enabled})
        if reenabled:
            from facturier.api.webhook_events import enqueue_flush

            transaction.on_commit(lambda: enqueue_flush(endpoint.organisation_id))
    return endpoint


def endpoint_secret(*, by: Membership, endpoint_id: int, rotate: bool = False) -> str:
    """Show (or replace) an endpoint's signing secret to a settings manager; recorded in the audit log."""
    require_right(by, Right.MANAGE_SETTINGS)
    with transaction.atomic():
        endpoint = _endpoint(by, endpoint_id, lock=rotate)
        if rotate:
            secret = new_secret()
            endpoint.secret = seal_secret(secret.encode(), purpose=_purpose(endpoint.pk))
            endpoint.save(update_fields=["secret", "updated_at"])
        else:
            secret = endpoint_secret_of(endpoint)
        audit_record(actor=by, subject=endpoint, action="webhook.secret_rotate" if rotate else "webhook.secret_reveal",
                     after={"url": endpoint.url})
    return secret


def webhook_send_test(*, by: Membership, endpoint_id: int) -> WebhookDelivery:
    """Queue a `webhook.test` event for one enabled endpoint; it shows in the endpoint's delivery log."""
    require_right(by, Right.MANAGE_SETTINGS)
    from facturier.api.webhook_events import test_event

    with transaction.atomic():
        endpoint = _endpoint(by, endpoint_id)
        if not endpoint.enabled:
            raise WebhookRefused(_("Enable this endpoint before sending it a test event."))
        return test_event(endpoint)


def delivery_decide(*, by: Membership, delivery_id: int, resend: bool) -> WebhookDelivery:
    """A member's decision on a delivery that failed or whose outcome is unknown: send it again (with a fresh
    series of attempts), or record it as done (they checked that the receiver has it)."""
    require_right(by, Right.MANAGE_SETTINGS)
    S = WebhookDeliveryState
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update().filter(
            pk=delivery_id, organisation=by.organisation, state__in=(S.UNKNOWN, S.FAILED)).first())
        if delivery is None:
            raise NothingToDecide(_("This delivery is not waiting for a decision: it was sent, or someone "
                                    "already decided."))
        if resend:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                state=S.PENDING, attempts=0, next_attempt_at=timezone.now(), claimed_by="",
                transfer_started_at=None)
            from facturier.api.webhook_events import enqueue_flush

            transaction.on_commit(lambda: enqueue_flush(delivery.organisation_id))
        else:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(state=S.DONE)
        audit_record(actor=by, subject=delivery.endpoint, action="webhook.resend" if resend else "webhook.mark_done",
                     after={"event": delivery.event.uid, "from": delivery.state})
        delivery.refresh_from_db()
    return delivery


# --- selectors ------------------------------------------------------------------------------------


def endpoints(*, organisation: Organisation) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(organisation=organisation).order_by("id")


def endpoint_of(*, organisation: Organisation, endpoint_id: int) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(organisation=organisation, pk=endpoint_id).first()


def delivery_log(*, organisation: Organisation, endpoint_id: int) -> QuerySet[WebhookDelivery]:
    return (WebhookDelivery.objects.filter(organisation=organisation, endpoint_id=endpoint_id)
            .select_related("event").order_by("-id"))
