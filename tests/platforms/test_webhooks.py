"""Webhooks of the platform: subscription through the client, deliveries signed by the simulator as the Flow
Service file says (Afnor-Signature, Afnor-Signature-Timestamp), and the receiving side's check: good, bad,
replayed, stale."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import threading
import time

import pytest
from openapi_check import check_webhook_event

from facturier.platforms.client import FlowClient
from facturier.platforms.signature import sign
from facturier.platforms.webhooks import (
    BadSignature,
    MemoryReplayGuard,
    ReplayedEvent,
    StaleEvent,
    verify,
)

KEY = b"k" * 32
BODY = json.dumps({"flowId": "f1", "flowType": "CustomerInvoiceLC"}).encode()


def test_a_good_signature_is_accepted_and_gives_the_flow():
    event = verify(BODY, sign(BODY, KEY), KEY)
    assert event.payload["flowId"] == "f1"


def test_a_signature_over_the_raw_fingerprint_bytes_is_accepted_too():
    stamp = int(time.time())
    digest = hashlib.sha256(BODY + b"@" + str(stamp).encode()).digest()
    headers = {"Afnor-Signature": base64.b64encode(hmac.new(KEY, digest, hashlib.sha256).digest()).decode(),
               "Afnor-Signature-Timestamp": str(stamp)}
    assert verify(BODY, headers, KEY).timestamp == stamp


@pytest.mark.parametrize("tamper", ["body", "key", "timestamp", "missing", "garbage"])
def test_a_bad_signature_is_refused(tamper):
    headers = sign(BODY, KEY)
    body, key = BODY, KEY
    if tamper == "body":
        body = BODY.replace(b"f1", b"f2")
    elif tamper == "key":
        key = b"x" * 32
    elif tamper == "timestamp":
        headers["Afnor-Signature-Timestamp"] = str(int(headers["Afnor-Signature-Timestamp"]) + 1)
    elif tamper == "missing":
        headers = {}
    else:
        headers["Afnor-Signature"] = "not base64!"
    with pytest.raises(BadSignature):
        verify(body, headers, key)


def test_a_replayed_event_is_refused():
    seen = MemoryReplayGuard()
    headers = sign(BODY, KEY)
    verify(BODY, headers, KEY, seen=seen)
    with pytest.raises(ReplayedEvent) as caught:
        verify(BODY, headers, KEY, seen=seen)
    assert "already received" in caught.value.message


def test_a_stale_or_future_event_is_refused_even_well_signed():
    with pytest.raises(StaleEvent):
        verify(BODY, sign(BODY, KEY, timestamp=int(time.time()) - 3600), KEY)
    with pytest.raises(StaleEvent):
        verify(BODY, sign(BODY, KEY, timestamp=int(time.time()) + 3600), KEY)


def test_a_bad_signature_message_speaks_french():
    from django.utils import translation

    with translation.override("fr"):
        with pytest.raises(BadSignature) as caught:
            verify(BODY, sign(BODY, b"other"), KEY)
        assert "ne correspond pas" in caught.value.message


class _Receiver:
    def __init__(self):
        self.events: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 — http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.events.append((dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/pa-events"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = _Receiver()
    yield r
    r.stop()


def test_the_simulator_delivers_signed_events_the_receiver_verifies(connection, simulator, checked, receiver, issued):
    from facturier.documents.services import document_xml

    with FlowClient(connection) as flows:
        hook = flows.webhook_create(callback_url=receiver.url, flow_types=["CustomerInvoiceLC"], direction="In")
        assert len(hook.signing_key) == 32
        assert [w.webhook_id for w in flows.webhooks()] == [hook.webhook_id]
        flows.submit(file_name="i.xml", data=document_xml(issued, "cii"), flow_syntax="CII",
                     processing_rule="B2B", tracking_id=str(issued.pk))
        deadline = time.monotonic() + 20
        while len(receiver.events) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        seen = MemoryReplayGuard()
        statuses = []
        for headers, body in receiver.events:
            event = verify(body, headers, hook.signing_key, seen=seen)
            assert event.payload["flowType"] == "CustomerInvoiceLC"
            check_webhook_event(event.payload)
            statuses.append(flows.download(event.payload["flowId"]).split(b"<ram:ProcessConditionCode>")[1][:3])
        assert statuses == [b"200", b"202", b"204", b"205"]
        with pytest.raises(ReplayedEvent):
            verify(receiver.events[0][1], receiver.events[0][0], hook.signing_key, seen=seen)
        flows.webhook_delete(hook.webhook_id)
        assert flows.webhooks() == []


def test_subscribing_keeps_the_signing_key_encrypted_and_replaces_the_previous_webhook(connection, simulator,
                                                                                      checked, receiver):
    from facturier.platforms.services import webhook_key, webhook_subscribe

    first = webhook_subscribe(connection, receiver.url)
    key, first_id = webhook_key(first), first.webhook_id
    assert len(key) == 32 and key not in bytes(first.webhook_secret)
    second = webhook_subscribe(first, receiver.url, flow_types=["CustomerInvoiceLC"])
    assert second.webhook_id != first_id and webhook_key(second) != key
    with FlowClient(second) as flows:
        assert [w.webhook_id for w in flows.webhooks()] == [second.webhook_id]
