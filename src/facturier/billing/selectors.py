"""Reads on plans and subscriptions, scoped by organisation (the operator's screens read the platform)."""

from __future__ import annotations

from dataclasses import dataclass

from facturier.billing.models import Capability, PeriodUsage, Plan, Subscription, SubscriptionChange


@dataclass(frozen=True, slots=True)
class CapabilityLine:
    capability: str
    label: str
    included: bool
    offered_by: list[str]


def subscription_of(*, organisation) -> Subscription | None:
    return Subscription.objects.filter(organisation=organisation).select_related("plan").first()


def current_usage(subscription: Subscription) -> PeriodUsage | None:
    return subscription.periods.filter(period_start=subscription.period_start).first()


def capability_lines(subscription: Subscription) -> list[CapabilityLine]:
    """Each capability, whether the plan includes it, and the offered plans that do."""
    plans = list(Plan.objects.filter(is_active=True))
    return [CapabilityLine(c.value, str(c.label), subscription.plan.enables(c),
                           [p.name for p in plans if p.enables(c)]) for c in Capability]


def history(subscription: Subscription, limit: int = 50) -> list[SubscriptionChange]:
    return list(subscription.changes.select_related("by").order_by("-at", "-pk")[:limit])
