"""Outgoing webhooks against a real HTTP receiver on loopback that checks every signature."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from facturier.api.models import WebhookDelivery, WebhookDeliveryState, WebhookEndpoint, WebhookEvent
from facturier.api.webhook_sender import sign, verify, webhooks_flush
from facturier.api.webhooks import (
    WebhookRefused,
    delivery_decide,
    endpoint_create,
    endpoint_secret,
    endpoint_update,
    webhook_send_test,
)
from facturier.invoicing.services import document_issue, documents_issue, draft_create
from facturier.invoicing.settlement import payment_record

pytestmark = pytest.mark.django_db
S = WebhookDeliveryState
ISSUE_DATE = dt.date(2026, 3, 2)


def later(minutes: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)


def types_received(receiver) -> list[str]:
    return [r.json["type"] for r in receiver.requests]


def test_issuing_a_document_posts_one_signed_document_issued_event(org, owner, draft, receiver, make_endpoint,
                                                                   django_capture_on_commit_callbacks):
    make_endpoint(["document.issued"])
    with django_capture_on_commit_callbacks(execute=True):
        document = document_issue(by=owner, document_id=draft.pk, issue_date=ISSUE_DATE)
    webhooks_flush(organisation_id=org.pk)  # whatever the task backend did, a second flush sends nothing more
    webhooks_flush(organisation_id=org.pk)

    assert types_received(receiver) == ["document.issued"]
    request = receiver.requests[0]
    assert request.signed and request.path == "/hooks/facturier"
    event = WebhookEvent.objects.get()
    assert request.headers["Facturier-Event-Id"] == event.uid == request.json["id"]
    assert request.headers["Facturier-Event-Type"] == "document.issued"
    assert request.headers["Content-Type"] == "application/json"
    data = request.json["data"]
    assert data["document"]["id"] == document.pk and data["document"]["number"] == document.number
    assert data["document"]["kind"] == "invoice" and data["document"]["state"] == "issued"
    assert Decimal(data["document"]["amounts"]["payable"]) == document.payable
    assert isinstance(data["document"]["amounts"]["payable"], str)
    assert data["change"] == {"action": "document.issue", "what": "document", "from": "draft", "to": "issued"}
    assert request.json["organisation"]["id"] == org.pk
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == S.DELIVERED and delivery.attempts == 1 and delivery.last_status_code == 200
    assert '"received": true' in delivery.response_excerpt


def test_a_batch_issue_posts_one_document_issued_event_per_document(org, owner, draft, lines, receiver, make_endpoint,
                                                                    django_capture_on_commit_callbacks):
    make_endpoint(["document.issued"])  # the batch asks once whether anyone listens: the endpoint is there
    ids = [draft.pk, *(draft_create(by=owner, customer_id=org.customer.pk, lines=lines).pk for _ in range(2))]
    with django_capture_on_commit_callbacks(execute=True):
        outcome = documents_issue(by=owner, document_ids=ids, issue_date=ISSUE_DATE)
    webhooks_flush(organisation_id=org.pk)
    numbers = [d.number for d in outcome.issued]
    assert len(numbers) == 3
    assert sorted(r.json["data"]["document"]["number"] for r in receiver.requests) == numbers
    assert types_received(receiver) == ["document.issued"] * 3


def test_a_change_rolled_back_makes_no_event(org, owner, draft, endpoint, receiver):
    with pytest.raises(RuntimeError), transaction.atomic():
        document_issue(by=owner, document_id=draft.pk, issue_date=ISSUE_DATE)
        assert WebhookEvent.objects.filter(type="document.issued").exists()  # made in the change's transaction
        raise RuntimeError("the change fails after the audit event")
    assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()
    webhooks_flush(organisation_id=org.pk)
    assert receiver.requests == []


def test_payments_make_partially_paid_then_paid_events_and_status_changes(org, owner, issued, endpoint, receiver):
    payment_record(by=owner, document_id=issued.pk, date=ISSUE_DATE, amount=Decimal("100.00"))
    payment_record(by=owner, document_id=issued.pk, date=ISSUE_DATE, amount=issued.payable - Decimal("100.00"))
    webhooks_flush(organisation_id=org.pk)
    received = types_received(receiver)
    # The fixture issued before the endpoint existed: only the payments' events.
    assert received == ["document.status_changed", "document.partially_paid",
                        "document.paid", "document.status_changed"]
    paid = receiver.requests[2].json["data"]
    assert paid["document"]["state"] == "paid" and paid["document"]["amounts"]["due"] == "0.00"
    assert paid["change"] == {"action": "payment.record", "what": "document", "from": "partially_paid",
                              "to": "paid"}
    assert all(r.signed for r in receiver.requests)
    assert len({r.json["id"] for r in receiver.requests}) == 4


def test_delivery_states_make_delivered_and_bounced_events(org, owner, issued, make_endpoint, receiver):
    from facturier.delivery.history import delivery_mark
    from facturier.delivery.models import DeliveryState

    make_endpoint(["document.delivered", "document.bounced", "document.status_changed"])
    delivery_mark(document=issued, state=DeliveryState.QUEUED, recipient="ap@customer.test")
    delivery_mark(document=issued, state=DeliveryState.SENT, recipient="ap@customer.test")
    delivery_mark(document=issued, state=DeliveryState.BOUNCED, detail="550 no such user")
    webhooks_flush(organisation_id=org.pk)
    assert types_received(receiver) == ["document.status_changed", "document.delivered", "document.status_changed",
                                        "document.bounced", "document.status_changed"]
    bounced = receiver.requests[3].json["data"]
    assert bounced["delivery"]["state"] == "bounced" and bounced["delivery"]["recipient"] == "ap@customer.test"
    assert bounced["change"] == {"action": "delivery.bounced", "what": "delivery", "from": "sent", "to": "bounced"}


def test_a_receiver_answering_500_then_200_gets_the_event_twice_and_the_log_says_so(org, owner, draft,
                                                                                    make_endpoint, receiver):
    make_endpoint(["document.issued"])
    receiver.plan = [(500, 0.0)]
    document_issue(by=owner, document_id=draft.pk, issue_date=ISSUE_DATE)
    first = webhooks_flush(organisation_id=org.pk)
    assert first.rescheduled == 1 and first.delivered == 0
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == S.PENDING and delivery.attempts == 1 and delivery.last_status_code == 500
    assert delivery.next_attempt_at > timezone.now() + dt.timedelta(seconds=20)  # backoff
    assert webhooks_flush(organisation_id=org.pk).delivered == 0  # not due yet

    assert webhooks_flush(organisation_id=org.pk, now=later(1)).delivered == 1
    delivery.refresh_from_db()
    assert delivery.state == S.DELIVERED and delivery.attempts == 2 and delivery.last_status_code == 200
    assert [r.json["id"] for r in receiver.requests] == [delivery.event.uid] * 2
    assert all(r.signed for r in receiver.requests)
    assert receiver.requests[0].body == receiver.requests[1].body  # the same event, byte for byte
    assert WebhookEndpoint.objects.get().consecutive_failures == 0


def test_a_receiver_that_does_not_answer_in_time_is_tried_again_later(org, owner, endpoint, receiver, settings):
    settings.FACTURIER_WEBHOOK_TIMEOUT_SECONDS = 0.5
    receiver.plan = [(200, 2.0)]
    webhook_send_test(by=owner, endpoint_id=endpoint.pk)
    report = webhooks_flush(organisation_id=org.pk)
    assert report.rescheduled == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == S.PENDING and delivery.last_status_code is None
    assert "No answer within 0.5 seconds" in delivery.last_error
    assert webhooks_flush(organisation_id=org.pk, now=later(1)).delivered == 1
    assert types_received(receiver) == ["webhook.test", "webhook.test"]


def test_a_4xx_answer_fails_at_once_and_can_be_resent_from_the_log(org, owner, endpoint, receiver):
    receiver.plan = [(410, 0.0)]
    webhook_send_test(by=owner, endpoint_id=endpoint.pk)
    assert webhooks_flush(organisation_id=org.pk).failed == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == S.FAILED and delivery.last_status_code == 410 and "410" in delivery.last_error
    assert webhooks_flush(organisation_id=org.pk, now=later(600)).delivered == 0
    delivery_decide(by=owner, delivery_id=delivery.pk, resend=True)
    assert webhooks_flush(organisation_id=org.pk).delivered == 1
    assert len(receiver.requests) == 2


def test_429_and_408_are_retried(org, owner, endpoint, receiver):
    receiver.plan = [(429, 0.0), (408, 0.0)]
    webhook_send_test(by=owner, endpoint_id=endpoint.pk)
    assert webhooks_flush(organisation_id=org.pk).rescheduled == 1
    assert webhooks_flush(organisation_id=org.pk, now=later(1)).rescheduled == 1
    assert webhooks_flush(organisation_id=org.pk, now=later(5)).delivered == 1


def test_attempts_stop_after_the_maximum_then_the_endpoint_is_disabled_after_repeated_failures(
        org, owner, endpoint, receiver, settings):
    from facturier.api.webhook_sender import MAX_ATTEMPTS

    settings.FACTURIER_WEBHOOK_DISABLE_AFTER = MAX_ATTEMPTS + 1
    receiver.plan = [(503, 0.0)] * (MAX_ATTEMPTS + 1)
    webhook_send_test(by=owner, endpoint_id=endpoint.pk)
    for step in range(MAX_ATTEMPTS):
        webhooks_flush(organisation_id=org.pk, now=later(60 * 24 * (step + 1)))
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == S.FAILED and delivery.attempts == MAX_ATTEMPTS
    assert WebhookEndpoint.objects.get().enabled  # MAX_ATTEMPTS failures: one short of the limit

    second = webhook_send_test(by=owner, endpoint_id=endpoint.pk)
    webhooks_flush(organisation_id=org.pk)
    endpoint.refresh_from_db()
    assert not endpoint.enabled and "failed attempts in a row" in endpoint.disabled_reason
    assert "503" in endpoint.disabled_reason
    third = WebhookDelivery.objects.get(pk=second.pk)
    assert third.state == S.PENDING  # waits for the endpoint to be enabled again
    count = len(receiver.requests)
    webhooks_flush(organisation_id=org.pk, now=later(60 * 24 * 30))
    assert len(receiver.requests) == count  # nothing goes to a disabled endpoint

    endpoint_update(by=owner, endpoint_id=endpoint.pk, url=endpoint.url, events=endpoint.events, enabled=True)
    receiver.plan = []
    assert webhooks_flush(organisation_id=org.pk, now=later(60 * 24 * 30)).delivered == 1
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.disabled_reason == ""


def test_a_private_address_is_refused_without_the_operators_leave(owner, settings, receiver):
    settings.FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS = False
    with pytest.raises(WebhookRefused, match="Only https"):
        endpoint_create(by=owner, url=receiver.url, events=["document.issued"])
    for url in ("https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://[::1]/hook",
                "https://169.254.169.254/latest"):
        with pytest.raises(WebhookRefused, match="private, local or reserved"):
            endpoint_create(by=owner, url=url, events=["document.issued"])
    with pytest.raises(WebhookRefused, match="user name or password"):
        endpoint_create(by=owner, url="https://user:pw@example.com/hook", events=["document.issued"])
    assert not WebhookEndpoint.objects.exists()


def test_an_endpoint_whose_address_became_private_is_not_contacted(org, owner, endpoint, receiver, settings):
    webhook_send_test(by=owner, endpoint_id=endpoint.pk)
    settings.FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS = False  # the operator withdrew the leave
    assert webhooks_flush(organisation_id=org.pk).failed == 1
    assert receiver.requests == []
    assert "Only https" in WebhookDelivery.objects.get().last_error


def test_the_secret_is_encrypted_at_rest_and_revealed_to_settings_managers_only(org, owner, receiver,
                                                                                make_organisation):
    from facturier.accounts.services import membership_add
    from facturier.errors import FacturierError

    created, secret = endpoint_create(by=owner, url=receiver.url, events=["document.issued"])
    assert secret.startswith("whsec_") and secret.encode() not in bytes(WebhookEndpoint.objects.get().secret)
    assert endpoint_secret(by=owner, endpoint_id=created.pk) == secret
    rotated = endpoint_secret(by=owner, endpoint_id=created.pk, rotate=True)
    assert rotated != secret and endpoint_secret(by=owner, endpoint_id=created.pk) == rotated
    from facturier.accounts.models import Role, User

    clerk = membership_add(organisation=org, user=User.objects.create_user("clerk@acme.test", "x" * 12),
                           role=Role.CLERK)
    with pytest.raises(FacturierError):
        endpoint_secret(by=clerk, endpoint_id=created.pk)


def test_another_organisations_endpoints_hear_nothing(org, other_org, owner, draft, receiver, make_endpoint):
    make_endpoint(by=other_org.owner)
    document_issue(by=owner, document_id=draft.pk, issue_date=ISSUE_DATE)
    webhooks_flush(organisation_id=org.pk)
    webhooks_flush(organisation_id=other_org.pk)
    assert receiver.requests == [] and not WebhookEvent.objects.exists()
    with pytest.raises(WebhookRefused):
        webhook_send_test(by=owner, endpoint_id=WebhookEndpoint.objects.get().pk)


def test_a_receiver_verifies_the_signature_and_rejects_old_timestamps_and_altered_bodies():
    body = json.dumps({"id": "evt_1"}).encode()
    now = 1_780_000_000
    header = f"t={now},v1={sign('whsec_x', now, body)}"
    assert verify("whsec_x", header, body, now=now + 10)
    assert not verify("whsec_x", header, body, now=now + 301)  # too old: a replay
    assert not verify("whsec_x", header, body + b" ", now=now)
    assert not verify("whsec_y", header, body, now=now)
    assert not verify("whsec_x", "v1=" + sign("whsec_x", now, body), body, now=now)


def test_the_readme_receiver_snippet_accepts_a_real_signature_and_refuses_a_replay(org, owner, endpoint, receiver):
    import re
    import time
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("## Outgoing webhooks"):]
    snippet = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    scope: dict = {}
    exec(snippet, scope)  # noqa: S102 - the README's own example, run as a receiver would
    webhook_send_test(by=owner, endpoint_id=endpoint.pk)
    webhooks_flush(organisation_id=org.pk)
    request = receiver.requests[0]
    assert scope["verify"](receiver.secret, request.headers["Facturier-Signature"], request.body)
    assert not scope["verify"](receiver.secret, request.headers["Facturier-Signature"], request.body + b"x")
    old = int(time.time()) - 3600
    replay = f"t={old},v1={sign(receiver.secret, old, request.body)}"
    assert not scope["verify"](receiver.secret, replay, request.body)


def test_a_transaction_making_many_events_queues_one_flush(org, owner, issued, endpoint, receiver,
                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        payment_record(by=owner, document_id=issued.pk, date=ISSUE_DATE, amount=Decimal("10.00"))
        payment_record(by=owner, document_id=issued.pk, date=ISSUE_DATE, amount=Decimal("10.00"))
    flushes = [c for c in callbacks if getattr(c, "webhooks_flush_of", None) == org.pk]
    assert len(flushes) == 1
    assert WebhookEvent.objects.count() == 3  # status changed + partially paid, then partially paid again
    webhooks_flush(organisation_id=org.pk)
    assert types_received(receiver) == ["document.status_changed", "document.partially_paid",
                                        "document.partially_paid"]


def test_a_secret_sealed_under_another_master_key_fails_the_delivery_with_the_reason(org, owner, endpoint,
                                                                                    receiver):
    import os

    from facturier.secrets import seal_secret

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        secret=seal_secret(b"whsec_old", purpose=f"webhook-secret:{endpoint.pk}", master=os.urandom(32)))
    webhook_send_test(by=owner, endpoint_id=endpoint.pk)
    assert webhooks_flush(organisation_id=org.pk).failed == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == S.FAILED and "master key" in delivery.last_error and delivery.claimed_by
    assert receiver.requests == []
    new = endpoint_secret(by=owner, endpoint_id=endpoint.pk, rotate=True)  # replacing the secret mends it
    receiver.secret = new
    delivery_decide(by=owner, delivery_id=delivery.pk, resend=True)
    assert webhooks_flush(organisation_id=org.pk).delivered == 1 and receiver.requests[0].signed


def test_an_imported_invoice_posts_document_issued_as_it_arrives_issued(org, owner, receiver, make_endpoint,
                                                                       django_capture_on_commit_callbacks):
    import sys
    from pathlib import Path

    from facturier.imports.services import IncomingFile, import_files

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "imports"))
    from import_helpers import CII_EXAMPLES, as_seller

    make_endpoint(["document.issued"])
    xml = as_seller(CII_EXAMPLES[1].read_bytes(), number="EXT-8001")
    with django_capture_on_commit_callbacks(execute=True):
        document = import_files(organisation=org, files=[IncomingFile("EXT-8001.xml", xml)], source="api",
                                by=owner).items.get().document
    webhooks_flush(organisation_id=org.pk)

    assert types_received(receiver) == ["document.issued"]
    data = receiver.requests[0].json["data"]
    assert data["document"]["number"] == "EXT-8001" and data["document"]["state"] == "issued"
    assert data["change"]["action"] == "document.import" and data["document"]["id"] == document.pk
