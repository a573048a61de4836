"""The AFNOR webhook signature, Django-free (used by the simulator to sign and by `webhooks.verify` to check).
See `facturier.platforms.webhooks` for the scheme and the one point the Flow Service file leaves open."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

SIGNATURE_HEADER = "Afnor-Signature"
TIMESTAMP_HEADER = "Afnor-Signature-Timestamp"


def fingerprint(body: bytes, timestamp: int | str) -> bytes:
    """SHA-256 of the payload as sent, "@", and the epoch time in seconds."""
    return hashlib.sha256(body + b"@" + str(timestamp).encode()).digest()


def sign(body: bytes, key: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """The two headers a platform sends with an event: HMAC-SHA256 over the fingerprint's hex text, base64."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    mac = hmac.new(key, fingerprint(body, timestamp).hex().encode(), hashlib.sha256).digest()
    return {SIGNATURE_HEADER: base64.b64encode(mac).decode(), TIMESTAMP_HEADER: str(timestamp)}


def matches(body: bytes, timestamp: int, key: bytes, given: bytes) -> bool:
    """True when `given` (decoded) is the HMAC of the fingerprint, as hex text or as raw bytes."""
    digest = fingerprint(body, timestamp)
    ok = False
    for message in (digest.hex().encode(), digest):
        ok = hmac.compare_digest(hmac.new(key, message, hashlib.sha256).digest(), given) or ok
    return ok
