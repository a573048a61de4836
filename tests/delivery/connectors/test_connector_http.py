"""HTTP(S) connectors against a real HTTP server on loopback that checks each request's HMAC signature."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import BEARER, HMAC_SECRET

from facturier.delivery.connectors.outbox import BACKOFF, MAX_ATTEMPTS, connector_flush
from facturier.delivery.connectors.services import connector_export, connector_save, connector_test
from facturier.delivery.models import ConnectorTransfer, Delivery, Notification, TransferState

pytestmark = pytest.mark.django_db


def test_connection_test_sends_a_recognisable_signed_request(owner, http_connector, http_receiver):
    probe = http_receiver.received[-1]
    assert probe.headers["X-Facturier-Test"] == "1" and probe.signed
    assert probe.headers["X-Tenant"] == "acme" and probe.method == "POST" and probe.path == "/factures/in"
    assert [s["step"] for s in http_connector.test_steps] == ["dns", "tcp", "authentication", "permission", "write"]


def test_batch_export_posts_each_file_signed_over_one_kept_alive_connection(owner, org, lines, http_connector,
                                                                          http_receiver):
    from facturier.invoicing.services import document_issue, draft_create

    documents = [document_issue(by=owner, document_id=draft_create(by=owner, customer_id=org.customer.pk,
                                                                   lines=lines).pk, issue_date=dt.date(2026, 3, 2))
                 for _ in range(3)]
    before = len(http_receiver.connections)
    queued, refused = connector_export(by=owner, connector_id=http_connector.pk, document_ids=[d.pk for d in documents])
    assert len(queued) == 3 and not refused
    assert connector_flush(connector_id=http_connector.pk).sent == 3
    accepted = http_receiver.accepted()
    assert len(accepted) == 3 and all(r.signed for r in accepted)
    assert all(b"<Invoice" in r.body for r in accepted)  # the connector's format: UBL
    assert {r.headers["X-Facturier-File-Name"] for r in accepted} == {f"{d.number}.xml" for d in documents}
    assert len({r.headers["Idempotency-Key"] for r in accepted}) == 3
    assert len(http_receiver.connections) == before + 1  # one connection for the flush
    assert all(Delivery.objects.get(document=d).state == "exported" for d in documents)


def test_answer_500_is_retried_with_backoff_then_failed_never_sent_twice(owner, issued, http_connector,
                                                                         http_receiver):
    http_receiver.statuses = [500] * 20
    connector_export(by=owner, connector_id=http_connector.pk, document_ids=[issued.pk])
    now = dt.datetime.now(dt.UTC)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = connector_flush(connector_id=http_connector.pk, now=now)
        transfer = ConnectorTransfer.objects.get(document=issued)
        assert transfer.attempts == attempt and "HTTP 500" in transfer.last_error
        if attempt < MAX_ATTEMPTS:
            assert report.rescheduled == 1 and transfer.state == TransferState.PENDING
            assert connector_flush(connector_id=http_connector.pk, now=now).sent == 0  # not due yet
            now = transfer.next_attempt_at
            assert now - dt.datetime.now(dt.UTC) > BACKOFF[attempt - 1] - dt.timedelta(minutes=1)
        else:
            assert report.failed == 1 and transfer.state == TransferState.FAILED
    file_posts = [r for r in http_receiver.received if "X-Facturier-Test" not in r.headers]
    assert len(file_posts) == MAX_ATTEMPTS  # one request per attempt, all refused by the receiver
    assert len({r.headers["Idempotency-Key"] for r in file_posts}) == 1
    assert connector_flush(connector_id=http_connector.pk, now=now + dt.timedelta(days=2)).sent == 0
    assert Delivery.objects.get(document=issued).state == "failed"


def test_client_error_fails_at_once(owner, issued, http_connector, http_receiver):
    http_receiver.statuses = [422]
    connector_export(by=owner, connector_id=http_connector.pk, document_ids=[issued.pk])
    assert connector_flush(connector_id=http_connector.pk).failed == 1
    assert "HTTP 422" in ConnectorTransfer.objects.get(document=issued).last_error


def test_wrong_token_names_the_authentication_step(owner, http_receiver, allow_private):
    connector = connector_save(by=owner, name="ERP", kind="http", url=http_receiver.url, auth="bearer",
                               auth_secret="wrong", signature_secret=HMAC_SECRET)
    report = connector_test(by=owner, connector_id=connector.pk)
    assert [(s["step"], s["ok"]) for s in report.steps] == [("dns", True), ("tcp", True), ("authentication", False)]


def test_unsigned_requests_are_refused_by_the_receiver_so_the_write_step_fails(owner, http_receiver, allow_private):
    connector = connector_save(by=owner, name="ERP", kind="http", url=http_receiver.url, auth="bearer",
                               auth_secret=BEARER)
    report = connector_test(by=owner, connector_id=connector.pk)
    assert report.steps[-1]["step"] == "write" and "400" in report.steps[-1]["message"]


def test_private_address_refused_without_the_operator_setting(owner, http_receiver):
    connector = connector_save(by=owner, name="ERP", kind="http", url=http_receiver.url)
    report = connector_test(by=owner, connector_id=connector.pk)
    assert [(s["step"], s["ok"]) for s in report.steps] == [("dns", False)]
    assert http_receiver.received == []


def test_receiver_unreachable_names_the_tcp_step(owner, allow_private):
    from mailservers import free_port

    connector = connector_save(by=owner, name="ERP", kind="http", url=f"http://127.0.0.1:{free_port()}/in")
    report = connector_test(by=owner, connector_id=connector.pk)
    assert [(s["step"], s["ok"]) for s in report.steps] == [("dns", True), ("tcp", False)]


def test_imported_document_goes_to_connectors_listening_to_imports(owner, org, issued, http_connector,
                                                                  http_receiver):
    from facturier.delivery.connectors.services import on_document_imported

    connector_save(by=owner, connector_id=http_connector.pk, on_import=True)
    # What the imports app's signal `document_imported` calls (wired with `connect_import_signal`).
    made = on_document_imported(sender=None, document_id=issued.pk, organisation_id=org.pk, batch_id=1)
    assert len(made) == 1 and made[0].trigger == "import"
    assert on_document_imported(sender=None, document_id=issued.pk, organisation_id=org.pk, batch_id=1) == []
    assert connector_flush(connector_id=http_connector.pk).sent == 1
    assert len(http_receiver.accepted()) == 1


def test_import_of_another_organisation_is_ignored(owner, other_org, issued, http_connector):
    from facturier.delivery.connectors.services import on_document_imported

    connector_save(by=owner, connector_id=http_connector.pk, on_import=True)
    assert on_document_imported(sender=None, document_id=issued.pk, organisation_id=other_org.pk, batch_id=1) == []


def test_failed_automatic_export_notifies_the_organisation(owner, org, lines, http_connector, http_receiver):
    from facturier.invoicing.services import document_issue, draft_create

    connector_save(by=owner, connector_id=http_connector.pk, on_issue=True)
    http_receiver.statuses = [403]
    draft = draft_create(by=owner, customer_id=org.customer.pk, lines=lines)
    document = document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))
    assert connector_flush(connector_id=http_connector.pk).failed == 1
    assert Notification.objects.filter(organisation=org, kind="connector", document=document).exists()
