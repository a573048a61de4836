"""Invoices handed to the PA (the real simulator on loopback): routed by the directory, submitted once across
crashes and outages, their statuses followed; every refusal says why."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import time

import pytest
from django.utils import timezone

from facturier.config import leases
from facturier.config.models import Worker
from facturier.delivery.models import Delivery, Notification
from facturier.delivery.services import send_documents
from facturier.platforms import outbox
from facturier.platforms.models import PlatformState, PlatformSubmission
from facturier.platforms.outbox import platform_flush
from facturier.platforms.statuses import statuses_poll

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _customers_receive_through_the_pa(db):
    """The customers' channel is "Approved platform" (before 2027-09-01 the channel decides)."""
    from django.db.models.signals import post_save

    from facturier.parties.models import Customer

    def platform(sender, instance, created, **kwargs):
        if created:
            Customer.objects.filter(pk=instance.pk).update(preferred_channel="platform")

    post_save.connect(platform, sender=Customer, dispatch_uid="pa-tests-platform-channel")
    yield
    post_save.disconnect(sender=Customer, dispatch_uid="pa-tests-platform-channel")


def _out_flows(simulator, tracking_id: str) -> list[dict]:
    return [f for f in simulator.platform.store.flows(tracking_id=tracking_id) if f["direction"] == "Out"]


def _dead_worker(worker_id: str) -> Worker:
    child = subprocess.Popen(["true"])
    child.wait()
    now = timezone.now()
    return Worker.objects.create(id=worker_id, host=socket.gethostname(), pid=child.pid, started_at=now,
                                 heartbeat_at=now)


