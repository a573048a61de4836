"""Dashboard: print the ticked documents as one PDF, each row's action menu, the archive filter."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.urls import reverse

from facturier.invoicing.models import Document


@pytest.fixture
def book(owner, org, issued):
    from facturier.invoicing.services import draft_create

    draft = draft_create(by=owner, customer_id=org.customer.pk, lines=[
        {"name": "Petit", "quantity": "1", "unit_price": "10"}])
    return {"invoice": issued, "draft": draft}


def _pages(response) -> int:
    from pypdf import PdfReader

    assert response["Content-Type"] == "application/pdf"
    return len(PdfReader(io.BytesIO(response.content)).pages)


def test_print_makes_one_pdf_of_the_ticked_documents(signed_in, book):
    single = len(__import__("pypdf").PdfReader(io.BytesIO(signed_in.get(
        reverse("web:document_pdf", args=[book["invoice"].pk])).content)).pages)
    response = signed_in.post(reverse("web:batch"), {"action": "print",
                                                     "ids": [book["invoice"].pk, book["draft"].pk]})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert _pages(response) == single + 1  # the invoice's pages, then the one-page draft


def test_print_leaves_drafts_out_without_the_print_drafts_right(client_of, org, book):
    viewer = client_of(org.member("viewer"))
    response = viewer.post(reverse("web:batch"), {"action": "print", "ids": [book["draft"].pk, book["invoice"].pk]})
    assert response.status_code == 200 and _pages(response) >= 1
    page = viewer.get(reverse("web:dashboard")).content.decode()
    assert "was not printed: printing a draft needs the “print drafts” right" in page
    only_draft = viewer.post(reverse("web:batch"), {"action": "print", "ids": [book["draft"].pk]}, follow=True)
    assert "application/pdf" not in only_draft["Content-Type"]


def test_print_never_reaches_another_organisations_documents(signed_in, other_org):
    from facturier.invoicing.services import draft_create

    theirs = draft_create(by=other_org.owner, customer_id=other_org.customer.pk, lines=[
        {"name": "Secret", "quantity": "1", "unit_price": "99"}])
    response = signed_in.post(reverse("web:batch"), {"action": "print", "ids": [theirs.pk]}, follow=True)
    assert "application/pdf" not in response["Content-Type"]
    assert "None of the ticked documents can be printed." in response.content.decode()


def _menu(page: str, document: Document) -> str:
    """The action menu of the document's dashboard row."""
    row = re.search(rf'<tr class="row[^"]*">\s*<td><input type="checkbox" name="ids" value="{document.pk}".*?</tr>',
                    page, re.S)
    assert row, f"no row for {document}"
    return row.group(0).split('class="rowmenu"', 1)[1]


def test_each_row_menu_offers_what_the_state_and_rights_allow(signed_in, client_of, org, book):
    page = signed_in.get(reverse("web:dashboard")).content.decode()
    draft, invoice = book["draft"], book["invoice"]
    menu = _menu(page, draft)
    for name in ("document_edit", "document_issue", "document_pdf", "document_delete", "document_history"):
        assert reverse(f"web:{name}", args=[draft.pk]) in menu, name
    assert reverse("web:document_facturx", args=[draft.pk]) not in menu
    menu = _menu(page, invoice)
    for name in ("document_pdf", "document_facturx", "document_payments", "document_credit_note",
                 "document_write_off", "document_send", "document_history"):
        assert reverse(f"web:{name}", args=[invoice.pk]) in menu, name
    for name in ("document_edit", "document_issue", "document_delete"):
        assert reverse(f"web:{name}", args=[invoice.pk]) not in menu, name
    viewer_page = client_of(org.member("viewer")).get(reverse("web:dashboard")).content.decode()
    viewer_menu = _menu(viewer_page, draft)
    assert reverse("web:document_edit", args=[draft.pk]) not in viewer_menu
    assert reverse("web:document_pdf", args=[draft.pk]) not in viewer_menu


def test_row_menu_credit_note_opens_the_choice_of_the_lines_to_credit(signed_in, book):
    invoice = book["invoice"]
    url = reverse("web:document_credit_note", args=[invoice.pk])
    assert f'<a href="{url}">Credit note…</a>' in _menu(signed_in.get(reverse("web:dashboard")).content.decode(),
                                                        invoice)
    page = signed_in.get(url).content.decode()
    assert all(f'name="line" value="{line.pk}"' in page for line in invoice.lines.all())
    # Posted without a choice (as before), the whole invoice is credited.
    response = signed_in.post(url, {"ids": [invoice.pk], "query": ""})
    assert response.status_code == 302 and "/edit/" in response["Location"]


def test_archive_filter_shows_what_is_not_archived_yet_then_what_was_purged(signed_in, org, book):
    from facturier.archive.services import archive_document, archive_purge

    invoice = book["invoice"]

    def shown(archive):
        return {row["doc"].pk for row in signed_in.get(reverse("web:dashboard"), {"archive": archive}).context["rows"]}

    assert shown("not_archived") == {invoice.pk}  # drafts are never archived, so never listed here
    archive_document(invoice.pk)
    assert shown("not_archived") == set() and shown("purged") == set()
    archive_purge(organisation=org, today=dt.date(2100, 1, 1))
    assert shown("purged") == {invoice.pk}
    assert "purged" in signed_in.get(reverse("web:dashboard")).content.decode()
