"""The demo's connection subscribes its webhook at the simulator the way a real connection does (POST /v1/webhooks,
the signing key kept encrypted): an invoice issued and sent in the demo gets its statuses by signed webhook, with
no polling; an event not signed with that key is refused. Any organisation registers its webhook from the
settings. Real simulator and a live Django server on loopback."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from facturier.platforms.webhooks import sign


@pytest.fixture
def _customers_receive_through_the_pa(db):
    """The customers' channel is "Approved platform" (before 2027-09-01 the channel decides)."""
    from django.db.models.signals import post_save

    from facturier.parties.models import Customer

    def platform(sender, instance, created, **kwargs):
        if created:
            Customer.objects.filter(pk=instance.pk).update(preferred_channel="platform")

    post_save.connect(platform, sender=Customer, dispatch_uid="demo-webhook-platform-channel")
    yield
    post_save.disconnect(sender=Customer, dispatch_uid="demo-webhook-platform-channel")


def test_in_the_demo_an_issued_b2b_invoice_gets_its_statuses_by_signed_webhook_without_polling(
        committed_db, live_server, settings, _customers_receive_through_the_pa, org, owner, simulator):
    from facturier.delivery.services import send_documents
    from facturier.invoicing.services import document_issue, draft_create
    from facturier.platforms.models import (
        PlatformState,
        PlatformStatusEvent,
        PlatformSubmission,
        PollCursor,
        secret_of,
    )
    from facturier.platforms.outbox import platform_flush
    from facturier.platforms.submissions import EventSource

    settings.FACTURIER_BASE_URL = live_server.url
    from facturier.platforms.demo import demo_connect, demo_webhook
    from facturier.platforms.services import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    simulator.add_client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    connection = demo_webhook(demo_connect(org, simulator.url))
    (hook,) = simulator.platform.store.webhooks(f"{DEMO_CLIENT_ID}|{org.slug}")
    assert hook["id"] == connection.webhook_id
    assert hook["callback_url"] == f"{live_server.url}/platforms/status/webhook/{connection.pk}/"
    assert bytes(hook["signing_key"]) == secret_of(connection, "webhook_secret")  # kept, encrypted

    draft = draft_create(by=owner, customer_id=org.customer.pk, operation_category="goods",
                         lines=[{"name": "Étagère", "quantity": "2", "unit_price": "150.00", "vat_rate": "20"}])
    invoice = document_issue(by=owner, document_id=draft.pk)
    send_documents(by=owner, document_ids=[invoice.pk])
    platform_flush(organisation_id=org.pk)  # committed: the task queued by the sending may have flushed already
    assert PlatformSubmission.objects.get(document=invoice).state == "sent"
    assert simulator.wait_idle(timeout=30)

    emitted = [f for f in simulator.platform.store.flows(tracking_id=str(invoice.pk)) if f["direction"] == "In"]
    assert emitted
    delivered = [d for d in simulator.platform.delivered if d["flow_id"] in {f["flow_id"] for f in emitted}]
    assert {d["status"] for d in delivered} == {200}  # every signed event accepted by our endpoint
    events = PlatformStatusEvent.objects.filter(organisation=org, document=invoice)
    assert sorted(events.values_list("code", flat=True)) == sorted(f["status"] for f in emitted)
    assert set(events.values_list("source", flat=True)) == {EventSource.WEBHOOK}
    assert not PollCursor.objects.filter(organisation=org, polled_at__isnull=False).exists()  # no search ran
    assert PlatformState.objects.get(document=invoice).code == emitted[-1]["status"]

    # the signature check: the same kind of event signed with another key is refused, nothing applied
    forged = json.dumps({"flowId": emitted[0]["flow_id"] + "x", "flowDirection": "In", "flowSyntax": "CDAR",
                         "flowType": "CustomerInvoiceLC", "name": "forged"}).encode()
    import httpx

    answer = httpx.post(hook["callback_url"], content=forged,
                        headers={"Content-Type": "application/json", **sign(forged, b"not the key" * 3)})
    assert answer.status_code == 401
    assert events.count() == len(emitted)


def test_a_settings_manager_registers_the_webhook_from_the_settings(org, simulator, settings):
    from facturier.audit.models import Event
    from facturier.platforms.models import PlatformConnection
    from facturier.platforms.services import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, simulator_connect

    settings.FACTURIER_BASE_URL = "https://factures.example.test"
    simulator.add_client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    connection = simulator_connect(org, simulator.url)
    org.owner.user.language = "en"
    org.owner.user.save()
    client = Client()
    client.force_login(org.owner.user)
    page = client.get("/settings/platform/").content.decode()
    assert "not registered" in page and "Register the webhook so they arrive at once" in page
    answer = client.post(f"/settings/platform/{connection.pk}/webhook/", follow=True)
    connection = PlatformConnection.objects.get(pk=connection.pk)
    url = f"https://factures.example.test/platforms/status/webhook/{connection.pk}/"
    assert connection.webhook_id and url in answer.content.decode()
    assert "not registered" not in answer.content.decode() and connection.webhook_id in answer.content.decode()
    owner = f"{DEMO_CLIENT_ID}|{org.slug}"  # the simulator's owner of a webhook: client and Organization-Id
    (hook,) = simulator.platform.store.webhooks(owner)
    assert hook["callback_url"] == url and json.loads(hook["flow_types"]) == [
        "CustomerInvoiceLC", "StateTransactionReportLC", "StatePaymentReportLC"]
    assert Event.objects.filter(organisation=org, action="platform_connection.webhook").exists()
    again = client.post(f"/settings/platform/{connection.pk}/webhook/", follow=True)  # replaces, never piles up
    assert again.status_code == 200 and len(simulator.platform.store.webhooks(owner)) == 1


def test_registering_fails_with_a_clear_message_when_the_platform_refuses(org, simulator, settings):
    from facturier.platforms.services import simulator_connect

    connection = simulator_connect(org, simulator.url)  # the demo's credentials, unknown to this platform
    client = Client()
    client.force_login(org.owner.user)  # reads French
    page = client.post(f"/settings/platform/{connection.pk}/webhook/", follow=True).content.decode()
    assert "La plateforme n&#x27;a pas enregistré le webhook" in page
    assert "non enregistré" in page


def test_the_demo_start_up_leaves_a_connection_pointed_at_another_platform_alone(org, simulator):
    from facturier.platforms.demo import demo_webhook
    from facturier.platforms.models import Platform
    from facturier.platforms.services import simulator_connect

    connection = simulator_connect(org, simulator.url)
    elsewhere = Platform.objects.create(name="A real PA", flow_url="https://pa.example.test/flow",
                                        directory_url="https://pa.example.test/directory", enabled=True)
    connection.platform = elsewhere
    connection.save(update_fields=["platform"])
    assert demo_webhook(connection).webhook_id == ""
    assert simulator.platform.token_requests == 0  # nothing asked of any platform
