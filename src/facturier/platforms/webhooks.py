"""Webhook events from an approved platform: the signature check the receiving endpoint uses.

The Flow Service file (createWebhook) describes the scheme: at each event the platform computes a SHA-256
fingerprint of the JSON payload as sent, "@", and the epoch time in seconds; then an HMAC (SHA-256, the
`Afnor-Signature` header is "The HMAC-SHA-256 signature payload") of that fingerprint with the signing key
returned at the webhook's creation (base64 in `signingKey`); the signature travels base64-encoded in
`Afnor-Signature`, the time in `Afnor-Signature-Timestamp`.

The file does not say whether the HMAC covers the fingerprint's hexadecimal text or its 32 raw bytes:
`sign` (the simulator's) uses the hexadecimal text; `verify` accepts either, so a platform that chose the
raw bytes is understood too. The key is the decoded `signingKey` bytes.

`verify` also refuses a stale event (timestamp further than `tolerance` seconds from now, either way) and a
replayed one (the same signature seen before: the caller gives `seen`, which records a signature and says
whether it was already recorded — the endpoint keeps them in its database for longer than `tolerance`).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from facturier.errors import FacturierError
from facturier.platforms.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, matches, sign

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "BadSignature", "MemoryReplayGuard", "ReplayedEvent",
           "StaleEvent", "VerifiedEvent", "WebhookRefused", "sign", "verify"]

DEFAULT_TOLERANCE_SECONDS = 300


class WebhookRefused(FacturierError):
    code = "webhook_refused"
    reason = "refused"


class BadSignature(WebhookRefused):
    code = "webhook_bad_signature"
    reason = "bad_signature"


class StaleEvent(WebhookRefused):
    code = "webhook_stale"
    reason = "stale"


class ReplayedEvent(WebhookRefused):
    code = "webhook_replayed"
    reason = "replayed"


@dataclass(frozen=True, slots=True)
class VerifiedEvent:
    payload: dict
    """The Flow object the event carries (flowId, flowType, acknowledgement…)."""
    timestamp: int
    signature: str


def verify(body: bytes, headers, key: bytes, *, seen: Callable[[str], bool] | None = None,
           tolerance: int = DEFAULT_TOLERANCE_SECONDS, now: float | None = None) -> VerifiedEvent:
    """Check an event's signature, freshness and novelty; return its payload or raise a WebhookRefused
    (BadSignature, StaleEvent, ReplayedEvent). `headers` is any case-insensitive mapping (Django's
    request.headers, httpx's)."""
    signature = (headers.get(SIGNATURE_HEADER) or "").strip()
    stamp = (headers.get(TIMESTAMP_HEADER) or "").strip()
    if not key:
        raise BadSignature(_("No webhook signing key is stored for this connection: the event cannot be checked."))
    if not signature or not stamp:
        raise BadSignature(_("The event carries no signature."))
    try:
        timestamp = int(stamp)
        given = base64.b64decode(signature, validate=True)
    except (ValueError, binascii.Error):
        raise BadSignature(_("The event's signature or time cannot be read.")) from None
    if not matches(body, timestamp, key, given):
        raise BadSignature(_("The event's signature does not match: it was not sent by the platform, or the "
                             "signing key changed."))
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise StaleEvent(_("The event is too old (or dated in the future): refused."))
    if seen is not None and seen(signature):
        raise ReplayedEvent(_("This event was already received: a replay is refused."))
    try:
        payload = json.loads(body)
    except ValueError:
        raise BadSignature(_("The event's body is not JSON.")) from None
    if not isinstance(payload, dict):
        raise BadSignature(_("The event's body is not a flow."))
    return VerifiedEvent(payload=payload, timestamp=timestamp, signature=signature)


class MemoryReplayGuard:
    """`seen` for one process (tests, a single receiver): remembers signatures for `keep` seconds."""

    def __init__(self, keep: int = 2 * DEFAULT_TOLERANCE_SECONDS):
        self.keep = keep
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(self, signature: str) -> bool:
        now = time.monotonic()
        with self._lock:
            for old in [s for s, t in self._seen.items() if now - t > self.keep]:
                del self._seen[old]
            if signature in self._seen:
                return True
            self._seen[signature] = now
            return False
