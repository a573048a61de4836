"""Plan capabilities: one gate, used by the API, sending and the seal setting; nothing gated without a plan."""

from __future__ import annotations

import pytest

from facturier.billing.models import Capability
from facturier.billing.services import CapabilityMissing, capability_enabled, capability_require


def test_without_a_subscription_everything_is_enabled(org):
    assert all(capability_enabled(org, c) for c in Capability)


def test_a_missing_capability_is_refused_naming_the_plan_and_the_plans_that_offer_it(org, plans, subscribe):
    subscribe(org, plans["free"])
    with pytest.raises(CapabilityMissing) as refused:
        capability_require(org, Capability.API)
    assert "REST API is not included in the plan “Découverte”" in refused.value.message
    assert "Intégral" in refused.value.message
    assert capability_enabled(org, Capability.ARCHIVE)


def test_a_suspended_subscription_keeps_only_the_archive(org, plans, subscribe):
    from facturier.billing.services import subscription_state_set

    subscribe(org, plans["pro"])
    subscription_state_set(by=None, organisation=org, state="suspended")
    assert not capability_enabled(org, Capability.API)
    assert capability_enabled(org, Capability.ARCHIVE)


def test_an_api_call_is_refused_with_a_clear_problem_naming_the_plan(org, owner, plans, subscribe, client):
    from facturier.api.keys import key_create

    secret = key_create(by=owner, name="ERP", scopes=["read"])[1]
    headers = {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}
    assert client.get("/api/v1/customers", headers=headers).status_code == 200
    subscribe(org, plans["free"])
    response = client.get("/api/v1/customers", headers=headers)
    assert response.status_code == 403
    problem = response.json()
    assert problem["code"] == "plan_capability_missing"
    assert "“Découverte”" in problem["detail"]


def test_the_api_refusal_speaks_french_to_a_french_client(org, owner, plans, subscribe, client):
    from facturier.api.keys import key_create

    secret = key_create(by=owner, name="ERP", scopes=["read"])[1]
    subscribe(org, plans["free"])
    response = client.get("/api/v1/customers", headers={"Authorization": f"Bearer {secret}",
                                                        "Accept-Language": "fr"})
    assert response.status_code == 403
    assert "« API REST » n'est pas inclus dans l'offre « Découverte »" in response.json()["detail"]


def test_sending_by_email_is_refused_per_document_when_the_plan_lacks_it(org, owner, issued, plans, subscribe):
    from facturier.delivery.models import OutboxMessage
    from facturier.delivery.services import send_documents

    subscribe(org, plans["free"])
    result = send_documents(by=owner, document_ids=[issued.pk])
    assert result.queued == []
    assert [(r.code, "“Découverte”" in str(r.reason)) for r in result.refused] == [("plan_capability_missing", True)]
    assert not OutboxMessage.objects.filter(document=issued).exists()


def test_the_seal_cannot_be_switched_on_when_the_plan_lacks_it(org, owner, plans, subscribe):
    from facturier.web.services import organisation_update

    subscribe(org, plans["free"])
    with pytest.raises(CapabilityMissing):
        organisation_update(by=owner, sealing_enabled=True)
    org.refresh_from_db()
    assert not org.sealing_enabled
    organisation_update(by=owner, sealing_enabled=False, payment_terms_days=45)  # other settings still change


def test_a_company_already_sealing_stops_when_its_plan_loses_the_seal(org, owner, issued, plans, subscribe):
    from facturier.documents.services import certificate_demo_ensure, facturx_of
    from facturier.invoicing.models import Document

    org.sealing_enabled = True
    org.save(update_fields=["sealing_enabled"])
    certificate_demo_ensure(org)
    subscribe(org, plans["pro"])
    issued = Document.objects.select_related("organisation").get(pk=issued.pk)
    assert facturx_of(issued).signed
    subscribe(org, plans["free"])  # moved to a plan without the seal
    produced = facturx_of(issued)
    assert not produced.signed and b"/ByteRange" not in produced.data