def _statuses(org, document, *, until: str = "205", timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        statuses_poll(organisation_id=org.pk)
        state = PlatformState.objects.filter(document=document).first()
        if state and state.code == until:
            return state.code
        time.sleep(0.1)
    return PlatformState.objects.get(document=document).code


def test_an_invoice_to_a_french_company_goes_to_the_pa_once_and_its_statuses_arrive(owner, org, issued, connection,
                                                                                    simulator):
    result = send_documents(by=owner, document_ids=[issued.pk])
    assert result.queued == [issued.pk], result.refused
    assert result.routes[issued.pk].channel == "platform"
    report = platform_flush(organisation_id=org.pk)
    assert report.sent == 1, report.errors
    row = PlatformSubmission.objects.get(document=issued)
    assert (row.state, row.tracking_id, row.processing_rule, row.flow_syntax) == ("sent", str(issued.pk), "B2B",
                                                                                  "CII")
    assert [f["flow_id"] for f in _out_flows(simulator, str(issued.pk))] == [row.flow_id]
    assert Delivery.objects.get(document=issued).state == "sent"
    assert "directory" in PlatformState.objects.get(document=issued).route_reason
    assert _statuses(org, issued) == "205"
    codes = list(issued.platform_events.values_list("code", flat=True))
    assert codes[:1] == ["200"] and codes[-1] == "205" and "204" in codes
    again = send_documents(by=owner, document_ids=[issued.pk])
    assert again.refused[0].code == "already_submitted"


def test_a_worker_killed_after_the_pa_took_the_flow_submits_nothing_twice(owner, org, issued, connection, simulator,
                                                                          monkeypatch):
    def killed(row):
        raise KeyboardInterrupt

    send_documents(by=owner, document_ids=[issued.pk])
    monkeypatch.setattr(outbox, "_after_submitted", killed)
    with pytest.raises(KeyboardInterrupt):
        platform_flush(organisation_id=org.pk)
    monkeypatch.undo()
    row = PlatformSubmission.objects.get(document=issued)
    assert row.state == "sending" and row.transfer_started_at is not None
    PlatformSubmission.objects.filter(pk=row.pk).update(claimed_by=_dead_worker("killed").id)
    report = leases.recover()  # unknown; the flush it queues asks the PA by tracking id (tasks run at once)
    assert report.unknown["platforms.PlatformSubmission"] == [row.pk]
    platform_flush(organisation_id=org.pk)
    row.refresh_from_db()
    assert row.state == "sent"
    assert len(_out_flows(simulator, str(issued.pk))) == 1
    assert row.flow_id == _out_flows(simulator, str(issued.pk))[0]["flow_id"]


def test_a_worker_killed_before_the_request_left_submits_the_flow_once_after_recovery(owner, org, issued, connection,
                                                                                      simulator, monkeypatch):
    def killed(row):
        raise KeyboardInterrupt

    send_documents(by=owner, document_ids=[issued.pk])
    monkeypatch.setattr(outbox, "_after_begun", killed)
    with pytest.raises(KeyboardInterrupt):
        platform_flush(organisation_id=org.pk)
    monkeypatch.undo()
    row = PlatformSubmission.objects.get(document=issued)
    PlatformSubmission.objects.filter(pk=row.pk).update(claimed_by=_dead_worker("killed-early").id)
    leases.recover()
    platform_flush(organisation_id=org.pk)
    row.refresh_from_db()
    assert row.state == "sent"
    assert len(_out_flows(simulator, str(issued.pk))) == 1


def test_a_pa_down_for_an_hour_loses_nothing_and_submits_once_when_back(owner, org, issued, connection, simulator):
    send_documents(by=owner, document_ids=[issued.pk])
    simulator.faults.fail_next(10_000, status=500, path_prefix="/flow-service/v1/flows")
    start = timezone.now()
    for minute in range(0, 61):
        platform_flush(organisation_id=org.pk, now=start + dt.timedelta(minutes=minute))
    row = PlatformSubmission.objects.get(document=issued)
    assert row.state == "pending" and row.attempts >= 5 and "500" in row.last_error
    simulator.faults.reset()
    platform_flush(organisation_id=org.pk, now=start + dt.timedelta(hours=3))
    row.refresh_from_db()
    assert row.state == "sent"
    assert len(_out_flows(simulator, str(issued.pk))) == 1


def test_a_flow_the_pa_refuses_fails_and_the_organisation_is_told(owner, org, issued, connection, simulator):
    send_documents(by=owner, document_ids=[issued.pk])
    simulator.faults.fail_next(1, status=400, path_prefix="/flow-service/v1/flows")
    platform_flush(organisation_id=org.pk)
    row = PlatformSubmission.objects.get(document=issued)
    assert row.state == "failed" and "400" in row.last_error
    assert Notification.objects.filter(organisation=org, kind="platform", document=issued).exists()
    assert Delivery.objects.get(document=issued).state == "failed"


def test_a_wrong_client_secret_keeps_the_invoice_waiting_and_tells_the_organisation(owner, org, issued, connection,
                                                                                    simulator):
    from facturier.platforms.client import forget_tokens
    from facturier.platforms.models import sealed_for

    send_documents(by=owner, document_ids=[issued.pk])
    connection.client_secret = sealed_for(connection, "client_secret", b"wrong")
    connection.save(update_fields=["client_secret"])
    forget_tokens()
    platform_flush(organisation_id=org.pk)
    row = PlatformSubmission.objects.get(document=issued)
    assert row.state == "pending" and row.last_error
    assert Notification.objects.filter(organisation=org, kind="platform").exists()
    assert _out_flows(simulator, str(issued.pk)) == []


def _customer(owner, code: str, siren: str, siret: str = ""):
    from facturier.parties.services import customer_create

    return customer_create(by=owner, code=code, name=f"Client {code}", siren=siren, siret=siret,
                           effective_from=dt.date(2020, 1, 1),
                           billing_address={"line1": "1 rue", "postcode": "69001", "city": "Lyon"},
                           contacts=[{"name": "Compta", "email": f"{code.lower()}@client.test"}])


def _issue(owner, customer, lines):
    from facturier.invoicing.services import document_issue, draft_create

    draft = draft_create(by=owner, customer_id=customer.pk, lines=lines)
    return document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))


def test_a_buyer_without_a_directory_line_is_refused_with_a_clear_message(owner, org, lines, connection, simulator):
    document = _issue(owner, _customer(owner, "RECY", "800123457"), lines)
    result = send_documents(by=owner, document_ids=[document.pk])
    assert result.refused[0].code == "no_directory_line"
    assert "800123457" in result.refused[0].reason and "no line" in result.refused[0].reason
    assert not PlatformSubmission.objects.exists()


def test_a_siren_with_several_lines_asks_the_user_to_choose_naming_the_choices(owner, org, lines, connection,
                                                                              simulator):
    from facturier.platforms.routing import customer_route_choose

    customer = _customer(owner, "DIST", "798765434")
    document = _issue(owner, customer, lines)
    result = send_documents(by=owner, document_ids=[document.pk])
    refusal = result.refused[0]
    assert refusal.code == "routing_choice"
    assert "798765434_79876543400021" in refusal.reason and "798765434," in refusal.reason + ","
    customer_route_choose(by=owner, customer_id=customer.pk, address="798765434_79876543400021")
    later = _issue(owner, customer, lines)
    assert later.buyer_snapshot["electronic_address"] == "798765434_79876543400021"
    assert send_documents(by=owner, document_ids=[later.pk]).queued == [later.pk]


