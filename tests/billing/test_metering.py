"""Metering: counts per period, tranche adjustments recorded once and told, periods rolling on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from facturier.billing.models import ChangeKind, PeriodUsage, State, SubscriptionChange
from facturier.billing.services import meter, subscription_terminate

from .conftest import at

DAY = dt.date(2026, 3, 10)  # in the period 28 Feb – 30 Mar of a subscription taken on 31 January


def _tranche_changes(subscription):
    return list(SubscriptionChange.objects.filter(subscription=subscription, kind=ChangeKind.TRANCHE)
                .order_by("at", "pk").values_list("before", "after", "count"))


def test_the_tenth_document_stays_free_and_the_eleventh_begins_the_first_tranche(org, plans, subscribe,
                                                                                  django_capture_on_commit_callbacks):
    subscription = subscribe(org, plans["pro"])
    usage = meter(organisation_id=org.pk, count=10, at=at(DAY))
    assert (usage.count, usage.tranche) == (10, 0)
    with django_capture_on_commit_callbacks(execute=True):
        usage = meter(organisation_id=org.pk, count=1, at=at(DAY))
    assert (usage.count, usage.tranche) == (11, 1)
    subscription.refresh_from_db()
    assert subscription.tranche == 1
    assert (usage.period_start, usage.period_end) == (dt.date(2026, 2, 28), dt.date(2026, 3, 30))
    assert _tranche_changes(subscription) == [("0", "1", 11)]
    assert [m.to for m in mail.outbox] == [["owner@acme.test"]]
    assert "tranche 1" in mail.outbox[0].subject and "11" in mail.outbox[0].body


def test_the_910th_document_stays_in_the_first_tranche_and_the_911th_moves_to_the_second(org, plans, subscribe):
    subscription = subscribe(org, plans["pro"])
    assert meter(organisation_id=org.pk, count=909, at=at(DAY)).tranche == 1
    assert meter(organisation_id=org.pk, count=1, at=at(DAY)).tranche == 1
    usage = meter(organisation_id=org.pk, count=1, at=at(DAY))
    assert (usage.count, usage.tranche) == (911, 2)
    assert _tranche_changes(subscription) == [("0", "1", 909), ("1", "2", 911)]


def test_a_new_period_starts_from_zero_and_keeps_the_last_one_for_closing(org, plans, subscribe):
    subscription = subscribe(org, plans["pro"])
    meter(organisation_id=org.pk, count=950, at=at(DAY))
    usage = meter(organisation_id=org.pk, count=3, at=at(dt.date(2026, 3, 31)))
    assert (usage.period_start, usage.count, usage.tranche) == (dt.date(2026, 3, 31), 3, 0)
    subscription.refresh_from_db()
    assert (subscription.period_start, subscription.period_end, subscription.tranche) == (
        dt.date(2026, 3, 31), dt.date(2026, 4, 29), 0)
    assert PeriodUsage.objects.get(subscription=subscription, period_start=dt.date(2026, 2, 28)).count == 950


def test_an_organisation_without_subscription_is_not_counted(org):
    assert meter(organisation_id=org.pk, count=5) is None
    assert not PeriodUsage.objects.exists()


def test_a_terminated_subscription_stops_counting_and_termination_is_idempotent(org, plans, subscribe):
    subscription = subscribe(org, plans["pro"])
    moment = at(DAY)
    subscription_terminate(org, moment)
    subscription_terminate(org, moment + dt.timedelta(days=1))
    subscription.refresh_from_db()
    assert (subscription.state, subscription.terminated_at) == (State.TERMINATED, moment)
    assert SubscriptionChange.objects.filter(subscription=subscription, kind=ChangeKind.STATE).count() == 1
    assert meter(organisation_id=org.pk, count=1, at=moment) is None


def test_an_archived_issued_document_is_counted_once_with_its_two_files(org, owner, issued, plans, subscribe):
    from facturier.archive.models import ArchiveEntry
    from facturier.archive.services import archive_document

    subscribe(org, plans["pro"], anniversary=dt.date(2020, 1, 1), today=dt.date.today())
    archive_document(issued.pk)
    archive_document(issued.pk)  # again: nothing new archived, nothing counted
    assert ArchiveEntry.objects.filter(document=issued).count() == 2
    assert PeriodUsage.objects.get(subscription__organisation=org).count == 1


def test_the_plan_changes_and_history_is_recorded_with_the_count(org, plans, subscribe):
    from facturier.billing.services import subscription_set

    subscription = subscribe(org, plans["free"])
    meter(organisation_id=org.pk, count=4, at=at(DAY))
    subscription_set(by=None, organisation=org, plan=plans["pro"], today=DAY)
    change = SubscriptionChange.objects.get(subscription=subscription, kind=ChangeKind.PLAN)
    assert (change.before, change.after, change.count) == ("Découverte", "Intégral", 4)


@pytest.mark.postgres
def test_two_issuers_crossing_a_boundary_at_once_count_both_and_adjust_once(transactional_db, org, plans, subscribe):
    import threading

    from django import db

    subscription = subscribe(org, plans["pro"])
    meter(organisation_id=org.pk, count=909, at=at(DAY))  # tranche 1; the 911th document begins tranche 2
    barrier = threading.Barrier(4)
    failures = []

    def issuer():
        try:
            barrier.wait()
            meter(organisation_id=org.pk, count=1, at=at(DAY))
        except Exception as e:  # noqa: BLE001 — reported below
            failures.append(e)
        finally:
            db.connection.close()

    threads = [threading.Thread(target=issuer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    usage = PeriodUsage.objects.get(subscription=subscription)
    assert (usage.count, usage.tranche) == (913, 2)
    assert _tranche_changes(subscription) == [("0", "1", 909), ("1", "2", 911)]


def test_terminating_the_organisation_ends_its_subscription(org, owner, plans, subscribe,
                                                            django_capture_on_commit_callbacks):
    from facturier.accounts.termination import organisation_terminate

    subscription = subscribe(org, plans["pro"])
    with django_capture_on_commit_callbacks(execute=True):  # the termination's signal is sent on commit
        organisation_terminate(organisation_id=org.pk, by=owner, reason="We stop trading", confirm_name=org.name)
    subscription.refresh_from_db()
    assert subscription.state == State.TERMINATED and subscription.terminated_at is not None
