"""A public buyer's contact sees, in the customer portal, the Chorus Pro status of its invoice: the same
platform status the dashboard and the API show, read from the Chorus Pro simulator over real HTTP."""

from __future__ import annotations

import pytest

from facturier.platforms.chorus import client as cp
from facturier.platforms.chorus import simulator as sim

pytestmark = pytest.mark.django_db


@pytest.fixture
def chorus(settings, owner):
    from facturier.platforms.chorus.services import account_save, account_test

    settings.FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS = True  # the simulator is on loopback
    cp.forget_tokens()
    simulator = sim.start_simulator()
    account_save(by=owner, environment="custom", token_url=simulator.token_url, api_url=simulator.api_url,
                 client_id=sim.CLIENT_ID, client_secret=sim.CLIENT_SECRET, login=sim.LOGIN, password=sim.PASSWORD)
    assert all(s["ok"] for s in account_test(by=owner))
    yield simulator
    simulator.stop()
    cp.forget_tokens()


def test_the_portal_shows_the_chorus_pro_status_of_a_public_buyers_invoice(org, owner, chorus, portal,
                                                                            issue_archived):
    from facturier.delivery.services import send_documents
    from facturier.parties.models import Customer
    from facturier.platforms.chorus.outbox import chorus_flush, chorus_poll

    Customer.objects.filter(pk=org.customer.pk).update(  # the town hall of the seeded structures
        is_public_sector=True, siren="612345678", siret="61234567800017", chorus_service_code="SERV-FIN-01",
        preferred_channel="chorus")
    document = issue_archived()
    assert not send_documents(by=owner, document_ids=[document.pk]).refused
    chorus_flush(organisation_id=org.pk)
    chorus.advance(2)
    chorus_poll(organisation_id=org.pk)
    page = portal.get(f"/portal/{org.slug}/documents/{document.pk}/").content.decode()
    assert 'id="platform-status"' in page and "Chorus Pro: Payment ordered" in page
