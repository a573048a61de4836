"""The dashboard: one list of invoices and credit notes, filters, sorts and keyset pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from facturier.invoicing.models import Document, Kind, State
from facturier.web.forms import period_bounds
from facturier.web.selectors import SIGNED_PAYABLE, Sort, dashboard_filter, dashboard_page


def _numbers(response) -> list[str]:
    return [row["doc"].number or f"#{row['doc'].pk}" for row in response.context["rows"]]


@pytest.fixture
def book(owner, org, lines, issued):
    """An issued invoice, its credit note (issued) and a draft."""
    from facturier.invoicing.services import credit_note_create, document_issue, draft_create

    credit = credit_note_create(by=owner, invoice_id=issued.pk)
    document_issue(by=owner, document_id=credit.pk, issue_date=dt.date(2026, 3, 3))
    draft = draft_create(by=owner, customer_id=org.customer.pk, lines=[
        {"name": "Petit", "quantity": "1", "unit_price": "10"}])
    return {"invoice": issued, "credit": Document.objects.get(pk=credit.pk), "draft": draft}


def test_dashboard_lists_invoices_and_credit_notes_with_credit_notes_negative(signed_in, book):
    response = signed_in.get(reverse("web:dashboard"))
    assert response.status_code == 200
    amounts = {row["doc"].pk: row["amount"] for row in response.context["rows"]}
    assert amounts[book["credit"].pk] == -book["credit"].payable < 0
    assert amounts[book["invoice"].pk] > 0
    content = response.content.decode()
    assert "s-paid" in content or "s-issued" in content
    assert 'class="consent"' in content  # the customer accepts e-mailed invoices


def test_state_legend_lists_every_state(signed_in, book):
    content = signed_in.get(reverse("web:dashboard")).content.decode()
    for state in State:
        assert f"state s-{state.value}" in content


@pytest.mark.parametrize("query, expected", [
    ({"status": "draft"}, {"draft"}),
    ({"status": "issued"}, {"invoice", "credit"}),
    ({"kind": Kind.CREDIT_NOTE}, {"credit"}),
    ({"customer": "C0"}, {"invoice", "credit", "draft"}),
    ({"customer": "ZZ"}, set()),
    ({"period": "custom", "date_from": "2026-03-03", "date_to": "2026-03-03"}, {"credit"}),
    ({"amount_min": "9", "amount_max": "13"}, {"draft"}),
])
def test_filters_narrow_the_list(signed_in, book, query, expected):
    response = signed_in.get(reverse("web:dashboard"), query)
    shown = {row["doc"].pk for row in response.context["rows"]}
    assert shown == {book[name].pk for name in expected}


def test_amount_search_exact_is_signed_like_the_list(signed_in, book):
    amount = book["invoice"].payable
    response = signed_in.get(reverse("web:dashboard"), {"amount_min": str(amount), "amount_max": str(amount)})
    assert [row["doc"].pk for row in response.context["rows"]] == [book["invoice"].pk]
    response = signed_in.get(reverse("web:dashboard"), {"amount_min": str(-amount), "amount_max": str(-amount)})
    assert [row["doc"].pk for row in response.context["rows"]] == [book["credit"].pk]


def test_bad_filter_input_is_reported_and_kept(signed_in, book):
    response = signed_in.get(reverse("web:dashboard"), {"amount_min": "abc", "customer": "C0"})
    content = response.content.decode()
    assert response.status_code == 200
    assert 'value="abc"' in content and "Enter a number" in content


def test_unpaid_and_paid_filters(signed_in, owner, issued):
    from facturier.invoicing.settlement import payment_record

    invoice = issued
    unpaid = {row["doc"].pk for row in signed_in.get(reverse("web:dashboard"), {"status": "unpaid"}).context["rows"]}
    assert invoice.pk in unpaid
    payment_record(by=owner, document_id=invoice.pk, date=dt.date(2026, 3, 10), amount=invoice.amount_due)
    paid = {row["doc"].pk for row in signed_in.get(reverse("web:dashboard"), {"status": "paid"}).context["rows"]}
    unpaid = {row["doc"].pk for row in signed_in.get(reverse("web:dashboard"), {"status": "unpaid"}).context["rows"]}
    assert invoice.pk in paid and invoice.pk not in unpaid


@pytest.mark.parametrize("preset, start, end", [
    ("day", dt.date(2026, 5, 14), dt.date(2026, 5, 14)),
    ("week", dt.date(2026, 5, 11), dt.date(2026, 5, 17)),
    ("month", dt.date(2026, 5, 1), dt.date(2026, 5, 31)),
    ("quarter", dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
    ("half", dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
    ("year", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
])
def test_period_presets(preset, start, end):
    assert period_bounds(preset, dt.date(2026, 5, 14)) == (start, end)


def _many(org, owner, n=23):
    from facturier.invoicing.models import Series

    series = Series.objects.get(organisation=org, code="FA")
    docs = [Document(organisation=org, kind=Kind.INVOICE, state=State.ISSUED, series=series, number_value=100 + i,
                     number=f"T{i + 1:04d}", issue_date=dt.date(2026, 1, 1) + dt.timedelta(days=i // 3),
                     due_date=dt.date(2026, 2, 1) + dt.timedelta(days=(i * 7) % 11), customer=org.customer,
                     payable=Decimal(100 + (i * 37) % 50), tax_inclusive=Decimal(100)) for i in range(n)]
    Document.objects.bulk_create(docs)


@pytest.mark.parametrize("sort", ["-date", "date", "-number", "number", "customer", "-customer", "amount", "-amount",
                                  "due", "-due"])
@pytest.mark.parametrize("status", ["", "unpaid"])  # drafts (NULL date and number) in the list, or left out
def test_keyset_pages_walk_every_row_once_in_order_and_back(org, owner, book, sort, status):
    _many(org, owner)
    s = Sort.parse(sort)
    f = dashboard_filter(status=status)
    rows = Document.objects.filter(organisation=org).annotate(signed_payable=SIGNED_PAYABLE)
    if status:
        rows = rows.filter(state__in=(State.ISSUED, State.PARTIALLY_PAID))
    else:
        assert rows.filter(state=State.DRAFT).exists()
    expected = list(rows.order_by(*s.order_by()).values_list("pk", flat=True))
    seen, pages, cursor = [], [], None
    while True:
        page = dashboard_page(organisation=org, f=f, sort=s, after=cursor, size=5)
        pages.append(page)
        seen.extend(d.pk for d in page.rows)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == expected
    back = dashboard_page(organisation=org, f=f, sort=s, before=pages[-1].prev_cursor, size=5)
    assert [d.pk for d in back.rows] == [d.pk for d in pages[-2].rows]


def test_keyset_pagination_uses_no_offset(org, owner, book, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _many(org, owner)
    first = dashboard_page(organisation=org, f=dashboard_filter(), sort=Sort.parse("-date"), size=5)
    with CaptureQueriesContext(connection) as ctx:
        dashboard_page(organisation=org, f=dashboard_filter(), sort=Sort.parse("-date"), after=first.next_cursor,
                       size=5)
    assert all("OFFSET" not in q["sql"].upper() for q in ctx.captured_queries)


def test_next_page_link_through_the_view(signed_in, org, owner, book):
    _many(org, owner, n=60)
    first = signed_in.get(reverse("web:dashboard"))
    cursor = first.context["page"].next_cursor
    assert cursor and "after=" in first.content.decode()
    second = signed_in.get(reverse("web:dashboard"), {"after": cursor})
    assert not {r["doc"].pk for r in first.context["rows"]} & {r["doc"].pk for r in second.context["rows"]}


def test_htmx_filter_returns_only_the_results(signed_in, book):
    response = signed_in.get(reverse("web:dashboard"), {"status": "draft"}, HTTP_HX_REQUEST="true",
                             HTTP_HX_TARGET="results")
    content = response.content.decode()
    assert "<html" not in content and 'name="ids"' in content


def test_another_organisations_documents_never_show(signed_in, other_org, book):
    from facturier.invoicing.services import draft_create

    theirs = draft_create(by=other_org.owner, customer_id=other_org.customer.pk,
                          lines=[{"name": "X", "quantity": "1", "unit_price": "1"}])
    shown = {row["doc"].pk for row in signed_in.get(reverse("web:dashboard")).context["rows"]}
    assert theirs.pk not in shown


@pytest.mark.parametrize("sort", ["amount", "-amount"])
def test_amounts_sort_as_shown_with_credit_notes_below_every_invoice(signed_in, book, sort):
    rows = signed_in.get(reverse("web:dashboard"), {"sort": sort}).context["rows"]
    amounts = [row["amount"] for row in rows]
    assert amounts == sorted(amounts, reverse=sort.startswith("-"))
    lowest = rows[0] if sort == "amount" else rows[-1]
    assert lowest["doc"].pk == book["credit"].pk and lowest["amount"] < 0


def _pdf_text(data: bytes, tmp_path) -> str:
    import subprocess

    path = tmp_path / "list.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_the_dashboard_prints_the_list_of_the_filtered_documents(signed_in, book, tmp_path):
    page = signed_in.get(reverse("web:dashboard"), {"status": "issued"}).content.decode()
    link = reverse("web:document_list_print") + "?status=issued&amp;model=by_date"
    assert link in page  # the list follows the filters on screen
    response = signed_in.get(reverse("web:document_list_print"), {"status": "issued", "model": "by_date"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content, tmp_path)
    assert "List of documents" in text
    assert book["invoice"].number in text and book["credit"].number in text
    assert "Draft no." not in text  # the filter left the draft out
    net = f"{book['invoice'].tax_exclusive:,.2f}"
    assert net in text.replace("\u202f", ",").replace("\u00a0", ",")  # the net amount, excl. VAT


def test_the_list_by_payment_method_groups_the_paid_documents(signed_in, org, owner, book, tmp_path):
    from facturier.invoicing.services import document_issue, draft_create
    from facturier.invoicing.settlement import payment_record

    # The book's invoice is wholly credited: a payment on it would be an over-payment. Another one is paid.
    invoice = draft_create(by=owner, customer_id=org.customer.pk, lines=[
        {"name": "Conseil", "quantity": "1", "unit_price": "100"}])
    invoice = document_issue(by=owner, document_id=invoice.pk, issue_date=dt.date(2026, 3, 10))
    payment_record(by=owner, document_id=invoice.pk, date=dt.date(2026, 4, 1), amount=Decimal("10.00"),
                   method="cheque", reference="")
    signed_in.post(reverse("web:language"), {"language": "fr", "next": "/"})
    response = signed_in.get(reverse("web:document_list_print"), {"model": "by_payment_method", "kind": "invoice"})
    text = _pdf_text(response.content, tmp_path)
    assert "Liste des documents" in text and "Chèque" in text and "Sous-total" in text
    assert invoice.number in text and book["credit"].number not in text
