"""The reporting calendar per VAT regime: ten-day periods, months, two-month periods, due dates."""

import datetime as dt

import pytest

from facturier.engine.ereporting import (
    DUE_DAYS_AFTER_PERIOD_END,
    Flow,
    Period,
    Regime,
    ended_periods,
    is_period,
    period_containing,
    periods_between,
)

D = dt.date


@pytest.mark.parametrize(("day", "start", "end"), [
    (D(2026, 10, 1), D(2026, 10, 1), D(2026, 10, 10)),
    (D(2026, 10, 10), D(2026, 10, 1), D(2026, 10, 10)),
    (D(2026, 10, 11), D(2026, 10, 11), D(2026, 10, 20)),
    (D(2026, 10, 20), D(2026, 10, 11), D(2026, 10, 20)),
    (D(2026, 10, 21), D(2026, 10, 21), D(2026, 10, 31)),
    (D(2026, 11, 30), D(2026, 11, 21), D(2026, 11, 30)),
    (D(2027, 2, 25), D(2027, 2, 21), D(2027, 2, 28)),
    (D(2028, 2, 29), D(2028, 2, 21), D(2028, 2, 29)),  # leap year
])
def test_real_normal_reports_transactions_by_ten_day_period(day, start, end):
    assert period_containing(Regime.NORMAL, Flow.TRANSACTIONS, day) == Period(start, end)


def test_real_normal_reports_payments_monthly():
    assert period_containing(Regime.NORMAL, Flow.PAYMENTS, D(2026, 10, 15)) == Period(D(2026, 10, 1), D(2026, 10, 31))


@pytest.mark.parametrize("regime", [Regime.NORMAL_QUARTERLY, Regime.SIMPLIFIED])
@pytest.mark.parametrize("flow", [Flow.TRANSACTIONS, Flow.PAYMENTS])
def test_quarterly_returns_and_simplified_report_monthly(regime, flow):
    assert period_containing(regime, flow, D(2027, 2, 14)) == Period(D(2027, 2, 1), D(2027, 2, 28))
    assert period_containing(regime, flow, D(2028, 2, 14)) == Period(D(2028, 2, 1), D(2028, 2, 29))
    assert period_containing(regime, flow, D(2026, 12, 31)) == Period(D(2026, 12, 1), D(2026, 12, 31))


@pytest.mark.parametrize(("day", "start", "end"), [
    (D(2027, 1, 5), D(2027, 1, 1), D(2027, 2, 28)),
    (D(2027, 2, 28), D(2027, 1, 1), D(2027, 2, 28)),
    (D(2028, 2, 29), D(2028, 1, 1), D(2028, 2, 29)),
    (D(2026, 9, 1), D(2026, 9, 1), D(2026, 10, 31)),
    (D(2026, 12, 31), D(2026, 11, 1), D(2026, 12, 31)),
])
@pytest.mark.parametrize("flow", [Flow.TRANSACTIONS, Flow.PAYMENTS])
def test_franchise_reports_every_two_months(day, start, end, flow):
    assert period_containing(Regime.FRANCHISE, flow, day) == Period(start, end)


def test_a_report_is_due_the_documented_number_of_days_after_its_period():
    assert DUE_DAYS_AFTER_PERIOD_END == 10
    assert period_containing(Regime.NORMAL, Flow.TRANSACTIONS, D(2026, 10, 3)).due == D(2026, 10, 20)
    assert period_containing(Regime.NORMAL, Flow.TRANSACTIONS, D(2026, 10, 25)).due == D(2026, 11, 10)
    assert period_containing(Regime.SIMPLIFIED, Flow.PAYMENTS, D(2026, 12, 25)).due == D(2027, 1, 10)


def test_ten_day_periods_tile_a_month_without_gap_or_overlap():
    periods = list(periods_between(Regime.NORMAL, Flow.TRANSACTIONS, D(2028, 2, 1), D(2028, 3, 31)))
    assert len(periods) == 6
    for before, after in zip(periods, periods[1:], strict=False):
        assert after.start == before.end + dt.timedelta(days=1)
    assert periods[2] == Period(D(2028, 2, 21), D(2028, 2, 29))


def test_only_ended_periods_are_due_for_a_report():
    ended = ended_periods(Regime.NORMAL, Flow.TRANSACTIONS, since=D(2026, 9, 1), today=D(2026, 9, 21))
    assert ended == [Period(D(2026, 9, 1), D(2026, 9, 10)), Period(D(2026, 9, 11), D(2026, 9, 20))]


def test_a_period_is_recognised_only_as_the_calendar_cuts_it():
    assert is_period(Regime.NORMAL, Flow.TRANSACTIONS, D(2026, 10, 11), D(2026, 10, 20))
    assert not is_period(Regime.NORMAL, Flow.TRANSACTIONS, D(2026, 10, 1), D(2026, 10, 31))
    assert is_period(Regime.FRANCHISE, Flow.PAYMENTS, D(2026, 11, 1), D(2026, 12, 31))
    assert not is_period(Regime.FRANCHISE, Flow.PAYMENTS, D(2026, 10, 1), D(2026, 11, 30))
