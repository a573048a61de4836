"""The e-reporting file: written and read back identically; every rule fails with a clear message."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from facturier.engine.ereporting import (
    Category,
    DailyPayments,
    DailySummary,
    Declarant,
    Flow,
    Nature,
    Regime,
    Report,
    TaxSubtotal,
    Transaction,
    check,
    computed_totals,
    parse,
    validate,
    write,
)
from facturier.engine.ereporting import format as fmt

D, M = dt.date, Decimal
SIREN = "732829320"


def report(**changes) -> Report:
    base = Report(
        report_id="TR20261101-ABC", nature=Nature.INITIAL, flow=Flow.TRANSACTIONS,
        declarant=Declarant(siren=SIREN, name="Atelier SAS", regime=Regime.SIMPLIFIED),
        start=D(2026, 11, 1), end=D(2026, 11, 30), issued_at=dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC),
        transactions=(Transaction(number="FA-1", issue_date=D(2026, 11, 2), type_code="380", category=Category.TPS1,
                                  buyer_name="GmbH", buyer_country="DE", buyer_vat_id="DE123456789",
                                  subtotals=(TaxSubtotal(rate=M("0.00"), taxable=M("1000.00"), tax=M("0.00")),)),),
        summaries=(DailySummary(day=D(2026, 11, 3), category=Category.TLB1, rate=M("20.00"), taxable=M("100.00"),
                                tax=M("20.00"), count=2),
                   DailySummary(day=D(2026, 11, 3), category=Category.TPS1, rate=M("10.00"), taxable=M("50.00"),
                                tax=M("5.00"), count=1)))
    base = dataclasses.replace(base, **changes)
    if "totals" not in changes:
        base = dataclasses.replace(base, totals=computed_totals(base))
    return base


def rules_of(r: Report) -> set[str]:
    _read, result = validate(write(r))
    return set(result.fatal_rule_ids)


def test_a_report_written_reads_back_identically_and_passes():
    r = report()
    data = write(r)
    assert parse(data) == r
    _read, result = validate(data)
    assert result.passed, [f.message.en for f in result.findings]


def test_a_payments_report_round_trips():
    r = report(flow=Flow.PAYMENTS, report_id="PA1", transactions=(), summaries=(),
               payment_summaries=(DailyPayments(day=D(2026, 11, 5), rate=M("20.00"), amount=M("120.00"), count=2),))
    assert parse(write(r)) == r
    assert rules_of(r) == set()


def test_a_rectification_names_the_report_it_rectifies():
    assert rules_of(report(nature=Nature.RECTIFICATION, rectifies="TR20261101-OLD", report_id="TR-NEW")) == set()
    assert rules_of(report(nature=Nature.RECTIFICATION)) == {"ER-RECT-01"}
    assert rules_of(report(rectifies="X")) == {"ER-RECT-02"}


def test_a_period_that_is_not_one_of_the_regime_is_refused():
    declarant = Declarant(siren=SIREN, name="A", regime=Regime.NORMAL)  # ten-day periods for transactions
    r = report(declarant=declarant)
    _read, result = validate(write(r))
    assert result.fatal_rule_ids == {"ER-PERIOD-02"}
    assert "is not a reporting period" in result.fatal[0].message.en
    assert "n'est pas une période" in result.fatal[0].message.fr


def test_a_date_outside_the_period_is_refused():
    summary = DailySummary(day=D(2026, 12, 1), category=Category.TLB1, rate=M("20.00"), taxable=M("1.00"),
                           tax=M("0.20"), count=1)
    assert rules_of(report(summaries=(summary,))) == {"ER-DATE-01"}


def test_an_amount_not_to_the_cent_is_refused():
    summary = DailySummary(day=D(2026, 11, 3), category=Category.TLB1, rate=M("20.00"), taxable=M("1.005"),
                           tax=M("0.20"), count=1)
    assert rules_of(report(summaries=(summary,))) == {"ER-AMOUNT-01"}


def test_vat_that_is_not_base_times_rate_is_refused_beyond_the_roundings():
    ok = DailySummary(day=D(2026, 11, 3), category=Category.TLB1, rate=M("20.00"), taxable=M("0.10"),
                      tax=M("0.03"), count=2)  # two documents of 0.05 at 20 % each rounded to 0.01 → within
    wrong = DailySummary(day=D(2026, 11, 4), category=Category.TLB1, rate=M("20.00"), taxable=M("100.00"),
                         tax=M("19.00"), count=1)
    assert rules_of(report(summaries=(ok,))) == set()
    r = report(summaries=(wrong,))
    _read, result = validate(write(r))
    assert result.fatal_rule_ids == {"ER-VAT-01"}
    assert "expected 20.00" in result.fatal[0].message.en


def test_an_unknown_category_is_refused_by_name():
    data = write(report()).replace(b"<Category>TLB1</Category>", b"<Category>XYZ9</Category>")
    _read, result = validate(data)
    assert result.fatal_rule_ids == {"ER-CAT-01"}
    assert "XYZ9" in result.fatal[0].message.en


def test_an_invalid_siren_is_refused():
    r = report(declarant=Declarant(siren="123456789", name="A", regime=Regime.SIMPLIFIED))
    _read, result = validate(write(r))
    assert result.fatal_rule_ids == {"ER-SIREN-01"}
    assert "123456789" in result.fatal[0].message.fr


def test_a_duplicate_transaction_is_refused():
    r = report()
    r = report(transactions=r.transactions * 2)
    assert rules_of(r) == {"ER-DUP-01"}


def test_declared_totals_must_match_the_entries():
    r = report()
    wrong = dataclasses.replace(r, totals=dataclasses.replace(r.totals, tax=r.totals.tax + M("0.01")))
    _read, result = validate(write(wrong))
    assert result.fatal_rule_ids == {"ER-TOTAL-02"}


def test_a_domestic_buyer_in_the_international_section_is_refused():
    r = report()
    tx = dataclasses.replace(r.transactions[0], buyer_country="FR")
    assert rules_of(report(transactions=(tx,))) == {"ER-TX-02"}


def test_payments_in_a_transactions_report_are_refused():
    payments = (DailyPayments(day=D(2026, 11, 5), rate=M("20.00"), amount=M("1.00"), count=1),)
    # the writer writes only the flow's sections: the rule guards reports made in memory
    assert check(report(payment_summaries=payments)).fatal_rule_ids == {"ER-FLOW-01"}


def test_a_file_that_is_not_a_report_is_one_clear_finding():
    read, result = validate(b"<Invoice/>")
    assert read is None
    assert result.fatal_rule_ids == {"ER-FORMAT"}
    assert "Not an e-reporting file" in result.fatal[0].message.en


def test_the_platform_flow_type_and_processing_rule_follow_the_sections():
    r = report()
    assert fmt.flow_type(r) == "MultiFlowReport"
    assert fmt.processing_rule(r) == "B2C"
    only_b2c = report(transactions=())
    assert fmt.flow_type(only_b2c) == "AggregatedCustomerTransactionReport"
    only_int = report(summaries=())
    assert (fmt.flow_type(only_int), fmt.processing_rule(only_int)) == ("UnitaryCustomerTransactionReport", "B2BInt")
    assert fmt.FLOW_SYNTAX == "FRR"


@pytest.mark.parametrize("rate", ["7.00"])
def test_an_unknown_french_rate_is_a_warning_not_an_error(rate):
    summary = DailySummary(day=D(2026, 11, 3), category=Category.TLB1, rate=M(rate), taxable=M("100.00"),
                           tax=M("7.00"), count=1)
    _read, result = validate(write(report(summaries=(summary,))))
    assert result.passed
    assert {f.rule for f in result.warnings} == {"ER-RATE-01"}
