"""The company sign-in's throttle: one sign-in path (the admin's too), a shared cache, three counters,
and a client address taken from a trusted proxy header only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from facturier.web import security

PASSWORD = "correct horse battery"
FACTURIER = Path(sys.executable).with_name("facturier")


def _login(client, email, password=PASSWORD, url="/login/", **extra):
    return client.post(url, {"username": email, "password": password}, HTTP_ACCEPT_LANGUAGE="en", **extra)


def test_twenty_wrong_passwords_on_the_admin_login_then_the_right_one_is_refused(client, owner):
    user = owner.user
    user.is_staff = True
    user.save()
    for _ in range(20):
        assert "_auth_user_id" not in _login(client, user.email, "wrong", url="/admin/login/").client.session
    response = _login(client, user.email, url="/admin/login/?next=/admin/")
    assert response.status_code == 200
    assert "locked" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302
    assert client.get(reverse("web:dashboard")).status_code == 302


def test_the_admin_login_is_the_company_sign_in_and_asks_for_the_second_factor(client, owner):
    from facturier.accounts.services import authenticator_confirm, authenticator_start

    user = owner.user
    user.is_staff = True
    user.save()
    authenticator_confirm(device=authenticator_start(user=user))
    page = client.get("/admin/login/?next=/admin/")
    assert page.status_code == 200 and 'name="username"' in page.content.decode()
    response = _login(client, user.email, url="/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/2fa/?next=%2Fadmin%2F")
    assert client.get("/admin/")["Location"].startswith("/2fa/")


def test_a_signed_in_user_who_may_not_use_the_admin_is_told_so_instead_of_a_loop(client, owner):
    client.force_login(owner.user)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert "may not use the administration site" in response.content.decode()


def test_a_spoofed_forwarded_for_header_is_ignored_unless_a_proxy_is_trusted(client, owner):
    for n in range(5):
        _login(client, owner.user.email, "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    response = _login(client, owner.user.email, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert "locked" in response.content.decode() and "_auth_user_id" not in client.session


def test_behind_a_trusted_proxy_the_address_it_wrote_is_the_clients(client, owner, settings):
    settings.FACTURIER_TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.FACTURIER_TRUSTED_PROXY_COUNT = 1
    # The client writes an address of its own choosing first; the proxy appends the real one.
    for n in range(5):
        _login(client, owner.user.email, "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 192.0.2.10")
    locked = _login(client, owner.user.email, HTTP_X_FORWARDED_FOR="203.0.113.9, 192.0.2.10")
    assert "locked" in locked.content.decode()
    elsewhere = _login(client, owner.user.email, HTTP_X_FORWARDED_FOR="192.0.2.10, 192.0.2.77")
    assert elsewhere.status_code == 302


def test_the_address_is_the_one_the_outermost_of_several_trusted_proxies_saw(rf, settings):
    settings.FACTURIER_TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.FACTURIER_TRUSTED_PROXY_COUNT = 2
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.10, 10.0.0.2", REMOTE_ADDR="10.0.0.3")
    assert security.client_ip(request) == "192.0.2.10"
    short = rf.get("/", HTTP_X_FORWARDED_FOR="10.0.0.2", REMOTE_ADDR="10.0.0.3")
    assert security.client_ip(short) == "10.0.0.3"


def test_many_addresses_guessing_one_account_slow_it_down_without_locking_its_owner_out(client, owner):
    for n in range(security.ACCOUNT_SLOW_AFTER):
        _login(client, owner.user.email, "wrong", REMOTE_ADDR=f"198.51.100.{n}")
    slowed = _login(client, owner.user.email, REMOTE_ADDR="192.0.2.44")
    assert "wait" in slowed.content.decode() and "_auth_user_id" not in client.session
    # Thirty seconds later (the failure clock moved back) the owner signs in from their own address.
    state = security.cache.get(security._key("account", owner.user.email))
    state["last"] -= security.ACCOUNT_SLOW_SECONDS + 1
    security.cache.set(security._key("account", owner.user.email), state, security.LOCK_SECONDS)
    assert _login(client, owner.user.email, REMOTE_ADDR="192.0.2.44").status_code == 302


def test_one_address_guessing_many_accounts_is_blocked_for_every_account(client, org, owner):
    for n in range(security.ADDRESS_MAX_FAILURES):
        _login(client, f"guess-{n}@acme.test", "wrong", REMOTE_ADDR="198.51.100.7")
    blocked = _login(client, owner.user.email, REMOTE_ADDR="198.51.100.7")
    assert "from your network" in blocked.content.decode() and "_auth_user_id" not in client.session
    assert _login(client, owner.user.email, REMOTE_ADDR="192.0.2.44").status_code == 302


def test_the_throttle_lives_in_the_database_cache_by_default(settings):
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"


def _facturier(data_dir: Path, code: str, **extra_env: str) -> str:
    env = {**os.environ, "FACTURIER_DATA_DIR": str(data_dir), **extra_env}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([str(FACTURIER), "shell", "-c", code], check=False, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_failures_counted_by_one_process_lock_the_sign_in_in_another(tmp_path):
    env = {**os.environ, "FACTURIER_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    subprocess.run([str(FACTURIER), "createcachetable"], env=env, check=True, timeout=120)
    _facturier(tmp_path, "from facturier.web import security\n"
                         "for _ in range(5): security.sign_in_failed('victim@acme.test', '192.0.2.1')")
    answer = _facturier(tmp_path, "from facturier.web import security\n"
                                  "print('REFUSAL', security.sign_in_refusal('victim@acme.test', '192.0.2.1'))")
    assert "REFUSAL Refusal(reason='pair'" in answer


def _redis_answers() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), 1).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_answers(), reason="no Redis server at 127.0.0.1:6379 (the database cache is tested)")
def test_with_redis_configured_failures_counted_by_one_process_lock_the_sign_in_in_another(tmp_path):
    import uuid

    victim = f"victim-{uuid.uuid4().hex}@acme.test"  # the Redis server is shared: a key of this test's own
    redis = {"FACTURIER_CACHE_URL": "redis://127.0.0.1:6379/15"}
    _facturier(tmp_path, "from django.conf import settings; from facturier.web import security\n"
                         "assert settings.CACHES['default']['BACKEND'].endswith('RedisCache')\n"
                         f"for _ in range(5): security.sign_in_failed({victim!r}, '192.0.2.1')", **redis)
    answer = _facturier(tmp_path, "from facturier.web import security\n"
                                  f"print('REFUSAL', security.sign_in_refusal({victim!r}, '192.0.2.1'))", **redis)
    assert "REFUSAL Refusal(reason='pair'" in answer


@pytest.mark.parametrize("name,value,message", [
    ("FACTURIER_CACHE_URL", "memcached://127.0.0.1", "must start with db://, redis:// or rediss://"),
    ("FACTURIER_TRUSTED_PROXY_HEADER", "X-Forwarded-For: 1.2.3.4", "is not an HTTP header name"),
    ("FACTURIER_TRUSTED_PROXY_COUNT", "0", "below the minimum 1"),
])
def test_bad_cache_and_proxy_settings_stop_the_start(tmp_path, name, value, message):
    env = {**os.environ, "FACTURIER_DATA_DIR": str(tmp_path), name: value}
    done = subprocess.run([str(FACTURIER), "check"], check=False, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and message in done.stderr


def test_check_deploy_names_a_missing_proxy_header_behind_tls(tmp_path):
    env = {**os.environ, "FACTURIER_DATA_DIR": str(tmp_path), "FACTURIER_BASE_URL": "https://factures.example"}
    done = subprocess.run([str(FACTURIER), "check", "--deploy"], check=False, env=env, capture_output=True,
                          text=True, timeout=120)
    assert "facturier.W015" in done.stderr + done.stdout
    env["FACTURIER_TRUSTED_PROXY_HEADER"] = "X-Forwarded-For"
    done = subprocess.run([str(FACTURIER), "check", "--deploy"], check=False, env=env, capture_output=True,
                          text=True, timeout=120)
    assert "facturier.W015" not in done.stderr + done.stdout and "facturier.W014" not in done.stderr + done.stdout
