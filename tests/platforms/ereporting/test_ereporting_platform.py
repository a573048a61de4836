"""A checked report handed to the simulated PA through the platform outbox, once; its statuses followed."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from ereport_helpers import line

from facturier.engine import ereporting as er
from facturier.platforms.ereporting import services
from facturier.platforms.ereporting.models import EReport, State


def _built(org, start):
    report = services.report_for_period(organisation=org, flow="transactions", start=start)
    return services.report_build(report_pk=report.pk, organisation=org, by=org.owner)


def test_a_checked_report_goes_to_the_pa_once_as_an_frr_flow(org, simplified, people, sell, month, connection,
                                                             simulator, checked):
    from facturier.platforms import outbox
    from facturier.platforms.models import PlatformSubmission

    person, _abroad = people
    start, _end = month
    sell(person, [line("10.00")], start + dt.timedelta(days=1))
    report = services.report_submit(report_pk=_built(org, start).pk, organisation=org, by=org.owner)
    assert report.state == State.SUBMITTED
    flushed = outbox.platform_flush(organisation_id=org.pk)
    assert flushed.sent == 1, flushed.errors
    row = PlatformSubmission.objects.get(pk=report.submission_id)
    assert (row.kind, row.tracking_id, row.flow_syntax, row.processing_rule, row.flow_type, row.state) == (
        "ereport", report.report_id, "FRR", "B2C", "AggregatedCustomerTransactionReport", "sent")
    (flow,) = [f for f in simulator.platform.store.flows(tracking_id=report.report_id) if f["direction"] == "Out"]
    assert er.parse(bytes(flow["original"])).report_id == report.report_id  # the file archived is the file sent
    with pytest.raises(services.EReportError):  # submitted: not twice
        services.report_submit(report_pk=report.pk, organisation=org, by=org.owner)
    assert outbox.platform_flush(organisation_id=org.pk).sent == 0


def test_the_worker_builds_and_submits_an_ended_period(org, simplified, people, sell, month, connection, simulator):
    from facturier.platforms import outbox
    from facturier.platforms.ereporting.tasks import period_ends_task

    person, _abroad = people
    start, _end = month
    sell(person, [line("10.00")], start)
    period_ends_task.enqueue()
    outbox.platform_flush(organisation_id=org.pk)
    report = EReport.objects.get(organisation=org, flow="transactions", period_start=start)
    assert report.state == State.SUBMITTED and report.submission_id
    assert [f for f in simulator.platform.store.flows(tracking_id=report.report_id) if f["direction"] == "Out"]


def test_a_rejection_status_received_for_the_flow_marks_the_report_rejected(org, simplified, month, connection):
    from facturier.platforms import outbox
    from facturier.platforms.models import PlatformSubmission

    start, _end = month
    report = services.report_submit(report_pk=_built(org, start).pk, organisation=org, by=org.owner)
    submission = PlatformSubmission.objects.get(pk=report.submission_id)
    cdar = SimpleNamespace(reason_text="Fichier en double", reason_code="DOUBLON")
    outbox.flow_status_received.send(sender=PlatformSubmission, submission=submission, status_code="213", cdar=cdar)
    report.refresh_from_db()
    assert (report.state, report.status_code, report.status_text) == (
        State.REJECTED, "213", "DOUBLON — Fichier en double")


def test_a_file_the_pa_refuses_is_shown_rejected_and_built_again_under_a_new_id(org, simplified, month, connection):
    from facturier.platforms.ereporting.tasks import period_ends_task
    from facturier.platforms.models import PlatformSubmission

    start, _end = month
    report = services.report_submit(report_pk=_built(org, start).pk, organisation=org, by=org.owner)
    first_id = report.report_id
    PlatformSubmission.objects.filter(pk=report.submission_id).update(state="failed",
                                                                      last_error="Fichier illisible (FRR)")
    period_ends_task.enqueue()  # the hourly job notices it
    report.refresh_from_db()
    assert (report.state, report.status_text, report.can_build, report.can_rectify) == (
        State.REJECTED, "Fichier illisible (FRR)", True, False)
    rebuilt = services.report_build(report_pk=report.pk, organisation=org, by=org.owner)
    assert rebuilt.state == State.CHECKED and rebuilt.report_id != first_id and rebuilt.submission_id is None
    again = services.report_submit(report_pk=rebuilt.pk, organisation=org, by=org.owner)
    assert PlatformSubmission.objects.get(pk=again.submission_id).tracking_id == again.report_id
