"""Imported invoices leave through connectors: the "on import" trigger, and a customer whose channel
is a connector — the path a newcomer takes (upload a Factur-X, send it, see it on the SFTP server)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from facturier.delivery.connectors.outbox import connector_flush
from facturier.delivery.connectors.services import connector_save
from facturier.delivery.models import Delivery, TransferState

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "imports"))
from import_helpers import CII_EXAMPLES, as_seller, facturx  # noqa: E402 — the import tests' own files

pytestmark = pytest.mark.django_db


def _import_facturx(org, owner, number: str) -> tuple[object, bytes]:
    from facturier.imports.models import Outcome
    from facturier.imports.services import IncomingFile, import_files

    pdf = facturx(as_seller(CII_EXAMPLES[1].read_bytes(), number=number))
    item = import_files(organisation=org, files=[IncomingFile(f"{number}.pdf", pdf)], source="upload",
                        by=owner).items.get()
    assert item.outcome == Outcome.IMPORTED, item.messages
    return item.document, pdf


def test_a_connector_set_on_import_receives_each_imported_invoice_as_received(
        owner, org, sftp_connector, sftp_server, django_capture_on_commit_callbacks):
    connector_save(by=owner, connector_id=sftp_connector.pk, on_import=True)
    with django_capture_on_commit_callbacks(execute=True):  # document_imported is sent on commit
        document, pdf = _import_facturx(org, owner, "EXT-7001")
    connector_flush(connector_id=sftp_connector.pk)  # the worker's flush (already run when tasks run at once)
    from facturier.delivery.models import ConnectorTransfer

    transfer = ConnectorTransfer.objects.get(document=document)
    assert transfer.trigger == "import" and transfer.state == TransferState.SENT and transfer.attempts == 1
    files = {p.name: p.read_bytes() for p in (sftp_server.root / "in").iterdir()}
    name = f"{document.customer.code}_EXT-7001.pdf"
    assert list(files) == [name]
    assert files[name] == pdf  # the Factur-X received, byte for byte: an import is never regenerated
    assert Delivery.objects.get(document=document).state == "exported"


def test_an_imported_invoice_sent_to_a_connector_customer_arrives_on_the_sftp_server(
        owner, org, sftp_connector, sftp_server):
    from facturier.delivery.models import ConnectorTransfer
    from facturier.delivery.services import send_documents
    from facturier.parties.services import customer_update

    document, pdf = _import_facturx(org, owner, "EXT-7002")
    customer_update(by=owner, customer_id=document.customer_id, preferred_channel="connector",
                    preferred_connector_id=sftp_connector.pk)  # the connector's own format: Factur-X
    assert send_documents(by=owner, document_ids=[document.pk]).queued == [document.pk]
    assert connector_flush(connector_id=sftp_connector.pk).sent == 1
    assert ConnectorTransfer.objects.get(document=document).state == TransferState.SENT
    arrived = list((sftp_server.root / "in").iterdir())
    assert len(arrived) == 1 and arrived[0].read_bytes() == pdf
