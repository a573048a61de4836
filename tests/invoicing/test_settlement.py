"""Payments, credit notes, final invoices and bad-debt write-offs move what is due, and the state with it."""

import datetime as dt
from decimal import Decimal

import pytest

from facturier.audit.models import Event
from facturier.invoicing.content import InvalidDocument
from facturier.invoicing.models import Document, Kind, Payment, Relation, State, WriteOff
from facturier.invoicing.services import (
    CreditExceedsDue,
    credit_note_create,
    document_issue,
    draft_create,
    final_invoice_create,
)
from facturier.invoicing.settlement import (
    OverpaymentUnconfirmed,
    SettlementRefused,
    payment_cancel,
    payment_record,
    write_off,
)

pytestmark = pytest.mark.django_db
PAY_DAY = dt.date(2026, 3, 20)


def pay(owner, document, amount):
    return payment_record(by=owner, document_id=document.pk, date=PAY_DAY, amount=Decimal(amount))


def reload(document):
    return Document.objects.get(pk=document.pk)


def test_partial_then_full_payment(issued, owner):
    pay(owner, issued, "1000.00")
    assert (reload(issued).state, reload(issued).amount_due) == (State.PARTIALLY_PAID, Decimal("770.56"))
    pay(owner, issued, "770.56")
    assert (reload(issued).state, reload(issued).amount_due) == (State.PAID, Decimal("0.00"))


def test_an_over_payment_is_refused_unless_confirmed_and_then_leaves_a_credit_owed_to_the_customer(issued, owner):
    with pytest.raises(OverpaymentUnconfirmed) as refused:
        pay(owner, issued, "1800.00")
    assert "29.44" in refused.value.message and "owed to the customer" in refused.value.message
    assert Payment.objects.count() == 0 and reload(issued).state == State.ISSUED
    payment_record(by=owner, document_id=issued.pk, date=PAY_DAY, amount=Decimal("1800.00"),
                   confirm_overpayment=True)
    document = reload(issued)
    assert document.state == State.PAID and document.amount_due == Decimal("-29.44")
    assert (document.outstanding, document.owed_to_customer) == (Decimal("0.00"), Decimal("29.44"))
    event = Event.objects.filter(action="payment.record", subject_id=str(issued.pk)).latest("id")
    assert event.after["owed_to_customer"] == "29.44"


def test_a_payment_on_a_paid_invoice_is_refused_unless_confirmed(issued, owner):
    pay(owner, issued, "1770.56")
    with pytest.raises(OverpaymentUnconfirmed) as refused:
        pay(owner, issued, "10.00")
    assert "already settled" in refused.value.message
    assert Payment.objects.count() == 1
    payment_record(by=owner, document_id=issued.pk, date=PAY_DAY, amount=Decimal("10.00"), confirm_overpayment=True)
    assert reload(issued).owed_to_customer == Decimal("10.00")


def test_the_over_payment_refusal_speaks_french_with_french_amounts(issued, owner):
    from django.utils import translation

    with translation.override("fr"), pytest.raises(OverpaymentUnconfirmed) as refused:
        pay(owner, issued, "1800.00")
    with translation.override("fr"):
        assert "29,44" in refused.value.message and "dus au client" in refused.value.message


def test_cancelling_a_payment_brings_the_amount_back_and_keeps_the_record(issued, owner):
    payment = pay(owner, issued, "1770.56")
    payment_cancel(by=owner, payment_id=payment.pk, reason="Chèque rejeté")
    document = reload(issued)
    assert (document.state, document.amount_due) == (State.ISSUED, Decimal("1770.56"))
    payment.refresh_from_db()
    assert payment.cancelled_at is not None and payment.cancel_reason == "Chèque rejeté"
    with pytest.raises(SettlementRefused):
        payment_cancel(by=owner, payment_id=payment.pk, reason="again")


def test_cancelling_needs_a_reason(issued, owner):
    payment = pay(owner, issued, "10.00")
    with pytest.raises(SettlementRefused):
        payment_cancel(by=owner, payment_id=payment.pk, reason="  ")
    assert Payment.objects.get(pk=payment.pk).cancelled_at is None


def test_paying_a_draft_is_refused_and_nothing_is_written(draft, owner):
    with pytest.raises(SettlementRefused) as refused:
        pay(owner, draft, "10.00")
    assert "issue it" in refused.value.message
    assert Payment.objects.count() == 0 and reload(draft).paid_amount == 0


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "1.234", "NaN"])
def test_a_payment_amount_must_be_positive_with_cents(issued, owner, amount):
    with pytest.raises(SettlementRefused):
        payment_record(by=owner, document_id=issued.pk, date=PAY_DAY, amount=amount)
    assert Payment.objects.count() == 0


def test_a_payment_before_the_issue_date_is_refused(issued, owner):
    with pytest.raises(SettlementRefused):
        payment_record(by=owner, document_id=issued.pk, date=dt.date(2026, 1, 1), amount=Decimal("10"))


