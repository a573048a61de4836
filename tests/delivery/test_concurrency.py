"""Several workers on one outbox (PostgreSQL): every message leaves once."""

import threading

import pytest
from django import db

from facturier.delivery.models import OutboxMessage, OutboxState
from facturier.delivery.outbox import outbox_flush
from facturier.delivery.services import send_documents

pytestmark = [pytest.mark.postgres]


def test_workers_flushing_the_same_outbox_at_once_send_each_message_once(transactional_db, org, owner, mail,
                                                                          smtp_server, customers, issue,
                                                                          monkeypatch):
    monkeypatch.setattr("facturier.delivery.services.enqueue_flush", lambda organisation_id: None)
    documents = [issue(customers["C002"]) for _ in range(12)]
    send_documents(by=owner, document_ids=[d.pk for d in documents])
    reports = []

    def worker(connections):
        try:
            reports.append(outbox_flush(organisation_id=org.pk, connections=connections))
        finally:
            db.connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in (1, 2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.sent for r in reports) == 12
    counts = smtp_server.by_message_id()
    assert len(counts) == 12 and set(counts.values()) == {1}
    assert set(OutboxMessage.objects.filter(organisation=org).values_list("state", flat=True)) == {OutboxState.SENT}
