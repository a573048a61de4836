"""API keys: created and revoked by members who manage the settings; checked on every API call.

The secret is `fk_<prefix>_<random>`: 32 random bytes, of which only the SHA-256 is stored; the
prefix is public, shown in the settings to recognise a key and used to find its row, and the
digests are compared in constant time.

Who acts: a key acts as the member who created it (`ApiKey.membership`). Services receive that
membership as `by`, so a key never does more than its member may do now: each service checks the
member's rights as for a person at a screen, and the key's scopes narrow them further. A key stops
working when its member leaves the organisation, is deactivated, or loses the "manage settings" right
(the right to hold keys). Audit events written through a key read "<member> (API key <prefix>)".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Membership, Right
from facturier.accounts.services import require_right
from facturier.api.models import ApiKey, Scope
from facturier.audit.services import audit_record
from facturier.errors import FacturierError

KEY_PREFIX = "fk_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8  # fk_ and 4 random bytes in hex
LAST_USED_EVERY = dt.timedelta(minutes=1)
HOLDER_RIGHT = Right.MANAGE_SETTINGS


class KeyRefused(FacturierError):
    """The key given is unknown, revoked, expired or no longer backed by its member (401)."""

    code = "invalid_key"


class ScopeMissing(FacturierError):
    code = "scope_missing"


class InvalidKeyRequest(FacturierError):
    code = "invalid_key_request"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_create(*, by: Membership, name: str, scopes: list[str], expires_at: dt.datetime | None = None) \
        -> tuple[ApiKey, str]:
    """A new key acting as `by`; returns it with its secret, which is never shown again."""
    require_right(by, HOLDER_RIGHT)
    name = (name or "").strip()
    chosen = [s for s in Scope.values if s in set(scopes)]
    if not name:
        raise InvalidKeyRequest(_("Give the key a name (what uses it, e.g. “ERP”)."))
    if not chosen or len(chosen) != len(set(scopes)):
        raise InvalidKeyRequest(_("Choose at least one scope among: %(scopes)s."), scopes=", ".join(Scope.values))
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidKeyRequest(_("The expiry date must be in the future."))
    prefix = KEY_PREFIX + secrets.token_hex(4)
    secret = f"{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(organisation=by.organisation, membership=by, name=name[:100], prefix=prefix,
                                    digest=_digest(secret), scopes=chosen, expires_at=expires_at,
                                    created_by=by.user)
        audit_record(actor=by, subject=key, action="api_key.create",
                     after={"name": key.name, "prefix": prefix, "scopes": chosen,
                            "expires_at": expires_at.isoformat() if expires_at else None})
    return key, secret


def key_revoke(*, by: Membership, key_id: int) -> ApiKey:
    """Revoke a key of the organisation at once (it is kept, revoked, for the record)."""
    require_right(by, HOLDER_RIGHT)
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key_id, organisation=by.organisation)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            audit_record(actor=by, subject=key, action="api_key.revoke", after={"prefix": key.prefix})
    return key


def api_keys_of(*, organisation) -> list[ApiKey]:
    return list(ApiKey.objects.filter(organisation=organisation).select_related("membership__user"))


def authenticate(secret: str) -> ApiKey:
    """The live key for this secret, its member attached as `key.member` (acting through the key);
    KeyRefused, with the reason, otherwise."""
    prefix, sep = secret[:PREFIX_LENGTH], secret[PREFIX_LENGTH:PREFIX_LENGTH + 1]
    key = None
    if sep == "_" and prefix.startswith(KEY_PREFIX):
        key = (ApiKey.objects.select_related("membership__user", "membership__organisation")
               .filter(prefix=prefix).first())
    if key is None or not hmac.compare_digest(key.digest, _digest(secret)):
        raise KeyRefused(_("This API key is not valid. Check the Authorization header: “Bearer <key>”."))
    now = timezone.now()
    if key.revoked_at is not None:
        raise KeyRefused(_("This API key was revoked on %(date)s."), date=key.revoked_at)
    if key.expires_at is not None and key.expires_at <= now:
        raise KeyRefused(_("This API key expired on %(date)s."), date=key.expires_at)
    member = key.membership
    if not member.is_active or not member.user.is_active or not member.has_right(HOLDER_RIGHT):
        raise KeyRefused(_("This API key no longer works: the member it acts for left the organisation or "
                           "lost the “%(right)s” right."), right=HOLDER_RIGHT.label)
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)  # at most once a minute per key
        key.last_used_at = now
    member.audit_label = f"{member.user} (API key {key.prefix})"
    key.member = member
    return key


def require_scope(key: ApiKey, scope: Scope) -> Membership:
    """The member acting through the key, if the key carries the scope."""
    if scope.value not in key.scopes:
        raise ScopeMissing(_("This API key lacks the scope “%(scope)s” (%(label)s). Create a key with it in the "
                             "settings."), scope=scope.value, label=scope.label)
    return key.member
