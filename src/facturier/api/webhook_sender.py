"""The webhooks' outbox worker: signs and POSTs each due delivery, through the SSRF guard, once.

Each row is claimed by this worker with a conditional update (pending → sending, committed), the
connection is opened (TCP, TLS) to the addresses checked by `engine.net` (private ones only when the
operator allows them), and "the request is on its way" is committed (`leases.transfer_begins`)
just before the first byte of the request. A worker that dies before that mark leaves its row to
recovery, which gives it back to pending (the receiver got nothing); after it, the receiver may
have had the request: recovery leaves the row "unknown" and a member decides (resend, or mark
done) — it is never repeated blindly.

A live worker classifies the answer: 2xx delivered; 408, 429, 5xx, a timeout or a lost connection
are retried with exponential backoff (receivers deduplicate on `Facturier-Event-Id`); any other
answer (3xx included: redirects are not followed) fails at once. After `MAX_ATTEMPTS` the row
fails. An endpoint that fails `disable_after()` attempts in a row is disabled, with the reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import logging
import ssl
import time
import urllib.parse
from contextlib import suppress
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from facturier.api.models import WebhookDelivery, WebhookDeliveryState, WebhookEndpoint
from facturier.config import leases
from facturier.engine import net
from facturier.errors import FacturierError

log = logging.getLogger(__name__)

BACKOFF = (dt.timedelta(seconds=30), dt.timedelta(minutes=2), dt.timedelta(minutes=10), dt.timedelta(hours=1),
           dt.timedelta(hours=6))
MAX_ATTEMPTS = len(BACKOFF) + 1
RESPONSE_CAP = 64 * 1024
"""At most this much of an answer is read; the rest is dropped with the connection."""
EXCERPT = 500
MAX_RETRY_AFTER = dt.timedelta(hours=24)
SIGNATURE_HEADER = "Facturier-Signature"
TOLERANCE_SECONDS = 300
USER_AGENT = "Facturier-Webhooks/1"
S = WebhookDeliveryState


def timeout() -> float:
    return float(getattr(settings, "FACTURIER_WEBHOOK_TIMEOUT_SECONDS", 10))


def disable_after() -> int:
    return int(getattr(settings, "FACTURIER_WEBHOOK_DISABLE_AFTER", 15))


# --- signing --------------------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 (hex) of "{timestamp}.{body}" under the endpoint's secret."""
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = TOLERANCE_SECONDS,
           now: float | None = None) -> bool:
    """What a receiver does (see the README): the signature matches, and its timestamp is recent."""
    parts: dict[str, list[str]] = {}
    for item in (header or "").split(","):
        key, _sep, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))


# --- one request ----------------------------------------------------------------------------------


class Refused(Exception):  # noqa: N818 — an outcome, not a bug
    """The URL cannot be used (not http(s), private address without the operator's leave)."""


@dataclass(slots=True)
class Answer:
    """What became of one attempt."""

    outcome: str  # "delivered", "retry", "failed", or "abandoned" (the row is no longer this worker's)
    status: int | None = None
    excerpt: str = ""
    error: str = ""
    retry_after: dt.timedelta | None = None


def allow_private() -> bool:
    return bool(settings.FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS)


def url_parts(url: str) -> tuple[urllib.parse.SplitResult, int]:
    """The URL's parts and port; Refused unless https (or http where the operator allows private hosts)."""
    parts = urllib.parse.urlsplit(url or "")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused(_("The URL's port is not valid."))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(_("Give a full https:// URL."))
    if parts.scheme == "http" and not allow_private():
        raise Refused(_("Only https:// URLs are allowed: the events carry your invoices' data."))
    if parts.username or parts.password:
        raise Refused(_("The URL must not carry a user name or password."))
    return parts, port


def resolve(url: str) -> tuple[urllib.parse.SplitResult, net.Resolved]:
    """Check the URL and resolve its host by the platform's one SSRF rule (Refused or net errors)."""
    parts, port = url_parts(url)
    try:
        return parts, net.resolve_public(parts.hostname, port, allow_private=allow_private())
    except net.HostRefused as e:
        raise Refused(_("%(host)s resolves to a private, local or reserved address (%(address)s), which the "
                        "platform does not connect to unless the operator allows private hosts.") % {
            "host": e.host, "address": e.address})


def _context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.FACTURIER_OUTBOUND_CA_FILE:
        context.load_verify_locations(cafile=settings.FACTURIER_OUTBOUND_CA_FILE)
    return context


