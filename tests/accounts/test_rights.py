"""Roles give default rights; every service refuses a member without the right, and writes nothing."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from facturier.accounts.models import ROLE_DEFAULT_RIGHTS, Membership, Right, Role, User
from facturier.accounts.services import RightMissing, membership_add
from facturier.audit.models import Event
from facturier.invoicing.models import Document, Line, Payment, Series, State, WriteOff
from facturier.invoicing.services import document_issue, draft_create
from facturier.invoicing.settlement import payment_cancel, payment_record, write_off
from facturier.parties.models import Customer

ISSUE_DATE = dt.date(2026, 3, 2)
_seq = itertools.count()


def member(organisation, role: Role, **rights: bool) -> Membership:
    user = User.objects.create_user(f"{role}-{next(_seq)}@{organisation.slug}.test", "correct horse battery")
    return membership_add(organisation=organisation, user=user, role=role, **rights)


def row_counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in (Customer, Document, Line, Payment, WriteOff, Event)}


def assert_refused(membership: Membership, right: Right, call) -> None:
    counts = row_counts()
    with pytest.raises(RightMissing) as caught:
        call()
    assert str(right.label) in str(caught.value)
    assert caught.value.code == "right_missing"
    assert row_counts() == counts


# --- Default rights of each role -------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_its_default_rights(org, role):
    membership = member(org, role)
    granted = {right for right in Right.values if membership.has_right(right)}
    assert granted == set(ROLE_DEFAULT_RIGHTS[role])
    membership.refresh_from_db()
    assert {right for right in Right.values if getattr(membership, right)} == set(ROLE_DEFAULT_RIGHTS[role])


def test_owner_has_every_right_and_viewer_none(org):
    owner, viewer = member(org, Role.OWNER), member(org, Role.VIEWER)
    assert all(owner.has_right(right) for right in Right)
    assert not any(viewer.has_right(right) for right in Right)


def test_clerk_edits_but_neither_issues_nor_settles(org):
    clerk = member(org, Role.CLERK)
    assert clerk.has_right(Right.EDIT)
    for right in (Right.ISSUE, Right.RECORD_PAYMENTS, Right.WRITE_OFF, Right.MANAGE_SETTINGS):
        assert not clerk.has_right(right)


def test_explicit_rights_override_the_role_defaults(org):
    clerk = member(org, Role.CLERK, can_issue=True, can_edit=False)
    assert clerk.has_right(Right.ISSUE)
    assert not clerk.has_right(Right.EDIT)
    assert clerk.has_right(Right.SEND)


def test_changing_role_resets_rights_to_the_new_roles_defaults(org):
    membership = member(org, Role.OWNER)
    membership = membership_add(organisation=org, user=membership.user, role=Role.VIEWER)
    assert not any(membership.has_right(right) for right in Right)
    assert Membership.objects.filter(user=membership.user, organisation=org).count() == 1


def test_unknown_right_is_refused(org):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        member(org, Role.CLERK, can_fly=True)


def test_inactive_membership_has_no_rights(org):
    owner = member(org, Role.OWNER)
    owner.is_active = False
    owner.save()
    assert not any(owner.has_right(right) for right in Right)


def test_inactive_owner_cannot_act(org, lines):
    owner = member(org, Role.OWNER)
    owner.is_active = False
    owner.save()
    assert_refused(owner, Right.EDIT,
                   lambda: draft_create(by=owner, customer_id=org.customer.pk, lines=lines))


# --- Services refuse a member without the right ----------------------------------------------------------


def test_viewer_cannot_create_a_draft(org, lines):
    viewer = member(org, Role.VIEWER)
    assert_refused(viewer, Right.EDIT,
                   lambda: draft_create(by=viewer, customer_id=org.customer.pk, lines=lines))


def test_clerk_can_create_a_draft_but_cannot_issue_it(org, lines):
    clerk = member(org, Role.CLERK)
    draft = draft_create(by=clerk, customer_id=org.customer.pk, lines=lines)
    series = Series.objects.get(pk=draft.series_id)
    assert_refused(clerk, Right.ISSUE,
                   lambda: document_issue(by=clerk, document_id=draft.pk, issue_date=ISSUE_DATE))
    draft.refresh_from_db()
    assert draft.state == State.DRAFT and draft.number == "" and draft.number_value is None
    series.refresh_from_db()
    assert series.next_number == 1, "a refused issue must not consume a number"


def test_clerk_given_the_issue_right_can_issue(org, lines):
    clerk = member(org, Role.CLERK, can_issue=True)
    draft = draft_create(by=clerk, customer_id=org.customer.pk, lines=lines)
    assert document_issue(by=clerk, document_id=draft.pk, issue_date=ISSUE_DATE).state == State.ISSUED


def test_member_without_payment_right_cannot_record_a_payment(org, issued):
    accountant = member(org, Role.ACCOUNTANT, can_record_payments=False)
    assert accountant.has_right(Right.ISSUE)
    assert_refused(accountant, Right.RECORD_PAYMENTS,
                   lambda: payment_record(by=accountant, document_id=issued.pk, date=ISSUE_DATE,
                                          amount=Decimal("10.00")))
    issued.refresh_from_db()
    assert issued.state == State.ISSUED and issued.paid_amount == 0


def test_member_without_payment_right_cannot_cancel_a_payment(org, owner, issued):
    payment = payment_record(by=owner, document_id=issued.pk, date=ISSUE_DATE, amount=Decimal("10.00"))
    clerk = member(org, Role.CLERK)
    assert_refused(clerk, Right.RECORD_PAYMENTS,
                   lambda: payment_cancel(by=clerk, payment_id=payment.pk, reason="mistake"))
    payment.refresh_from_db()
    assert payment.cancelled_at is None


def test_member_without_write_off_right_cannot_write_off(org, issued):
    accountant = member(org, Role.ACCOUNTANT, can_write_off=False)
    assert_refused(accountant, Right.WRITE_OFF,
                   lambda: write_off(by=accountant, document_id=issued.pk, date=ISSUE_DATE, reason="liquidation"))
    issued.refresh_from_db()
    assert issued.state == State.ISSUED and issued.written_off_amount == 0


def test_accountant_with_default_rights_can_record_payments_and_write_off(org, issued):
    """Positive control for the refusals above."""
    accountant = member(org, Role.ACCOUNTANT)
    payment_record(by=accountant, document_id=issued.pk, date=ISSUE_DATE, amount=Decimal("10.00"))
    write_off(by=accountant, document_id=issued.pk, date=ISSUE_DATE, reason="liquidation")
    issued.refresh_from_db()
    assert issued.state == State.BAD_DEBT_PARTIAL


def test_refusal_message_names_the_right_and_the_organisation(org, lines):
    viewer = member(org, Role.VIEWER)
    with pytest.raises(RightMissing) as caught:
        draft_create(by=viewer, customer_id=org.customer.pk, lines=lines)
    assert str(Right.EDIT.label) in caught.value.message
    assert org.name in caught.value.message
