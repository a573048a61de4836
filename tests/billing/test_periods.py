"""Period arithmetic across month ends and leap years; tranche boundaries."""

import datetime as dt

import pytest

from facturier.billing.periods import add_months, next_period, period_of, tranches_for

d = dt.date


@pytest.mark.parametrize("day, expected", [
    (d(2025, 1, 31), (d(2025, 1, 31), d(2025, 2, 27))),
    (d(2025, 2, 27), (d(2025, 1, 31), d(2025, 2, 27))),
    (d(2025, 2, 28), (d(2025, 2, 28), d(2025, 3, 30))),   # renews on the last day of February
    (d(2025, 3, 30), (d(2025, 2, 28), d(2025, 3, 30))),
    (d(2025, 3, 31), (d(2025, 3, 31), d(2025, 4, 29))),   # and back to the 31st after it
    (d(2025, 4, 30), (d(2025, 4, 30), d(2025, 5, 30))),
    (d(2024, 2, 29), (d(2024, 2, 29), d(2024, 3, 30))),   # leap year: the 29th
    (d(2024, 2, 28), (d(2024, 1, 31), d(2024, 2, 28))),
])
def test_a_monthly_subscription_on_the_31st_renews_on_the_last_day_of_shorter_months(day, expected):
    assert period_of(d(2025, 1, 31) if day.year == 2025 else d(2024, 1, 31), 1, day) == expected


def test_a_yearly_subscription_on_29_february_renews_on_the_28th_in_common_years():
    anniversary = d(2024, 2, 29)
    assert period_of(anniversary, 12, d(2025, 2, 27)) == (d(2024, 2, 29), d(2025, 2, 27))
    assert period_of(anniversary, 12, d(2025, 2, 28)) == (d(2025, 2, 28), d(2026, 2, 27))
    assert period_of(anniversary, 12, d(2028, 2, 28)) == (d(2027, 2, 28), d(2028, 2, 28))
    assert period_of(anniversary, 12, d(2028, 2, 29)) == (d(2028, 2, 29), d(2029, 2, 27))


def test_periods_follow_one_another_without_gap_or_overlap_for_years():
    for anniversary in (d(2023, 1, 31), d(2024, 2, 29), d(2024, 3, 30), d(2024, 12, 31), d(2025, 6, 15)):
        for months in (1, 3, 12):
            start, end = period_of(anniversary, months, anniversary)
            assert start == anniversary
            for _ in range(60):
                following = next_period(anniversary, months, end)
                assert following[0] == end + dt.timedelta(days=1)
                assert following[0].day <= anniversary.day
                start, end = following
            assert start == add_months(anniversary, 60 * months)


def test_a_day_before_the_anniversary_belongs_to_the_first_period():
    assert period_of(d(2026, 3, 15), 1, d(2026, 3, 1)) == (d(2026, 3, 15), d(2026, 4, 14))


@pytest.mark.parametrize("count, tranches", [(0, 0), (10, 0), (11, 1), (910, 1), (911, 2), (1810, 2), (1811, 3)])
def test_tranche_boundaries_fall_after_the_included_ten_then_every_900(count, tranches):
    assert tranches_for(count, included=10, size=900) == tranches
