"""Idempotency-Key on every write: the same key with the same request gets the first answer again.

Required on POST, PUT, PATCH and DELETE (428 without it): a client that retries after a timeout
never creates a second invoice or records a payment twice. Keys are per organisation, at most 255
characters, and kept 24 hours (`IDEMPOTENCY_TTL`; the periodic schedule deletes older ones).

- first time: a row is claimed (status empty), the write runs, its answer (status, body) is stored;
  an answer of 500 or more is not stored (the row is given back), so the client may retry;
- same key, same method, path and body: the stored answer is replayed (header `Idempotent-Replayed: true`);
- same key, another request (another method, path, body, or another API key of the organisation): 422,
  naming the key;
- same key while the first request still runs: 409, retry later.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.api.models import IdempotencyRecord
from facturier.api.problems import problem

HEADER = "HTTP_IDEMPOTENCY_KEY"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
IDEMPOTENCY_TTL = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255


def _digest(request, principal: str = "") -> str:
    # the key that sends it is part of the request: another key of the organisation (perhaps with fewer
    # scopes) cannot have a write's answer replayed to it
    h = hashlib.sha256()
    h.update(f"{principal} {request.method} {request.path}?{request.META.get('QUERY_STRING', '')}\n".encode())
    if request.content_type == "multipart/form-data":
        # A client that retries an upload encodes it again with a new random boundary: the same
        # request is the same fields and the same files, not the same bytes.
        for name, values in sorted(request.POST.lists()):
            h.update(repr((name, values)).encode())
        for name, files in sorted(request.FILES.lists()):
            for f in files:
                h.update(f"{name} {f.name} {f.size}\n".encode())
                for chunk in f.chunks():
                    h.update(chunk)
                f.seek(0)
    else:
        h.update(request.body)
    return h.hexdigest()


def _claim(organisation_id: int, key: str, digest: str) -> IdempotencyRecord | None:
    """Claim the key (None) or return the row already holding it."""
    cutoff = timezone.now() - IDEMPOTENCY_TTL
    for _attempt in range(2):
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(organisation_id=organisation_id, key=key, request_digest=digest)
            return None
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(organisation_id=organisation_id, key=key).first()
            if existing is None:
                continue
            if existing.created_at < cutoff:  # expired, not yet cleaned: the key is free again
                IdempotencyRecord.objects.filter(pk=existing.pk).delete()
                continue
            return existing
    return IdempotencyRecord.objects.get(organisation_id=organisation_id, key=key)


def run_once(request, organisation_id: int, run, *, principal: str = "") -> HttpResponse:
    """Run the write `run()` under the request's Idempotency-Key."""
    key = request.META.get(HEADER, "").strip()
    if not key:
        return problem(request, 428, code="idempotency_key_required", detail=_(
            "Every write needs an Idempotency-Key header (e.g. a UUID): the same key sent again returns the "
            "first answer instead of doing the write twice."))
    if len(key) > MAX_KEY_LENGTH:
        return problem(request, 422, code="idempotency_key_invalid",
                       detail=_("The Idempotency-Key is too long (at most 255 characters)."))
    digest = _digest(request, principal)
    existing = _claim(organisation_id, key, digest)
    if existing is not None:
        if existing.request_digest != digest:
            return problem(request, 422, code="idempotency_key_reused", detail=_(
                "The Idempotency-Key “%(key)s” was already used for another request (another address or "
                "body). Use a new key for a new write.") % {"key": key})
        if existing.status is None:
            return problem(request, 409, code="idempotency_in_progress", detail=_(
                "A request with the Idempotency-Key “%(key)s” is still running. Retry in a moment.") % {"key": key},
                headers={"Retry-After": "1"})
        replay = HttpResponse(bytes(existing.body), status=existing.status, content_type=existing.content_type)
        replay["Idempotent-Replayed"] = "true"
        return replay
    try:
        response = run()
    except BaseException:
        IdempotencyRecord.objects.filter(organisation_id=organisation_id, key=key, status__isnull=True).delete()
        raise
    if response.status_code >= 500 or getattr(response, "streaming", False):
        IdempotencyRecord.objects.filter(organisation_id=organisation_id, key=key, status__isnull=True).delete()
        return response
    IdempotencyRecord.objects.filter(organisation_id=organisation_id, key=key).update(
        status=response.status_code, content_type=response.get("Content-Type", ""), body=response.content)
    return response


def idempotency_cleanup(*, now: dt.datetime | None = None) -> int:
    """Delete the records older than the time they are kept; returns how many."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_TTL
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
