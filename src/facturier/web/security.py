"""Sign-in protections: failed-login throttling, the client's address and the two-factor policy.

Failures live in the shared cache (the database cache by default, Redis when configured), so
every process sees them and a restart forgets nothing. The company sign-in counts them three ways:

- per (e-mail, address): five failures within fifteen minutes lock that pair for fifteen minutes;
- per address, whatever the e-mails: thirty failures block that address for fifteen minutes
  (one machine guessing many accounts);
- per e-mail, whatever the addresses: after ten failures the account is *slowed*, not locked —
  one attempt every thirty seconds until fifteen minutes pass without a failure. An attacker
  spread over many addresses gets two guesses a minute, and cannot lock the owner out: the
  owner waits thirty seconds at worst.

The client's address is REMOTE_ADDR unless a trusted proxy header is configured (see
`client_ip`): a header a client writes itself is never believed.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60
ADDRESS_MAX_FAILURES = 30
ACCOUNT_SLOW_AFTER = 10
ACCOUNT_SLOW_SECONDS = 30


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the one the trusted proxies wrote in their header.

    With FACTURIER_TRUSTED_PROXY_HEADER (e.g. X-Forwarded-For) and FACTURIER_TRUSTED_PROXY_COUNT = n,
    each of the n proxies appends the address it received the request from; the n-th entry from the
    right is the one the outermost trusted proxy saw. Entries further left were written by the client.
    """
    header = getattr(settings, "FACTURIER_TRUSTED_PROXY_HEADER", "")
    if header:
        entries = [e.strip() for e in request.META.get(header, "").split(",") if e.strip()]
        count = settings.FACTURIER_TRUSTED_PROXY_COUNT
        if len(entries) >= count:
            return entries[-count]
    return request.META.get("REMOTE_ADDR", "") or "-"


def remote_address(request) -> str | None:
    """The client's address as evidence records it (a consent answer): None when unknown."""
    address = client_ip(request)
    return None if address == "-" else address


def _key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("|".join(p.strip().lower() for p in parts).encode()).hexdigest()[:32]
    return f"web.login.{kind}.{digest}"


def _count(key: str, window: int) -> dict:
    state = cache.get(key) or {"failures": 0, "last": 0.0}
    state["failures"] += 1
    state["last"] = time.time()
    cache.set(key, state, window)
    return state


def locked_for(email: str, ip: str) -> int:
    """Seconds left on the lock of this e-mail from this address (0: not locked)."""
    state = cache.get(_key("pair", email, ip))
    if not state or state["failures"] < MAX_FAILURES:
        return 0
    return max(0, int(state["last"] + LOCK_SECONDS - time.time()))


def record_failure(email: str, ip: str) -> int:
    """Count a failure of this pair; returns how many attempts are left before the lock."""
    state = _count(_key("pair", email, ip), LOCK_SECONDS)
    return max(0, MAX_FAILURES - state["failures"])


def clear_failures(email: str, ip: str) -> None:
    cache.delete(_key("pair", email, ip))


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a sign-in attempt is not even tried, and for how long."""

    reason: str
    """"pair" (this e-mail from this address), "address" (this address) or "account" (slowed)."""
    seconds: int


def sign_in_refusal(email: str, ip: str) -> Refusal | None:
    """Whether the company sign-in refuses to try this e-mail from this address now."""
    wait = locked_for(email, ip)
    if wait:
        return Refusal("pair", wait)
    by_address = cache.get(_key("address", ip))
    if by_address and by_address["failures"] >= ADDRESS_MAX_FAILURES:
        wait = int(by_address["last"] + LOCK_SECONDS - time.time())
        if wait > 0:
            return Refusal("address", wait)
    by_account = cache.get(_key("account", email))
    if by_account and by_account["failures"] >= ACCOUNT_SLOW_AFTER:
        wait = int(by_account["last"] + ACCOUNT_SLOW_SECONDS - time.time())
        if wait > 0:
            return Refusal("account", wait)
    return None


def sign_in_failed(email: str, ip: str) -> int:
    """Count a failed company sign-in three ways; returns the attempts left before this pair is locked."""
    _count(_key("address", ip), LOCK_SECONDS)
    _count(_key("account", email), LOCK_SECONDS)
    return record_failure(email, ip)


def sign_in_succeeded(email: str, ip: str) -> None:
    clear_failures(email, ip)
    cache.delete(_key("account", email))


def requires_2fa(member) -> bool:
    from facturier.web.models import OrganisationSecurity

    if member is None:
        return False
    return OrganisationSecurity.objects.filter(organisation_id=member.organisation_id, require_2fa=True).exists()


def any_organisation_requires_2fa(user) -> bool:
    """A second factor is due when any organisation the user is an active member of requires one."""
    from facturier.web.models import OrganisationSecurity

    return OrganisationSecurity.objects.filter(
        require_2fa=True, organisation__memberships__user=user, organisation__memberships__is_active=True).exists()


def confirmed_device(user):
    from facturier.accounts.models import Authenticator

    return Authenticator.objects.filter(user=user, confirmed=True).first()
