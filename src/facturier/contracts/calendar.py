"""The calendar of a contract: its periods, the date each one is due, and its price factor.

Pure arithmetic, no database. Periods are anchored on the contract's day of the month: the
period k starts in the month `start + k × step`, on that day, or on the last day of a shorter
month (31 January → 28 or 29 February → 31 March: every date comes from the anchor, never from
the previous clamped date, so a month end never drifts to the 28th). A period ends the day before
the next one starts. An invoice in advance is due on its period's first day; in arrears, on the
day after its period's last day.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from facturier.engine.en16931.money import round_amount


@dataclass(frozen=True, slots=True)
class Period:
    index: int
    """0 for the first period of the contract."""
    start: dt.date
    """BT-73."""
    end: dt.date
    """BT-74."""
    due: dt.date
    """The date its invoice should bear."""


def month_day(year: int, month: int, day: int) -> dt.date:
    """`day` of that month, or the month's last day when it is shorter (31 → 30, 29 or 28)."""
    return dt.date(year, month, min(day, _calendar.monthrange(year, month)[1]))


def add_months(anchor: dt.date, months: int, day: int) -> dt.date:
    index = anchor.year * 12 + anchor.month - 1 + months
    return month_day(index // 12, index % 12 + 1, day)


def period_start(start: dt.date, *, index: int, step: int, day: int) -> dt.date:
    return start if index == 0 else add_months(start, index * step, day)


def period(start: dt.date, *, index: int, step: int, day: int, in_advance: bool) -> Period:
    first = period_start(start, index=index, step=step, day=day)
    following = add_months(start, (index + 1) * step, day)
    last = following - dt.timedelta(days=1)
    return Period(index=index, start=first, end=last, due=first if in_advance else following)


def periods(start: dt.date, *, step: int, day: int, in_advance: bool, from_index: int = 0,
            end_date: dt.date | None = None, occurrences: int | None = None) -> Iterator[Period]:
    """The contract's periods from `from_index`: those starting on or before `end_date`, at most
    `occurrences` of them (counting from the first period)."""
    index = from_index
    while occurrences is None or index < occurrences:
        p = period(start, index=index, step=step, day=day, in_advance=in_advance)
        if end_date is not None and p.start > end_date:
            return
        yield p
        index += 1


def anniversaries(start: dt.date, on: dt.date) -> int:
    """How many anniversaries of `start` have passed on `on` (29 February counts on 28 February)."""
    years = on.year - start.year
    if years <= 0:
        return 0
    return years if on >= month_day(on.year, start.month, start.day) else years - 1


def revised_price(price: Decimal, *, percent: Decimal | None, years: int, currency: str) -> Decimal:
    """The unit price after `years` revisions of `percent` each, compounded, rounded once to the
    currency through the engine's money rounding (so 100 at +3 % gives 103.00, then 106.09)."""
    if not percent or years <= 0:
        return Decimal(price)
    factor = (Decimal(1) + Decimal(percent) / Decimal(100)) ** years
    return round_amount(Decimal(price) * factor, currency)