def test_writing_off_an_unpaid_invoice_makes_it_a_bad_debt(issued, owner):
    entry = write_off(by=owner, document_id=issued.pk, date=PAY_DAY, reason="Liquidation judiciaire")
    document = reload(issued)
    assert entry.amount == Decimal("1770.56")
    assert (document.state, document.amount_due, document.written_off_amount) == (
        State.BAD_DEBT, Decimal("0.00"), Decimal("1770.56"))
    assert Event.objects.filter(action="document.write_off", subject_id=str(issued.pk)).exists()


def test_writing_off_the_rest_of_a_partly_paid_invoice_is_a_partial_bad_debt(issued, owner):
    pay(owner, issued, "770.56")
    entry = write_off(by=owner, document_id=issued.pk, date=PAY_DAY, reason="Procédure close")
    assert entry.amount == Decimal("1000.00")
    assert reload(issued).state == State.BAD_DEBT_PARTIAL
    with pytest.raises(SettlementRefused):
        pay(owner, issued, "10.00")


def test_a_paid_invoice_or_a_draft_cannot_be_written_off(issued, draft, owner, lines, org):
    pay(owner, issued, "1770.56")
    with pytest.raises(SettlementRefused):
        write_off(by=owner, document_id=issued.pk, date=PAY_DAY, reason="x")
    other = draft_create(by=owner, customer_id=org.customer.pk, lines=lines)
    with pytest.raises(SettlementRefused):
        write_off(by=owner, document_id=other.pk, date=PAY_DAY, reason="x")
    assert WriteOff.objects.count() == 0


def test_a_full_credit_note_settles_the_invoice(issued, owner):
    credit = credit_note_create(by=owner, invoice_id=issued.pk)
    assert credit.kind == Kind.CREDIT_NOTE and credit.payable == issued.payable
    assert "FA-2026-000001" in credit.note
    credit = document_issue(by=owner, document_id=credit.pk, issue_date=dt.date(2026, 3, 5))
    assert credit.number == "AV-2026-000001"
    assert reload(issued).state == State.PAID and reload(issued).credited_amount == issued.payable
    assert reload(credit).state == State.PAID
    link = credit.origin_links.get()
    assert (link.source_id, link.relation, link.amount) == (issued.pk, Relation.CREDIT_NOTE, issued.payable)


def test_a_credit_note_for_one_line_reduces_what_is_due(issued, owner):
    first_line = issued.lines.order_by("position").first()
    credit = credit_note_create(by=owner, invoice_id=issued.pk, line_ids=[first_line.pk])
    assert credit.lines.count() == 1 and credit.payable == Decimal("1020.00")
    document_issue(by=owner, document_id=credit.pk, issue_date=dt.date(2026, 3, 5))
    document = reload(issued)
    assert (document.state, document.amount_due) == (State.PARTIALLY_PAID, Decimal("750.56"))


def test_a_credit_note_on_a_paid_invoice_is_confirmed_then_owed_back_to_the_customer(issued, owner):
    pay(owner, issued, "1770.56")
    credit = credit_note_create(by=owner, invoice_id=issued.pk)
    with pytest.raises(CreditExceedsDue) as refused:
        document_issue(by=owner, document_id=credit.pk, issue_date=dt.date(2026, 3, 25))
    assert "1,770.56" in refused.value.message and "owed to the customer" in refused.value.message
    assert reload(credit).state == State.DRAFT and reload(credit).number == ""
    credit = document_issue(by=owner, document_id=credit.pk, issue_date=dt.date(2026, 3, 25),
                            confirm_overcredit=True)
    assert (reload(credit).state, reload(credit).amount_due) == (State.ISSUED, issued.payable)
    assert (reload(credit).owed_to_customer, reload(credit).outstanding) == (issued.payable, Decimal("0.00"))
    assert Event.objects.filter(action="document.credit_excess_confirmed", subject_id=str(credit.pk)).exists()
    payment_record(by=owner, document_id=credit.pk, date=dt.date(2026, 3, 26), amount=issued.payable)
    assert reload(credit).state == State.PAID


def test_a_draft_cannot_be_credited(draft, owner):
    with pytest.raises(Exception) as refused:
        credit_note_create(by=owner, invoice_id=draft.pk)
    assert "draft" in str(refused.value)


def test_a_final_invoice_deducts_the_deposits_already_invoiced(owner, org):
    deposit = draft_create(by=owner, kind=Kind.DEPOSIT, customer_id=org.customer.pk,
                           lines=[{"name": "Acompte 30 %", "quantity": 1, "unit_price": Decimal("3000")}])
    deposit = document_issue(by=owner, document_id=deposit.pk, issue_date=dt.date(2026, 2, 1))
    final = final_invoice_create(by=owner, customer_id=org.customer.pk, deposit_ids=[deposit.pk],
                                 lines=[{"name": "Projet", "quantity": 1, "unit_price": Decimal("10000")}])
    assert final.kind == Kind.FINAL and final.lines.count() == 2
    assert final.tax_exclusive == Decimal("7000.00") and final.payable == Decimal("8400.00")
    assert final.origin_links.get().source_id == deposit.pk
    with pytest.raises(InvalidDocument):
        final_invoice_create(by=owner, customer_id=org.customer.pk, deposit_ids=[deposit.pk],
                             lines=[{"name": "Encore", "quantity": 1, "unit_price": Decimal("1")}])
