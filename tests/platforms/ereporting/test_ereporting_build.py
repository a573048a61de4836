"""Building a period's report from the database: scope, aggregation to the cent, rectification, states,
the worker's run at the end of the period, tenant isolation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from ereport_helpers import line

from facturier.archive.selectors import archived_content
from facturier.engine import ereporting as er
from facturier.platforms.ereporting import services
from facturier.platforms.ereporting.models import EReport, Nature, State

M = Decimal


def build(org, flow, start):
    report = services.report_for_period(organisation=org, flow=flow, start=start)
    return services.report_build(report_pk=report.pk, organisation=org, by=org.owner)


def read(report) -> er.Report:
    return er.parse(archived_content(report.archive_entry))


def test_b2c_sales_are_aggregated_per_day_category_and_rate_and_domestic_b2b_is_left_out(
        org, simplified, people, sell, month):
    person, abroad = people
    start, _end = month
    d1, d2 = start + dt.timedelta(days=2), start + dt.timedelta(days=5)
    sell(person, [line("10.01"), line("3.33", rate="5.5")], d1)
    sell(person, [line("10.01")], d1)
    sell(person, [line("99.99", rate="10")], d1, operation="services")
    sell(org.customer, [line("1000.00")], d1)  # a French company: e-invoicing, not e-reporting
    sell(abroad, [line("500.00", rate="0", vat_category="K", exemption_reason="Livraison intracommunautaire",
                       exemption_code="VATEX-EU-IC")], d2, delivery_date=d2)
    report = build(org, "transactions", start)
    assert report.state == State.CHECKED, report.findings
    content = read(report)
    got = {(s.day, s.category, s.rate): (s.taxable, s.tax, s.count) for s in content.summaries}
    assert got == {
        (d1, er.Category.TLB1, M("20.00")): (M("20.02"), M("4.00"), 2),
        (d1, er.Category.TLB1, M("5.50")): (M("3.33"), M("0.18"), 1),
        (d1, er.Category.TPS1, M("10.00")): (M("99.99"), M("10.00"), 1),
    }
    (tx,) = content.transactions
    assert (tx.buyer_country, tx.buyer_vat_id, tx.category) == ("DE", "DE136695976", er.Category.TNT1)
    assert [(s.rate, s.taxable, s.tax) for s in tx.subtotals] == [(M("0.00"), M("500.00"), M("0.00"))]
    assert report.documents == 4 and report.taxable == M("623.34") and report.tax == M("14.18")


def test_a_credit_note_to_an_individual_counts_negative(org, simplified, people, sell, month):
    from facturier.invoicing.services import credit_note_create, document_issue

    person, _abroad = people
    start, _end = month
    day = start + dt.timedelta(days=1)
    invoice = sell(person, [line("50.00")], day)
    credit = credit_note_create(by=org.owner, invoice_id=invoice.pk)
    document_issue(by=org.owner, document_id=credit.pk, issue_date=day)
    report = build(org, "transactions", start)
    (summary,) = read(report).summaries
    assert (summary.taxable, summary.tax, summary.count) == (M("0.00"), M("0.00"), 2)


def test_payments_of_b2c_services_are_reported_per_day_and_rate(org, simplified, people, sell, month):
    from facturier.invoicing.settlement import payment_record

    person, _abroad = people
    start, _end = month
    day = start + dt.timedelta(days=3)
    services_sale = sell(person, [line("100.00"), line("33.33", rate="5.5")], day, operation="services")
    goods_sale = sell(person, [line("80.00")], day)  # goods: VAT due on delivery, no payment report
    b2b_sale = sell(org.customer, [line("10.00")], day, operation="services")
    payment_record(by=org.owner, document_id=services_sale.pk, date=day, amount=M("100.00"))
    payment_record(by=org.owner, document_id=goods_sale.pk, date=day, amount=M("96.00"))
    payment_record(by=org.owner, document_id=b2b_sale.pk, date=day, amount=M("12.00"))
    report = build(org, "payments", start)
    assert report.state == State.CHECKED, report.findings
    got = {(q.day, q.rate): (q.amount, q.count) for q in read(report).payment_summaries}
    assert got == {(day, M("20.00")): (M("77.34"), 1), (day, M("5.50")): (M("22.66"), 1)}
    assert report.paid == M("100.00")


def test_payments_of_international_services_are_reported_one_by_one(org, simplified, people, sell, month):
    from facturier.invoicing.settlement import payment_record

    _person, abroad = people
    start, _end = month
    day = start + dt.timedelta(days=4)
    sale = sell(abroad, [line("1000.00", rate="0", vat_category="AE", exemption_reason="Autoliquidation",
                              exemption_code="VATEX-EU-AE")], day, operation="services")
    payment_record(by=org.owner, document_id=sale.pk, date=day + dt.timedelta(days=2), amount=M("400.00"))
    report = build(org, "payments", start)
    assert report.state == State.CHECKED, report.findings
    (payment,) = read(report).payments
    assert (payment.invoice_number, payment.invoice_date, payment.payment_date, payment.rate, payment.amount) == (
        sale.number, day, day + dt.timedelta(days=2), M("0.00"), M("400.00"))
    assert er.format.processing_rule(read(report)) == "B2BInt"


def test_a_period_not_over_is_never_built(org, simplified):
    from django.utils import timezone

    report = services.report_for_period(organisation=org, flow="transactions",
                                        start=timezone.localdate().replace(day=1))
    with pytest.raises(services.EReportError, match="not over yet"):
        services.report_build(report_pk=report.pk, organisation=org)


def test_a_rectification_refers_to_the_report_it_rectifies(org, simplified, people, sell, month):
    person, _abroad = people
    start, _end = month
    sell(person, [line("10.00")], start)
    original = build(org, "transactions", start)
    EReport.objects.filter(pk=original.pk).update(state=State.SUBMITTED)  # as the platform outbox leaves it
    rectification = services.report_rectify(report_pk=original.pk, organisation=org, by=org.owner)
    assert rectification.nature == Nature.RECTIFICATION and rectification.rectifies == original
    assert rectification.state == State.CHECKED, rectification.findings
    content = read(rectification)
    assert content.nature is er.Nature.RECTIFICATION and content.rectifies == original.report_id
    assert content.report_id != original.report_id
    again = services.report_rectify(report_pk=original.pk, organisation=org, by=org.owner)
    assert again.pk == rectification.pk  # one pending rectification, rebuilt


def test_a_submitted_report_is_never_rebuilt(org, simplified, month):
    start, _end = month
    report = build(org, "transactions", start)
    EReport.objects.filter(pk=report.pk).update(state=State.SUBMITTED)
    with pytest.raises(services.EReportError, match="Make a rectification"):
        services.report_build(report_pk=report.pk, organisation=org, by=org.owner)


def test_a_report_failing_its_rules_stays_built_with_clear_findings(org, simplified, month):
    from facturier.accounts.models import LegalProfile

    LegalProfile.objects.filter(organisation=org).update(siren="123456789")  # check digit wrong
    start, _end = month
    report = build(org, "transactions", start)
    assert report.state == State.BUILT
    assert [f["rule"] for f in report.findings] == ["ER-SIREN-01"]
    assert "123456789" in report.findings[0]["message_en"]
    with pytest.raises(services.EReportError):
        services.report_submit(report_pk=report.pk, organisation=org, by=org.owner)


def test_a_period_not_of_the_calendar_is_refused(org, simplified, month):
    start, _end = month
    with pytest.raises(services.EReportError, match="does not start a reporting period"):
        services.report_for_period(organisation=org, flow="transactions", start=start + dt.timedelta(days=3))


def test_the_worker_builds_each_ended_period_once(org, simplified, people, sell, month):
    from facturier.platforms.ereporting.tasks import period_ends_task

    person, _abroad = people
    start, _end = month
    sell(person, [line("10.00")], start)
    due = services.due_periods()
    assert (org.pk, "transactions", start) in due and (org.pk, "payments", start) in due
    period_ends_task.enqueue()  # immediate backend: builds every due period
    period_ends_task.enqueue()
    reports = EReport.objects.filter(organisation=org, period_start=start)
    assert sorted(reports.values_list("flow", flat=True)) == ["payments", "transactions"]
    assert set(reports.values_list("state", flat=True)) <= {State.CHECKED, State.SUBMITTED}
    assert not any(d[0] == org.pk and d[2] == start for d in services.due_periods())


def test_an_organisation_never_reports_another_ones_sales(org, other_org, simplified, people, sell, month):
    from facturier.platforms.ereporting import selectors

    person, _abroad = people
    start, _end = month
    sell(person, [line("10.00")], start)
    services.profile_set(by=other_org.owner, regime="simplified", start_date=dt.date(2026, 1, 1), auto_submit=False)
    theirs = build(other_org, "transactions", start)
    assert theirs.documents == 0 and read(theirs).summaries == ()
    mine = build(org, "transactions", start)
    assert mine.documents == 1
    with pytest.raises(EReport.DoesNotExist):
        selectors.report_get(organisation=other_org, pk=mine.pk)
    with pytest.raises(EReport.DoesNotExist):
        services.report_build(report_pk=mine.pk, organisation=other_org, by=other_org.owner)


def test_platform_statuses_mark_a_submitted_report_accepted_or_rejected(org, other_org, simplified, month):
    from django.test import Client

    start, _end = month
    report = build(org, "transactions", start)

    def status(code: str, text: str = "", organisation=org):
        return services.status_received(organisation_id=organisation.pk, tracking_id=report.report_id,
                                        status_code=code, text=text)

    assert status("200") is None  # not submitted yet
    EReport.objects.filter(pk=report.pk).update(state=State.SUBMITTED)
    assert status("213", organisation=other_org) is None  # another organisation's flow never reaches this report
    deposited = status("200")
    assert (deposited.state, deposited.status_code) == (State.SUBMITTED, "200")  # held, not judged yet
    assert status("203").state == State.ACCEPTED
    late = status("200")  # out of order: ignored
    assert (late.state, late.status_code) == (State.ACCEPTED, "203")
    rejected = status("213", "Doublon")
    assert (rejected.state, rejected.status_code, rejected.status_text) == (State.REJECTED, "213", "Doublon")
    client = Client()
    client.force_login(org.owner.user)
    page = client.get("/ereporting/").content.decode()
    assert "213 Rejetée" in page and "(Doublon)" in page and "Rectifier" in page  # the user reads French
