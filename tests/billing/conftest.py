"""Plans and subscriptions for the billing tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest


@pytest.fixture
def plans(db):
    from facturier.billing.models import Plan

    return {
        "free": Plan.objects.create(name="Découverte", base_price=Decimal("0"), tranche_price=Decimal("90.00"),
                                    api=False, connectors=False, email_delivery=False, sealing=False),
        "pro": Plan.objects.create(name="Intégral", base_price=Decimal("49.00"), tranche_price=Decimal("70.00")),
    }


@pytest.fixture
def subscribe():
    from facturier.billing.services import subscription_set

    def make(organisation, plan, *, anniversary=dt.date(2026, 1, 31), today=dt.date(2026, 3, 10)):
        return subscription_set(by=None, organisation=organisation, plan=plan, anniversary=anniversary, today=today)

    return make


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
