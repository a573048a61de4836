"""Envelope encryption of archived files: AES-256-GCM, three layers of keys.

    master key (32 bytes, FACTURIER_MASTER_KEY)        wraps →
    organisation data key (32 bytes, one per version)  wraps →
    content key (32 bytes, one per archived file)      encrypts → the blob

Rotating the master key re-wraps the few data keys (`rewrap`), never the blobs. Purging a
file past retention destroys its wrapped content key (64 bytes kept in the entry's row, not
in the write-once storage): the blob, even if the storage keeps it until its lock expires,
can no longer be read (crypto-shredding), while the journal entry stays and still verifies.

Formats (all integers big-endian):

    wrapped key = b"FXK" 0x01 | nonce (12) | AES-GCM(key) (32 + 16 tag)   AAD = header | aad
    blob        = b"FXB" 0x01 | nonce (12) | AES-GCM(plaintext) (+ 16 tag) AAD = header | aad

Nonces are random: each content key encrypts exactly one file, and a data key wraps far
fewer than the 2**32 keys NIST allows per key with random 96-bit nonces.

The `aad` binds a ciphertext to its place: `key_aad(organisation, version)` for a data key,
`artefact_aad(organisation, reference)` for a file and its content key, so that a blob or key
moved elsewhere fails to decrypt.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from facturier.engine.archive.journal import Problem, ProblemCode, payload_digest
from facturier.engine.errors import EngineError, InputError, Message

KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16
KEY_HEADER = b"FXK\x01"
BLOB_HEADER = b"FXB\x01"
WRAPPED_KEY_SIZE = len(KEY_HEADER) + NONCE_SIZE + KEY_SIZE + TAG_SIZE


class IntegrityError(EngineError):
    """Ciphertext or key that fails authentication: altered, replaced, or the wrong key."""


class ContentShredded(EngineError):
    """The file's content key was destroyed at purge: the content is gone for good."""


class BadMasterKey(InputError):
    """The configured master key is not 32 bytes in base64 or hex."""


def _integrity(what_fr: str, what_en: str, detail: str | None = None) -> IntegrityError:
    return IntegrityError(Message(
        f"{what_fr} ne passe pas le contrôle d'intégrité : modifié, remplacé ou mauvaise clé. "
        "Restaurez-le depuis une sauvegarde et signalez l'incident.",
        f"{what_en} fails its integrity check: altered, replaced or the wrong key. "
        "Restore it from a backup and report the incident.",
    ), detail=detail)


def parse_master_key(text: str | bytes) -> bytes:
    """The 32-byte master key from its configured form: base64 (44 chars) or hex (64 chars)."""
    value = text.decode() if isinstance(text, bytes) else text
    value = value.strip()
    raw = None
    if len(value) == 2 * KEY_SIZE:
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raw = None
    if raw is None:
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) != KEY_SIZE:
        raise BadMasterKey(Message(
            "La clé maîtresse doit faire 32 octets, en base64 (44 caractères) ou en hexadécimal (64). "
            "Générez-en une avec : python -c \"import os,base64;print(base64.b64encode(os.urandom(32)).decode())\"",
            "The master key must be 32 bytes, in base64 (44 characters) or hex (64). "
            "Generate one with: python -c \"import os,base64;print(base64.b64encode(os.urandom(32)).decode())\""))
    return raw


def new_key() -> bytes:
    return os.urandom(KEY_SIZE)


def _check_key(key: bytes) -> None:
    if not isinstance(key, (bytes, bytearray)) or len(key) != KEY_SIZE:
        raise ValueError("AES-256 keys are 32 bytes")


def key_aad(organisation: str, version: int) -> bytes:
    """AAD of an organisation's data key: binds it to its owner and version."""
    return f"facturier/data-key/{organisation}/{version}".encode()


def artefact_aad(organisation: str, reference: str) -> bytes:
    """AAD of an archived file and of its content key: binds both to their owner and entry reference."""
    return f"facturier/artefact/{organisation}/{reference}".encode()


def wrap_key(wrapping_key: bytes, key: bytes, *, aad: bytes) -> bytes:
    """`key` encrypted under `wrapping_key` (AES-256-GCM, random nonce), bound to `aad`."""
    _check_key(wrapping_key)
    _check_key(key)
    nonce = os.urandom(NONCE_SIZE)
    return KEY_HEADER + nonce + AESGCM(wrapping_key).encrypt(nonce, bytes(key), KEY_HEADER + aad)


