"""Documents in USD and GBP reported in euros from what each document states (its VAT in the VAT accounting
currency, BT-6 = EUR, BT-111); a document in another currency that states no euro VAT is named, not reported,
and keeps the report from being submitted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from ereport_helpers import line

from facturier.archive.selectors import archived_content
from facturier.engine import ereporting as er
from facturier.platforms.ereporting import services
from facturier.platforms.ereporting.models import State

M = Decimal


def build(org, flow, start):
    report = services.report_for_period(organisation=org, flow=flow, start=start)
    return services.report_build(report_pk=report.pk, organisation=org, by=org.owner)


def read(report) -> er.Report:
    return er.parse(archived_content(report.archive_entry))


def test_an_international_invoice_in_usd_is_reported_in_euros_with_the_vat_it_states_in_euros(
        org, simplified, people, sell, month):
    _person, abroad = people
    start, _end = month
    day = start + dt.timedelta(days=4)
    invoice = sell(abroad, [line("1000.00"), line("333.33", rate="5.5")], day, operation="services",
                   currency="USD", tax_currency="EUR", tax_exchange_rate=M("0.92345"))
    assert invoice.tax_total_accounting is not None
    report = build(org, "transactions", start)
    assert report.state == State.CHECKED, report.findings
    (tx,) = read(report).transactions
    assert tx.number == invoice.number
    got = {s.rate: (s.taxable, s.tax) for s in tx.subtotals}
    assert got[M("20.00")][0] == M("923.45") and got[M("5.50")][0] == M("307.81")
    # the VAT in euros is the invoice's own BT-111, to the cent: nothing recomputed with another rate
    assert sum(tax for _taxable, tax in got.values()) == invoice.tax_total_accounting
    assert report.taxable == M("1231.26") and report.tax == invoice.tax_total_accounting


def test_b2c_sales_in_gbp_and_eur_of_one_day_are_summed_in_euros(org, simplified, people, sell, month):
    person, _abroad = people
    start, _end = month
    day = start + dt.timedelta(days=6)
    sell(person, [line("100.00")], day)
    pounds = sell(person, [line("50.00")], day, currency="GBP", tax_currency="EUR", tax_exchange_rate=M("1.17"))
    assert pounds.tax_total_accounting == M("11.70")
    report = build(org, "transactions", start)
    assert report.state == State.CHECKED, report.findings
    (summary,) = read(report).summaries
    assert (summary.day, summary.rate, summary.taxable, summary.tax, summary.count) == (
        day, M("20.00"), M("158.50"), M("31.70"), 2)


def test_a_payment_in_usd_of_a_b2c_service_is_reported_in_euros(org, simplified, people, sell, month):
    from facturier.invoicing.settlement import payment_record

    person, _abroad = people
    start, _end = month
    day = start + dt.timedelta(days=2)
    sale = sell(person, [line("200.00")], day, operation="services", currency="USD", tax_currency="EUR",
                tax_exchange_rate=M("0.9"))
    payment_record(by=org.owner, document_id=sale.pk, date=day, amount=M("240.00"))
    report = build(org, "payments", start)
    assert report.state == State.CHECKED, report.findings
    (paid,) = read(report).payment_summaries
    assert (paid.day, paid.rate, paid.amount) == (day, M("20.00"), M("216.00"))


def _import_helpers():
    """The import tests' helpers (rewriting an official example's seller into the test organisation)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "imports" / "import_helpers.py"
    spec = importlib.util.spec_from_file_location("import_helpers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def imported_in_usd(org, number: str, day: dt.date, *, vat_in_euros: str = ""):
    """An invoice made elsewhere in USD that states no VAT accounting currency (EN 16931 allows it; the French
    CIUS does not), imported through the import service: a foreign-currency document with no euro VAT figure."""
    from facturier.imports.services import IncomingFile, import_files

    helpers = _import_helpers()
    example = helpers.CII_EXAMPLES[1].read_bytes()  # CII_business_example_01, in NOK
    xml = helpers.as_seller(example, number=number).decode()
    xml = xml.replace(">NOK<", ">USD<").replace('currencyID="NOK"', 'currencyID="USD"')
    # the buyer, a Norwegian company (VAT NO987654321MVA): its organisation number is not a SIREN
    buyer_start = xml.index("<ram:BuyerTradeParty>")
    legal_start = xml.index("<ram:SpecifiedLegalOrganization>", buyer_start)
    legal_end = xml.index("</ram:SpecifiedLegalOrganization>", legal_start) + len("</ram:SpecifiedLegalOrganization>")
    xml = xml[:legal_start] + xml[legal_end:]
    xml = xml.replace('<udt:DateTimeString format="102">20130630<', f'<udt:DateTimeString format="102">{day:%Y%m%d}<')
    if vat_in_euros:  # BT-6 = EUR and BT-111, as the French CIUS wants them
        xml = xml.replace("<ram:InvoiceCurrencyCode>", "<ram:TaxCurrencyCode>EUR</ram:TaxCurrencyCode>"
                                                       "<ram:InvoiceCurrencyCode>")
        xml = xml.replace('<ram:TaxTotalAmount currencyID="USD">365.28</ram:TaxTotalAmount>',
                          '<ram:TaxTotalAmount currencyID="USD">365.28</ram:TaxTotalAmount>'
                          f'<ram:TaxTotalAmount currencyID="EUR">{vat_in_euros}</ram:TaxTotalAmount>')
    batch = import_files(organisation=org, files=[IncomingFile(f"{number}.xml", xml.encode())], source="upload",
                         by=org.owner)
    item = batch.items.get()
    assert item.outcome == "imported", item.messages
    return item.document


def test_an_imported_invoice_in_usd_with_its_vat_in_euros_is_converted_at_the_rate_it_implies(
        org, simplified, month):
    start, _end = month
    dollars = imported_in_usd(org, "EXT-USD-3", start + dt.timedelta(days=1), vat_in_euros="31.05")
    assert (dollars.tax_currency, dollars.tax_total_accounting, dollars.tax_exchange_rate) == (
        "EUR", M("31.05"), None)  # no rate stored: BT-111 / BT-110 is the one the invoice used
    report = build(org, "transactions", start)
    assert not [f for f in report.findings if f["severity"] == "fatal"], report.findings
    (tx,) = read(report).transactions
    assert {s.rate: (s.taxable, s.tax) for s in tx.subtotals} == {
        M("25.00"): (M("124.15"), M("31.04")), M("15.00"): (M("0.09"), M("0.01")), M("0.00"): (M("-2.13"), M("0.00"))}
    assert sum(s.tax for s in tx.subtotals) == dollars.tax_total_accounting


def test_an_invoice_in_usd_stating_no_vat_in_euros_is_named_and_the_report_cannot_be_submitted(
        org, simplified, people, sell, month):
    person, _abroad = people
    start, _end = month
    day = start + dt.timedelta(days=3)
    sell(person, [line("10.00")], day)
    dollars = imported_in_usd(org, "EXT-USD-1", day)
    assert (dollars.currency, dollars.tax_currency, dollars.tax_total_accounting) == ("USD", "USD", None)
    report = build(org, "transactions", start)
    assert report.state == State.BUILT
    (finding,) = [f for f in report.findings if f["rule"] == "ER-CUR-02"]
    assert dollars.number in finding["message"] and "USD" in finding["message"]
    assert "euros" in finding["message"] and "BT-111" in finding["message"]
    assert dollars.number in finding["message_en"] and "credit note" in finding["message_en"]
    content = read(report)
    assert content.transactions == ()  # nothing invented: the document is left out until corrected
    assert [s.taxable for s in content.summaries] == [M("10.00")]
    with pytest.raises(services.EReportError):
        services.report_submit(report_pk=report.pk, organisation=org, by=org.owner)


def test_the_missing_euro_figure_is_shown_on_the_e_reporting_page_in_french_and_in_english(
        org, simplified, month):
    from test_ereporting_screens import signed_in

    start, _end = month
    dollars = imported_in_usd(org, "EXT-USD-2", start)
    build(org, "transactions", start)
    french = signed_in(org.owner, "fr").get("/ereporting/").content.decode()
    assert "ER-CUR-02" in french and f"Le document {dollars.number} est en USD" in french
    english = signed_in(org.owner, "en").get("/ereporting/").content.decode()
    assert f"Document {dollars.number} is in USD" in english