def _retry_after(response: http.client.HTTPResponse) -> dt.timedelta | None:
    value = (response.getheader("Retry-After") or "").strip()
    if value.isdigit():
        return min(dt.timedelta(seconds=int(value)), MAX_RETRY_AFTER)
    return None


def post(url: str, body: bytes, headers: dict[str, str], *, begins=lambda: True) -> Answer:
    """POST `body` to `url` through the SSRF guard; `begins()` is called once connected, just before the
    request leaves (False: abandon, nothing is sent). Never follows a redirect."""
    try:
        parts, resolved = resolve(url)
    except Refused as e:
        return Answer("failed", error=str(e))
    except net.HostNotFound as e:
        return Answer("retry", error=_("The receiver's name cannot be found (DNS): %(detail)s") % {
            "detail": e.detail or url})
    if parts.scheme == "https":
        connection = net.PinnedHTTPSConnection(resolved, timeout(), context=_context())
    else:
        connection = net.PinnedHTTPConnection(resolved, timeout())
    try:
        try:
            connection.connect()
        except ssl.SSLError as e:
            return Answer("retry", error=_("The secure connection failed (TLS): %(reason)s") % {"reason": e})
        except OSError as e:
            return Answer("retry", error=_("The receiver cannot be reached: %(reason)s") % {
                "reason": str(e) or e.__class__.__name__})
        if not begins():
            return Answer("abandoned")
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        try:
            connection.request("POST", target, body=body, headers={
                **headers, "Content-Type": "application/json", "User-Agent": USER_AGENT,
                "Host": parts.netloc.rpartition("@")[2]})
            response = connection.getresponse()
            data = response.read(RESPONSE_CAP)
        except TimeoutError:
            return Answer("retry", error=_("No answer within %(seconds)s seconds.") % {"seconds": timeout()})
        except (OSError, http.client.HTTPException) as e:
            return Answer("retry", error=_("The connection was lost: %(reason)s") % {
                "reason": str(e) or e.__class__.__name__})
    finally:
        connection.close()
    status = response.status
    excerpt = data.decode("utf-8", "replace")[:EXCERPT]
    if 200 <= status < 300:
        return Answer("delivered", status, excerpt)
    if status in (408, 429) or status >= 500:
        return Answer("retry", status, excerpt, _("The receiver answered %(status)s.") % {"status": status},
                      _retry_after(response))
    if 300 <= status < 400:
        return Answer("failed", status, excerpt, _("The receiver answered %(status)s (a redirect, which is not "
                                                   "followed): give the final URL.") % {"status": status})
    return Answer("failed", status, excerpt, _("The receiver refused the event (%(status)s).") % {"status": status})


# --- the outbox -----------------------------------------------------------------------------------


@dataclass(slots=True)
class FlushReport:
    delivered: int = 0
    rescheduled: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    retry_at: dt.datetime | None = None


def due(organisation_id: int, now: dt.datetime):
    return (WebhookDelivery.objects.filter(organisation_id=organisation_id, state=S.PENDING,
                                           next_attempt_at__lte=now, endpoint__enabled=True).order_by("id"))


def webhooks_flush(*, organisation_id: int, now: dt.datetime | None = None, limit: int | None = None) -> FlushReport:
    """POST every due delivery of the organisation (each claimed first: one worker sends it)."""
    now = now or timezone.now()
    report = FlushReport()
    secrets: dict[int, str] = {}
    ids = list(due(organisation_id, now).values_list("pk", flat=True)[:limit])
    for pk in ids:
        delivery = WebhookDelivery.objects.select_related("endpoint", "event").filter(pk=pk).first()
        if delivery is None or not delivery.endpoint.enabled:
            continue
        if not leases.claim(delivery, next_attempt_at__lte=now):
            continue  # another worker has it
        try:
            _record(delivery, _attempt(delivery, secrets), now=now, report=report)
        except BaseException:
            _release(delivery)
            raise
    _schedule_retry(organisation_id, report)
    return report


def _attempt(delivery: WebhookDelivery, secrets: dict[int, str]) -> Answer:
    """Sign and POST one claimed delivery."""
    from facturier.api.webhooks import endpoint_secret_of

    endpoint = delivery.endpoint
    if endpoint.pk not in secrets:
        try:
            secrets[endpoint.pk] = endpoint_secret_of(endpoint)
        except FacturierError as e:  # the master key changed: nothing can be signed until the secret is replaced
            return Answer("failed", error=e.message)
    body = delivery.event.body.encode()
    timestamp = int(time.time())
    headers = {SIGNATURE_HEADER: signature_header(secrets[endpoint.pk], timestamp, body),
               "Facturier-Event-Id": delivery.event.uid, "Facturier-Event-Type": delivery.event.type,
               "Facturier-Delivery-Id": str(delivery.pk)}
    return post(endpoint.url, body, headers, begins=lambda: leases.transfer_begins(delivery))


