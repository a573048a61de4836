"""Transfers to accounting: balanced entries on the right accounts, numbering, lettering, cancel, closed periods."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db.models import Sum

from facturier.accounting import fec, fec_check
from facturier.accounting.exports import export
from facturier.accounting.mapping import AccountingRefused, MappingMissing
from facturier.accounting.models import EntryLine, JournalEntry, Transfer, TransferState
from facturier.accounting.services import (
    AccountingNotConfigured,
    closed_period_add,
    settings_save,
    transfer_cancel,
    transfer_close,
    transfer_run,
)
from facturier.invoicing.services import (
    credit_note_create,
    document_issue,
    draft_create,
    final_invoice_create,
)
from facturier.invoicing.settlement import payment_cancel, payment_record, write_off

pytestmark = pytest.mark.django_db
YEAR = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def configured(owner, **values):
    return settings_save(by=owner, values=values)


def issue(owner, org, lines, *, kind="invoice", day=dt.date(2026, 3, 2), **header):
    d = draft_create(by=owner, kind=kind, customer_id=org.customer.pk, lines=lines, **header)
    return document_issue(by=owner, document_id=d.pk, issue_date=day)


def lines_of(entry):
    return {(li.account, li.debit, li.credit) for li in entry.lines.all()}


def balance(account, **filters):
    agg = EntryLine.objects.filter(account=account, **filters).aggregate(d=Sum("debit"), c=Sum("credit"))
    return (agg["d"] or 0) - (agg["c"] or 0)


def test_first_transfer_asks_for_the_settings(owner, issued):
    with pytest.raises(AccountingNotConfigured):
        transfer_run(by=owner, start=YEAR[0], end=YEAR[1])
    assert not JournalEntry.objects.exists()


def test_goods_invoice_goes_to_707_and_collected_vat_per_rate(owner, org, issued):
    configured(owner)
    Document = type(issued)
    Document.objects.filter(pk=issued.pk)  # the fixture is a services invoice by default
    goods = issue(owner, org, [{"name": "Écran", "quantity": Decimal(2), "unit_price": Decimal("100.00")},
                               {"name": "Livre", "quantity": Decimal(1), "unit_price": Decimal("10.00"),
                                "vat_rate": Decimal("5.5")}], operation_category="goods")
    transfer_run(by=owner, document_ids=[goods.pk])
    entry = JournalEntry.objects.get(document=goods, origin="document")
    assert (entry.journal, entry.number) == ("VE", 1)
    assert lines_of(entry) == {("411000", Decimal("250.55"), Decimal(0)), ("707000", Decimal(0), Decimal("200.00")),
                               ("445712", Decimal(0), Decimal("40.00")), ("707000", Decimal(0), Decimal("10.00")),
                               ("445705", Decimal(0), Decimal("0.55"))}
    assert entry.lines.get(account="411000").aux_account == "CC001"


def test_vat_on_receipts_waits_on_44574_and_moves_to_44571_with_each_payment(owner, issued):
    configured(owner)
    assert issued.operation_category == "services" and not issued.vat_on_debits
    payment_record(by=owner, document_id=issued.pk, date=dt.date(2026, 3, 20), amount=Decimal("1000.00"))
    transfer_run(by=owner, start=YEAR[0], end=dt.date(2026, 3, 31))
    vat = issued.tax_total
    assert balance("445740") == -vat + balance("445740", entry__origin="payment")
    assert 0 < balance("445740", entry__origin="payment") < vat
    payment_record(by=owner, document_id=issued.pk, date=dt.date(2026, 4, 2),
                   amount=type(issued).objects.get(pk=issued.pk).amount_due)
    transfer_run(by=owner, start=dt.date(2026, 4, 1), end=YEAR[1])
    assert balance("445740") == 0  # all of it moved once the invoice is paid
    assert -(balance("445712") + balance("445705")) == vat
    customer = EntryLine.objects.filter(account="411000")
    assert {li.lettering for li in customer} == {"AAA"}  # the invoice and its payments, lettered together
    assert all(li.lettering_date == dt.date(2026, 4, 2) for li in customer)


def test_credit_note_mirrors_and_letters_with_its_invoice(owner, issued):
    configured(owner)
    credit = credit_note_create(by=owner, invoice_id=issued.pk)
    credit = document_issue(by=owner, document_id=credit.pk, issue_date=dt.date(2026, 3, 5))
    transfer_run(by=owner, start=YEAR[0], end=YEAR[1])
    entry = JournalEntry.objects.get(document=credit)
    assert entry.lines.get(account="411000").credit == credit.tax_inclusive
    assert balance("411000") == 0 and balance("706000") == 0 and balance("445740") == 0
    assert EntryLine.objects.filter(account="411000").values("lettering").distinct().count() == 1


def test_deposit_goes_to_4191_and_the_final_invoice_takes_it_back(owner, org):
    configured(owner)
    deposit = issue(owner, org, [{"name": "Acompte", "quantity": Decimal(1), "unit_price": Decimal("300.00")}],
                    kind="deposit")
    final = final_invoice_create(by=owner, customer_id=org.customer.pk, deposit_ids=[deposit.pk],
                                 lines=[{"name": "Projet", "quantity": Decimal(1), "unit_price": Decimal("1000.00")}])
    final = document_issue(by=owner, document_id=final.pk, issue_date=dt.date(2026, 4, 1))
    transfer_run(by=owner, start=YEAR[0], end=YEAR[1])
    assert lines_of(JournalEntry.objects.get(document=deposit)) == {
        ("411000", Decimal("360.00"), Decimal(0)), ("419100", Decimal(0), Decimal("300.00")),
        ("445740", Decimal(0), Decimal("60.00"))}
    assert lines_of(JournalEntry.objects.get(document=final)) == {
        ("411000", Decimal("840.00"), Decimal(0)), ("419100", Decimal("300.00"), Decimal(0)),
        ("706000", Decimal(0), Decimal("1000.00")), ("445740", Decimal(0), Decimal("140.00"))}
    assert balance("419100") == 0


def test_foreign_currency_is_entered_in_eur_at_the_document_rate(owner, org):
    configured(owner)
    doc = issue(owner, org, [{"name": "Consulting", "quantity": Decimal(1), "unit_price": Decimal("1000.00")}],
                currency="USD", tax_currency="EUR", tax_exchange_rate=Decimal("0.9"), operation_category="goods")
    transfer_run(by=owner, document_ids=[doc.pk])
    customer = JournalEntry.objects.get(document=doc).lines.get(account="411000")
    assert (customer.debit, customer.currency_amount, customer.currency) == (Decimal("1080.00"), Decimal("1200.00"),
                                                                             "USD")


def test_write_off_recovers_the_vat_on_654(owner, org):
    configured(owner)
    doc = issue(owner, org, [{"name": "Écran", "quantity": Decimal(1), "unit_price": Decimal("100.00")}],
                operation_category="goods")
    write_off(by=owner, document_id=doc.pk, date=dt.date(2026, 6, 1), reason="Liquidation")
    transfer_run(by=owner, start=YEAR[0], end=YEAR[1])
    entry = JournalEntry.objects.get(origin="write_off")
    assert entry.journal == "OD"
    assert lines_of(entry) == {("654000", Decimal("100.00"), Decimal(0)), ("445712", Decimal("20.00"), Decimal(0)),
                               ("411000", Decimal(0), Decimal("120.00"))}
    assert balance("445712") == 0 and balance("411000") == 0


def test_a_cancelled_payment_gets_its_mirror_entry(owner, issued):
    configured(owner)
    p = payment_record(by=owner, document_id=issued.pk, date=dt.date(2026, 3, 20), amount=Decimal("100.00"))
    transfer_run(by=owner, start=YEAR[0], end=YEAR[1])
    payment_cancel(by=owner, payment_id=p.pk, reason="Erreur")
    transfer_run(by=owner, start=YEAR[0], end=YEAR[1])
    cancel = JournalEntry.objects.get(origin="payment_cancel")
    assert (cancel.journal, cancel.number) == ("BQ", 2)
    assert balance("512000") == 0 and balance("445740") == -issued.tax_total


def test_missing_vat_mapping_names_the_rate_and_writes_nothing(owner, org):
    configured(owner)
    ok = issue(owner, org, [{"name": "A", "quantity": Decimal(1), "unit_price": Decimal("10.00")}])
    odd = issue(owner, org, [{"name": "B", "quantity": Decimal(1), "unit_price": Decimal("10.00"),
                              "vat_rate": Decimal("8.5")}])
    with pytest.raises(MappingMissing) as refused:
        transfer_run(by=owner, document_ids=[ok.pk, odd.pk])
    assert "8.50" in str(refused.value) and odd.number in str(refused.value)
    assert not JournalEntry.objects.exists() and not Transfer.objects.exists()


def test_closed_period_refuses_the_transfer(owner, issued):
    configured(owner)
    closed_period_add(by=owner, start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31))
    with pytest.raises(AccountingRefused, match="closed"):
        transfer_run(by=owner, start=YEAR[0], end=YEAR[1])
    assert not JournalEntry.objects.exists()


def test_cancelled_transfer_frees_its_documents_and_numbers(owner, issued):
    configured(owner)
    first = transfer_run(by=owner, start=YEAR[0], end=YEAR[1])
    transfer_cancel(by=owner, transfer_id=first.pk)
    assert Transfer.objects.get(pk=first.pk).state == TransferState.CANCELLED
    assert not JournalEntry.objects.exists()
    again = transfer_run(by=owner, start=YEAR[0], end=YEAR[1])
    assert JournalEntry.objects.get(transfer=again).number == 1
    transfer_close(by=owner, transfer_id=again.pk)
    with pytest.raises(AccountingRefused):
        transfer_cancel(by=owner, transfer_id=again.pk)


def test_nothing_is_transferred_twice(owner, issued):
    configured(owner)
    transfer_run(by=owner, start=YEAR[0], end=YEAR[1])
    with pytest.raises(AccountingRefused, match="Nothing to transfer"):
        transfer_run(by=owner, start=YEAR[0], end=YEAR[1])


def test_transfers_stay_inside_their_organisation(owner, issued, other_org):
    configured(owner)
    configured(other_org.owner)
    with pytest.raises(AccountingRefused):
        transfer_run(by=other_org.owner, start=YEAR[0], end=YEAR[1])
    with pytest.raises(AccountingRefused):
        transfer_run(by=other_org.owner, document_ids=[issued.pk])
    assert not JournalEntry.objects.exists()
    transfer_run(by=owner, start=YEAR[0], end=YEAR[1])
    other = export(other_org, start=YEAR[0], end=YEAR[1])
    assert b"".join(other.chunks()).count(b"\r\n") == 1  # the header only


def test_random_documents_always_give_balanced_entries_and_a_fec_that_passes(owner, org):
    """A property over random documents (seeded): whatever the lines, rates, kinds and payments, every entry
    balances, the database agrees, and the FEC passes our checker."""
    configured(owner)
    rnd = random.Random(15)
    rates = [Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1")]
    for n in range(25):
        lines = [{"name": f"L{i}", "quantity": Decimal(rnd.randint(1, 7)),
                  "unit_price": Decimal(rnd.randint(1, 99999)) / 100, "vat_rate": rnd.choice(rates)}
                 for i in range(rnd.randint(1, 4))]
        doc = issue(owner, org, lines, day=dt.date(2026, 1 + n // 3, 1 + n % 3 * 9),
                    operation_category=rnd.choice(["goods", "services", "both"]), vat_on_debits=rnd.random() < .3)
        if rnd.random() < .6:
            payment_record(by=owner, document_id=doc.pk, date=doc.issue_date, method=rnd.choice(["transfer", "cash"]),
                           amount=(doc.payable * Decimal(rnd.choice(["0.5", "1"]))).quantize(Decimal("0.01")))
        elif rnd.random() < .5:
            write_off(by=owner, document_id=doc.pk, date=doc.issue_date, reason="x")
    transfer_run(by=owner, start=YEAR[0], end=YEAR[1])
    for entry in JournalEntry.objects.all():
        sums = entry.lines.aggregate(d=Sum("debit"), c=Sum("credit"))
        assert sums["d"] == sums["c"] == entry.total
    out = export(org, start=YEAR[0], end=YEAR[1])
    assert out.problems == []
    assert out.name == "884123456FEC20261231.txt"


def test_fec_columns_formats_numbering_and_lettering(owner, issued):
    configured(owner)
    payment_record(by=owner, document_id=issued.pk, date=dt.date(2026, 3, 20), amount=issued.payable)
    transfer_run(by=owner, start=YEAR[0], end=YEAR[1])
    text = b"".join(export(issued.organisation, start=YEAR[0], end=YEAR[1]).chunks()).decode()
    rows = [line.split("\t") for line in text.split("\r\n") if line]
    assert rows[0] == fec.COLUMNS and all(len(r) == 18 for r in rows)
    customer = [r for r in rows[1:] if r[4] == "411000"]
    assert {r[13] for r in customer} == {"AAA"} and {r[14] for r in customer} == {"20260320"}
    assert rows[1][0] == "BQ" and rows[1][2] == "1" and rows[1][3] == "20260320"
    assert all("," in r[11] and "." not in r[11] for r in rows[1:])


def test_checker_finds_what_is_wrong():
    header = "\t".join(fec.COLUMNS)
    good = ["VE\tVentes\t1\t20260302\t411000\tClients\tCC1\tClient\tFA1\t20260302\tFacture\t120,00\t0,00\t\t\t"
            "20260302\t\t", "VE\tVentes\t1\t20260302\t706000\tServices\t\t\tFA1\t20260302\tFacture\t0,00\t120,00\t\t\t"
            "20260302\t\t"]
    assert fec_check.check([header, *good], fiscal_start=YEAR[0], fiscal_end=YEAR[1]) == []
    bad = [*good, good[0].replace("\t1\t", "\t3\t").replace("\t20260302\t411", "\t2026-03-02\t411"),
           good[1].replace("\t1\t", "\t3\t").replace("120,00", "120.00"), "VE\tx"]
    problems = fec_check.check([header, *bad], fiscal_start=YEAR[0], fiscal_end=YEAR[1])
    text = " ".join(problems)
    assert "decimal comma" in text and "AAAAMMJJ" in text and "18" in text and "continuous" in text
    assert fec_check.check(["JournalCode\tx"])[0].startswith("line 1")


def test_csv_presets(owner, issued):
    configured(owner)
    transfer_run(by=owner, start=YEAR[0], end=YEAR[1])
    for fmt, first in (("sage", "Journal;Date"), ("journal", "journal;number"), ("ebp", "1,02032026,VE,CC001")):
        data = b"".join(export(issued.organisation, start=YEAR[0], end=YEAR[1], fmt=fmt).chunks()).decode()
        assert data.startswith(first)
