"""The archive's keys and time stamps: organisation data keys, the operator's signing key, the TSA.

    master key (FACTURIER_MASTER_KEY) wraps → organisation data keys (OrganisationKey rows)
    data key wraps → one content key per archived file (ArchiveEntry.wrapped_key)

The operator's checkpoint signing key (Ed25519) is created on first use under the data
directory, encrypted with `facturier.secrets` (so it follows the master key).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable
from pathlib import Path

from asn1crypto import cms, tsp
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from facturier.archive.models import ArchiveEntry, OrganisationKey, journal_id
from facturier.engine.archive import DataKey, OperatorKey, rewrap, rewrap_content_key
from facturier.engine.pdf.tsa import verify_token
from facturier.secrets import open_secret, reseal, seal_secret

_lock = threading.Lock()
_data_keys: dict[tuple, DataKey] = {}
_operators: dict[tuple, OperatorKey] = {}
OPERATOR_PURPOSE = "archive-operator-key"


# --- organisation data keys ---------------------------------------------------------------------


def _unwrap(organisation_id: int, version: int, wrapped: bytes) -> DataKey:
    """The data key inside a row, unwrapped once per process (cached by the wrapped bytes and the master key:
    a rotated or re-wrapped key is a new cache entry)."""
    master = settings.FACTURIER_MASTER_KEY
    cache_key = (organisation_id, version, wrapped, master)
    with _lock:
        key = _data_keys.get(cache_key)
        if key is None:
            key = DataKey.unwrap(master, wrapped, organisation=journal_id(organisation_id), version=version)
            _data_keys[cache_key] = key
        return key


_KEYS = OrganisationKey._meta.db_table


def current_data_key(organisation) -> DataKey:
    """The organisation's data key in use, created (version 1) on first use.

    Read on every ingest, hence plain SQL (the row is still read each time: a rotation in another
    process takes effect at once).
    """
    organisation_id = organisation.pk if hasattr(organisation, "pk") else int(organisation)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version, wrapped FROM {_KEYS} WHERE organisation_id = %s AND retired_at IS NULL "
                       "ORDER BY version DESC LIMIT 1", [organisation_id])
        row = cursor.fetchone()
    if row is not None:
        return _unwrap(organisation_id, row[0], bytes(row[1]))
    key = DataKey.generate(journal_id(organisation_id), 1)
    try:
        with transaction.atomic():
            created = OrganisationKey.objects.create(organisation_id=organisation_id, version=1,
                                                     wrapped=key.wrap(settings.FACTURIER_MASTER_KEY))
    except IntegrityError:  # another process created it first
        created = OrganisationKey.objects.filter(organisation_id=organisation_id).order_by("-version").first()
    return _unwrap(organisation_id, created.version, bytes(created.wrapped))


def data_key(organisation_id: int | str, version: int) -> DataKey:
    """A given version of an organisation's data key (to read files wrapped by an older one)."""
    row = OrganisationKey.objects.get(organisation_id=int(organisation_id), version=version)
    return _unwrap(row.organisation_id, row.version, bytes(row.wrapped))


def data_key_rotate(organisation) -> DataKey:
    """A new data-key version; every content key is re-wrapped under it, no blob is re-encrypted."""
    with transaction.atomic():
        rows = list(OrganisationKey.objects.select_for_update().filter(organisation=organisation).order_by("version"))
        old = current_data_key(organisation)
        version = (rows[-1].version if rows else 0) + 1
        new = DataKey.generate(journal_id(organisation), version)
        OrganisationKey.objects.filter(organisation=organisation, retired_at__isnull=True).update(
            retired_at=timezone.now())
        OrganisationKey.objects.create(organisation=organisation, version=version,
                                       wrapped=new.wrap(settings.FACTURIER_MASTER_KEY))
        keys = {old.version: old}
        for entry in ArchiveEntry.objects.select_for_update().filter(organisation=organisation,
                                                                     wrapped_key__isnull=False):
            source = keys.get(entry.key_version) or data_key(organisation.pk, entry.key_version)
            entry.wrapped_key = rewrap_content_key(source, new, bytes(entry.wrapped_key), reference=entry.reference)
            entry.key_version = version
            entry.save(update_fields=["wrapped_key", "key_version"])
    return new