def _release(delivery: WebhookDelivery) -> None:
    """An unexpected error (or the worker stopping) with a delivery claimed: back to pending when its
    request had not begun, else "unknown" — the receiver may have it."""
    with suppress(Exception):  # noqa: BLE001 - already failing; recovery catches what this misses
        if delivery.transfer_started_at is None:
            leases.give_back(delivery)
        else:
            leases.finish(delivery, state=S.UNKNOWN, last_error=_(
                "Sending was interrupted after the request left: the receiver may have it. Check with the "
                "receiver, then send it again or mark it done."))


def _record(delivery: WebhookDelivery, answer: Answer, *, now: dt.datetime, report: FlushReport) -> None:
    if answer.outcome == "abandoned":
        return  # found dead and taken over: whoever holds it records it
    attempted = timezone.now()
    attempts = delivery.attempts + 1
    changes = {"attempts": attempts, "last_attempt_at": attempted, "last_status_code": answer.status,
               "response_excerpt": answer.excerpt, "last_error": answer.error[:1000]}
    if answer.outcome == "delivered":
        changes.update(state=S.DELIVERED, delivered_at=attempted, last_error="")
    elif answer.outcome == "retry" and attempts < MAX_ATTEMPTS:
        wait = max(BACKOFF[attempts - 1], answer.retry_after or dt.timedelta(0))
        changes.update(state=S.PENDING, next_attempt_at=now + wait)
    else:
        changes.update(state=S.FAILED)
    with transaction.atomic():
        if not leases.finish(delivery, **changes):
            return  # no longer this worker's
        endpoint = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
        if answer.outcome == "delivered":
            endpoint.filter(consecutive_failures__gt=0).update(consecutive_failures=0)
            report.delivered += 1
            return
        endpoint.update(consecutive_failures=F("consecutive_failures") + 1)
        _disable_if_failing(delivery.endpoint_id, answer.error)
    report.errors.append(answer.error)
    if changes["state"] == S.PENDING:
        report.rescheduled += 1
        report.retry_at = min(filter(None, (report.retry_at, changes["next_attempt_at"])))
    else:
        report.failed += 1


def _disable_if_failing(endpoint_id: int, error: str) -> None:
    from facturier.audit.services import audit_record

    limit = disable_after()
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, enabled=True, consecutive_failures__gte=limit).first()
    if endpoint is None:
        return
    reason = _("Disabled after %(count)s failed attempts in a row. Last error: %(error)s") % {
        "count": endpoint.consecutive_failures, "error": error}
    WebhookEndpoint.objects.filter(pk=endpoint_id, enabled=True).update(enabled=False, disabled_reason=reason[:500])
    audit_record(actor=None, organisation=endpoint.organisation, subject=endpoint, action="webhook.disabled",
                 after={"url": endpoint.url, "reason": reason[:300]})
    log.warning("webhook endpoint %s disabled after %s failures", endpoint_id, endpoint.consecutive_failures)


def _schedule_retry(organisation_id: int, report: FlushReport) -> None:
    if report.retry_at is None:
        return
    from django_tasks import default_task_backend

    from facturier.api.webhook_tasks import webhooks_flush_task

    if default_task_backend.supports_defer:
        webhooks_flush_task.using(run_after=report.retry_at).enqueue(organisation_id=organisation_id)


def webhooks_recovered(pending: list[int], unknown: list[int]) -> None:
    """After recovery (`config.leases`): the rows given back are flushed again; those whose request was
    on its way when their worker died say so, and wait for a member's decision."""
    from facturier.api.webhook_events import enqueue_flush

    reason = _("The worker stopped while this event was being sent: the receiver may have it. Check with "
               "the receiver, then send it again or mark it done.")
    WebhookDelivery.objects.filter(pk__in=unknown, state=S.UNKNOWN).update(last_error=reason)
    for organisation_id in set(WebhookDelivery.objects.filter(pk__in=pending).values_list("organisation_id",
                                                                                            flat=True)):
        enqueue_flush(organisation_id)
