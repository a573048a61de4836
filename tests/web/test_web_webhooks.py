"""The webhook settings screens: add an endpoint (its secret shown once), send a test event to a real
receiver on loopback, read the delivery log, decide on a failed delivery; members without the right
are kept out."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from facturier.api.models import WebhookDelivery, WebhookEndpoint
from facturier.api.webhook_sender import webhooks_flush

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    from webhook_receiver import Receiver

    settings.FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS = True
    r = Receiver()
    yield r
    r.close()


def add(client, url, events=("document.issued",)):
    return client.post(reverse("web:settings_webhooks"), {"url": url, "description": "ERP", "events": list(events),
                                                          "enabled": "on"})


def test_adding_an_endpoint_shows_its_secret_once_then_a_test_event_shows_in_the_log(
        org, signed_in, receiver, django_capture_on_commit_callbacks):
    page = add(signed_in, receiver.url, events=["document.issued", "document.paid"])
    assert page.status_code == 200
    text = page.content.decode()
    secret = re.search(r'id="signing-secret">(whsec_[^<]+)<', text).group(1)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["document.issued", "document.paid"] and endpoint.created_by == org.owner.user
    detail = signed_in.get(reverse("web:settings_webhook", args=[endpoint.pk])).content.decode()
    assert secret not in detail and "Nothing sent yet." in detail
    receiver.secret = secret

    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(reverse("web:settings_webhook_test", args=[endpoint.pk]))
    webhooks_flush(organisation_id=org.pk)
    assert [r.json["type"] for r in receiver.requests] == ["webhook.test"] and receiver.requests[0].signed
    log = signed_in.get(reverse("web:settings_webhook", args=[endpoint.pk])).content.decode()
    assert "webhook.test" in log and "Delivered" in log and ">200<" in log and "received" in log

    shown = signed_in.post(reverse("web:settings_webhook_secret", args=[endpoint.pk]), {"action": "reveal"})
    assert secret in shown.content.decode()
    listing = signed_in.get(reverse("web:settings_webhooks")).content.decode()
    assert receiver.url in listing and "Document issued, Document paid" in listing


def test_a_failed_delivery_is_sent_again_from_the_log(org, signed_in, owner, receiver):
    from facturier.api.webhooks import endpoint_create, webhook_send_test

    endpoint, receiver.secret = endpoint_create(by=owner, url=receiver.url, events=["document.issued"])
    receiver.plan = [(400, 0.0)]
    delivery = webhook_send_test(by=owner, endpoint_id=endpoint.pk)
    webhooks_flush(organisation_id=org.pk)
    log = signed_in.get(reverse("web:settings_webhook", args=[endpoint.pk])).content.decode()
    assert "Failed" in log and "The receiver refused the event (400)." in log and "Send again" in log
    signed_in.post(reverse("web:settings_webhook_decide", args=[endpoint.pk, delivery.pk]), {"action": "resend"})
    webhooks_flush(organisation_id=org.pk)
    assert WebhookDelivery.objects.get(pk=delivery.pk).state == "delivered" and len(receiver.requests) == 2


def test_a_refused_url_and_a_missing_event_are_said_on_the_form(org, signed_in, settings):
    settings.FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS = False
    page = add(signed_in, "https://192.168.1.10/hook")
    assert page.status_code == 400 and "private, local or reserved address" in page.content.decode()
    page = add(signed_in, "https://example.com/hook", events=[])
    assert page.status_code == 400
    assert not WebhookEndpoint.objects.exists()


def test_a_disabled_endpoint_says_why(org, signed_in, owner, receiver):
    from facturier.api.webhooks import endpoint_create

    endpoint, _secret = endpoint_create(by=owner, url=receiver.url, events=["document.issued"])
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        enabled=False, disabled_reason="Disabled after 15 failed attempts in a row. Last error: 503")
    page = signed_in.get(reverse("web:settings_webhook", args=[endpoint.pk])).content.decode()
    assert "This endpoint is disabled" in page and "Disabled after 15 failed attempts" in page


def test_members_without_the_settings_right_and_other_organisations_are_kept_out(org, other_org, owner,
                                                                                 client_of, receiver):
    from facturier.accounts.models import Role, User
    from facturier.accounts.services import membership_add
    from facturier.api.webhooks import endpoint_create

    endpoint, _secret = endpoint_create(by=owner, url=receiver.url, events=["document.issued"])
    clerk = membership_add(organisation=org, user=User.objects.create_user("clerk@acme.test", "x" * 12),
                           role=Role.CLERK)
    assert client_of(clerk).get(reverse("web:settings_webhooks")).status_code == 403
    assert client_of(clerk).post(reverse("web:settings_webhook_secret", args=[endpoint.pk])).status_code == 403
    stranger = client_of(other_org.owner)
    assert stranger.get(reverse("web:settings_webhook", args=[endpoint.pk])).status_code == 404
    assert stranger.post(reverse("web:settings_webhook_test", args=[endpoint.pk])).status_code == 404


def test_the_webhook_screens_read_in_french(org, signed_in, owner, receiver):
    from facturier.api.webhooks import endpoint_create

    endpoint, _secret = endpoint_create(by=owner, url=receiver.url, events=["document.issued"])
    owner.user.language = "fr"
    owner.user.save()
    with translation.override("fr"):
        listing = signed_in.get(reverse("web:settings_webhooks")).content.decode()
        detail = signed_in.get(reverse("web:settings_webhook", args=[endpoint.pk])).content.decode()
    assert "Ajouter un point de réception" in listing and "Document émis" in listing
    assert "Journal des envois" in detail and "Envoyer un événement de test" in detail
