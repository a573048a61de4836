"""Converting a document not in euros to euros from what it states, never from a rate of our own."""

from decimal import Decimal

from facturier.engine.ereporting.aggregate import DailyAggregator, subtotals
from facturier.engine.ereporting.currency import (
    DocumentCurrency,
    amount_in_euros,
    breakdown_in_euros,
    euro_rate,
    missing_euro_figure,
)

M = Decimal


def usd(**changes) -> DocumentCurrency:
    values = dict(currency="USD", tax_currency="EUR", tax_total=M("60.00"), tax_total_accounting=M("55.38"),
                  exchange_rate=None)
    return DocumentCurrency(**{**values, **changes})


def rows(*triples):
    return [{"category": "S", "rate": rate, "taxable_amount": taxable, "tax_amount": tax}
            for rate, taxable, tax in triples]


def test_a_document_in_euros_is_taken_as_it_is():
    eur = DocumentCurrency(currency="EUR", tax_currency="EUR", tax_total=M("20.00"), tax_total_accounting=None)
    breakdown = rows(("20.00", "100.00", "20.00"))
    assert euro_rate(eur) == 1 and breakdown_in_euros(breakdown, eur, M(1)) == breakdown


def test_the_stored_exchange_rate_wins_over_the_rate_bt111_implies():
    assert euro_rate(usd(exchange_rate=M("0.923"))) == M("0.923")
    assert euro_rate(usd()) == M("55.38") / M("60.00")


def test_no_euro_figure_no_rate():
    assert euro_rate(usd(tax_currency="USD", tax_total_accounting=None)) is None
    assert euro_rate(usd(tax_total_accounting=None)) is None
    assert euro_rate(usd(tax_total=M("0.00"), tax_total_accounting=M("0.00"))) is None  # 0 / 0 implies nothing


def test_converted_vat_adds_up_to_the_vat_the_document_states_in_euros():
    doc = usd(tax_total=M("3.00"), tax_total_accounting=M("2.77"), exchange_rate=M("0.9235"))
    # 1.50 × 0.9235 = 1.385 → 1.39 twice = 2.78, while the invoice states 2.77: the cent goes on one row
    converted = breakdown_in_euros(rows(("20.00", "7.50", "1.50"), ("10.00", "15.00", "1.50")), doc, M("0.9235"))
    assert sum(M(r["tax_amount"]) for r in converted) == M("2.77")
    assert [r["taxable_amount"] for r in converted] == ["6.93", "13.85"]


def test_converted_documents_aggregate_with_documents_in_euros_and_give_10_1_subtotals():
    import datetime as dt

    day = dt.date(2026, 11, 3)
    gbp = usd(currency="GBP", tax_total=M("10.00"), tax_total_accounting=M("11.70"))
    daily = DailyAggregator()
    daily.add_document(day=day, operation="goods", breakdown=rows(("20.00", "100.00", "20.00")))
    daily.add_document(day=day, operation="goods",
                       breakdown=breakdown_in_euros(rows(("20.00", "50.00", "10.00")), gbp, euro_rate(gbp)))
    (summary,) = daily.summaries()
    assert (summary.taxable, summary.tax, summary.count) == (M("158.50"), M("31.70"), 2)
    (sub,) = subtotals(breakdown_in_euros(rows(("20.00", "50.00", "10.00")), gbp, euro_rate(gbp)), -1)
    assert (sub.taxable, sub.tax) == (M("-58.50"), M("-11.70"))
    assert amount_in_euros(M("60.00"), euro_rate(gbp)) == M("70.20")


def test_the_missing_euro_figure_names_the_document_in_french_and_english():
    finding = missing_euro_figure(number="FA-2026-0042", doc=usd(tax_currency="USD", tax_total_accounting=None))
    assert finding.rule == "ER-CUR-02" and finding.severity == "fatal"
    assert "FA-2026-0042" in finding.message.fr and "USD" in finding.message.fr and "avoir" in finding.message.fr
    assert "FA-2026-0042" in finding.message.en and "credit note" in finding.message.en


def test_a_report_not_in_euros_is_refused_by_er_cur_01():
    import dataclasses
    import datetime as dt

    from facturier.engine.ereporting import Declarant, Flow, Nature, Regime, Report, check, computed_totals

    report = Report(report_id="TR20261101-X", nature=Nature.INITIAL, flow=Flow.TRANSACTIONS,
                    declarant=Declarant(siren="732829320", name="Atelier SAS", regime=Regime.SIMPLIFIED),
                    start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30),
                    issued_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC), currency="USD")
    result = check(dataclasses.replace(report, totals=computed_totals(report)))
    (finding,) = result.fatal
    assert finding.rule == "ER-CUR-01" and "USD" in finding.message.fr and "euro" in finding.message.en
    assert check(dataclasses.replace(report, currency="EUR", totals=computed_totals(report))).passed
