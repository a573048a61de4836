"""Secrets at rest (SMTP passwords, PKCS#12 files and their passwords): AES-256-GCM under a key
derived from the master key, one derived key per purpose.

The master key never encrypts data directly: HKDF gives each purpose its own key, so a
leak of one purpose's ciphertexts says nothing about another's. Ciphertexts carry a version
byte so the scheme can evolve; `FACTURIER_MASTER_KEY` rotation re-encrypts with `reseal`.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from facturier.errors import FacturierError

VERSION = b"\x01"
NONCE_BYTES = 12


class SecretUnreadable(FacturierError):
    code = "secret_unreadable"


def _key(master: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"facturier-secrets-v1",
                info=purpose.encode()).derive(master)


def seal_secret(plaintext: bytes, *, purpose: str, master: bytes | None = None) -> bytes:
    """Encrypt a secret for storage; `purpose` (e.g. "smtp-password:42") is bound as associated data."""
    key = _key(master or settings.FACTURIER_MASTER_KEY, purpose.split(":")[0])
    nonce = os.urandom(NONCE_BYTES)
    return VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, purpose.encode())


def open_secret(sealed: bytes, *, purpose: str, master: bytes | None = None) -> bytes:
    """Decrypt a stored secret; refuses anything altered, moved to another purpose or record, or sealed
    under another master key."""
    if not sealed or sealed[:1] != VERSION or len(sealed) < 1 + NONCE_BYTES + 16:
        raise SecretUnreadable(_("A stored secret is damaged or was stored by another version."))
    key = _key(master or settings.FACTURIER_MASTER_KEY, purpose.split(":")[0])
    nonce, body = sealed[1:1 + NONCE_BYTES], sealed[1 + NONCE_BYTES:]
    try:
        return AESGCM(key).decrypt(nonce, body, purpose.encode())
    except InvalidTag:
        raise SecretUnreadable(_("A stored secret cannot be decrypted: was the master key changed? "
                                 "Restore FACTURIER_MASTER_KEY or enter the secret again.")) from None


def reseal(sealed: bytes, *, purpose: str, old_master: bytes, new_master: bytes) -> bytes:
    return seal_secret(open_secret(sealed, purpose=purpose, master=old_master), purpose=purpose, master=new_master)
