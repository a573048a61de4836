"""The legal content of an issued document is protected by the database itself, as the audit log is.

Runs on SQLite and, in the PostgreSQL pass, on PostgreSQL: each vendor has its own triggers.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from facturier.invoicing.models import AllowanceCharge, Document, Line, State
from facturier.invoicing.settlement import payment_record

pytestmark = pytest.mark.django_db


def refused(action) -> None:
    with pytest.raises(IntegrityError, match="frozen"), transaction.atomic():
        action()


@pytest.mark.parametrize("change", [
    {"tax_total": Decimal("0.00")}, {"payable": Decimal("1.00")}, {"number": "FA-2026-999999"},
    {"issue_date": dt.date(2026, 1, 1)}, {"seller_snapshot": {"legal_name": "Autre"}},
    {"vat_breakdown": []}, {"state": State.DRAFT}, {"note": "changed"}, {"period_start": dt.date(2026, 1, 1)},
])
def test_a_queryset_update_of_an_issued_documents_legal_content_fails(issued, change):
    refused(lambda: Document.objects.filter(pk=issued.pk).update(**change))
    stored = Document.objects.get(pk=issued.pk)
    assert (stored.tax_total, stored.number, stored.state) == (issued.tax_total, issued.number, State.ISSUED)


def test_raw_sql_cannot_change_or_delete_an_issued_document(issued):
    def update():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE invoicing_document SET tax_inclusive = 0 WHERE id = %s", [issued.pk])

    def delete():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM invoicing_document WHERE id = %s", [issued.pk])

    refused(update)
    refused(delete)
    assert Document.objects.filter(pk=issued.pk, tax_inclusive=issued.tax_inclusive).exists()


def test_lines_of_an_issued_document_cannot_be_updated_deleted_or_added(issued):
    line = issued.lines.first()
    refused(lambda: Line.objects.filter(pk=line.pk).update(unit_price=Decimal("1")))
    refused(lambda: Line.objects.filter(pk=line.pk)._raw_delete(connection.alias))
    refused(lambda: Line.objects.bulk_create([Line(document=issued, position=9, name="Ajout", quantity=1,
                                                   unit_price=1, net_amount=Decimal("1.00"))]))
    refused(lambda: AllowanceCharge.objects.bulk_create([AllowanceCharge(document=issued, amount=Decimal("5.00"),
                                                                         vat_rate=Decimal("20"))]))
    assert issued.lines.count() == 3 and Line.objects.get(pk=line.pk).unit_price == line.unit_price


def test_settlement_still_changes_an_issued_document_through_the_services(issued, owner):
    payment_record(by=owner, document_id=issued.pk, date=dt.date(2026, 3, 10), amount=Decimal("100.00"))
    stored = Document.objects.get(pk=issued.pk)
    assert (stored.state, stored.paid_amount, stored.amount_due) == (
        State.PARTIALLY_PAID, Decimal("100.00"), issued.payable - Decimal("100.00"))


def test_a_draft_stays_free_to_change_and_to_delete(draft):
    Document.objects.filter(pk=draft.pk).update(note="changed", tax_total=Decimal("1.00"))
    Line.objects.filter(document=draft).update(name="Autre")
    draft.lines.all().delete()
    Document.objects.filter(pk=draft.pk).delete()
    assert not Document.objects.filter(pk=draft.pk).exists()
