"""Fixtures of the screens' tests: signed-in clients of two organisations."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _plain_static(settings):
    # Templates use {% static %}; the manifest-less storage needs no collectstatic in tests.
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _users_read_english(db):
    """Screens follow each user's language (French by default); tests read English unless they switch."""
    from django.db.models.signals import pre_save

    from facturier.accounts.models import User

    def english(sender, instance, **kwargs):
        if instance._state.adding:
            instance.language = "en"

    pre_save.connect(english, sender=User, dispatch_uid="web-tests-english")
    yield
    pre_save.disconnect(sender=User, dispatch_uid="web-tests-english")


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner.user)
    return client


@pytest.fixture
def client_of(db):
    """A signed-in client for a membership."""
    from django.test import Client

    def make(member):
        c = Client()
        c.force_login(member.user)
        return c

    return make


# --- a real SMTP server on loopback (aiosmtpd), for the mail settings and the consent campaign ------

SMTP_USER, SMTP_PASSWORD = "mailer@acme.test", "s3cret-smtp"


@pytest.fixture
def smtp_server(settings):
    """aiosmtpd on a free loopback port, requiring AUTH; `.messages` holds what it accepted."""
    import socket
    import types

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    settings.FACTURIER_MAIL_ALLOW_PRIVATE_HOSTS = True
    settings.FACTURIER_MAIL_ALLOW_PLAIN_AUTH = True  # the test servers listen in clear on loopback
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    state = types.SimpleNamespace(host="127.0.0.1", port=port, messages=[], user=SMTP_USER, password=SMTP_PASSWORD)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            state.messages.append(envelope)
            return "250 2.0.0 Message accepted"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == SMTP_USER
              and auth_data.password.decode() == SMTP_PASSWORD)
        return AuthResult(success=ok, handled=False)

    controller = Controller(Handler(), hostname=state.host, port=port, authenticator=authenticator,
                            auth_require_tls=False, auth_required=True)
    controller.start()
    yield state
    controller.stop()
