"""Chorus Pro end to end over real HTTP: the simulator plays PISTE and Chorus Pro; documents go through the
one send gate, the outbox deposits them once, polling records their statuses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from facturier.delivery.models import Delivery, Notification
from facturier.delivery.services import send_documents
from facturier.platforms.chorus import client as cp
from facturier.platforms.chorus.models import ChorusStatusEvent, ChorusSubmission, SubmissionState
from facturier.platforms.chorus.outbox import chorus_flush, chorus_poll, submission_decide

pytestmark = pytest.mark.django_db


def _send(owner, document):
    result = send_documents(by=owner, document_ids=[document.pk])
    assert result.queued == [document.pk], result.refused
    return ChorusSubmission.objects.get(document=document)


def _statuses(submission) -> list[str]:
    return list(ChorusStatusEvent.objects.filter(submission=submission).order_by("at", "id")
                .values_list("status", flat=True))


def test_public_sector_invoice_is_deposited_once_and_its_statuses_are_followed(
        owner, chorus_account, chorus_sim, public_invoice):
    submission = _send(owner, public_invoice)
    report = chorus_flush(organisation_id=owner.organisation.pk)
    assert report.sent == 1
    submission.refresh_from_db()
    assert submission.state == SubmissionState.DEPOSITED and submission.flow_number.startswith("CPP")
    [deposit] = chorus_sim.deposits
    assert deposit["syntax"] == cp.FACTURX_SYNTAX and deposit["file_name"] == f"{public_invoice.number}.pdf"
    assert Delivery.objects.get(document=public_invoice).state == "sent"
    chorus_poll(organisation_id=owner.organisation.pk)
    submission.refresh_from_db()
    assert submission.status == "DEPOSEE" and submission.chorus_invoice_id
    chorus_sim.advance(3)
    chorus_poll(organisation_id=owner.organisation.pk)
    submission.refresh_from_db()
    assert _statuses(submission) == ["DEPOSEE", "MISE_A_DISPOSITION", "MANDATEE", "MISE_EN_PAIEMENT"]
    assert submission.status == "MISE_EN_PAIEMENT"
    assert chorus_poll(organisation_id=owner.organisation.pk) == 0  # final: no longer followed
    assert chorus_flush(organisation_id=owner.organisation.pk).sent == 0
    assert len(chorus_sim.deposits) == 1
    refused = send_documents(by=owner, document_ids=[public_invoice.pk]).refused
    assert [r.code for r in refused] == ["already_deposited"]


def test_rejection_by_the_buyer_notifies_the_organisation_with_the_reason(
        owner, chorus_account, chorus_sim, public_customer, make_public_invoice):
    document = make_public_invoice(public_customer, buyer_reference="SERV-TECH-02")
    submission = _send(owner, document)  # the gates pass: SERV-TECH-02 is an active service of the structure
    with chorus_sim.state.lock:  # ... until the buyer closes it on Chorus Pro before the deposit
        services = chorus_sim.state.buyers["61234567800017"].services
        services["SERV-TECH-02"] = (services["SERV-TECH-02"][0], False)
    chorus_flush(organisation_id=owner.organisation.pk)
    chorus_sim.advance()
    chorus_poll(organisation_id=owner.organisation.pk)
    submission.refresh_from_db()
    assert submission.status == "REJETEE"
    assert "SERV-TECH-02" in submission.status_reason
    [notification] = Notification.objects.filter(organisation=owner.organisation, kind="platform_status")
    assert document.number in notification.text and "SERV-TECH-02" in notification.text
    assert "credit note" in notification.text or "avoir" in notification.text
    assert notification.document_id == document.pk
    chorus_poll(organisation_id=owner.organisation.pk)  # read again: notified once
    assert Notification.objects.filter(organisation=owner.organisation, kind="platform_status").count() == 1


def test_unknown_buyer_siret_is_rejected_by_chorus_pro(owner, chorus_account, chorus_sim, make_public_invoice):
    from facturier.parties.services import customer_create
    from facturier.platforms.submissions import PlatformState

    customer = customer_create(by=owner, code="INCONNU", name="Établissement inconnu", siren="833111222",
                               siret="83311122200018", is_public_sector=True, effective_from=dt.date(2020, 1, 1),
                               billing_address={"line1": "1 rue", "postcode": "69001", "city": "Lyon"})
    document = make_public_invoice(customer)
    submission = _send(owner, document)
    chorus_flush(organisation_id=owner.organisation.pk)
    chorus_poll(organisation_id=owner.organisation.pk)
    submission.refresh_from_db()
    assert submission.flow_state == "IN_REJETE"
    assert submission.status == "IRRECEVABLE" and "Destinataire inconnu" in submission.status_reason
    assert "83311122200018" in submission.status_reason
    assert PlatformState.objects.get(document=document).code == "IRRECEVABLE"


def test_wrong_client_secret_names_the_token_step_and_keeps_the_account_disabled(owner, chorus_sim):
    from facturier.platforms.chorus.services import account_save, account_test

    account_save(by=owner, environment="custom", token_url=chorus_sim.token_url, api_url=chorus_sim.api_url,
                 client_id="facturier-demo", client_secret="wrong", login="x", password="y")
    steps = account_test(by=owner)
    assert [(s["step"], s["ok"]) for s in steps] == [("token", False)]
    assert "client id and secret" in steps[0]["message"]
    assert not owner.organisation.chorus_account.enabled


def test_wrong_technical_account_names_the_account_step(owner, chorus_sim):
    from facturier.platforms.chorus import simulator as sim
    from facturier.platforms.chorus.services import account_save, account_test

    account_save(by=owner, environment="custom", token_url=chorus_sim.token_url, api_url=chorus_sim.api_url,
                 client_id=sim.CLIENT_ID, client_secret=sim.CLIENT_SECRET, login=sim.LOGIN, password="wrong")
    steps = account_test(by=owner)
    assert [(s["step"], s["ok"]) for s in steps] == [("token", True), ("account", False)]


def test_secret_changed_on_piste_after_queuing_keeps_invoices_waiting_and_notifies(
        owner, chorus_account, chorus_sim, public_invoice):
    submission = _send(owner, public_invoice)
    chorus_sim.state.client_secret = "rotated"
    chorus_sim.expire_tokens()
    cp.forget_tokens()
    report = chorus_flush(organisation_id=owner.organisation.pk)
    assert report.sent == 0 and chorus_sim.deposits == []
    submission.refresh_from_db()
    assert submission.state == SubmissionState.PENDING and "PISTE token" in submission.last_error
    chorus_account.refresh_from_db()
    assert not chorus_account.enabled
    assert Notification.objects.filter(organisation=owner.organisation, kind="chorus").count() == 1


def test_expired_token_is_refreshed_and_the_invoice_deposited(owner, chorus_account, chorus_sim, public_invoice):
    _send(owner, public_invoice)
    before = chorus_sim.state.token_requests
    chorus_sim.expire_tokens()  # the cached token is refused by the gateway: 401
    assert chorus_flush(organisation_id=owner.organisation.pk).sent == 1
    assert chorus_sim.state.token_requests == before + 1
    assert len(chorus_sim.deposits) == 1


def test_chorus_answering_500_is_retried_with_backoff_then_deposited(owner, chorus_account, chorus_sim,
                                                                     public_invoice):
    submission = _send(owner, public_invoice)
    chorus_sim.fail_next(1, status=500)
    report = chorus_flush(organisation_id=owner.organisation.pk)
    assert report.rescheduled == 1 and report.sent == 0
    submission.refresh_from_db()
    assert submission.state == SubmissionState.PENDING and "HTTP 500" in submission.last_error
    assert submission.next_attempt_at > timezone.now()
    assert chorus_flush(organisation_id=owner.organisation.pk).sent == 0  # not due yet
    later = timezone.now() + dt.timedelta(minutes=2)
    assert chorus_flush(organisation_id=owner.organisation.pk, now=later).sent == 1
    assert len(chorus_sim.deposits) == 1


def test_deposit_without_answer_is_unknown_then_found_on_chorus_and_never_sent_twice(
        owner, chorus_account, chorus_sim, public_invoice):
    submission = _send(owner, public_invoice)
    chorus_sim.hang_next(1, seconds=2.0)  # Chorus Pro records it, the answer never comes
    report = chorus_flush(organisation_id=owner.organisation.pk)
    assert report.unknown == 1
    submission.refresh_from_db()
    assert submission.state == SubmissionState.UNKNOWN
    assert Delivery.objects.get(document=public_invoice).state == "unknown"
    later = timezone.now() + dt.timedelta(days=1)
    assert chorus_flush(organisation_id=owner.organisation.pk, now=later).sent == 0  # never repeated blindly
    assert [r.code for r in send_documents(by=owner, document_ids=[public_invoice.pk]).refused] == ["unknown"]
    chorus_poll(organisation_id=owner.organisation.pk)  # looked up by its number: it is there
    submission.refresh_from_db()
    assert submission.state == SubmissionState.DEPOSITED and submission.status == "DEPOSEE"
    assert len(chorus_sim.deposits) == 1


def test_unknown_deposit_not_found_waits_for_a_person_who_deposits_it_again(owner, chorus_account, chorus_sim,
                                                                            public_invoice):
    from facturier.config import leases

    submission = _send(owner, public_invoice)
    leases.claim(submission)
    leases.transfer_begins(submission)
    ChorusSubmission.objects.filter(pk=submission.pk).update(state=SubmissionState.UNKNOWN)
    chorus_poll(organisation_id=owner.organisation.pk)
    submission.refresh_from_db()
    assert submission.state == SubmissionState.UNKNOWN  # not on Chorus Pro: a person decides
    submission_decide(by=owner, submission_id=submission.pk, resend=True)
    assert chorus_flush(organisation_id=owner.organisation.pk).sent == 1
    assert len(chorus_sim.deposits) == 1


def test_gate_refuses_with_reasons(owner, org, chorus_sim, public_customer, make_public_invoice):
    from facturier.invoicing.gate import RulesRefused
    from facturier.parties.services import customer_create
    from facturier.platforms.chorus.models import ChorusBuyer
    from facturier.platforms.chorus.services import chorus_refusal

    document = make_public_invoice(public_customer)
    assert chorus_refusal(document)[0] == "no_chorus_account"
    no_siret = customer_create(by=owner, code="PUB2", name="Collège", is_public_sector=True, siren="833111222",
                               effective_from=dt.date(2020, 1, 1),
                               billing_address={"line1": "1 rue", "postcode": "69001", "city": "Lyon"})
    rules = ChorusBuyer.objects.create(customer=no_siret, engagement_required=True)
    from facturier.platforms.chorus import simulator as sim
    from facturier.platforms.chorus.services import account_save, account_test

    account_save(by=owner, environment="custom", token_url=chorus_sim.token_url, api_url=chorus_sim.api_url,
                 client_id=sim.CLIENT_ID, client_secret=sim.CLIENT_SECRET, login=sim.LOGIN, password=sim.PASSWORD)
    assert chorus_refusal(document)[0] == "chorus_disabled"
    account_test(by=owner)
    with pytest.raises(RulesRefused) as refused:  # no SIRET, and the engagement number is required: caught
        make_public_invoice(no_siret)                 # before issuing (the invoice is frozen once issued)
    assert refused.value.rule_ids == {"CHORUS-SIRET", "CHORUS-EJ"}
    with pytest.raises(RulesRefused) as refused:
        make_public_invoice(no_siret, purchase_order="ENG-1")
    assert refused.value.rule_ids == {"CHORUS-SIRET"}
    assert "SIRET" in str(refused.value)
    no_siret.siret = "83311122200018"
    no_siret.save()
    assert chorus_refusal(make_public_invoice(no_siret, purchase_order="ENG-1")) is None
    issued = make_public_invoice(no_siret, purchase_order="ENG-2")
    ChorusBuyer.objects.filter(pk=rules.pk).update(engagement_required=False, service_code_required=True)
    code, message = chorus_refusal(issued)  # the buyer's rules changed after the issue
    assert code == "no_service_code" and "credit note" in message


def test_a_worker_stopping_right_after_the_deposit_began_leaves_it_unknown(owner, chorus_account, chorus_sim,
                                                                            public_invoice, monkeypatch):
    from facturier.platforms.chorus import outbox

    def crash(submission):
        raise KeyboardInterrupt

    submission = _send(owner, public_invoice)
    monkeypatch.setattr(outbox, "_after_begun", crash)
    with pytest.raises(KeyboardInterrupt):
        chorus_flush(organisation_id=owner.organisation.pk)
    submission.refresh_from_db()
    assert submission.state == SubmissionState.UNKNOWN
    monkeypatch.undo()
    assert chorus_flush(organisation_id=owner.organisation.pk, now=timezone.now() + dt.timedelta(days=1)).sent == 0
    assert chorus_sim.deposits == []


def test_buyer_rules_are_settings_a_clerk_cannot_change_and_the_gate_reads_them(owner, org, chorus_account,
                                                                               public_customer, make_public_invoice):
    from facturier.errors import FacturierError
    from facturier.platforms.chorus.services import buyer_rules_save, chorus_refusal

    document = make_public_invoice(public_customer)
    assert chorus_refusal(document) is None
    clerk = org.member("clerk")
    with pytest.raises(FacturierError):
        buyer_rules_save(by=clerk, customer_id=public_customer.pk, service_code_required=True,
                         engagement_required=True)
    buyer_rules_save(by=owner, customer_id=public_customer.pk, service_code_required=True, engagement_required=True)
    code, message = chorus_refusal(document)
    assert code == "no_engagement" and "engagement number" in message
    with pytest.raises(FacturierError):
        buyer_rules_save(by=owner, customer_id=999_999, service_code_required=False, engagement_required=False)
