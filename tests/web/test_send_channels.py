"""The send button and the message after sending name the way the customer's documents actually leave:
e-mail, the customer portal (announced by e-mail), an export connector — and a customer who receives them
by post gets no button that pretends to send."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _channel(owner, customer, channel, **extra):
    from facturier.parties.services import customer_update

    customer_update(by=owner, customer_id=customer.pk, preferred_channel=channel, **extra)


def _send_button(client, document) -> str:
    page = client.get(reverse("web:document", args=[document.pk])).content.decode()
    start = page.index('id="send-button"')
    return page[page.rindex("<", 0, start): page.index("</", start)]


@pytest.fixture
def connector(owner, settings):
    from facturier.delivery.connectors.services import connector_save

    settings.FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS = True
    return connector_save(by=owner, name="Dépôt comptable", kind="sftp", host="127.0.0.1", port=2222,
                          username="depot", password="secret", remote_folder="in")


def test_the_send_button_names_the_customer_channel(signed_in, owner, org, issued, connector):
    assert "Send by e-mail" in _send_button(signed_in, issued)
    _channel(owner, org.customer, "portal")
    assert "Send via the customer portal" in _send_button(signed_in, issued)
    _channel(owner, org.customer, "connector", preferred_connector_id=connector.pk)
    assert "Send via Dépôt comptable" in _send_button(signed_in, issued)
    _channel(owner, org.customer, "post")
    button = _send_button(signed_in, issued)
    assert "Send by post" in button and "disabled" in button and "print the PDF and post it" in button
    _channel(owner, org.customer, "chorus")  # deposited on Chorus Pro (facturier.platforms.chorus)
    button = _send_button(signed_in, issued)
    assert "Send to Chorus Pro" in button and "disabled" not in button


def test_the_send_button_reads_in_french(signed_in, owner, org, issued, connector):
    owner.user.language = "fr"
    owner.user.save()
    _channel(owner, org.customer, "connector", preferred_connector_id=connector.pk)
    assert "Envoyer via Dépôt comptable" in _send_button(signed_in, issued)
    _channel(owner, org.customer, "email")
    assert "Envoyer par e-mail" in _send_button(signed_in, issued)


@pytest.fixture
def mail(owner, smtp_server):
    from facturier.delivery.services import mail_settings_save

    return mail_settings_save(by=owner, host=smtp_server.host, port=smtp_server.port, security="none",
                              username=smtp_server.user, password=smtp_server.password,
                              sender_address="factures@acme.test")


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_after_sending_the_message_names_the_channel(signed_in, owner, org, issued, mail):
    response = signed_in.post(reverse("web:document_send", args=[issued.pk]), follow=True)
    assert "1 document queued for sending by e-mail." in _messages(response)
    _channel(owner, org.customer, "portal")
    from facturier.delivery.models import OutboxMessage

    OutboxMessage.objects.filter(document=issued).update(state="sent")  # the first one went
    response = signed_in.post(reverse("web:document_send", args=[issued.pk]), follow=True)
    assert "1 document queued for the customer portal, announced by e-mail." in _messages(response)


def test_the_editor_asks_for_the_buyer_reference_of_an_xrechnung_customer(signed_in, owner, org, draft):
    from facturier.parties.services import customer_update

    editor = signed_in.get(reverse("web:document_edit", args=[draft.pk])).content.decode()
    assert 'name="buyer_reference"' in editor and "receives its invoices as XRechnung" not in editor
    customer_update(by=owner, customer_id=org.customer.pk, preferred_format="xrechnung_ubl",
                    buyer_reference="04011000-12345-03")
    editor = signed_in.get(reverse("web:document_edit", args=[draft.pk])).content.decode()
    field = editor[editor.index('name="buyer_reference"') - 200: editor.index('name="buyer_reference"') + 200]
    assert "required" in field
    assert "Required: Client Un SARL receives its invoices as XRechnung" in editor
    new = signed_in.get(reverse("web:document_new") + f"?customer={org.customer.pk}").content.decode()
    assert 'value="04011000-12345-03"' in new  # the customer's default, proposed in a new draft


def test_the_legal_data_form_has_the_invoicing_contact(signed_in):
    page = signed_in.get(reverse("web:settings")).content.decode()
    assert 'name="contact_name"' in page and "Invoicing contact" in page
