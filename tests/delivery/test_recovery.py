"""A worker that dies: its claims are given back by lease, and a message that may have left is never sent
again without a person's decision (real SMTP server on loopback)."""

import datetime as dt
import os
import socket
import subprocess

import pytest
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from facturier.config import leases
from facturier.config.models import Worker
from facturier.delivery.models import Delivery, DeliveryState, OutboxMessage, OutboxState
from facturier.delivery.outbox import NothingToDecide, outbox_decide, outbox_flush
from facturier.delivery.services import send_documents
from facturier.parties.models import Contact

pytestmark = pytest.mark.django_db


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def worker_row(worker_id: str, *, alive: bool, host: str | None = None) -> Worker:
    """A worker of this host whose process is gone (dead at once), or one elsewhere beating now (alive)."""
    now = timezone.now()
    return Worker.objects.create(id=worker_id, host=host or (socket.gethostname() if not alive else "elsewhere"),
                                 pid=dead_pid() if not alive else 1, started_at=now, heartbeat_at=now)


def left_by(worker: Worker, row: OutboxMessage, *, dot_on_its_way: bool) -> None:
    OutboxMessage.objects.filter(pk=row.pk).update(
        state=OutboxState.SENDING, claimed_by=worker.id, claimed_at=timezone.now(),
        transfer_started_at=timezone.now() if dot_on_its_way else None)


def test_a_message_a_dead_worker_claimed_before_its_final_dot_is_sent_once_by_recovery(org, owner, mail,
                                                                                       smtp_server, issued):
    send_documents(by=owner, document_ids=[issued.pk])
    row = OutboxMessage.objects.get(document=issued)
    left_by(worker_row("killed", alive=False), row, dot_on_its_way=False)
    assert outbox_flush(organisation_id=org.pk).sent == 0  # claimed: a flush does not take it

    report = leases.recover()  # the organisation's flush is queued again (run at once here)
    assert report.dead_workers == ["killed"] and report.pending["delivery.OutboxMessage"] == [row.pk]
    row.refresh_from_db()
    assert row.state == OutboxState.SENT
    assert smtp_server.by_message_id() == {row.message_id: 1}
    assert Worker.objects.get(id="killed").stopped_at is not None
    assert leases.recover().anything is False  # a second recovery finds nothing


def test_the_claims_of_a_worker_whose_heartbeat_is_fresh_are_left_alone_until_its_lease_expires(
        org, owner, mail, smtp_server, issued, settings):
    send_documents(by=owner, document_ids=[issued.pk])
    row = OutboxMessage.objects.get(document=issued)
    busy = worker_row("busy-elsewhere", alive=True)
    left_by(busy, row, dot_on_its_way=False)
    assert leases.recover().anything is False
    assert OutboxMessage.objects.get(pk=row.pk).state == OutboxState.SENDING

    Worker.objects.filter(pk=busy.pk).update(
        heartbeat_at=timezone.now() - dt.timedelta(seconds=settings.FACTURIER_WORKER_LEASE_SECONDS + 1))
    assert leases.recover().dead_workers == ["busy-elsewhere"]
    assert OutboxMessage.objects.get(pk=row.pk).state == OutboxState.SENT
    assert len(smtp_server.messages) == 1


def test_a_message_whose_final_dot_was_on_its_way_when_its_worker_died_waits_for_a_decision(
        org, owner, mail, smtp_server, issued, django_capture_on_commit_callbacks):
    send_documents(by=owner, document_ids=[issued.pk])
    row = OutboxMessage.objects.get(document=issued)
    left_by(worker_row("killed", alive=False), row, dot_on_its_way=True)

    report = leases.recover()
    assert report.unknown["delivery.OutboxMessage"] == [row.pk]
    row.refresh_from_db()
    assert row.state == OutboxState.UNKNOWN and "may have been delivered" in row.last_error
    assert Delivery.objects.get(document=issued).state == DeliveryState.UNKNOWN
    assert outbox_flush(organisation_id=org.pk).sent == 0
    again = send_documents(by=owner, document_ids=[issued.pk], allow_duplicates=True)
    assert again.queued == [] and "outcome of this document's last sending is unknown" in again.refused[0].reason
    assert smtp_server.messages == []  # never sent without a decision

    with django_capture_on_commit_callbacks(execute=True):  # checked: the customer did not get it
        outbox_decide(by=owner, message_id=row.pk, resend=True)
    assert OutboxMessage.objects.get(pk=row.pk).state == OutboxState.SENT
    assert smtp_server.by_message_id() == {row.message_id: 1}
    with pytest.raises(NothingToDecide):
        outbox_decide(by=owner, message_id=row.pk, resend=True)


