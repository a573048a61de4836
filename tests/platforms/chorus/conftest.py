"""Chorus Pro fixtures: the simulator over real HTTP on loopback, an organisation's account on it, and an
issued invoice to a public-sector customer."""

from __future__ import annotations

import datetime as dt

import pytest

from facturier.platforms.chorus import client as cp
from facturier.platforms.chorus import simulator as sim


@pytest.fixture
def chorus_sim(settings):
    settings.FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS = True  # the simulator is on loopback
    settings.FACTURIER_CHORUS_TIMEOUT_S = 1.0
    cp.forget_tokens()
    simulator = sim.start_simulator()
    yield simulator
    simulator.stop()
    cp.forget_tokens()


@pytest.fixture
def chorus_account(owner, chorus_sim):
    from facturier.platforms.chorus.services import account_save, account_test

    account_save(by=owner, environment="custom", token_url=chorus_sim.token_url, api_url=chorus_sim.api_url,
                 client_id=sim.CLIENT_ID, client_secret=sim.CLIENT_SECRET, login=sim.LOGIN, password=sim.PASSWORD)
    steps = account_test(by=owner)
    assert all(s["ok"] for s in steps), steps
    return owner.organisation.chorus_account


@pytest.fixture
def public_customer(owner):
    from facturier.parties.services import customer_create
    from facturier.platforms.chorus.models import ChorusBuyer

    customer = customer_create(
        by=owner, code="MAIRIE", name="Mairie de Caluire-et-Cuire", siren="612345678", siret="61234567800017",
        is_public_sector=True, chorus_service_code="SERV-FIN-01", preferred_channel="chorus",
        effective_from=dt.date(2020, 1, 1),
        billing_address={"line1": "Place du Docteur Dugoujon", "postcode": "69300", "city": "Caluire-et-Cuire"})
    ChorusBuyer.objects.create(customer=customer, service_code_required=True)
    return customer


@pytest.fixture
def make_public_invoice(owner, lines):
    from facturier.invoicing.services import document_issue, draft_create

    def make(customer, **fields):
        draft = draft_create(by=owner, customer_id=customer.pk, lines=lines, **fields)
        return document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))

    return make


@pytest.fixture
def public_invoice(make_public_invoice, public_customer):
    return make_public_invoice(public_customer)
