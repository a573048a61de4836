"""The simulated PA answers an e-reporting file as a real one would — 200 Déposée, then 203 (passed on) or 213
Rejetée with the rules it breaks, 501 when unreadable — and the product applies them to the report: its state
and status on the e-reporting page and the calendar, a notification with the reason on a rejection. Real
simulator on loopback; statuses fetched by the search of incoming life-cycle flows (the polling path)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from ereport_helpers import line

from facturier.engine import ereporting as er
from facturier.engine.cdar import parse as cdar_parse
from facturier.platforms.client import FlowClient
from facturier.platforms.ereporting import services
from facturier.platforms.ereporting.models import State


def _submitted(org, start):
    from facturier.platforms import outbox

    report = services.report_for_period(organisation=org, flow="transactions", start=start)
    report = services.report_build(report_pk=report.pk, organisation=org, by=org.owner)
    report = services.report_submit(report_pk=report.pk, organisation=org, by=org.owner)
    assert outbox.platform_flush(organisation_id=org.pk).sent == 1
    return report


def _poll(org):
    from facturier.platforms.statuses import statuses_poll

    return statuses_poll(organisation_id=org.pk)


def _statuses(simulator, tracking_id: str) -> list[str]:
    return [f["status"] for f in simulator.platform.store.flows(tracking_id=tracking_id) if f["direction"] == "In"]


def test_a_valid_report_is_deposited_then_passed_on_and_shown_accepted(org, simplified, people, sell, month,
                                                                      connection, simulator):
    from facturier.delivery.models import Notification

    person, _abroad = people
    start, _end = month
    sell(person, [line("10.00")], start + dt.timedelta(days=1))
    report = _submitted(org, start)
    assert simulator.wait_idle()
    assert _statuses(simulator, report.report_id) == ["200", "203"]
    (lc,) = {f["flow_type"] for f in simulator.platform.store.flows(tracking_id=report.report_id)
             if f["direction"] == "In"}
    assert lc == "StateTransactionReportLC"
    assert _poll(org) == 2
    report.refresh_from_db()
    assert (report.state, report.status_code) == (State.ACCEPTED, "203")
    assert not Notification.objects.filter(organisation=org, kind="ereporting").exists()
    assert _poll(org) == 0  # applied once


def test_a_report_the_platform_rejects_is_shown_rejected_with_its_reason_and_the_organisation_told(
        org, simplified, people, sell, month, connection, simulator):
    from test_ereporting_screens import signed_in

    from facturier.delivery.models import Notification

    person, _abroad = people
    start, _end = month
    sell(person, [line("10.00")], start + dt.timedelta(days=1))
    report = services.report_build(report_pk=services.report_for_period(
        organisation=org, flow="transactions", start=start).pk, organisation=org, by=org.owner)
    simulator.faults.reject_tracking_id(report.report_id, reason_code="REJ_SEMAN",
                                        reason="Période déjà déclarée")
    report = _submitted(org, start)
    assert simulator.wait_idle() and _statuses(simulator, report.report_id) == ["200", "213"]
    _poll(org)
    report.refresh_from_db()
    assert (report.state, report.status_code) == (State.REJECTED, "213")
    assert "REJ_SEMAN" in report.status_text and "Période déjà déclarée" in report.status_text
    (note,) = Notification.objects.filter(organisation=org, kind="ereporting")
    assert report.report_id in note.text and "Période déjà déclarée" in note.text and "rectification" in note.text
    page = signed_in(org.owner, "fr").get("/ereporting/").content.decode()
    assert "213 Rejetée" in page and "Période déjà déclarée" in page and "Rectifier" in page
    dashboard = signed_in(org.owner, "en").get("/").content.decode()
    assert "213 Rejected" in dashboard and "Période déjà déclarée" in dashboard  # the calendar says why


def test_the_simulator_rejects_a_report_breaking_the_rules_and_refuses_an_unreadable_one(
        connection, simulator, checked):
    siren = "732829320"
    report = er.Report(
        report_id="TR20261101-BAD", nature=er.Nature.INITIAL, flow=er.Flow.TRANSACTIONS,
        declarant=er.Declarant(siren=siren, name="Atelier SAS", regime=er.Regime.SIMPLIFIED),
        start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30), issued_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        summaries=(er.DailySummary(day=dt.date(2026, 11, 3), category=er.Category.TLB1, rate=er.model.ZERO + 20,
                                   taxable=er.model.ZERO + 100, tax=er.model.ZERO + 20, count=1),))
    wrong_totals = dataclasses.replace(report, totals=er.Totals(taxable=er.model.ZERO + 999, tax=er.model.ZERO + 20,
                                                                entries=1))
    with FlowClient(connection) as flows:
        bad = flows.submit(file_name="bad.xml", data=er.write(wrong_totals), flow_syntax="FRR",
                           processing_rule="B2C", tracking_id="TR20261101-BAD")
        unreadable = flows.submit(file_name="junk.xml", data=b"<junk/>", flow_syntax="FRR", processing_rule="B2C",
                                  tracking_id="TR20261101-JUNK")
        assert simulator.wait_idle()
        assert flows.get(bad.flow_id).ack_status == "Ok"
        (rejection,) = [f for f in simulator.platform.store.flows(tracking_id="TR20261101-BAD")
                        if f["direction"] == "In" and f["status"] == "213"]
        message = cdar_parse(flows.download(rejection["flow_id"]))
        assert message.invoice.number == "TR20261101-BAD"
        assert message.reason_code == "REJ_SEMAN" and "ER-TOTAL-02" in message.reason_text
        refused = flows.get(unreadable.flow_id)
        assert refused.ack_status == "Error" and refused.ack_details[0]["reasonCode"] == "InvalidSchema"
        assert _statuses(simulator, "TR20261101-JUNK") == ["501"]


def test_the_statuses_of_a_report_arrive_by_the_webhook_registered_in_the_settings(
        committed_db, live_server, settings, org, simplified, people, sell, month, connection, simulator):
    from facturier.platforms.models import PlatformStatusEvent, PollCursor
    from facturier.platforms.services import webhook_register
    from facturier.platforms.submissions import EventSource

    settings.FACTURIER_BASE_URL = live_server.url
    webhook_register(by=org.owner, connection_id=connection.pk)
    person, _abroad = people
    start, _end = month
    sell(person, [line("10.00")], start + dt.timedelta(days=1))
    report = services.report_build(report_pk=services.report_for_period(
        organisation=org, flow="transactions", start=start).pk, organisation=org, by=org.owner)
    report = services.report_submit(report_pk=report.pk, organisation=org, by=org.owner)  # flushed after commit
    assert simulator.wait_idle(timeout=30)
    assert _statuses(simulator, report.report_id) == ["200", "203"]
    report.refresh_from_db()
    assert (report.state, report.status_code) == (State.ACCEPTED, "203")
    events = PlatformStatusEvent.objects.filter(organisation=org, submission__tracking_id=report.report_id)
    assert sorted(events.values_list("code", flat=True)) == ["200", "203"]
    assert set(events.values_list("source", flat=True)) == {EventSource.WEBHOOK}
    assert not PollCursor.objects.filter(organisation=org, polled_at__isnull=False).exists()
