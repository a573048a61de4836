"""Contracts invoice each period once: drafts, issue, catch-up, pauses, revision, ends, refusals, tenants."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from facturier.accounts.services import RightMissing
from facturier.contracts.models import Action, ContractPeriod, ContractState, Outcome, Timing
from facturier.contracts.services import (
    ContractStateError,
    InvalidContract,
    contract_create,
    contract_end,
    contract_from_invoice,
    contract_pause,
    contract_resume,
    contract_update,
    generate_due,
    settings_update,
)
from facturier.delivery.models import Notification
from facturier.invoicing.mapping import document_to_invoice
from facturier.invoicing.models import Document, State
from facturier.parties.models import Customer

D = dt.date
LINE = {"name": "Abonnement", "quantity": Decimal("1"), "unit_price": Decimal("100.00")}


@pytest.fixture
def make(owner, org):
    def make(**kw):
        kw.setdefault("customer_id", org.customer.pk)
        kw.setdefault("name", "Maintenance")
        kw.setdefault("lines", [LINE])
        kw.setdefault("start_date", D(2026, 1, 31))
        return contract_create(by=owner, **kw)
    return make


def periods(contract):
    return list(ContractPeriod.objects.filter(contract=contract).order_by("start")
                .values_list("start", "end", "outcome"))


def test_monthly_drafts_from_the_31st_carry_their_invoicing_period(make):
    contract = make()
    assert contract.next_due == D(2026, 1, 31)
    assert generate_due(today=D(2026, 3, 31)) == 3
    assert periods(contract) == [(D(2026, 1, 31), D(2026, 2, 27), Outcome.DRAFT),
                                 (D(2026, 2, 28), D(2026, 3, 30), Outcome.DRAFT),
                                 (D(2026, 3, 31), D(2026, 4, 29), Outcome.DRAFT)]
    document = ContractPeriod.objects.get(contract=contract, start=D(2026, 2, 28)).document
    assert document.state == State.DRAFT and document.payable == Decimal("120.00")
    invoice = document_to_invoice(document)
    assert (invoice.invoicing_period.start, invoice.invoicing_period.end) == (D(2026, 2, 28), D(2026, 3, 30))
    contract.refresh_from_db()
    assert contract.next_due == D(2026, 4, 30)


def test_running_the_generation_again_invoices_nothing_twice(make):
    contract = make(timing=Timing.IN_ARREARS)
    generate_due(today=D(2026, 4, 1))
    generate_due(today=D(2026, 4, 1))
    assert [p[0] for p in periods(contract)] == [D(2026, 1, 31), D(2026, 2, 28)]  # March is due on 30 April
    assert Document.objects.filter(contract_period__contract=contract).count() == 2


def test_issued_contract_invoices_are_dated_today_after_a_stop_unless_back_dating_is_allowed(make, owner):
    late = make(action=Action.ISSUE, start_date=D(2026, 1, 10))
    generate_due(today=D(2026, 3, 20))
    issued = Document.objects.filter(contract_period__contract=late).order_by("number_value")
    assert [d.issue_date for d in issued] == [D(2026, 3, 20)] * 3
    assert [d.state for d in issued] == [State.ISSUED] * 3

    settings_update(by=owner, allow_backdating=True)
    other = make(action=Action.ISSUE, start_date=D(2026, 3, 25), day_of_month=25)
    generate_due(today=D(2026, 5, 26))
    assert [d.issue_date for d in Document.objects.filter(contract_period__contract=other)
            .order_by("number_value")] == [D(2026, 3, 25), D(2026, 4, 25), D(2026, 5, 25)]


def test_back_dating_before_the_last_issued_invoice_falls_back_to_today_and_says_why(make, owner, issued):
    settings_update(by=owner, allow_backdating=True)  # `issued` is dated 2 March 2026 in the same series
    contract = make(action=Action.ISSUE, start_date=D(2026, 2, 1), day_of_month=1)
    generate_due(today=D(2026, 3, 5))
    rows = list(ContractPeriod.objects.filter(contract=contract).order_by("start").select_related("document"))
    assert [r.document.issue_date for r in rows] == [D(2026, 3, 5), D(2026, 3, 5)]
    assert all(r.outcome == Outcome.ISSUED and "Series FA already holds" in r.reason for r in rows)


def test_a_refusal_of_the_issue_gate_keeps_the_draft_records_why_and_notifies(make, org):
    member = org.member("accountant")
    contract = contract_create(by=member, customer_id=org.customer.pk, name="Hébergement", lines=[LINE],
                               start_date=D(2026, 1, 31), action=Action.ISSUE)
    member.can_issue = False
    member.save()
    generate_due(today=D(2026, 1, 31))
    row = ContractPeriod.objects.get(contract=contract)
    assert row.outcome == Outcome.REFUSED and "Issue documents" in row.reason
    assert row.document.state == State.DRAFT
    assert Notification.objects.filter(organisation=org, kind="contract.refused", document=row.document).exists()


def test_a_paused_contract_skips_the_periods_due_while_paused(make, owner):
    contract = make(start_date=D(2026, 1, 1), day_of_month=1)
    generate_due(today=D(2026, 1, 15))
    contract_pause(by=owner, contract_id=contract.pk)
    assert generate_due(today=D(2026, 3, 15)) == 0
    contract_resume(by=owner, contract_id=contract.pk, on=D(2026, 3, 15))
    generate_due(today=D(2026, 4, 1))
    assert periods(contract) == [
        (D(2026, 1, 1), D(2026, 1, 31), Outcome.DRAFT), (D(2026, 2, 1), D(2026, 2, 28), Outcome.SKIPPED),
        (D(2026, 3, 1), D(2026, 3, 31), Outcome.SKIPPED), (D(2026, 4, 1), D(2026, 4, 30), Outcome.DRAFT)]


def test_prices_are_revised_at_each_anniversary_compounded(make):
    contract = make(start_date=D(2024, 2, 29), frequency="yearly", revision_percent=Decimal("3"),
                    timing=Timing.IN_ARREARS)
    generate_due(today=D(2026, 12, 1))
    prices = [r.document.lines.get().unit_price for r in
              ContractPeriod.objects.filter(contract=contract).order_by("start").select_related("document")]
    assert prices == [Decimal("100.00"), Decimal("103.00")]  # the 2026 period is due on 28 February 2027


def test_the_occurrence_count_and_the_end_date_end_the_contract(make):
    counted = make(occurrences=2)
    dated = make(start_date=D(2026, 1, 15), end_date=D(2026, 3, 14))
    generate_due(today=D(2026, 6, 30))
    counted.refresh_from_db()
    dated.refresh_from_db()
    assert len(periods(counted)) == 2 and counted.state == ContractState.ENDED and counted.next_due is None
    assert [p[0] for p in periods(dated)] == [D(2026, 1, 15), D(2026, 2, 15)] and dated.state == ContractState.ENDED


def test_an_end_before_the_start_is_refused_with_a_clear_message_in_french(make):
    with pytest.raises(InvalidContract) as caught:
        make(start_date=D(2026, 3, 1), end_date=D(2026, 2, 1))
    assert "end_date" in caught.value.errors
    with translation.override("fr"):
        assert "La date de fin (01/02/2026) précède la date de début (01/03/2026)" in caught.value.message
    with pytest.raises(InvalidContract):
        make(occurrences=0)
    with pytest.raises(InvalidContract):
        make(start_date=D(2026, 1, 15), day_of_month=1)


def test_lines_changed_while_running_apply_to_the_next_invoices(make, owner):
    contract = make(start_date=D(2026, 1, 1), day_of_month=1)
    generate_due(today=D(2026, 1, 1))
    contract_update(by=owner, contract_id=contract.pk, lines=[{**LINE, "unit_price": Decimal("150.00")}])
    with pytest.raises(InvalidContract):
        contract_update(by=owner, contract_id=contract.pk, frequency="yearly")
    generate_due(today=D(2026, 2, 1))
    prices = [r.document.lines.get().unit_price for r in ContractPeriod.objects.filter(contract=contract)
              .order_by("start").select_related("document")]
    assert prices == [Decimal("100.00"), Decimal("150.00")]


def test_a_contract_from_an_issued_invoice_copies_its_lines_and_an_ended_one_stops(owner, issued):
    contract = contract_from_invoice(by=owner, document_id=issued.pk, start_date=D(2026, 4, 1))
    assert [line["name"] for line in contract.lines] == ["Développement", "Écran", "Livre"]
    generate_due(today=D(2026, 4, 1))
    assert ContractPeriod.objects.get(contract=contract).document.payable == issued.payable
    contract_end(by=owner, contract_id=contract.pk)
    assert generate_due(today=D(2026, 8, 1)) == 0
    with pytest.raises(ContractStateError):
        contract_resume(by=owner, contract_id=contract.pk)


def test_contracts_stay_in_their_organisation(make, org, other_org):
    contract = make()
    with pytest.raises(ContractStateError):
        contract_pause(by=other_org.owner, contract_id=contract.pk)
    with pytest.raises(Customer.DoesNotExist):  # another tenant's customer does not exist for this one
        contract_create(by=other_org.owner, customer_id=org.customer.pk, name="x", lines=[LINE],
                        start_date=D(2026, 1, 1))
    generate_due(today=D(2026, 1, 31), organisation_id=other_org.pk)
    assert not ContractPeriod.objects.exists()


def test_a_member_without_the_issue_right_cannot_create_a_contract(org):
    clerk = org.member("clerk")
    with pytest.raises(RightMissing):
        contract_create(by=clerk, customer_id=org.customer.pk, name="x", lines=[LINE], start_date=D(2026, 1, 1))
