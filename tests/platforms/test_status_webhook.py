"""The webhook the PA calls with a flow event: signed (good, bad, stale, replayed), capped, CSRF-exempt; a
life-cycle flow it announces is fetched from the PA and applied once."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from facturier.platforms.models import PlatformState, PlatformStatusEvent, sealed_for
from facturier.platforms.webhooks import sign

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _customers_receive_through_the_pa(db):
    """The customers' channel is "Approved platform" (before 2027-09-01 the channel decides)."""
    from django.db.models.signals import post_save

    from facturier.parties.models import Customer

    def platform(sender, instance, created, **kwargs):
        if created:
            Customer.objects.filter(pk=instance.pk).update(preferred_channel="platform")

    post_save.connect(platform, sender=Customer, dispatch_uid="pa-tests-platform-channel")
    yield
    post_save.disconnect(sender=Customer, dispatch_uid="pa-tests-platform-channel")
KEY = b"k" * 32


@pytest.fixture
def hooked(connection):
    connection.webhook_secret = sealed_for(connection, "webhook_secret", KEY)
    connection.save(update_fields=["webhook_secret"])
    return connection


def _post(connection, body: bytes, headers: dict):
    client = Client(enforce_csrf_checks=True)
    return client.post(f"/platforms/status/webhook/{connection.pk}/", data=body, content_type="application/json",
                       headers=headers)


def _event(flow_id: str = "nothing") -> bytes:
    return json.dumps({"flowId": flow_id, "flowDirection": "Out", "flowType": "CustomerInvoice",
                       "flowSyntax": "CII", "name": "x"}).encode()


def test_a_well_signed_event_is_taken(hooked):
    body = _event()
    assert _post(hooked, body, sign(body, KEY)).status_code == 200


def test_a_bad_signature_is_refused(hooked):
    body = _event()
    assert _post(hooked, body, sign(body, b"another key")).status_code == 401


def test_a_replayed_event_is_refused(hooked):
    body = _event()
    headers = sign(body, KEY)
    assert _post(hooked, body, headers).status_code == 200
    assert _post(hooked, body, headers).status_code == 409


def test_a_stale_event_is_refused(hooked):
    body = _event()
    assert _post(hooked, body, sign(body, KEY, timestamp=int(time.time()) - 3600)).status_code == 401


def test_an_oversized_body_is_refused(hooked):
    body = b"{" + b" " * (300 * 1024) + b"}"
    assert _post(hooked, body, sign(body, KEY)).status_code == 413


def test_an_unreadable_content_length_is_refused_not_an_error(hooked):
    body = _event()
    # refused before the view by the request-size middleware, never a server error
    assert _post(hooked, body, {**sign(body, KEY), "Content-Length": "12abc"}).status_code == 413


def test_a_life_cycle_event_fetches_and_applies_the_status_once(owner, org, issued, hooked, simulator):
    from facturier.delivery.services import send_documents
    from facturier.platforms.outbox import platform_flush

    send_documents(by=owner, document_ids=[issued.pk])
    platform_flush(organisation_id=org.pk)
    deadline = time.monotonic() + 10
    flows = []
    while time.monotonic() < deadline and not flows:
        flows = [f for f in simulator.platform.store.flows(tracking_id=str(issued.pk)) if f["direction"] == "In"]
        time.sleep(0.05)
    flow = flows[0]
    body = json.dumps({"flowId": flow["flow_id"], "flowDirection": "In", "flowType": "CustomerInvoiceLC",
                       "flowSyntax": "CDAR", "name": flow["name"]}).encode()
    from django.db import transaction

    with transaction.atomic():  # the fetch runs after commit (tasks run at once in the tests)
        assert _post(hooked, body, sign(body, KEY)).status_code == 200
    from facturier.platforms.statuses import status_fetch_apply

    status_fetch_apply(organisation_id=org.pk, flow_id=flow["flow_id"])  # idempotent: once
    assert PlatformStatusEvent.objects.filter(flow_id=flow["flow_id"]).count() == 1
    assert PlatformState.objects.get(document=issued).code == "200"