def test_a_connection_lost_after_the_final_dot_leaves_the_message_unknown_and_a_check_marks_it_sent(
        org, owner, mail, smtp_server, issued):
    Contact.objects.filter(customer=issued.customer).update(email="vanish@client.test")
    send_documents(by=owner, document_ids=[issued.pk])
    report = outbox_flush(organisation_id=org.pk)
    assert (report.sent, report.unknown, report.rescheduled) == (0, 1, 0)
    row = OutboxMessage.objects.get(document=issued)
    assert row.state == OutboxState.UNKNOWN and "the server may have taken it" in row.last_error
    delivery = Delivery.objects.get(document=issued)
    assert delivery.state == DeliveryState.UNKNOWN and delivery.get_state_display() == "Outcome unknown, check"
    assert outbox_flush(organisation_id=org.pk).sent == 0
    assert len(smtp_server.messages) == 1  # the server had it

    outbox_decide(by=owner, message_id=row.pk, resend=False)  # checked: it arrived
    row.refresh_from_db()
    assert row.state == OutboxState.SENT and row.sent_at is not None
    assert Delivery.objects.get(document=issued).state == DeliveryState.SENT
    assert outbox_flush(organisation_id=org.pk).sent == 0 and len(smtp_server.messages) == 1


def test_a_decision_belongs_to_the_messages_organisation(org, owner, mail, smtp_server, issued, other_org):
    Contact.objects.filter(customer=issued.customer).update(email="vanish@client.test")
    send_documents(by=owner, document_ids=[issued.pk])
    outbox_flush(organisation_id=org.pk)
    row = OutboxMessage.objects.get(document=issued)
    with pytest.raises(NothingToDecide):
        outbox_decide(by=other_org.owner, message_id=row.pk, resend=True)
    assert OutboxMessage.objects.get(pk=row.pk).state == OutboxState.UNKNOWN


def test_a_task_a_dead_worker_left_running_is_queued_again_and_a_live_ones_is_not():
    def running(worker_id):
        return DBTaskResult.objects.create(
            status=TaskResultStatus.RUNNING, worker_ids=[worker_id],
            task_path="facturier.archive.tasks.seal_checkpoints",
            args_kwargs={"args": [], "kwargs": {}}, backend_name="default", run_after=timezone.now(),
            started_at=timezone.now())

    worker_row("killed", alive=False)
    worker_row("busy-elsewhere", alive=True)
    orphan, busy, unknown_worker = running("killed"), running("busy-elsewhere"), running("never-registered")
    report = leases.recover()
    assert sorted(report.tasks) == sorted([str(orphan.pk), str(unknown_worker.pk)])
    statuses = dict(DBTaskResult.objects.values_list("id", "status"))
    assert statuses[orphan.pk] == statuses[unknown_worker.pk] == TaskResultStatus.READY
    assert statuses[busy.pk] == TaskResultStatus.RUNNING


def test_a_worker_found_dead_can_record_nothing_more_under_its_id(org, owner, mail, smtp_server, issued):
    send_documents(by=owner, document_ids=[issued.pk])
    row = OutboxMessage.objects.get(document=issued)
    leases.register()
    assert leases.claim(row)
    Worker.objects.filter(id=row.claimed_by).update(stopped_at=timezone.now())  # another found it dead
    OutboxMessage.objects.filter(pk=row.pk).update(state=OutboxState.PENDING)  # and gave the message back
    with pytest.raises(leases.Fenced):
        leases.heartbeat(force=True)
    assert leases.transfer_begins(row) is False  # so its final dot is never sent
    assert leases.worker_id() != row.claimed_by  # a process that is not a dedicated worker starts afresh
    assert os.getpid() == Worker.objects.get(id=leases.worker_id()).pid


def test_the_document_page_shows_an_unknown_outcome_and_the_members_decision_settles_it(
        org, owner, mail, smtp_server, issued, client):
    Contact.objects.filter(customer=issued.customer).update(email="vanish@client.test")
    send_documents(by=owner, document_ids=[issued.pk])
    outbox_flush(organisation_id=org.pk)
    client.force_login(owner.user)
    page = client.get(f"/documents/{issued.pk}/").content.decode()
    # the member reads French (French first)
    assert "Issue inconnue, à vérifier" in page and "vanish@client.test est peut-être arrivé au serveur" in page

    answer = client.post(f"/documents/{issued.pk}/delivery/decide/", {"decision": "sent"}, follow=True)
    assert "Le message est enregistré comme envoyé." in answer.content.decode()
    assert OutboxMessage.objects.get(document=issued).state == OutboxState.SENT
    assert "Issue inconnue" not in client.get(f"/documents/{issued.pk}/").content.decode()
    assert len(smtp_server.messages) == 1
