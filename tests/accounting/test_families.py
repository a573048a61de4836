"""Revenue per item family: a line's family (a free code, frozen at issue) picks its revenue account."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from facturier.accounting.models import AccountingSettings, JournalEntry
from facturier.accounting.services import settings_save, transfer_run
from facturier.invoicing.models import DocumentImmutable, Line
from facturier.invoicing.services import credit_note_create, document_issue, draft_create

pytestmark = pytest.mark.django_db
FAMILIES = {"TRAINING": "706300", "BOOKS": "707100"}


def issue(owner, org, lines, *, day=dt.date(2026, 3, 2), **header):
    d = draft_create(by=owner, customer_id=org.customer.pk, lines=lines, **header)
    return document_issue(by=owner, document_id=d.pk, issue_date=day)


def lines_of(entry):
    return sorted((li.account, li.debit, li.credit) for li in entry.lines.all())


MIXED = [{"name": "Formation", "quantity": Decimal(2), "unit_price": Decimal("400.00"), "family": "TRAINING"},
         {"name": "Conseil", "quantity": Decimal(1), "unit_price": Decimal("150.00")},
         {"name": "Support", "quantity": Decimal(1), "unit_price": Decimal("50.00"), "family": "OTHER"},
         {"name": "Livre", "quantity": Decimal(3), "unit_price": Decimal("12.00"), "vat_rate": Decimal("5.5"),
          "family": "BOOKS"}]


def test_lines_of_a_mapped_family_go_to_its_revenue_account(owner, org):
    settings_save(by=owner, values={"family_accounts": FAMILIES})
    invoice = issue(owner, org, MIXED, operation_category="goods")
    transfer_run(by=owner, document_ids=[invoice.pk])
    entry = JournalEntry.objects.get(document=invoice, origin="document")
    # TRAINING → 706300 (800); no family and the unmapped family OTHER → 707 of goods (200); BOOKS → 707100.
    assert lines_of(entry) == sorted([("411000", Decimal("1237.98"), Decimal(0)),
                                      ("706300", Decimal(0), Decimal("800.00")),
                                      ("707000", Decimal(0), Decimal("200.00")),
                                      ("445712", Decimal(0), Decimal("200.00")),
                                      ("707100", Decimal(0), Decimal("36.00")),
                                      ("445705", Decimal(0), Decimal("1.98"))])


def test_without_a_family_mapping_revenue_stays_on_706_707(owner, org):
    settings_save(by=owner, values={})
    invoice = issue(owner, org, MIXED, operation_category="services")
    transfer_run(by=owner, document_ids=[invoice.pk])
    entry = JournalEntry.objects.get(document=invoice, origin="document")
    assert {li.account for li in entry.lines.filter(credit__gt=0)} == {"706000", "445740"}  # VAT on receipts waits
    assert entry.lines.get(account="706000", credit=Decimal("1000.00"))


def test_a_credit_note_copies_the_families_and_mirrors_their_accounts(owner, org):
    settings_save(by=owner, values={"family_accounts": FAMILIES})
    invoice = issue(owner, org, MIXED)
    credit = credit_note_create(by=owner, invoice_id=invoice.pk)
    credit = document_issue(by=owner, document_id=credit.pk, issue_date=dt.date(2026, 3, 5))
    assert sorted(credit.lines.values_list("family", flat=True)) == ["", "BOOKS", "OTHER", "TRAINING"]
    transfer_run(by=owner, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    entry = JournalEntry.objects.get(document=credit, origin="document")
    assert entry.lines.get(account="706300").debit == Decimal("800.00")
    assert entry.lines.get(account="707100").debit == Decimal("36.00")


def test_a_line_family_is_frozen_at_issue(owner, org):
    invoice = issue(owner, org, MIXED)
    line = invoice.lines.get(family="TRAINING")
    line.family = "BOOKS"
    with pytest.raises(DocumentImmutable):
        line.save()
    assert Line.objects.get(pk=line.pk).family == "TRAINING"


def test_foreign_currency_family_amounts_are_in_eur_and_balance(owner, org):
    settings_save(by=owner, values={"family_accounts": FAMILIES})
    invoice = issue(owner, org, MIXED, currency="USD", tax_exchange_rate=Decimal("0.9123"))
    transfer_run(by=owner, document_ids=[invoice.pk])
    entry = JournalEntry.objects.get(document=invoice, origin="document")
    assert entry.lines.get(account="706300").credit == Decimal("729.84")  # 800 USD at 0.9123
    debit = sum(li.debit for li in entry.lines.all())
    assert debit == sum(li.credit for li in entry.lines.all()) == entry.total


def test_the_settings_screen_edits_the_family_accounts(client, owner):
    client.force_login(owner.user)
    session = client.session
    session["organisation_id"] = owner.organisation_id
    session.save()
    page = client.get(reverse("web:accounting_settings"))
    assert b'name="family_accounts_text"' in page.content
    form = dict(page.context["form"].initial)
    data = {k: ("" if v is None else v) for k, v in form.items() if not isinstance(v, dict)}
    data.update(family_accounts_text="TRAINING = 706300\nBOOKS = 707100")
    answer = client.post(reverse("web:accounting_settings"), data)
    assert answer.status_code == 302
    assert AccountingSettings.objects.get(organisation=owner.organisation).family_accounts == FAMILIES
    data.update(family_accounts_text="TRAINING 706300")
    refused = client.post(reverse("web:accounting_settings"), data)
    assert refused.status_code == 422 and "TRAINING 706300" in refused.content.decode()