def unwrap_key(wrapping_key: bytes, wrapped: bytes, *, aad: bytes) -> bytes:
    """The key inside `wrapped`; IntegrityError if it was altered, moved or wrapped by another key."""
    _check_key(wrapping_key)
    if len(wrapped) != WRAPPED_KEY_SIZE or not wrapped.startswith(KEY_HEADER):
        raise _integrity("La clé enveloppée", "The wrapped key", "bad format")
    nonce = wrapped[len(KEY_HEADER) : len(KEY_HEADER) + NONCE_SIZE]
    try:
        return AESGCM(wrapping_key).decrypt(nonce, wrapped[len(KEY_HEADER) + NONCE_SIZE :], KEY_HEADER + aad)
    except InvalidTag:
        raise _integrity("La clé enveloppée", "The wrapped key") from None


def rewrap(old_master: bytes, new_master: bytes, wrapped: bytes, *, aad: bytes) -> bytes:
    """Key rotation: the same key, wrapped by the new master key. Blobs are untouched."""
    key = unwrap_key(old_master, wrapped, aad=aad)
    return wrap_key(new_master, key, aad=aad)


def encrypt_blob(key: bytes, plaintext: bytes, *, aad: bytes) -> bytes:
    """Header, random 96-bit nonce, AES-256-GCM ciphertext and tag."""
    _check_key(key)
    nonce = os.urandom(NONCE_SIZE)
    return BLOB_HEADER + nonce + AESGCM(key).encrypt(nonce, plaintext, BLOB_HEADER + aad)


def decrypt_blob(key: bytes, blob: bytes, *, aad: bytes) -> bytes:
    """The plaintext; IntegrityError if one bit of the blob changed, or it belongs elsewhere."""
    _check_key(key)
    if len(blob) < len(BLOB_HEADER) + NONCE_SIZE + TAG_SIZE or not blob.startswith(BLOB_HEADER):
        raise _integrity("Le fichier chiffré", "The encrypted file", "bad header")
    nonce = blob[len(BLOB_HEADER) : len(BLOB_HEADER) + NONCE_SIZE]
    try:
        return AESGCM(key).decrypt(nonce, blob[len(BLOB_HEADER) + NONCE_SIZE :], BLOB_HEADER + aad)
    except InvalidTag:
        raise _integrity("Le fichier chiffré", "The encrypted file") from None


@dataclass(frozen=True, slots=True)
class DataKey:
    """An organisation's data key (one per version; old versions stay to read old files)."""

    organisation: str
    version: int
    secret: bytes = field(repr=False)

    @classmethod
    def generate(cls, organisation: str, version: int = 1) -> DataKey:
        return cls(organisation, version, new_key())

    @property
    def aad(self) -> bytes:
        return key_aad(self.organisation, self.version)

    def wrap(self, master: bytes) -> bytes:
        """What the application stores for this key."""
        return wrap_key(master, self.secret, aad=self.aad)

    @classmethod
    def unwrap(cls, master: bytes, wrapped: bytes, *, organisation: str, version: int) -> DataKey:
        return cls(organisation, version, unwrap_key(master, wrapped, aad=key_aad(organisation, version)))


@dataclass(frozen=True, slots=True)
class SealedArtefact:
    """A file ready to store: what goes to the blob storage and what goes to the entry's row."""

    fingerprint: str
    """SHA-256 (hex) of the plaintext: the document's fingerprint, time-stamped and journalled."""
    size: int
    blob: bytes
    """What the storage keeps (encrypted)."""
    blob_sha256: str
    """SHA-256 (hex) of the blob, to scan storage without keys."""
    wrapped_key: bytes = field(repr=False)
    """The content key wrapped by the data key: store it in the row; delete it to shred."""
    key_version: int
    """Which version of the organisation's data key wrapped it."""


