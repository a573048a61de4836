"""The connectors' settings screens and the customer's channel and format, through Django's test client."""

from __future__ import annotations

import pytest
from conftest import SFTP_PASSWORD, SFTP_USER

from facturier.delivery.connectors.outbox import connector_flush
from facturier.delivery.models import Connector, ConnectorTransfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner.user)
    return client


def _form(**values) -> dict:
    base = {"name": "Dépôt", "kind": "sftp", "file_format": "facturx", "file_name": "{number}.{ext}", "port": "22",
            "remote_folder": ".", "method": "POST", "signature_header": "X-Facturier-Signature", "action": "save"}
    return {**base, **values}


def test_add_save_and_test_shows_each_step_then_the_connector_is_enabled(signed_in, sftp_server, allow_private):
    response = signed_in.post("/settings/connectors/new/", _form(
        host="127.0.0.1", port=str(sftp_server.port), username=SFTP_USER, password=SFTP_PASSWORD, remote_folder="in",
        action="test"))
    assert response.status_code == 200
    page = response.content.decode()
    for step in ("dns", "tcp", "host_key", "authentication", "permission", "write"):
        assert f'data-step="{step}"' in page
    assert sftp_server.fingerprint in page
    connector = Connector.objects.get(name="Dépôt")
    assert connector.enabled
    assert SFTP_PASSWORD not in signed_in.get(f"/settings/connectors/{connector.pk}/edit/").content.decode()
    listing = signed_in.get("/settings/connectors/").content.decode()
    assert "Dépôt" in listing and "tag ok" in listing


def test_failed_test_names_the_step_in_french(signed_in, sftp_server, allow_private):
    from django.utils import translation

    with translation.override("fr"):
        response = signed_in.post("/settings/connectors/new/", _form(
            host="127.0.0.1", port=str(sftp_server.port), username=SFTP_USER, password="faux", action="test"),
            HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 422
    page = response.content.decode()
    assert 'class="failed" data-step="authentication"' in page


def test_disable_repin_export_and_history(signed_in, owner, issued, sftp_connector, sftp_server):
    url = f"/settings/connectors/{sftp_connector.pk}/"
    signed_in.post(url + "export/", {"numbers": issued.number})
    connector_flush(connector_id=sftp_connector.pk)
    page = signed_in.get(url).content.decode()
    assert issued.number in page and f"C001_{issued.number}.pdf" in page
    signed_in.post(url + "enable/", {"enabled": "0"})
    assert not Connector.objects.get(pk=sftp_connector.pk).enabled
    signed_in.post(url + "enable/", {"enabled": "1"})
    assert Connector.objects.get(pk=sftp_connector.pk).enabled
    signed_in.post(url + "repin/")
    connector = Connector.objects.get(pk=sftp_connector.pk)
    assert not connector.enabled and connector.host_key == ""
    assert ConnectorTransfer.objects.filter(connector=connector, state="sent").count() == 1


def test_other_organisation_cannot_see_a_connector(client, other_org, sftp_connector):
    client.force_login(other_org.owner.user)
    assert client.get(f"/settings/connectors/{sftp_connector.pk}/").status_code == 404


def test_customer_form_sets_the_connector_channel_and_format(signed_in, org, sftp_connector):
    customer = org.customer
    page = signed_in.get(f"/customers/{customer.pk}/edit/").content.decode()
    assert "Dépôt SFTP" in page and "XRechnung (UBL)" in page
    from facturier.web.forms import CustomerForm

    data = {name: getattr(customer, name) or "" for name in CustomerForm.FIELDS}
    data.update(preferred_channel="connector", preferred_connector_id=str(sftp_connector.pk),
                preferred_format="xrechnung_ubl", is_public_sector="")
    response = signed_in.post(f"/customers/{customer.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    customer.refresh_from_db()
    assert customer.preferred_connector_id == sftp_connector.pk and customer.preferred_format == "xrechnung_ubl"
