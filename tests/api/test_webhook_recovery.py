"""A worker that dies while it holds webhook deliveries: what it had not begun to send is sent once by
recovery; what may have reached the receiver is left "unknown" for a person, never sent again blindly."""

from __future__ import annotations

import socket
import subprocess

import pytest
from django.utils import timezone

from facturier.api.models import WebhookDelivery, WebhookDeliveryState
from facturier.api.webhook_sender import webhooks_flush
from facturier.api.webhooks import NothingToDecide, delivery_decide, webhook_send_test
from facturier.config import leases
from facturier.config.models import Worker

pytestmark = pytest.mark.django_db
S = WebhookDeliveryState
LABEL = "api.WebhookDelivery"


def dead_worker(worker_id: str) -> Worker:
    """A worker of this host whose process is gone: dead at once for recovery."""
    child = subprocess.Popen(["true"])
    child.wait()
    now = timezone.now()
    return Worker.objects.create(id=worker_id, host=socket.gethostname(), pid=child.pid, started_at=now,
                                 heartbeat_at=now)


def left_by(worker: Worker, delivery: WebhookDelivery, *, request_on_its_way: bool) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=S.SENDING, claimed_by=worker.id, claimed_at=timezone.now(),
        transfer_started_at=timezone.now() if request_on_its_way else None)


def test_a_delivery_whose_request_may_have_left_when_its_worker_died_is_unknown_and_not_resent(
        org, owner, endpoint, receiver, django_capture_on_commit_callbacks):
    delivery = webhook_send_test(by=owner, endpoint_id=endpoint.pk)
    left_by(dead_worker("killed"), delivery, request_on_its_way=True)
    assert webhooks_flush(organisation_id=org.pk).delivered == 0  # claimed: a flush does not take it

    report = leases.recover()
    assert report.dead_workers == ["killed"] and report.unknown[LABEL] == [delivery.pk]
    delivery.refresh_from_db()
    assert delivery.state == S.UNKNOWN and "the receiver may have it" in delivery.last_error
    webhooks_flush(organisation_id=org.pk)
    assert receiver.requests == []  # never repeated without a decision
    assert leases.recover().anything is False

    with django_capture_on_commit_callbacks(execute=True):  # checked with the receiver: it did not get it
        delivery_decide(by=owner, delivery_id=delivery.pk, resend=True)
    webhooks_flush(organisation_id=org.pk)
    assert WebhookDelivery.objects.get(pk=delivery.pk).state == S.DELIVERED
    assert [r.json["id"] for r in receiver.requests] == [delivery.event.uid]
    assert receiver.requests[0].signed
    with pytest.raises(NothingToDecide):
        delivery_decide(by=owner, delivery_id=delivery.pk, resend=True)


def test_an_unknown_delivery_the_receiver_has_is_marked_done(org, owner, endpoint, receiver, other_org):
    delivery = webhook_send_test(by=owner, endpoint_id=endpoint.pk)
    left_by(dead_worker("killed"), delivery, request_on_its_way=True)
    leases.recover()
    with pytest.raises(NothingToDecide):  # a decision belongs to the delivery's organisation
        delivery_decide(by=other_org.owner, delivery_id=delivery.pk, resend=False)
    delivery_decide(by=owner, delivery_id=delivery.pk, resend=False)
    assert WebhookDelivery.objects.get(pk=delivery.pk).state == S.DONE
    webhooks_flush(organisation_id=org.pk)
    assert receiver.requests == []


def test_a_delivery_a_dead_worker_claimed_before_sending_goes_back_and_is_sent_once(org, owner, endpoint,
                                                                                    receiver):
    delivery = webhook_send_test(by=owner, endpoint_id=endpoint.pk)
    left_by(dead_worker("killed"), delivery, request_on_its_way=False)
    report = leases.recover()  # gives it back and queues a flush (run at once with the immediate backend)
    assert report.pending[LABEL] == [delivery.pk]
    webhooks_flush(organisation_id=org.pk)
    webhooks_flush(organisation_id=org.pk)
    assert WebhookDelivery.objects.get(pk=delivery.pk).state == S.DELIVERED
    assert len(receiver.requests) == 1


def test_a_worker_found_dead_while_it_connected_does_not_send(org, owner, endpoint, receiver, monkeypatch):
    """The row was taken over between the claim and the request (a stalled worker): nothing leaves."""
    delivery = webhook_send_test(by=owner, endpoint_id=endpoint.pk)
    real_begins = leases.transfer_begins

    def taken_over(row):
        WebhookDelivery.objects.filter(pk=row.pk).update(claimed_by="another-worker")
        return real_begins(row)

    monkeypatch.setattr(leases, "transfer_begins", taken_over)
    report = webhooks_flush(organisation_id=org.pk)
    assert report.delivered == 0 and receiver.requests == []
    row = WebhookDelivery.objects.get(pk=delivery.pk)
    assert row.state == S.SENDING and row.claimed_by == "another-worker" and row.attempts == 0
