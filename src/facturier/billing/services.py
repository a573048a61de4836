"""Writes on plans and subscriptions; metering; the one capability gate.

Metering runs inside the transaction that archives a document (`meter`): the subscription row is
locked, the period's count grows, and when it crosses a tranche boundary the tranche moves up and
the adjustment is recorded in the same transaction — so two issuers crossing a boundary at the
same moment count twice and adjust once. The organisation is told after commit.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Organisation, User
from facturier.billing.models import (
    TRANSITIONS,
    Capability,
    ChangeKind,
    OperatorSettings,
    PeriodUsage,
    Plan,
    State,
    Subscription,
    SubscriptionChange,
)
from facturier.billing.periods import next_period, period_of, tranches_for
from facturier.errors import FacturierError

log = logging.getLogger(__name__)


class CapabilityMissing(FacturierError):
    code = "plan_capability_missing"


class SubscriptionRefused(FacturierError):
    code = "subscription_refused"


class NotPlatformOperator(FacturierError):
    code = "not_platform_operator"


def require_platform_operator(user: User) -> None:
    if not getattr(user, "is_platform_operator", False):
        raise NotPlatformOperator(_("Only the platform's operators manage plans and subscriptions."))


# --- capabilities ---------------------------------------------------------------------------------


def _refusal_text(capability: str, plan: str, state: str, state_label: str, offers: list[str]) -> str:
    label = Capability(capability).label
    if state:
        return str(_("%(capability)s is unavailable: the subscription is %(state)s. Contact the platform's "
                     "operator.") % {"capability": label, "state": str(state_label).lower()})
    message = str(_("%(capability)s is not included in the plan “%(plan)s”.") % {"capability": label, "plan": plan})
    if offers:
        return message + " " + str(_("Plans that include it: %(plans)s. Ask the platform's operator to change "
                                     "your plan.") % {"plans": ", ".join(offers)})
    return message


_lazy_refusal = lazy(_refusal_text, str)


def capability_refusal(organisation, capability: str):
    """Why `organisation` may not use `capability` now (a lazy text, read in the reader's language), or None.

    Without a subscription (a self-hosted company, `make run`), everything is enabled."""
    subscription = (Subscription.objects.filter(organisation_id=getattr(organisation, "pk", organisation))
                    .select_related("plan").first())
    if subscription is None:
        return None
    if subscription.state in (State.SUSPENDED, State.TERMINATED) and capability != Capability.ARCHIVE:
        return _lazy_refusal(capability, subscription.plan.name, subscription.state,
                             State(subscription.state).label, [])
    if subscription.plan.enables(capability):
        return None
    offers = [p.name for p in Plan.objects.filter(is_active=True, **{Capability(capability).value: True})]
    return _lazy_refusal(capability, subscription.plan.name, "", "", offers)


def capability_enabled(organisation, capability: str) -> bool:
    return capability_refusal(organisation, capability) is None


def capability_require(organisation, capability: str) -> None:
    """Refuse (CapabilityMissing, naming the plan) unless the organisation's plan enables `capability`."""
    refusal = capability_refusal(organisation, capability)
    if refusal is not None:
        raise CapabilityMissing(refusal)


# --- plans and subscriptions ----------------------------------------------------------------------


def plan_save(*, by: User, plan: Plan) -> Plan:
    require_platform_operator(by)
    plan.full_clean()
    plan.save()
    return plan


def _change(subscription: Subscription, kind: str, *, at: dt.datetime, count: int = 0, before="", after="",
            by: User | None = None, period_start: dt.date | None = None) -> SubscriptionChange:
    return SubscriptionChange.objects.create(
        subscription=subscription, kind=kind, at=at, count=count, before=str(before), after=str(after), by=by,
        period_start=period_start or subscription.period_start)


def subscription_set(*, by: User | None, organisation: Organisation, plan: Plan, anniversary: dt.date | None = None,
                     state: str = State.ACTIVE, today: dt.date | None = None) -> Subscription:
    """Subscribe an organisation to a plan, or move it to another plan (recorded in its history).

    `by` None is the platform itself (the demo, a command); otherwise a platform operator."""
    if by is not None:
        require_platform_operator(by)
    today = today or timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(organisation=organisation).first()
        if subscription is None:
            anniversary = anniversary or today
            start, end = period_of(anniversary, plan.period_months, today)
            subscription = Subscription.objects.create(organisation=organisation, plan=plan, anniversary=anniversary,
                                                       state=state, period_start=start, period_end=end)
            _change(subscription, ChangeKind.CREATED, at=now, after=plan.name, by=by)
            return subscription
        if subscription.state == State.TERMINATED:
            raise SubscriptionRefused(_("This subscription is terminated: it cannot change any more."))
        if subscription.plan_id != plan.pk:
            usage = _usage(subscription, today)
            _change(subscription, ChangeKind.PLAN, at=now, count=usage.count, before=subscription.plan.name,
                    after=plan.name, by=by)
            subscription.plan = plan
            usage.plan = plan
            usage.save(update_fields=["plan"])
            subscription.save(update_fields=["plan"])
        if state != subscription.state:
            _transition(subscription, state, by=by, at=now)
    return subscription


def _transition(subscription: Subscription, to: str, *, by: User | None, at: dt.datetime) -> None:
    if to not in TRANSITIONS[State(subscription.state)]:
        raise SubscriptionRefused(_("A subscription cannot go from “%(before)s” to “%(after)s”."),
                                  before=subscription.get_state_display(), after=State(to).label)
    _change(subscription, ChangeKind.STATE, at=at, before=subscription.state, after=to, by=by)
    subscription.state = to
    fields = ["state"]
    if to == State.TERMINATED:
        subscription.terminated_at = at
        fields.append("terminated_at")
    subscription.save(update_fields=fields)


def subscription_state_set(*, by: User | None, organisation: Organisation, state: str) -> Subscription:
    if by is not None:
        require_platform_operator(by)
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(organisation=organisation)
        if subscription.state != state:
            _transition(subscription, state, by=by, at=timezone.now())
    return subscription


def subscription_terminate(organisation: Organisation, at: dt.datetime) -> Subscription | None:
    """The termination service's call: the subscription stops counting and billing from `at`.

    The period under way is closed at the next periodic run and invoiced as usual (what was used is
    due). Idempotent; None when the organisation has no subscription (self-hosted)."""
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(organisation=organisation).first()
        if subscription is None or subscription.state == State.TERMINATED:
            return subscription
        _transition(subscription, State.TERMINATED, by=None, at=at)
    return subscription


# --- metering ------------------------------------------------------------------------------------


def _usage(subscription: Subscription, day: dt.date) -> PeriodUsage:
    """The (locked) subscription's usage row for the period containing `day`, rolling the period on."""
    while day > subscription.period_end:
        PeriodUsage.objects.get_or_create(subscription=subscription, period_start=subscription.period_start,
                                          defaults={"period_end": subscription.period_end, "plan": subscription.plan})
        subscription.period_start, subscription.period_end = next_period(
            subscription.anniversary, subscription.plan.period_months, subscription.period_end)
        subscription.tranche = 0
        subscription.save(update_fields=["period_start", "period_end", "tranche"])
    if day < subscription.period_start:  # a late count for a past period (backfill): that period's row
        start, end = period_of(subscription.anniversary, subscription.plan.period_months, day)
        usage, _created = PeriodUsage.objects.get_or_create(subscription=subscription, period_start=start,
                                                            defaults={"period_end": end, "plan": subscription.plan})
        return usage
    usage, _created = PeriodUsage.objects.get_or_create(
        subscription=subscription, period_start=subscription.period_start,
        defaults={"period_end": subscription.period_end, "plan": subscription.plan})
    return usage


def meter(*, organisation_id: int, count: int = 1, at: dt.datetime | None = None) -> PeriodUsage | None:
    """Count `count` billable documents archived at `at`; move the tranche on when a boundary is crossed.

    Runs in the caller's transaction (the archive's) when there is one. None when the organisation
    has no subscription, or a terminated one."""
    if count <= 0:
        return None
    at = at or timezone.now()
    day = timezone.localtime(at).date()
    with transaction.atomic():
        subscription = (Subscription.objects.select_for_update().select_related("plan")
                        .filter(organisation_id=organisation_id).first())
        if subscription is None or subscription.state == State.TERMINATED:
            return None
        usage = _usage(subscription, day)
        usage.count += count
        plan = usage.plan
        reached = tranches_for(usage.count, included=plan.included_invoices, size=plan.tranche_size)
        fields = ["count"]
        if reached > usage.tranche:
            _change(subscription, ChangeKind.TRANCHE, at=at, count=usage.count, before=usage.tranche, after=reached,
                    period_start=usage.period_start)
            before, usage.tranche = usage.tranche, reached
            fields.append("tranche")
            if usage.period_start == subscription.period_start:
                subscription.tranche = reached
                subscription.save(update_fields=["tranche"])
            usage_id = usage.pk
            transaction.on_commit(lambda: _tell_tranche(usage_id, before))
        usage.save(update_fields=fields)
    return usage


def _tell_tranche(usage_id: int, before: int) -> None:
    from facturier.billing.tasks import tranche_notify_task

    tranche_notify_task.enqueue(usage_id=usage_id, before=before)


def operator_organisation() -> Organisation | None:
    row = OperatorSettings.objects.filter(pk=1).select_related("operator_organisation").first()
    return row.operator_organisation if row else None


def operator_organisation_set(*, by: User | None, organisation: Organisation | None) -> None:
    if by is not None:
        require_platform_operator(by)
    OperatorSettings.objects.update_or_create(pk=1, defaults={"operator_organisation": organisation})


def meter_archived(organisation, entries) -> PeriodUsage | None:
    """The archive's call, in its transaction, for entries it has just inserted: each document
    (issued or imported) is counted once, with its first legal file (the Factur-X PDF or the XML);
    status files and a document's second file are not billable."""
    from facturier.archive.models import SINGLE_PER_DOCUMENT, ArchiveEntry

    legal = [e for e in entries if e.kind in SINGLE_PER_DOCUMENT]
    if not legal or not Subscription.objects.filter(organisation_id=organisation.pk).exists():
        return None
    documents = {e.document_id for e in legal if e.document_id is not None}
    known = set(ArchiveEntry.objects.filter(document_id__in=documents, kind__in=SINGLE_PER_DOCUMENT)
                .exclude(organisation_id=organisation.pk, journal_seq__in=[e.journal_seq for e in legal])
                .values_list("document_id", flat=True)) if documents else set()
    count = len(documents - known) + sum(1 for e in legal if e.document_id is None)
    return meter(organisation_id=organisation.pk, count=count, at=max(e.archived_at for e in legal))
