"""The e-reporting calendar: which periods a declarant reports on, and when each report is due.

Periodicity by VAT regime (public summaries of the reform, see ../shared/specs/README.md):
réel normal reports its transactions by ten-day period (1–10, 11–20, 21–end of month) and its
payments monthly; réel normal with quarterly returns and réel simplifié report monthly; the
franchise en base reports every two months (January–February, March–April, …).

Due dates — ASSUMPTION, kept here and nowhere else: our material gives no official due date
per regime, so a report is due `DUE_DAYS_AFTER_PERIOD_END` days after the last day of its
period. Ten days matches the lag the public summaries give for the réel normal ten-day periods
(1–10 due on the 20th, 11–20 on the 30th, 21–end on the 10th of the next month). When the
official schedule is known, change `due_date` below only.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from facturier.engine.ereporting.model import Flow, Regime

DUE_DAYS_AFTER_PERIOD_END = 10


@dataclass(frozen=True, slots=True, order=True)
class Period:
    start: dt.date
    end: dt.date

    @property
    def due(self) -> dt.date:
        return due_date(self.end)

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def due_date(period_end: dt.date) -> dt.date:
    return period_end + dt.timedelta(days=DUE_DAYS_AFTER_PERIOD_END)


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, _cal.monthrange(year, month)[1])


def granularity(regime: Regime, flow: Flow) -> str:
    """"decade", "month" or "bimonth": the length of the regime's periods for that flow."""
    regime = Regime(regime)
    if regime is Regime.FRANCHISE:
        return "bimonth"
    if regime is Regime.NORMAL and Flow(flow) is Flow.TRANSACTIONS:
        return "decade"
    return "month"


def period_containing(regime: Regime, flow: Flow, day: dt.date) -> Period:
    kind = granularity(regime, flow)
    if kind == "decade":
        if day.day <= 10:
            return Period(day.replace(day=1), day.replace(day=10))
        if day.day <= 20:
            return Period(day.replace(day=11), day.replace(day=20))
        return Period(day.replace(day=21), _month_end(day.year, day.month))
    if kind == "month":
        return Period(day.replace(day=1), _month_end(day.year, day.month))
    first_month = day.month if day.month % 2 == 1 else day.month - 1  # Jan–Feb, Mar–Apr, …, Nov–Dec
    return Period(dt.date(day.year, first_month, 1), _month_end(day.year, first_month + 1))


def periods_between(regime: Regime, flow: Flow, first: dt.date, last: dt.date) -> Iterator[Period]:
    """Every period that overlaps [first, last], in order."""
    period = period_containing(regime, flow, first)
    while period.start <= last:
        yield period
        period = period_containing(regime, flow, period.end + dt.timedelta(days=1))


def is_period(regime: Regime, flow: Flow, start: dt.date, end: dt.date) -> bool:
    """Whether [start, end] is exactly one period of the regime's calendar for that flow."""
    return period_containing(regime, flow, start) == Period(start, end)


def ended_periods(regime: Regime, flow: Flow, *, since: dt.date, today: dt.date) -> list[Period]:
    """The periods that overlap [since, today) and have ended before today (a report is built after its end)."""
    return [p for p in periods_between(regime, flow, since, today) if p.end < today]
