"""Sign-in protections: failed-login throttling and the two-factor policy.

Failures are counted per (e-mail, client address) in the cache: five failures within the
window lock that pair for fifteen minutes. Another address, or another e-mail, is not
locked, so an attacker cannot lock a user out from elsewhere by guessing.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache

MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60


def client_ip(request) -> str:
    # Behind the platform's reverse proxy REMOTE_ADDR is the proxy; the proxy is trusted to set it right.
    return request.META.get("REMOTE_ADDR", "") or "-"


def remote_address(request) -> str | None:
    """The client's address as evidence records it (a consent answer): None when unknown."""
    return request.META.get("REMOTE_ADDR") or None


def _key(email: str, ip: str) -> str:
    digest = hashlib.sha256(f"{email.strip().lower()}|{ip}".encode()).hexdigest()[:32]
    return f"web.login.{digest}"


def locked_for(email: str, ip: str) -> int:
    """Seconds left on the lock of this e-mail from this address (0: not locked)."""
    state = cache.get(_key(email, ip))
    if not state or state["failures"] < MAX_FAILURES:
        return 0
    return max(0, int(state["until"] - time.time()))


def record_failure(email: str, ip: str) -> int:
    """Count a failure; returns how many attempts are left before the lock."""
    key = _key(email, ip)
    state = cache.get(key) or {"failures": 0, "until": 0}
    state["failures"] += 1
    state["until"] = time.time() + LOCK_SECONDS
    cache.set(key, state, LOCK_SECONDS)
    return max(0, MAX_FAILURES - state["failures"])


def clear_failures(email: str, ip: str) -> None:
    cache.delete(_key(email, ip))


def requires_2fa(member) -> bool:
    from facturier.web.models import OrganisationSecurity

    if member is None:
        return False
    return OrganisationSecurity.objects.filter(organisation_id=member.organisation_id, require_2fa=True).exists()


def confirmed_device(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).first()
