"""Subscription periods and tranches: plain date and integer arithmetic, no database.

A period starts on the anniversary and lasts a whole number of months. Each period start is
computed from the anniversary itself (never from the previous start), so a subscription taken on
the 31st renews on the last day of shorter months and comes back to the 31st after them, and one
taken on 29 February renews on the 28th in common years.
"""

from __future__ import annotations

import calendar
import datetime as dt


def add_months(anchor: dt.date, months: int) -> dt.date:
    """`anchor` moved by `months`, its day clamped to the last day of a shorter month."""
    index = anchor.year * 12 + anchor.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def period_of(anniversary: dt.date, months: int, day: dt.date) -> tuple[dt.date, dt.date]:
    """The period containing `day`: its first and its last day (inclusive).

    A day before the anniversary belongs to the first period (a subscription starts on it)."""
    if months < 1:
        raise ValueError("a period lasts at least one month")
    if day < anniversary:
        day = anniversary
    elapsed = (day.year - anniversary.year) * 12 + day.month - anniversary.month
    k = max(elapsed // months, 0)
    start = add_months(anniversary, k * months)
    if start > day:
        k -= 1
        start = add_months(anniversary, k * months)
    following = add_months(anniversary, (k + 1) * months)
    return start, following - dt.timedelta(days=1)


def next_period(anniversary: dt.date, months: int, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period after the one ending on `end`."""
    return period_of(anniversary, months, end + dt.timedelta(days=1))


def tranches_for(count: int, *, included: int, size: int) -> int:
    """Tranches a period's count needs: none within the included documents, then one per `size` begun.

    With 10 included and tranches of 900: 10 → 0, 11 → 1, 910 → 1, 911 → 2."""
    if count <= included:
        return 0
    return -(-(count - included) // size)
