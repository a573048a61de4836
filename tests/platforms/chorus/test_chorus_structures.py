"""A public buyer's structure on Chorus Pro: its requirements read over real HTTP from the simulator, cached
with their date, checked before issuing and sending; what the Factur-X carries for Chorus Pro (where it reads
it); and Chorus Pro's statuses shown like the PA's on the dashboard, its filter, the history and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import translation
from lxml import etree

from facturier.delivery.services import send_documents
from facturier.platforms.chorus import client as cp
from facturier.platforms.chorus.outbox import chorus_flush, chorus_poll

pytestmark = pytest.mark.django_db
MINISTRY = "11000201100044"
NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


@pytest.fixture
def ministry(owner):
    from facturier.parties.services import customer_create

    return customer_create(
        by=owner, code="MINIST", name="Ministère de démonstration", siren="110002011", siret=MINISTRY,
        is_public_sector=True, chorus_service_code="DAF-01", preferred_channel="chorus",
        effective_from=dt.date(2020, 1, 1),
        billing_address={"line1": "139 rue de Bercy", "postcode": "75012", "city": "Paris"})


def _signed_in_english(owner) -> Client:
    owner.user.language = "en"
    owner.user.save(update_fields=["language"])
    client = Client()
    client.force_login(owner.user)
    client.cookies["django_language"] = "en"
    return client


def test_the_client_reads_a_structures_requirements_and_active_services(chorus_account):
    from facturier.platforms.chorus.services import client_for

    with client_for(chorus_account) as client:
        rules = client.structure_rules(MINISTRY)
        town = client.structure_rules("61234567800017")
        with pytest.raises(cp.StructureNotFound) as unknown:
            client.structure_rules("83311122200018")
    assert rules.service_code_required and rules.engagement_required and not rules.service_or_engagement
    assert rules.structure_id == "26300002" and [s.code for s in rules.services] == ["DAF-01"]
    assert {s.code: s.active for s in town.services} == {"SERV-FIN-01": True, "SERV-OLD-09": False,
                                                          "SERV-TECH-02": True}
    assert "83311122200018" in unknown.value.message


def test_reading_the_buyers_rules_caches_them_with_their_date(owner, chorus_account, public_customer):
    from facturier.platforms.chorus.services import buyer_rules_fetch

    before = dt.datetime.now(dt.UTC)
    rules = buyer_rules_fetch(by=owner, customer_id=public_customer.pk)
    assert rules.fetched_at >= before and rules.structure_id == "26300001"
    assert rules.service_code_required and not rules.engagement_required
    assert rules.service_codes == {"SERV-FIN-01", "SERV-TECH-02"}  # the inactive service is not offered


def test_a_missing_service_code_is_refused_before_issuing_with_a_clear_message(
        owner, chorus_account, chorus_sim, ministry, make_public_invoice):
    from facturier.invoicing.gate import RulesRefused

    ministry.chorus_service_code = ""
    ministry.save()
    with translation.override("fr"), pytest.raises(RulesRefused) as refused:
        make_public_invoice(ministry, purchase_order="EJ-2026-42")  # the structure is read before the issue
    assert refused.value.rule_ids == {"CHORUS-SERVICE"}
    with translation.override("fr"):
        assert "exige un code service" in refused.value.message and "avant de l'émettre" in refused.value.message
    with translation.override("en"):
        assert "requires a service code" in refused.value.message
    assert chorus_sim.deposits == []


def test_an_inactive_service_code_and_a_missing_engagement_are_refused_before_issuing(
        owner, chorus_account, ministry, make_public_invoice):
    from facturier.invoicing.gate import RulesRefused

    with pytest.raises(RulesRefused) as refused:
        make_public_invoice(ministry, buyer_reference="DAF-99")
    assert refused.value.rule_ids == {"CHORUS-SERVICE-UNKNOWN", "CHORUS-EJ"}


def test_the_simulator_rejects_like_chorus_pro_when_the_checks_are_bypassed(
        owner, chorus_account, chorus_sim, ministry, make_public_invoice):
    """No requirement known yet (the account disabled when issuing): the invoice leaves without its engagement
    number and Chorus Pro itself rejects it, with the reason."""
    from facturier.documents.services import facturx_of
    from facturier.platforms.chorus.models import ChorusAccount
    from facturier.platforms.chorus.services import client_for

    ChorusAccount.objects.filter(pk=chorus_account.pk).update(enabled=False)
    document = make_public_invoice(ministry)
    produced = facturx_of(document)
    with client_for(chorus_account) as client:
        deposit = client.deposer_flux(file_name=produced.filename, data=produced.data)
        assert client.consulter_cr(deposit.flow_number).state == "IN_INTEGRE"
        chorus_sim.advance()
        [found] = client.rechercher_factures(invoice_number=document.number)
        detail = client.consulter_facture(found.chorus_id)
    assert [h.status for h in detail.history] == ["DEPOSEE", "REJETEE"]
    assert "Numéro d'engagement obligatoire" in detail.history[-1].comment


def test_the_facturx_carries_siret_service_and_engagement_where_chorus_pro_reads_them(
        owner, chorus_account, ministry, make_public_invoice, tmp_path, referee):
    from facturier.documents.services import facturx_of
    from facturier.engine.facturx.unpack import unpack_facturx

    document = make_public_invoice(ministry, purchase_order="EJ-2026-42")
    produced = facturx_of(document)
    xml = etree.fromstring(unpack_facturx(produced.data).xml)
    agreement = xml.find("rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement", NS)
    assert agreement.findtext("ram:BuyerReference", namespaces=NS) == "DAF-01"  # BT-10, the service code
    siret = agreement.find("ram:BuyerTradeParty/ram:GlobalID", NS)  # BT-46, scheme 0009 (SIRET)
    assert (siret.text, siret.get("schemeID")) == (MINISTRY, "0009")
    assert agreement.findtext("ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",
                              namespaces=NS) == "EJ-2026-42"  # BT-13, the engagement number
    pdf = tmp_path / produced.filename
    pdf.write_bytes(produced.data)
    for flags in ((), ("--fr",)):
        verdict = referee([pdf], *flags)[str(pdf)]
        assert verdict["passed"], (flags, referee.fatal_findings(verdict))


def test_chorus_statuses_show_like_the_pa_statuses_on_the_dashboard_history_and_api(
        owner, chorus_account, chorus_sim, public_invoice):
    from facturier.api.keys import key_create
    from facturier.platforms.status_selectors import document_platform_status

    send_documents(by=owner, document_ids=[public_invoice.pk])
    chorus_flush(organisation_id=owner.organisation.pk)
    client = _signed_in_english(owner)
    waiting = client.get("/?platform=waiting").content.decode()
    assert public_invoice.number in waiting and "Chorus Pro: waiting for its first status" in waiting
    chorus_sim.advance()
    chorus_poll(organisation_id=owner.organisation.pk)
    assert public_invoice.number not in client.get("/?platform=waiting").content.decode()
    dashboard = client.get("/").content.decode()
    assert 'data-status="MISE_A_DISPOSITION"' in dashboard and "Chorus Pro: Made available to the buyer" in dashboard
    assert public_invoice.number in client.get("/?platform=MISE_A_DISPOSITION").content.decode()
    assert public_invoice.number not in client.get("/?platform=REJETEE").content.decode()
    assert public_invoice.number not in client.get("/?platform=problem").content.decode()
    history = client.get(f"/documents/{public_invoice.pk}/history/").content.decode()
    assert "Chorus Pro: Deposited" in history and "Chorus Pro: Made available to the buyer" in history

    secret = key_create(by=owner, name="ERP", scopes=["read"])[1]
    answer = Client().get(f"/api/v1/documents/{public_invoice.pk}/platform-status",
                          headers={"Authorization": f"Bearer {secret}", "Accept-Language": "fr"})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["channel"] == "chorus" and body["code"] == "MISE_A_DISPOSITION"
    assert body["label"] == "Chorus Pro : Mise à disposition"
    assert [e["code"] for e in body["history"]] == ["DEPOSEE", "MISE_A_DISPOSITION"]
    with translation.override("fr"):  # what the customer portal shows (the same selector)
        portal = document_platform_status(organisation=owner.organisation, document_id=public_invoice.pk)
    assert portal["label"] == "Chorus Pro : Mise à disposition"


def test_a_rejected_chorus_flow_is_a_problem_on_the_dashboard_with_what_to_do(
        owner, chorus_account, chorus_sim, make_public_invoice):
    from facturier.parties.services import customer_create

    customer = customer_create(by=owner, code="INCONNU", name="Établissement inconnu", siren="833111222",
                               siret="83311122200018", is_public_sector=True, effective_from=dt.date(2020, 1, 1),
                               billing_address={"line1": "1 rue", "postcode": "69001", "city": "Lyon"})
    document = make_public_invoice(customer)
    send_documents(by=owner, document_ids=[document.pk])
    chorus_flush(organisation_id=owner.organisation.pk)
    chorus_poll(organisation_id=owner.organisation.pk)
    client = _signed_in_english(owner)
    assert document.number in client.get("/?platform=problem").content.decode()
    page = client.get(f"/documents/{document.pk}/").content.decode()
    assert 'data-status="IRRECEVABLE"' in page and "Destinataire inconnu" in page
    assert "Chorus Pro could not read the file" in page


def test_the_customer_page_shows_the_requirements_read_from_chorus_pro_with_their_date(
        owner, chorus_account, ministry):
    client = _signed_in_english(owner)
    page = client.get(f"/customers/{ministry.pk}/").content.decode()
    assert 'id="chorus-buyer"' in page and "Unknown: not read from Chorus Pro yet" in page
    answer = client.post(f"/settings/chorus/buyers/{ministry.pk}/fetch/", {"back": "customer"})
    assert answer.status_code == 302 and answer["Location"].endswith(f"/customers/{ministry.pk}/#chorus-buyer")
    page = client.get(f"/customers/{ministry.pk}/").content.decode()
    assert 'data-requires="service_code"' in page and 'data-requires="engagement"' in page
    assert "Read from Chorus Pro on" in page and "Ministère de démonstration" in page and "DAF-01" in page


def test_a_clerk_cannot_read_a_structure_again(org, ministry):
    from facturier.platforms.chorus.models import ChorusBuyer

    clerk = Client()
    clerk.force_login(org.member("clerk").user)
    assert clerk.post(f"/settings/chorus/buyers/{ministry.pk}/fetch/").status_code == 403
    assert not ChorusBuyer.objects.filter(customer=ministry).exists()


def test_statuses_recorded_before_the_shared_history_are_copied_into_it_once(owner, public_invoice):
    import importlib

    from django.apps import apps
    from django.db import connection
    from django.utils import timezone

    from facturier.platforms.chorus.models import ChorusStatusEvent, ChorusSubmission
    from facturier.platforms.submissions import PlatformState, PlatformStatusEvent

    at = timezone.now() - dt.timedelta(days=3)
    submission = ChorusSubmission.objects.create(
        organisation=owner.organisation, document=public_invoice, state="deposited", next_attempt_at=at,
        status="REJETEE", status_reason="Code service inconnu", status_at=at + dt.timedelta(hours=1))
    ChorusStatusEvent.objects.create(submission=submission, status="DEPOSEE", at=at)
    ChorusStatusEvent.objects.create(submission=submission, status="REJETEE", reason="Code service inconnu",
                                     at=at + dt.timedelta(hours=1))
    PlatformState.objects.create(document=public_invoice, organisation=owner.organisation, channel="chorus")
    migration = importlib.import_module(
        "facturier.platforms.chorus.migrations.0003_chorus_statuses_into_platform_history")
    for _ in range(2):
        migration.copy_statuses(apps, connection.schema_editor())
    state = PlatformState.objects.get(document=public_invoice)
    assert (state.code, state.reason_text) == ("REJETEE", "Code service inconnu")
    assert list(PlatformStatusEvent.objects.filter(document=public_invoice).order_by("status_at")
                .values_list("code", flat=True)) == ["DEPOSEE", "REJETEE"]


def test_a_suspension_by_the_buyer_notifies_with_what_to_do_and_shows_as_a_problem(
        owner, chorus_account, chorus_sim, public_invoice):
    from facturier.delivery.models import Notification

    send_documents(by=owner, document_ids=[public_invoice.pk])
    chorus_flush(organisation_id=owner.organisation.pk)
    chorus_sim.advance()
    chorus_sim.suspend(public_invoice.number, "Bon de livraison manquant")
    chorus_sim.advance()  # a suspended invoice stays where it is
    with translation.override("en"):
        chorus_poll(organisation_id=owner.organisation.pk)
    [told] = Notification.objects.filter(organisation=owner.organisation, kind="platform_status")
    assert "Chorus Pro: Suspended" in told.text and "Bon de livraison manquant" in told.text
    assert "complete it on Chorus Pro" in told.text
    client = _signed_in_english(owner)
    assert public_invoice.number in client.get("/?platform=problem").content.decode()
    assert public_invoice.number in client.get("/?platform=SUSPENDUE").content.decode()
