"""SFTP connectors against a real asyncssh SFTP server on loopback."""

from __future__ import annotations

import datetime as dt

import asyncssh
import pytest
from conftest import SFTP_PASSWORD, SFTP_USER

from facturier.delivery.connectors.files import file_name
from facturier.delivery.connectors.outbox import connector_flush
from facturier.delivery.connectors.services import (
    NotEnabled,
    connector_enable,
    connector_repin,
    connector_save,
    connector_test,
)
from facturier.delivery.models import Connector, ConnectorTransfer, Delivery, DeliveryEvent, TransferState
from facturier.secrets import open_secret

pytestmark = pytest.mark.django_db


def _steps(report) -> list[tuple[str, bool]]:
    return [(s["step"], s["ok"]) for s in report.steps]


def _flush(connector, **kw):
    return connector_flush(connector_id=connector.pk, **kw)


def test_connection_test_passes_step_by_step_pins_the_host_key_and_enables(owner, sftp_server, allow_private):
    connector = connector_save(by=owner, name="Dépôt", kind="sftp", host="127.0.0.1", port=sftp_server.port,
                               username=SFTP_USER, password=SFTP_PASSWORD, remote_folder="in")
    assert not connector.enabled
    with pytest.raises(NotEnabled):
        connector_enable(by=owner, connector_id=connector.pk, enabled=True)
    report = connector_test(by=owner, connector_id=connector.pk)
    assert _steps(report) == [("dns", True), ("tcp", True), ("host_key", True), ("authentication", True),
                              ("permission", True), ("write", True)]
    connector.refresh_from_db()
    assert connector.enabled and connector.test_ok
    assert connector.host_key_fingerprint == sftp_server.fingerprint
    assert list((sftp_server.root / "in").iterdir()) == []  # the probe file was removed


def test_secrets_are_encrypted_at_rest(sftp_connector):
    stored = bytes(Connector.objects.get(pk=sftp_connector.pk).password)
    assert SFTP_PASSWORD.encode() not in stored
    assert open_secret(stored, purpose=f"connector-password:{sftp_connector.pk}").decode() == SFTP_PASSWORD


def test_issued_document_is_exported_on_issue_and_shown_exported_via_the_connector(owner, draft, sftp_connector,
                                                                                   sftp_server):
    from facturier.invoicing.services import document_issue

    connector_save(by=owner, connector_id=sftp_connector.pk, on_issue=True)  # not an endpoint change: still on
    assert Connector.objects.get(pk=sftp_connector.pk).enabled
    document = document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))
    assert _flush(sftp_connector).sent == 1  # the worker's flush, queued on commit
    files = {p.name: p.read_bytes() for p in (sftp_server.root / "in").iterdir()}
    assert list(files) == [f"C001_{document.number}.pdf"]
    assert files[f"C001_{document.number}.pdf"].startswith(b"%PDF")
    transfer = ConnectorTransfer.objects.get(document=document)
    assert transfer.state == TransferState.SENT and transfer.attempts == 1
    delivery = Delivery.objects.get(document=document)
    assert delivery.state == "exported" and delivery.recipient == "Dépôt SFTP"
    assert "Exported via Dépôt SFTP" in DeliveryEvent.objects.filter(delivery=delivery).last().detail
    # A second flush sends nothing again.
    assert _flush(sftp_connector).sent == 0
    assert len(list((sftp_server.root / "in").iterdir())) == 1


def test_customer_whose_channel_is_the_connector_gets_its_format_through_send_documents(
        owner, org, issued, sftp_connector, sftp_server):
    from facturier.delivery.services import send_documents
    from facturier.parties.services import customer_update

    customer_update(by=owner, customer_id=org.customer.pk, preferred_channel="connector",
                    preferred_connector_id=sftp_connector.pk, preferred_format="ubl_fr")
    result = send_documents(by=owner, document_ids=[issued.pk])  # no mail server needed for this customer
    assert result.queued == [issued.pk] and not result.refused
    assert _flush(sftp_connector).sent == 1
    data = (sftp_server.root / "in" / f"C001_{issued.number}.xml").read_bytes()
    assert b"<Invoice" in data and b"urn:cen.eu:en16931:2017" in data
    assert Delivery.objects.get(document=issued).state == "exported"
    waiting = send_documents(by=owner, document_ids=[issued.pk])
    assert waiting.queued == [issued.pk]  # sent already: sending again is the member's choice
    assert [r.code for r in send_documents(by=owner, document_ids=[issued.pk]).refused] == ["in_progress"]


def test_changed_host_key_refuses_to_connect_until_a_settings_manager_re_pins(owner, issued, sftp_connector,
                                                                               sftp_server):
    from facturier.delivery.connectors.services import connector_export

    old = sftp_connector.host_key_fingerprint
    sftp_server.restart_with(asyncssh.generate_private_key("ssh-ed25519"))
    report = connector_test(by=owner, connector_id=sftp_connector.pk)
    assert not report.ok
    failed = report.steps[-1]
    assert failed["step"] == "host_key" and old in failed["message"] and sftp_server.fingerprint in failed["message"]
    assert "re-pin" in failed["message"]
    assert not Connector.objects.get(pk=sftp_connector.pk).enabled
    with pytest.raises(NotEnabled):
        connector_export(by=owner, connector_id=sftp_connector.pk, document_ids=[issued.pk])
    connector_repin(by=owner, connector_id=sftp_connector.pk)
    assert connector_test(by=owner, connector_id=sftp_connector.pk).ok
    connector = Connector.objects.get(pk=sftp_connector.pk)
    assert connector.enabled and connector.host_key_fingerprint == sftp_server.fingerprint != old


