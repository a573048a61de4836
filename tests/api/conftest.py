"""Webhook fixtures: a real HTTP receiver on loopback, endpoints pointing at it."""

from __future__ import annotations

import pytest
from webhook_receiver import Receiver


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