def master_key_rotate(*, old_master: bytes, new_master: bytes) -> int:
    """Re-wrap every organisation data key (and the operator key file) under a new master key.

    Run it, then switch FACTURIER_MASTER_KEY to the new key. Blobs and content keys are untouched.
    """
    count = 0
    with transaction.atomic():
        for row in OrganisationKey.objects.select_for_update().all():
            aad = DataKey(journal_id(row.organisation_id), row.version, b"").aad
            row.wrapped = rewrap(old_master, new_master, bytes(row.wrapped), aad=aad)
            row.save(update_fields=["wrapped"])
            count += 1
    path = _operator_file()
    if path.exists():
        path.write_bytes(reseal(path.read_bytes(), purpose=OPERATOR_PURPOSE, old_master=old_master,
                                new_master=new_master))
    with _lock:
        _data_keys.clear()
        _operators.clear()
    return count


# --- the operator's signing key ----------------------------------------------------------------


def _operator_file() -> Path:
    return Path(settings.DATA_DIR) / "archive-keys" / "operator-ed25519.pem.sealed"


def operator_key() -> OperatorKey:
    """The operator's checkpoint signing key, created on first use (Ed25519, sealed with the master key)."""
    path = _operator_file()
    cache_key = (str(path), settings.FACTURIER_MASTER_KEY)
    with _lock:
        if cache_key in _operators:
            return _operators[cache_key]
        if not path.exists():
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import ed25519

            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            try:  # O_EXCL: two processes starting together keep the same key
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(seal_secret(pem, purpose=OPERATOR_PURPOSE))
        key = OperatorKey.from_pem(open_secret(path.read_bytes(), purpose=OPERATOR_PURPOSE))
        _operators[cache_key] = key
        return key


# --- time stamps --------------------------------------------------------------------------------


def timestamper(organisation) -> Callable[[bytes], bytes]:
    """`digest -> token`: the organisation's TSA when it set one, else the built-in authority, in-process."""
    if organisation.tsa_url:
        import asyncio

        from facturier.engine.pdf.tsa_client import TimeStampClient

        client = TimeStampClient(organisation.tsa_url, timeout=15)
        return lambda digest: asyncio.run(client.async_timestamp(digest, "sha256")).dump()
    return builtin_timestamp


def builtin_timestamp(digest: bytes) -> bytes:
    """A token over a SHA-256 digest from the operator's built-in authority: in-process, neither a request
    encoded nor a response parsed (the token is the one `POST /tsa/` would grant)."""
    from facturier.documents.timestamping import operator_authority

    return operator_authority().stamp(digest, "sha256")


def token_time(token: bytes, digest: bytes) -> dt.datetime:
    """Checks a token over `digest` (imprint, signature, time-stamping certificate); returns its time."""
    return verify_token(bytes(token), message_digest=digest).gen_time


def stamped_time(stamp: Callable[[bytes], bytes], token: bytes, digest: bytes) -> dt.datetime:
    """The time of a token `stamp` just made over `digest`, to record with the entry.

    A token of an external authority is verified in full (`token_time`): what it says is not ours.
    A token the built-in authority made in this process a moment ago carries our own signature over
    a request we built: its imprint is checked (it covers `digest`), its time read, and its signature
    is not checked again (6 ms per token). The proof is the same token either way, and
    `facturier archive verify` and the offline verifier check every one in full."""
    if stamp is not builtin_timestamp:
        return token_time(token, digest)
    from facturier.engine.pdf.tsa import _invalid

    info = tsp.TSTInfo.load(cms.ContentInfo.load(bytes(token))["content"]["encap_content_info"]["content"].contents)
    if info["message_imprint"]["hashed_message"].native != digest:
        raise _invalid("the built-in authority's token does not cover the stamped digest")
    return info["gen_time"].native.astimezone(dt.UTC)