def test_host_key_changed_between_test_and_flush_sends_nothing_and_disables(owner, issued, sftp_connector,
                                                                            sftp_server):
    from facturier.delivery.connectors.services import connector_export

    sftp_server.restart_with(asyncssh.generate_private_key("ssh-ed25519"))
    connector_export(by=owner, connector_id=sftp_connector.pk, document_ids=[issued.pk])
    report = _flush(sftp_connector)
    assert report.sent == 0 and "host key changed" in report.errors[0]
    transfer = ConnectorTransfer.objects.get(document=issued)
    assert transfer.state == TransferState.PENDING and "host key changed" in transfer.last_error
    assert list((sftp_server.root / "in").iterdir()) == []
    assert not Connector.objects.get(pk=sftp_connector.pk).enabled


def test_wrong_password_names_the_authentication_step(owner, sftp_server, allow_private):
    connector = connector_save(by=owner, name="Mauvais", kind="sftp", host="127.0.0.1", port=sftp_server.port,
                               username=SFTP_USER, password="wrong", remote_folder="in")
    report = connector_test(by=owner, connector_id=connector.pk)
    assert _steps(report) == [("dns", True), ("tcp", True), ("host_key", True), ("authentication", False)]
    assert SFTP_USER in report.steps[-1]["message"]
    assert not Connector.objects.get(pk=connector.pk).enabled


def test_unreachable_port_names_the_tcp_step(owner, allow_private):
    from mailservers import free_port

    connector = connector_save(by=owner, name="Fermé", kind="sftp", host="127.0.0.1", port=free_port(),
                               username=SFTP_USER, password=SFTP_PASSWORD)
    report = connector_test(by=owner, connector_id=connector.pk)
    assert _steps(report) == [("dns", True), ("tcp", False)]


def test_private_address_refused_without_the_operator_setting(owner, sftp_server):
    connector = connector_save(by=owner, name="Local", kind="sftp", host="127.0.0.1", port=sftp_server.port,
                               username=SFTP_USER, password=SFTP_PASSWORD)
    report = connector_test(by=owner, connector_id=connector.pk)
    assert _steps(report) == [("dns", False)]
    assert "private, local or reserved address" in report.steps[0]["message"]


def test_missing_folder_names_the_permission_step(owner, sftp_server, allow_private):
    connector = connector_save(by=owner, name="Dossier", kind="sftp", host="127.0.0.1", port=sftp_server.port,
                               username=SFTP_USER, password=SFTP_PASSWORD, remote_folder="nowhere")
    report = connector_test(by=owner, connector_id=connector.pk)
    assert report.steps[-1]["step"] == "permission" and not report.ok


def test_changing_credentials_disables_until_tested_again(owner, sftp_connector):
    connector = connector_save(by=owner, connector_id=sftp_connector.pk, password="another")
    assert not connector.enabled
    connector = connector_save(by=owner, connector_id=sftp_connector.pk, port=sftp_connector.port + 1)
    assert not connector.enabled and connector.host_key == ""  # another server: its key is pinned again


def test_document_whose_adaptation_the_engine_refuses_is_not_sent_and_says_why(owner, org, issued, sftp_connector,
                                                                                sftp_server):
    from facturier.delivery.services import send_documents
    from facturier.parties.services import customer_update

    customer_update(by=owner, customer_id=org.customer.pk, preferred_channel="connector",
                    preferred_connector_id=sftp_connector.pk, preferred_format="xrechnung_ubl")
    send_documents(by=owner, document_ids=[issued.pk])
    assert _flush(sftp_connector).failed == 1
    transfer = ConnectorTransfer.objects.get(document=issued)
    assert transfer.state == TransferState.FAILED and transfer.attempts == 1
    assert "BR-DE-" in transfer.last_error  # the XRechnung rules the document does not meet
    assert list((sftp_server.root / "in").iterdir()) == []
    delivery = Delivery.objects.get(document=issued)
    assert delivery.state == "failed" and "BR-DE-" in delivery.events.last().detail


def test_file_names_cannot_leave_the_folder(issued):
    assert file_name("../../etc/{number}.{ext}", issued, "cii") == f"etc_{issued.number}.xml"
    assert file_name("{customer_code}/../{kind}-{date}.{ext}", issued, "facturx") == "C001_invoice-2026-03-02.pdf"
    assert "/" not in file_name("{number}/{number}", issued, "ubl")


def test_unknown_placeholder_is_refused(owner, sftp_connector):
    from facturier.delivery.connectors.files import BadPattern

    with pytest.raises(BadPattern):
        connector_save(by=owner, connector_id=sftp_connector.pk, file_name="{secret}.{ext}")


def test_private_key_sign_in_and_an_unreadable_key_is_refused(owner, tmp_path, allow_private):
    from django.core.exceptions import ValidationError

    from facturier.delivery.connectors.sftp_server import SftpServerThread

    client_key = asyncssh.generate_private_key("ssh-ed25519")
    server = SftpServerThread(tmp_path / "keyed", users={}, host_key=asyncssh.generate_private_key("ssh-ed25519"),
                              authorized_keys={"robot": [client_key]}).start()
    try:
        connector = connector_save(by=owner, name="Clé", kind="sftp", host="127.0.0.1", port=server.port,
                                   username="robot", private_key=client_key.export_private_key().decode())
        assert connector_test(by=owner, connector_id=connector.pk).ok
    finally:
        server.stop()
    with pytest.raises(ValidationError):
        connector_save(by=owner, connector_id=connector.pk, private_key="not a key")
