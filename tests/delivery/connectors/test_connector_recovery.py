"""Exactly once across crashes: a transfer a dead worker held is given back when its irreversible step had
not begun, left "unknown" for a person when it had — never repeated blindly (real SFTP server)."""

from __future__ import annotations

import socket
import subprocess

import pytest
from django.utils import timezone

from facturier.config import leases
from facturier.config.models import Worker
from facturier.delivery.connectors import outbox
from facturier.delivery.connectors.outbox import NothingToDecide, connector_flush, transfer_decide
from facturier.delivery.connectors.services import connector_export
from facturier.delivery.models import ConnectorTransfer, Delivery, TransferState

pytestmark = pytest.mark.django_db


def _dead_worker(worker_id: str) -> Worker:
    child = subprocess.Popen(["true"])
    child.wait()
    now = timezone.now()
    return Worker.objects.create(id=worker_id, host=socket.gethostname(), pid=child.pid, started_at=now,
                                 heartbeat_at=now)


def _left_by(worker: Worker, transfer: ConnectorTransfer, *, begun: bool) -> None:
    ConnectorTransfer.objects.filter(pk=transfer.pk).update(
        state=TransferState.SENDING, claimed_by=worker.id, claimed_at=timezone.now(),
        transfer_started_at=timezone.now() if begun else None)


def _files(server) -> list[str]:
    return sorted(p.name for p in (server.root / "in").iterdir() if not p.name.startswith("."))


def test_transfer_a_dead_worker_held_before_its_rename_is_sent_once_by_recovery(owner, issued, sftp_connector,
                                                                                 sftp_server):
    connector_export(by=owner, connector_id=sftp_connector.pk, document_ids=[issued.pk])
    transfer = ConnectorTransfer.objects.get(document=issued)
    _left_by(_dead_worker("killed"), transfer, begun=False)
    assert connector_flush(connector_id=sftp_connector.pk).sent == 0  # claimed: not taken by another flush
    report = leases.recover()  # gives it back and queues the connector's flush (run at once here)
    assert report.pending["delivery.ConnectorTransfer"] == [transfer.pk]
    transfer.refresh_from_db()
    assert transfer.state == TransferState.SENT
    assert _files(sftp_server) == [f"C001_{issued.number}.pdf"]


def test_transfer_whose_rename_had_begun_is_left_unknown_then_decided_by_a_person(owner, issued, sftp_connector,
                                                                                  sftp_server):
    connector_export(by=owner, connector_id=sftp_connector.pk, document_ids=[issued.pk])
    transfer = ConnectorTransfer.objects.get(document=issued)
    _left_by(_dead_worker("killed-late"), transfer, begun=True)
    report = leases.recover()
    assert report.unknown["delivery.ConnectorTransfer"] == [transfer.pk]
    assert connector_flush(connector_id=sftp_connector.pk).sent == 0  # never repeated on its own
    assert Delivery.objects.get(document=issued).state == "unknown"
    assert _files(sftp_server) == []
    transfer_decide(by=owner, transfer_id=transfer.pk, resend=True)
    assert connector_flush(connector_id=sftp_connector.pk).sent == 1
    assert _files(sftp_server) == [f"C001_{issued.number}.pdf"]
    with pytest.raises(NothingToDecide):
        transfer_decide(by=owner, transfer_id=transfer.pk, resend=True)


def test_a_worker_stopping_right_after_the_rename_began_leaves_the_transfer_unknown(owner, issued, sftp_connector,
                                                                                     sftp_server, monkeypatch):
    def crash(transfer):
        raise KeyboardInterrupt

    monkeypatch.setattr(outbox, "_after_begun", crash)
    connector_export(by=owner, connector_id=sftp_connector.pk, document_ids=[issued.pk])
    with pytest.raises(KeyboardInterrupt):
        connector_flush(connector_id=sftp_connector.pk)
    transfer = ConnectorTransfer.objects.get(document=issued)
    assert transfer.state == TransferState.UNKNOWN
    monkeypatch.undo()
    assert connector_flush(connector_id=sftp_connector.pk).sent == 0
    transfer_decide(by=owner, transfer_id=transfer.pk, resend=False)  # the person saw the file arrive
    transfer.refresh_from_db()
    assert transfer.state == TransferState.SENT
    assert Delivery.objects.get(document=issued).state == "exported"