def seal_artefact(data_key: DataKey, plaintext: bytes, *, reference: str, fingerprint: str | None = None
                  ) -> SealedArtefact:
    """Fingerprint and encrypt one file under a fresh content key (ingest minus storage and journal).

    `fingerprint`: the plaintext's SHA-256 when the caller has just computed it (to look the
    file up before sealing it), so that 100 KB are not hashed twice.
    """
    aad = artefact_aad(data_key.organisation, reference)
    content_key = new_key()
    blob = encrypt_blob(content_key, plaintext, aad=aad)
    return SealedArtefact(
        fingerprint=fingerprint or hashlib.sha256(plaintext).hexdigest(), size=len(plaintext), blob=blob,
        blob_sha256=hashlib.sha256(blob).hexdigest(), wrapped_key=wrap_key(data_key.secret, content_key, aad=aad),
        key_version=data_key.version,
    )


def open_artefact(data_key: DataKey, wrapped_key: bytes | None, blob: bytes, *, reference: str) -> bytes:
    """The file's bytes; ContentShredded after purge, IntegrityError on any tampering."""
    if not wrapped_key:
        raise ContentShredded(Message(
            "Ce document a été purgé à l'échéance de sa conservation : son contenu est détruit.",
            "This document was purged at the end of its retention: its content is destroyed."))
    aad = artefact_aad(data_key.organisation, reference)
    content_key = unwrap_key(data_key.secret, wrapped_key, aad=aad)
    return decrypt_blob(content_key, blob, aad=aad)


def rewrap_content_key(old: DataKey, new: DataKey, wrapped_key: bytes, *, reference: str) -> bytes:
    """Moves a file's content key to a new data-key version (organisation key rotation), blob untouched."""
    aad = artefact_aad(old.organisation, reference)
    return wrap_key(new.secret, unwrap_key(old.secret, wrapped_key, aad=aad), aad=aad)


def check_artefact(
    *, seq: int, payload: str, metadata: Mapping, data_key: DataKey | None, wrapped_key: bytes | None,
    blob: bytes | None, reference: str, timestamp_token: bytes | None = None,
    verify_token: Callable[[bytes, bytes], object] | None = None,
) -> list[Problem]:
    """What `archive verify` checks for one stored artefact beyond the chain.

    `payload` is the entry's `payload_digest`; `metadata` the row's metadata (with its
    ``"fingerprint"``). Reports, each naming `seq`: metadata altered, blob altered or replaced
    (fails authentication), blob replaced by another validly encrypted file (fingerprint),
    time-stamp token that does not cover the fingerprint (when `verify_token` is given).
    A shredded artefact (no key) is not a problem here: its tombstone is checked by the chain.
    """
    problems = []
    try:
        metadata_ok = payload_digest(metadata) == payload
    except ValueError:
        metadata_ok = False
    if not metadata_ok:
        problems.append(Problem(ProblemCode.METADATA, seq, Message(
            f"Les métadonnées de l'entrée n° {seq} ont été modifiées : elles ne correspondent plus au journal.",
            f"The metadata of entry seq {seq} was altered: it no longer matches the journal.")))
    if timestamp_token is not None and verify_token is not None:
        try:
            verify_token(timestamp_token, bytes.fromhex(str(metadata.get("fingerprint"))))
        except Exception as error:  # noqa: BLE001 - the injected verifier's failures are findings, whatever they are
            problems.append(Problem(ProblemCode.TIMESTAMP, seq, Message(
                f"L'horodatage de l'entrée n° {seq} ne couvre pas le document archivé ({error}).",
                f"The time-stamp of entry seq {seq} does not cover the archived document ({error}).")))
    if not wrapped_key or blob is None or data_key is None:
        return problems
    try:
        plaintext = open_artefact(data_key, wrapped_key, blob, reference=reference)
    except IntegrityError:
        problems.append(Problem(ProblemCode.BLOB, seq, Message(
            f"Le fichier de l'entrée n° {seq} ne se déchiffre pas : octets modifiés, fichier remplacé par un "
            "autre, ou clé altérée.",
            f"The file of entry seq {seq} does not decrypt: bytes altered, replaced by another file, "
            "or its key altered.")))
        return problems
    found = hashlib.sha256(plaintext).hexdigest()
    if found != metadata.get("fingerprint"):
        problems.append(Problem(ProblemCode.FINGERPRINT, seq, Message(
            f"Le fichier de l'entrée n° {seq} n'est pas le document archivé (SHA-256 {found[:16]}… au lieu de "
            f"{str(metadata.get('fingerprint'))[:16]}…).",
            f"The file of entry seq {seq} is not the archived document (SHA-256 {found[:16]}… instead of "
            f"{str(metadata.get('fingerprint'))[:16]}…).")))
    return problems
