"""Issue, immutability and the one transition table: every move allowed and every move refused."""

import datetime as dt
from decimal import Decimal

import pytest

from facturier.audit.models import Event
from facturier.invoicing.models import Document, DocumentImmutable, Line, State
from facturier.invoicing.numbering import NotChronological
from facturier.invoicing.services import (
    BillingAddressFrozen,
    NotIssuable,
    document_issue,
    draft_create,
    draft_delete,
    draft_update,
)
from facturier.invoicing.states import TRANSITIONS, IllegalTransition, can_transition, transition
from facturier.parties.models import AddressKind
from facturier.parties.services import address_add

pytestmark = pytest.mark.django_db


def test_issuing_gives_the_next_number_and_freezes_the_parties(issued, org):
    assert issued.state == State.ISSUED
    assert issued.number == "FA-2026-000001" and issued.number_value == 1
    assert issued.issue_date == dt.date(2026, 3, 2)
    assert issued.due_date == dt.date(2026, 4, 1)  # 30 days net
    assert issued.seller_snapshot["siren"] == "884123456"
    assert issued.buyer_snapshot["billing_address"]["city"] == "Paris"
    assert Event.objects.filter(action="document.issue", subject_id=str(issued.pk)).count() == 1


def test_an_address_change_after_issue_does_not_reach_the_issued_invoice(issued, owner, org):
    address_add(by=owner, customer=org.customer, kind=AddressKind.BILLING, effective_from=dt.date(2026, 6, 1),
                line1="9 quai Neuf", postcode="13001", city="Marseille")
    issued.refresh_from_db()
    assert issued.buyer_snapshot["billing_address"]["city"] == "Paris"


def test_issued_invoice_cannot_be_edited(issued, owner):
    with pytest.raises(DocumentImmutable):
        draft_update(by=owner, document_id=issued.pk, lines=[{"name": "X", "quantity": 1, "unit_price": 1}])
    issued.refresh_from_db()
    assert issued.lines.count() == 3 and issued.payable == Decimal("1770.56")


def test_the_billing_address_of_an_issued_invoice_cannot_change(issued, owner, org):
    address = address_add(by=owner, customer=org.customer, kind=AddressKind.BILLING,
                          effective_from=dt.date(2026, 6, 1), line1="9 quai Neuf", postcode="13001", city="Marseille")
    with pytest.raises(BillingAddressFrozen) as refused:
        draft_update(by=owner, document_id=issued.pk, billing_address=address.pk)
    assert "credit note" in refused.value.message


def test_issued_invoice_cannot_be_deleted_by_any_path(issued, owner):
    with pytest.raises(DocumentImmutable):
        draft_delete(by=owner, document_id=issued.pk)
    with pytest.raises(DocumentImmutable):
        Document.objects.filter(pk=issued.pk).delete()
    with pytest.raises(DocumentImmutable):
        Document.objects.get(pk=issued.pk).delete()
    assert Document.objects.filter(pk=issued.pk).exists()


def test_the_model_refuses_a_change_to_an_issued_document_or_its_lines(issued):
    document = Document.objects.get(pk=issued.pk)
    document.note = "rewritten"
    with pytest.raises(DocumentImmutable):
        document.save()
    line = Line.objects.filter(document=issued).first()
    line.unit_price = Decimal("1")
    with pytest.raises(DocumentImmutable):
        line.save()
    with pytest.raises(DocumentImmutable):
        line.delete()


def test_issuing_twice_is_refused(issued, owner):
    with pytest.raises(IllegalTransition):
        document_issue(by=owner, document_id=issued.pk)
    assert Document.objects.get(pk=issued.pk).number_value == 1


def test_numbers_follow_the_issue_dates(owner, org, lines):
    first = draft_create(by=owner, customer_id=org.customer.pk, lines=lines)
    second = draft_create(by=owner, customer_id=org.customer.pk, lines=lines)
    document_issue(by=owner, document_id=first.pk, issue_date=dt.date(2026, 5, 10))
    with pytest.raises(NotChronological):
        document_issue(by=owner, document_id=second.pk, issue_date=dt.date(2026, 5, 9))
    second = document_issue(by=owner, document_id=second.pk, issue_date=dt.date(2026, 5, 10))
    assert second.number_value == 2


def test_a_refused_issue_leaves_no_gap(owner, org, lines):
    empty = draft_create(by=owner, customer_id=org.customer.pk, lines=lines)
    Line.objects.filter(document=empty).delete()
    with pytest.raises(NotIssuable):
        document_issue(by=owner, document_id=empty.pk)
    good = draft_create(by=owner, customer_id=org.customer.pk, lines=lines)
    assert document_issue(by=owner, document_id=good.pk).number_value == 1


def test_an_issue_date_in_the_future_is_refused(draft, owner):
    with pytest.raises(NotIssuable):
        document_issue(by=owner, document_id=draft.pk, issue_date=dt.date.today() + dt.timedelta(days=2))
    assert Document.objects.get(pk=draft.pk).state == State.DRAFT


def test_an_invoice_with_a_negative_total_must_be_a_credit_note(owner, org):
    document = draft_create(by=owner, customer_id=org.customer.pk,
                            lines=[{"name": "Reprise", "quantity": -1, "unit_price": Decimal("30")}])
    with pytest.raises(NotIssuable) as refused:
        document_issue(by=owner, document_id=document.pk)
    assert "credit note" in refused.value.message


def test_a_credit_note_without_its_invoice_cannot_be_issued(owner, org):
    document = draft_create(by=owner, kind="credit_note", customer_id=org.customer.pk,
                            lines=[{"name": "Geste", "quantity": 1, "unit_price": Decimal("30")}])
    with pytest.raises(NotIssuable):
        document_issue(by=owner, document_id=document.pk)


ALL_STATES = list(State)


@pytest.mark.parametrize("current", ALL_STATES, ids=lambda s: s.value)
@pytest.mark.parametrize("to", ALL_STATES, ids=lambda s: s.value)
def test_every_transition_is_allowed_or_refused_by_the_table(current, to):
    document = Document(state=current)
    stays = current == to and current not in (State.DRAFT, State.BAD_DEBT, State.BAD_DEBT_PARTIAL)
    if (current, to) in TRANSITIONS or stays:
        transition(document, to=to)
        assert document.state == to
    else:
        with pytest.raises(IllegalTransition):
            transition(document, to=to)
        assert document.state == current


def test_the_table_has_no_way_back_to_draft_and_no_way_out_of_bad_debt():
    assert not any(can_transition(s, State.DRAFT) for s in State)
    assert not any(can_transition(State.BAD_DEBT, s) for s in State)
    assert not any(can_transition(State.BAD_DEBT_PARTIAL, s) for s in State)
