"""Company users' authenticator keys are sealed at rest, like the portal's and every other secret."""

from __future__ import annotations

import base64
import importlib
import os
from binascii import hexlify

import pytest
from django.apps import apps
from django.db import connection
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from facturier.accounts.models import Authenticator


def _stored_columns(table: str) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - a table name of our own
        rows = cursor.fetchall()
    return b"|".join(bytes(v) if isinstance(v, (bytes, memoryview)) else str(v).encode() for r in rows for v in r)


def test_an_authenticator_set_up_on_the_screen_keeps_no_key_in_clear(client, owner):
    client.force_login(owner.user)
    page = client.get("/2fa/setup/").content.decode()
    device = Authenticator.objects.get(user=owner.user)
    key = device.bin_key
    stored = _stored_columns(Authenticator._meta.db_table)
    assert key not in stored and hexlify(key) not in stored and hexlify(key).upper() not in stored
    assert base64.b32encode(key).decode().rstrip("=") in page  # shown once, to be typed in the app
    assert not TOTPDevice.objects.exists()
    code = f"{totp(key, step=30, digits=6):06d}"
    assert client.post("/2fa/setup/", {"token": code}).status_code == 302
    assert Authenticator.objects.get(user=owner.user).confirmed


def test_a_sealed_key_moved_to_another_device_does_not_open(owner, org):
    from facturier.accounts.services import authenticator_start
    from facturier.secrets import SecretUnreadable

    first = authenticator_start(user=owner.user)
    other = authenticator_start(user=org.member("clerk").user)
    other.sealed_key = first.sealed_key
    with pytest.raises(SecretUnreadable):
        other.bin_key  # noqa: B018 - the read is the test


def test_the_migration_seals_existing_clear_text_keys_and_removes_them(owner):
    key = os.urandom(20)
    clear = TOTPDevice.objects.create(user=owner.user, name="phone", key=hexlify(key).decode(), confirmed=True,
                                      last_t=123)
    migration = importlib.import_module("facturier.accounts.migrations.0006_seal_existing_authenticators")
    migration.seal_existing(apps, connection.schema_editor())
    assert not TOTPDevice.objects.filter(pk=clear.pk).exists()
    device = Authenticator.objects.get(user=owner.user)
    assert device.bin_key == key and device.confirmed and device.last_t == 123
    stored = _stored_columns(Authenticator._meta.db_table)
    assert key not in stored and hexlify(key) not in stored
