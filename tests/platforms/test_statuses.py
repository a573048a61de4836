"""Life-cycle statuses received from the PA: stored once, applied in order, validated and archived; what
cannot be read is kept and said; rejections tell the organisation what to do; 212 leaves on payment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pa_cdars import platform_status

from facturier.delivery.models import Notification
from facturier.engine import cdar
from facturier.platforms.models import PlatformState, PlatformStatusEvent, PlatformSubmission
from facturier.platforms.outbox import submission_queue
from facturier.platforms.statuses import status_apply, statuses_check

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_statuses_received_are_applied_in_order_and_kept_as_history(org, issued):
    for i, code in enumerate(("200", "202", "204", "205")):
        status_apply(org, platform_status(issued, code, at=T0 + dt.timedelta(minutes=i)), flow_id=f"lc-{code}")
    state = PlatformState.objects.get(document=issued)
    assert state.code == "205"
    assert list(PlatformStatusEvent.objects.filter(document=issued).values_list("code", flat=True)) == [
        "200", "202", "204", "205"]
    assert statuses_check(organisation_id=org.pk) == 4  # the worker validates and archives them
    assert statuses_check(organisation_id=org.pk) == 0
    event = PlatformStatusEvent.objects.get(flow_id="lc-205")
    assert event.validation["ok"] is True, event.validation
    assert event.archive_entry_id is not None


def test_a_status_delivered_twice_is_applied_once(org, issued):
    data = platform_status(issued, "202", at=T0)
    first = status_apply(org, data, flow_id="lc-1")
    again = status_apply(org, data, flow_id="lc-1")
    assert first.pk == again.pk
    assert PlatformStatusEvent.objects.filter(document=issued).count() == 1


def test_a_late_older_status_enters_the_history_without_changing_the_current_one(org, issued):
    status_apply(org, platform_status(issued, "205", at=T0 + dt.timedelta(hours=1)), flow_id="new")
    status_apply(org, platform_status(issued, "202", at=T0), flow_id="old")
    assert PlatformState.objects.get(document=issued).code == "205"
    assert PlatformStatusEvent.objects.filter(document=issued).count() == 2


def test_a_rejection_notifies_the_organisation_with_the_reason_and_what_to_do(org, issued):
    status_apply(org, platform_status(issued, "213", reason_code="MONTANTTOTAL_ERR", at=T0), flow_id="rej")
    state = PlatformState.objects.get(document=issued)
    assert (state.code, state.reason_code) == ("213", "MONTANTTOTAL_ERR")
    note = Notification.objects.get(organisation=org, kind="platform_status")
    assert issued.number in note.text and "MONTANTTOTAL_ERR" in note.text
    assert "corrective invoice" in note.text


def test_a_refusal_for_wrong_amounts_asks_for_a_credit_note_and_a_corrective_invoice(org, issued):
    status_apply(org, platform_status(issued, "210", reason_code="TX_TVA_ERR", at=T0), flow_id="ref")
    note = Notification.objects.get(organisation=org, kind="platform_status")
    assert "credit note" in note.text and "corrective invoice" in note.text


def test_a_cdar_with_an_unknown_status_code_is_kept_unreadable_and_the_organisation_told(org, issued):
    data = platform_status(issued, "205", at=T0).replace(b">205<", b">299<")
    assert b">299<" in data
    event = status_apply(org, data, flow_id="odd")
    assert event.readable is False and bytes(event.data) == data
    assert "299" in event.problem or event.problem
    assert not PlatformState.objects.filter(document=issued).exclude(code="").exists()
    assert Notification.objects.filter(organisation=org, kind="platform_status", text__contains="odd").exists()


def test_a_message_that_is_not_xml_is_kept_and_said(org):
    event = status_apply(org, b"not a CDAR at all", flow_id="junk")
    assert event.readable is False and event.problem
    assert PlatformStatusEvent.objects.get(flow_id="junk").data == b"not a CDAR at all"


def _handed_to_pa(document):
    row = submission_queue(organisation=document.organisation, kind="invoice", tracking_id=str(document.pk),
                           file_name="f.pdf", data=b"%PDF", flow_syntax="Factur-X", processing_rule="B2B",
                           document=document)
    PlatformSubmission.objects.filter(pk=row.pk).update(state="sent", flow_id="F1")


def test_a_payment_on_a_services_invoice_sent_through_the_pa_queues_a_valid_212_per_vat_rate(owner, issued,
                                                                                           settings):
    from facturier.invoicing.settlement import payment_record

    settings.FACTURIER_TASKS = "database"  # queued, not flushed: no PA in this test
    _handed_to_pa(issued)
    payment = payment_record(by=owner, document_id=issued.pk, date=dt.date(2026, 3, 10), amount=Decimal("500.00"))
    row = PlatformSubmission.objects.get(kind="cdar")
    assert row.tracking_id == f"{issued.pk}-212-{payment.pk}" and row.flow_syntax == "CDAR"
    assert cdar.validate(bytes(row.data)).ok
    message = cdar.parse(bytes(row.data))
    assert message.status_code == "212"
    assert message.invoice.number == issued.number
    cashed = message.amounts_cashed
    assert sum(c.amount for c in cashed) == Decimal("500.00")
    assert {c.vat_rate for c in cashed} == {Decimal("20"), Decimal("5.5")}


def test_no_212_when_the_invoice_did_not_go_through_a_pa(owner, issued):
    from facturier.invoicing.settlement import payment_record

    payment_record(by=owner, document_id=issued.pk, date=dt.date(2026, 3, 10), amount=Decimal("10.00"))
    assert not PlatformSubmission.objects.filter(kind="cdar").exists()


def test_no_212_when_the_seller_pays_vat_on_debits(owner, org, lines):
    from facturier.accounts.models import VatRegime
    from facturier.invoicing.services import document_issue, draft_create
    from facturier.invoicing.settlement import payment_record

    type(org).objects.filter(pk=org.pk).update(vat_regime=VatRegime.DEBITS)
    owner.organisation.vat_regime = VatRegime.DEBITS
    draft = draft_create(by=owner, customer_id=org.customer.pk, lines=lines)
    assert draft.vat_on_debits
    document = document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))
    _handed_to_pa(document)
    payment_record(by=owner, document_id=document.pk, date=dt.date(2026, 3, 11), amount=Decimal("10.00"))
    assert not PlatformSubmission.objects.filter(kind="cdar").exists()


def test_a_page_of_statuses_applied_together_gives_the_same_outcome_once(org, issued):
    from facturier.platforms.statuses import statuses_apply

    page = [(f"p-{code}", platform_status(issued, code, at=T0 + dt.timedelta(minutes=i)))
            for i, code in enumerate(("200", "202", "204", "205"))]
    assert statuses_apply(org, list(reversed(page))) == 4
    assert statuses_apply(org, page) == 0  # the same page again (webhook and search): nothing twice
    assert PlatformState.objects.get(document=issued).code == "205"
    assert PlatformStatusEvent.objects.filter(document=issued).count() == 4
    statuses_apply(org, [("p-213", platform_status(issued, "213", reason_code="DOUBLON",
                                                   at=T0 + dt.timedelta(hours=1)))])
    assert Notification.objects.filter(organisation=org, kind="platform_status", text__contains="DOUBLON").exists()
