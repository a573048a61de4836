"""Secrets at rest: encrypted under the master key, bound to their purpose and record."""

import os

import pytest

from facturier.secrets import SecretUnreadable, open_secret, reseal, seal_secret


def test_a_secret_round_trips_and_is_not_stored_in_clear():
    sealed = seal_secret(b"hunter2", purpose="smtp-password:7")
    assert b"hunter2" not in sealed
    assert open_secret(sealed, purpose="smtp-password:7") == b"hunter2"


@pytest.mark.parametrize("purpose", ["smtp-password:8", "pkcs12:7"])
def test_a_secret_cannot_be_replayed_for_another_record_or_purpose(purpose):
    sealed = seal_secret(b"hunter2", purpose="smtp-password:7")
    with pytest.raises(SecretUnreadable):
        open_secret(sealed, purpose=purpose)


def test_a_flipped_byte_or_another_master_key_is_refused():
    sealed = bytearray(seal_secret(b"hunter2", purpose="smtp-password:7"))
    sealed[-1] ^= 1
    with pytest.raises(SecretUnreadable):
        open_secret(bytes(sealed), purpose="smtp-password:7")
    with pytest.raises(SecretUnreadable):
        open_secret(seal_secret(b"x", purpose="p:1"), purpose="p:1", master=os.urandom(32))


def test_rotation_reseals_under_the_new_master_key():
    old, new = os.urandom(32), os.urandom(32)
    sealed = seal_secret(b"hunter2", purpose="pkcs12:3", master=old)
    rotated = reseal(sealed, purpose="pkcs12:3", old_master=old, new_master=new)
    assert open_secret(rotated, purpose="pkcs12:3", master=new) == b"hunter2"
    with pytest.raises(SecretUnreadable):
        open_secret(rotated, purpose="pkcs12:3", master=old)
