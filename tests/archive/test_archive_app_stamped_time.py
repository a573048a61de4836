"""The time recorded with an archive entry: read from a fresh built-in token, verified in full otherwise."""

from __future__ import annotations

import hashlib

import pytest

from facturier.archive.keys import builtin_timestamp, stamped_time, token_time
from facturier.engine.pdf.tsa import InvalidTimeStamp

pytestmark = pytest.mark.django_db


def test_a_fresh_builtin_token_gives_the_time_its_full_verification_gives():
    digest = hashlib.sha256(b"an imported invoice").digest()
    token = builtin_timestamp(digest)
    assert stamped_time(builtin_timestamp, token, digest) == token_time(token, digest)


def test_a_builtin_token_over_another_digest_is_refused():
    token = builtin_timestamp(hashlib.sha256(b"one file").digest())
    with pytest.raises(InvalidTimeStamp):
        stamped_time(builtin_timestamp, token, hashlib.sha256(b"another file").digest())


def test_a_token_from_another_authority_is_verified_in_full():
    digest = hashlib.sha256(b"an imported invoice").digest()
    token = bytearray(builtin_timestamp(digest))
    token[-20] ^= 0xFF  # the signature (at the end of the SignerInfo) no longer verifies

    def external_tsa(d: bytes) -> bytes:
        return bytes(token)

    with pytest.raises(InvalidTimeStamp):
        stamped_time(external_tsa, bytes(token), digest)