def test_the_customers_siret_picks_its_directory_line_and_fills_the_electronic_address(owner, org, lines, connection,
                                                                                      simulator):
    from facturier.documents.services import document_xml

    customer = _customer(owner, "DIST2", "798765434", "79876543400021")
    document = _issue(owner, customer, lines)  # the directory is asked before issue: BT-49 frozen from it
    assert document.buyer_snapshot["electronic_address"] == "798765434_79876543400021"
    assert document.buyer_snapshot["electronic_address_scheme"] == "0225"
    assert b"798765434_79876543400021" in document_xml(document, "cii")


def test_a_wrong_client_secret_at_sending_refuses_with_what_to_check(owner, org, issued, connection, simulator):
    from facturier.platforms.models import sealed_for

    connection.client_secret = sealed_for(connection, "client_secret", b"wrong")
    connection.save(update_fields=["client_secret"])
    result = send_documents(by=owner, document_ids=[issued.pk])
    assert result.refused[0].code == "directory_unreachable"
    assert "client id or secret" in result.refused[0].reason


def test_a_worker_killed_in_the_middle_of_a_chunk_leaves_every_flow_submitted_exactly_once(owner, org, lines,
                                                                                          connection, simulator,
                                                                                          monkeypatch):
    documents = [_issue(owner, org.customer, lines) for _ in range(3)]
    assert send_documents(by=owner, document_ids=[d.pk for d in documents]).queued == [d.pk for d in documents]
    submitted = []

    def killed_after_the_second(row):
        submitted.append(row.pk)
        if len(submitted) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(outbox, "_after_submitted", killed_after_the_second)
    with pytest.raises(KeyboardInterrupt):
        platform_flush(organisation_id=org.pk)
    monkeypatch.undo()
    states = dict(PlatformSubmission.objects.values_list("document_id", "state"))
    # the first recorded, the second answered but not recorded (begun); the third's request may have left
    # ahead of the second's answer (begun) or not (back to pending)
    assert [states[d.pk] for d in documents[:2]] == ["sent", "sending"]
    assert states[documents[2].pk] in ("sending", "pending")
    PlatformSubmission.objects.filter(state="sending").update(claimed_by=_dead_worker("killed-mid-chunk").id)
    leases.recover()
    platform_flush(organisation_id=org.pk)
    assert set(PlatformSubmission.objects.values_list("state", flat=True)) == {"sent"}
    for document in documents:
        assert len(_out_flows(simulator, str(document.pk))) == 1


def test_before_the_reform_reaches_every_company_an_e_mail_customer_keeps_its_channel(owner, org, lines, connection,
                                                                                     simulator, monkeypatch):
    from facturier.parties.models import Customer
    from facturier.platforms import routing

    customer = _customer(owner, "MAIL", "412345670")
    Customer.objects.filter(pk=customer.pk).update(preferred_channel="email")
    from facturier.platforms.sending import platform_route

    document = _issue(owner, customer, lines)
    assert platform_route(org, document) is None  # its e-mail, as before
    monkeypatch.setitem(routing.ISSUING_FROM, "sme", dt.date(2026, 1, 1))  # the issue date is past it
    assert send_documents(by=owner, document_ids=[document.pk]).routes[document.pk].channel == "platform"


def test_a_large_company_sends_every_french_b2b_invoice_through_its_platform(owner, org, lines, connection,
                                                                             simulator):
    from facturier.invoicing.services import document_issue, draft_create
    from facturier.parties.models import Customer
    from facturier.platforms.sending import platform_route

    customer = _customer(owner, "MAILGE", "412345670")
    Customer.objects.filter(pk=customer.pk).update(preferred_channel="email")
    draft = draft_create(by=owner, customer_id=customer.pk, lines=lines)
    document = document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 11, 2))
    assert platform_route(org, document) is None  # an SME before 2027-09-01: the customer's e-mail
    connection.issuer_category = "large"
    connection.save(update_fields=["issuer_category"])
    assert platform_route(org, document).channel == "platform"  # issuing through the PA since 2026-09-01


def test_a_public_sector_invoice_goes_to_chorus_pro_whatever_the_customers_channel(owner, org, lines, connection):
    from facturier.parties.models import Customer
    from facturier.platforms.sending import platform_route

    customer = _customer(owner, "MAIRIE", "217500016")
    Customer.objects.filter(pk=customer.pk).update(preferred_channel="email", is_public_sector=True,
                                                   siret="21750001600019")  # Chorus Pro routes by SIRET
    document = _issue(owner, Customer.objects.get(pk=customer.pk), lines)
    decision = platform_route(org, document)
    assert decision.channel == "chorus" and decision.processing_rule == "B2G"
    connection.handles_b2g = True
    connection.save(update_fields=["handles_b2g"])
    decision = platform_route(org, document)
    assert decision.channel == "platform" and decision.processing_rule == "B2G"  # Chorus Pro through the PA
