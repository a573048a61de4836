"""Fixtures of the API's tests: keys, a client that speaks to /api/v1/, a real SMTP server on loopback;
for webhooks, a real HTTP receiver on loopback and endpoints pointing at it."""

from __future__ import annotations

import json
import uuid

import pytest
from webhook_receiver import Receiver


@pytest.fixture(autouse=True)
def _plain_static(settings):
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture(autouse=True)
def _fresh_cache(db):
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_key(db):
    """An API key acting as a member: returns its secret."""
    from facturier.api.keys import key_create
    from facturier.api.models import Scope

    def make(member, scopes=tuple(Scope.values), **kwargs) -> str:
        return key_create(by=member, name=kwargs.pop("name", "ERP"), scopes=list(scopes), **kwargs)[1]

    return make


class Api:
    """The Django test client, speaking JSON to /api/v1/ with a key."""

    def __init__(self, client, secret: str | None, language: str = "en"):
        self.client, self.secret, self.language = client, secret, language

    def headers(self, idempotency_key: str | None = None, **extra) -> dict:
        h = {"HTTP_ACCEPT_LANGUAGE": self.language, **extra}
        if self.secret:
            h["HTTP_AUTHORIZATION"] = f"Bearer {self.secret}"
        if idempotency_key:
            h["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
        return h

    def get(self, path: str, **extra):
        return self.client.get(f"/api/v1{path}", **self.headers(**extra))

    def write(self, method: str, path: str, body=None, *, key: str | None = "auto", **extra):
        key = str(uuid.uuid4()) if key == "auto" else key
        data = body if isinstance(body, (bytes, str)) else json.dumps(body or {})
        return getattr(self.client, method)(f"/api/v1{path}", data=data, content_type="application/json",
                                            **self.headers(key, **extra))

    def post(self, path, body=None, **kw):
        return self.write("post", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.write("patch", path, body, **kw)

    def delete(self, path, **kw):
        return self.write("delete", path, None, **kw)


@pytest.fixture
def api_of(client):
    def make(secret, language="en"):
        return Api(client, secret, language)

    return make


@pytest.fixture
def api(owner, make_key, api_of):
    return api_of(make_key(owner))


@pytest.fixture
def mail(owner, smtp_server):
    """The organisation's mail server: the loopback SMTP server (set in the settings screens, not by the API)."""
    from facturier.delivery.services import mail_settings_save

    return mail_settings_save(by=owner, host=smtp_server.host, port=smtp_server.port, security="none",
                              username=smtp_server.user, password=smtp_server.password, sender_name="Acme Factures",
                              sender_address="factures@acme.test", reply_to="compta@acme.test",
                              bounce_address="bounce@acme.test")


@pytest.fixture
def receiver(settings):
    settings.FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS = True  # the operator's leave: a receiver on loopback
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def make_endpoint(owner, receiver):
    """An endpoint of the organisation for these events (all by default), pointing at the receiver."""
    from facturier.api.models import WebhookEventType
    from facturier.api.webhooks import endpoint_create

    def make(events=WebhookEventType.values, by=None):
        created, secret = endpoint_create(by=by or owner, url=receiver.url, events=events, description="ERP")
        receiver.secret = secret
        return created

    return make


@pytest.fixture
def endpoint(make_endpoint):
    return make_endpoint()
