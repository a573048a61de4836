"""Month ends, leap years, every N months, in advance and in arrears, price revision: the arithmetic."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from facturier.contracts import calendar

D = dt.date


def starts(start, *, step=1, day=None, n=4, **kw):
    return [p.start for p in calendar.periods(start, step=step, day=day or start.day, in_advance=True,
                                              occurrences=n, **kw)]


def test_the_31st_becomes_the_last_day_of_february_then_comes_back_to_the_31st():
    assert starts(D(2026, 1, 31)) == [D(2026, 1, 31), D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30)]


def test_a_leap_year_gives_the_29th_of_february():
    assert starts(D(2028, 1, 31), n=3) == [D(2028, 1, 31), D(2028, 2, 29), D(2028, 3, 31)]
    assert starts(D(2024, 2, 29), step=12, n=5) == [D(2024, 2, 29), D(2025, 2, 28), D(2026, 2, 28), D(2027, 2, 28),
                                                    D(2028, 2, 29)]


def test_every_n_months_and_quarters_cross_the_year():
    assert starts(D(2026, 11, 30), step=5, n=3) == [D(2026, 11, 30), D(2027, 4, 30), D(2027, 9, 30)]
    assert starts(D(2026, 8, 31), step=3, n=3) == [D(2026, 8, 31), D(2026, 11, 30), D(2027, 2, 28)]


def test_a_period_ends_the_day_before_the_next_and_in_arrears_is_due_the_day_after():
    advance = calendar.period(D(2026, 1, 31), index=1, step=1, day=31, in_advance=True)
    arrears = calendar.period(D(2026, 1, 31), index=1, step=1, day=31, in_advance=False)
    assert (advance.start, advance.end, advance.due) == (D(2026, 2, 28), D(2026, 3, 30), D(2026, 2, 28))
    assert (arrears.start, arrears.end, arrears.due) == (D(2026, 2, 28), D(2026, 3, 30), D(2026, 3, 31))
    quarter = calendar.period(D(2026, 1, 1), index=0, step=3, day=1, in_advance=False)
    assert (quarter.start, quarter.end, quarter.due) == (D(2026, 1, 1), D(2026, 3, 31), D(2026, 4, 1))


def test_the_end_date_and_the_number_of_occurrences_stop_the_calendar():
    assert starts(D(2026, 1, 15), n=None, end_date=D(2026, 4, 14)) == [D(2026, 1, 15), D(2026, 2, 15), D(2026, 3, 15)]
    assert starts(D(2026, 1, 15), n=None, end_date=D(2026, 4, 15))[-1] == D(2026, 4, 15)
    assert len(starts(D(2026, 1, 15), n=2)) == 2


def test_anniversaries_count_whole_years_and_the_29th_of_february_turns_on_the_28th():
    assert calendar.anniversaries(D(2026, 3, 1), D(2027, 2, 28)) == 0
    assert calendar.anniversaries(D(2026, 3, 1), D(2027, 3, 1)) == 1
    assert calendar.anniversaries(D(2024, 2, 29), D(2025, 2, 28)) == 1
    assert calendar.anniversaries(D(2024, 2, 29), D(2028, 2, 28)) == 3


def test_the_revision_is_compounded_and_rounded_once_to_the_cent():
    assert calendar.revised_price(Decimal("100"), percent=Decimal("3"), years=0, currency="EUR") == Decimal("100")
    assert calendar.revised_price(Decimal("100"), percent=Decimal("3"), years=1, currency="EUR") == Decimal("103.00")
    assert calendar.revised_price(Decimal("100"), percent=Decimal("3"), years=2, currency="EUR") == Decimal("106.09")
    assert calendar.revised_price(Decimal("33.33"), percent=Decimal("2.5"), years=3, currency="EUR") == Decimal("35.89")
    assert calendar.revised_price(Decimal("1000"), percent=Decimal("1.5"), years=1, currency="JPY") == Decimal("1015")
