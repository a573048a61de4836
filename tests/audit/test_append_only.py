"""The audit log: services append who did what with before/after, and nothing can rewrite it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from facturier.accounts.models import Role
from facturier.audit.models import AuditLogIsAppendOnly, Event
from facturier.audit.selectors import events_of
from facturier.invoicing.models import State
from facturier.invoicing.settlement import payment_record, write_off

ISSUE_DATE = dt.date(2026, 3, 2)


def last_event(organisation, subject, action: str) -> Event:
    events = events_of(organisation=organisation, subject=subject).filter(action=action)
    assert events.count() == 1, list(events.values_list("action", flat=True))
    return events.get()


def stored(event: Event) -> dict:
    """The row as the database holds it, bypassing any cached instance."""
    return Event.objects.filter(pk=event.pk).values().get()


# --- Services write the events ---------------------------------------------------------------------------


def test_issue_records_who_issued_and_the_state_change(org, owner, issued):
    event = last_event(org, issued, "document.issue")
    assert event.actor == owner.user
    assert event.actor_label == str(owner.user)
    assert event.organisation == org
    assert event.subject_type == "invoicing.document"
    assert event.subject_id == str(issued.pk)
    assert event.before == {"state": State.DRAFT}
    assert event.after["state"] == State.ISSUED
    assert event.after["number"] == issued.number == "FA-2026-000001"
    assert event.after["payable"] == str(issued.payable)


def test_payment_records_amount_and_states_before_and_after(org, issued):
    accountant = org.member(Role.ACCOUNTANT)
    payment = payment_record(by=accountant, document_id=issued.pk, date=dt.date(2026, 3, 10),
                             amount=Decimal("100.00"), reference="VIR 42")
    event = last_event(org, issued, "payment.record")
    assert event.actor == accountant.user
    assert event.before == {"state": State.ISSUED, "paid": "0.00", "amount_due": str(issued.payable)}
    assert event.after["state"] == State.PARTIALLY_PAID
    assert event.after["paid"] == "100.00"
    assert event.after["amount_due"] == str(issued.payable - Decimal("100.00"))
    assert event.after["payment"] == payment.pk
    assert event.after["amount"] == "100.00"
    assert event.after["date"] == "2026-03-10"
    assert event.after["reference"] == "VIR 42"


def test_write_off_records_amount_reason_and_states(org, owner, issued):
    write_off(by=owner, document_id=issued.pk, date=dt.date(2026, 6, 1), reason="Liquidation judiciaire")
    event = last_event(org, issued, "document.write_off")
    assert event.actor == owner.user
    assert event.before["state"] == State.ISSUED
    assert event.before["amount_due"] == str(issued.payable)
    assert event.after["state"] == State.BAD_DEBT
    assert event.after["amount_due"] == "0.00"
    assert event.after["amount"] == str(issued.payable)
    assert event.after["reason"] == "Liquidation judiciaire"
    assert event.after["date"] == "2026-06-01"


def test_events_keep_their_order_of_occurrence(org, owner, issued):
    payment_record(by=owner, document_id=issued.pk, date=ISSUE_DATE, amount=Decimal("1.00"))
    write_off(by=owner, document_id=issued.pk, date=ISSUE_DATE, reason="Liquidation")
    actions = list(events_of(organisation=org, subject=issued).values_list("action", flat=True))
    assert actions == ["document.create", "document.issue", "payment.record", "document.write_off"]


# --- Nothing rewrites an event ---------------------------------------------------------------------------


@pytest.fixture
def event(org, issued):
    return last_event(org, issued, "document.issue")


def test_saving_an_existing_event_is_refused(event):
    before = stored(event)
    event.action = "document.forged"
    event.after = {"state": "paid"}
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.save(update_fields=["action"])
    assert stored(event) == before


def test_saving_a_fresh_instance_over_an_existing_row_is_refused(event):
    before = stored(event)
    forged = Event(pk=event.pk, action="document.forged", subject_type=event.subject_type,
                   subject_id=event.subject_id)
    with pytest.raises(AuditLogIsAppendOnly):
        forged.save()
    assert stored(event) == before


def test_deleting_an_event_is_refused(event):
    before = stored(event)
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    assert stored(event) == before


def test_queryset_update_is_refused(event):
    before = stored(event)
    with pytest.raises(AuditLogIsAppendOnly):
        Event.objects.filter(pk=event.pk).update(action="document.forged")
    with pytest.raises(AuditLogIsAppendOnly):
        Event.objects.update(actor_label="nobody")
    assert stored(event) == before


def test_queryset_delete_is_refused(event):
    count = Event.objects.count()
    with pytest.raises(AuditLogIsAppendOnly):
        Event.objects.filter(pk=event.pk).delete()
    with pytest.raises(AuditLogIsAppendOnly):
        Event.objects.all().delete()
    assert Event.objects.count() == count
    assert Event.objects.filter(pk=event.pk).exists()


def test_bulk_update_is_refused(event):
    before = stored(event)
    event.action = "document.forged"
    with pytest.raises(AuditLogIsAppendOnly):
        Event.objects.bulk_update([event], ["action"])
    assert stored(event) == before


def test_raw_sql_update_is_refused_by_the_database(event):
    before = stored(event)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_event SET action = %s WHERE id = %s", ["document.forged", event.pk])
    assert stored(event) == before


def test_raw_sql_update_of_every_row_is_refused_by_the_database(event):
    before = list(Event.objects.order_by("id").values())
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_event SET actor_label = 'nobody'")
    assert list(Event.objects.order_by("id").values()) == before


def test_raw_sql_delete_is_refused_by_the_database(event):
    count = Event.objects.count()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_event WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_event")
    assert Event.objects.count() == count
    assert stored(event)["action"] == "document.issue"


def test_raw_sql_insert_still_works(org, event):
    """Positive control: the triggers refuse rewriting, not appending."""
    count = Event.objects.count()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_event (organisation_id, at, actor_label, action, subject_type, subject_id, "
            "subject_label) VALUES (%s, CURRENT_TIMESTAMP, 'système', 'test.append', 'x.y', '1', '')", [org.pk])
    assert Event.objects.count() == count + 1


def test_the_base_manager_cannot_update_either(event):
    """Django's internal manager skips EventQuerySet; the database trigger still refuses."""
    before = stored(event)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Event._base_manager.filter(pk=event.pk).update(action="document.forged")
    assert stored(event) == before


@pytest.mark.postgres
def test_truncate_is_refused_by_the_database(event):
    """Row triggers do not fire on TRUNCATE in PostgreSQL: it needs its own statement trigger."""
    count = Event.objects.count()
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as cursor:
        # Fire the deferred foreign-key checks of this test's inserts first: otherwise PostgreSQL
        # refuses the TRUNCATE for "pending trigger events", which is not the protection under test.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE audit_event")
    assert "append-only" in str(caught.value)
    assert Event.objects.count() == count
