"""Aggregation per day, category and rate, exact to the cent; payments split between rates."""

import datetime as dt
from decimal import Decimal

from facturier.engine.ereporting import Category
from facturier.engine.ereporting.aggregate import (
    DailyAggregator,
    PaymentAggregator,
    category_of,
    split_payment,
    subtotals,
)

D, M = dt.date, Decimal


def row(rate, taxable, tax, category="S", exemption_code=""):
    return {"category": category, "rate": rate, "taxable_amount": taxable, "tax_amount": tax,
            "exemption_code": exemption_code}


def test_b2c_sales_are_summed_per_day_category_and_rate_to_the_cent():
    a = DailyAggregator()
    day1, day2 = D(2026, 11, 3), D(2026, 11, 4)
    for _ in range(3):
        a.add_document(day=day1, operation="goods",
                       breakdown=[row("20.00", "10.01", "2.00"), row("5.50", "3.33", "0.18")])
    a.add_document(day=day1, operation="services", breakdown=[row("20.00", "0.10", "0.02")])
    a.add_document(day=day2, operation="goods", breakdown=[row("20.00", "10.01", "2.00")], sign=-1)  # credit note
    got = {(s.day, s.category, s.rate): (s.taxable, s.tax, s.count) for s in a.summaries()}
    assert got == {
        (day1, Category.TLB1, M("20.00")): (M("30.03"), M("6.00"), 3),
        (day1, Category.TLB1, M("5.50")): (M("9.99"), M("0.54"), 3),
        (day1, Category.TPS1, M("20.00")): (M("0.10"), M("0.02"), 1),
        (day2, Category.TLB1, M("20.00")): (M("-10.01"), M("-2.00"), 1),
    }


def test_many_small_sales_add_up_exactly_without_float_drift():
    a = DailyAggregator()
    for _ in range(10_000):
        a.add_document(day=D(2026, 11, 3), operation="services", breakdown=[row("20.00", "0.10", "0.02")])
    (s,) = a.summaries()
    assert (s.taxable, s.tax, s.count) == (M("1000.00"), M("200.00"), 10_000)


def test_categories_follow_operation_vat_category_and_margin_scheme():
    assert category_of(operation="goods", vat_category="S") is Category.TLB1
    assert category_of(operation="services", vat_category="S") is Category.TPS1
    assert category_of(operation="both", vat_category="S") is Category.TPS1
    assert category_of(operation="services", vat_category="O") is Category.TNT1
    assert category_of(operation="goods", vat_category="K") is Category.TNT1
    assert category_of(operation="goods", vat_category="E", exemption_code="VATEX-EU-F") is Category.TMA1


def test_a_payment_is_split_between_rates_and_adds_up_to_the_cent():
    breakdown = [row("20.00", "100.00", "20.00"), row("5.50", "33.33", "1.83")]
    shares = split_payment(M("100.00"), breakdown)
    assert sum(s for _, s in shares) == M("100.00")
    assert dict(shares) == {M("20.00"): M("77.34"), M("5.50"): M("22.66")}


def test_payments_are_summed_per_day_and_rate():
    p = PaymentAggregator()
    breakdown = [row("20.00", "100.00", "20.00")]
    p.add_payment(day=D(2026, 11, 5), amount=M("60.00"), breakdown=breakdown)
    p.add_payment(day=D(2026, 11, 5), amount=M("60.00"), breakdown=breakdown)
    p.add_payment(day=D(2026, 11, 6), amount=M("-10.00"), breakdown=breakdown)  # a refund
    got = [(q.day, q.rate, q.amount, q.count) for q in p.summaries()]
    assert got == [(D(2026, 11, 5), M("20.00"), M("120.00"), 2), (D(2026, 11, 6), M("20.00"), M("-10.00"), 1)]


def test_a_transaction_keeps_one_subtotal_per_rate_negative_for_a_credit_note():
    subs = subtotals([row("20.00", "10.00", "2.00"), row("20.00", "5.00", "1.00", category="S")], sign=-1)
    assert [(s.rate, s.taxable, s.tax) for s in subs] == [(M("20.00"), M("-15.00"), M("-3.00"))]
