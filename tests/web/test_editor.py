"""The draft editor: customer search, lines, server-side totals, inline errors, rule check, issue."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from facturier.invoicing.models import Document, State


def _post(customer_id, lines, **header):
    data = {"kind": "invoice", "customer_id": customer_id, "operation_category": "services", "language": "",
            **header}
    for i, line in enumerate(lines):
        row = {"quantity": "1", "unit": "C62", "vat_category": "S", "vat_rate": "20", "discount_percent": "0",
               **line}
        for key, value in row.items():
            data[f"line-{i * 7}-{key}"] = value
    return data


def test_new_invoice_is_created_from_the_editor(signed_in, org):
    response = signed_in.post(reverse("web:document_new"), _post(org.customer.pk, [
        {"name": "Conseil", "quantity": "2", "unit_price": "150,00"},
        {"name": "Livre", "quantity": "1", "unit_price": "10", "vat_rate": "5.5"}]))
    assert response.status_code == 302
    document = Document.objects.get(organisation=org)
    assert document.is_draft and document.payable == Decimal("370.55")
    assert [line.name for line in document.lines.order_by("position")] == ["Conseil", "Livre"]
    assert response["Location"] == reverse("web:document_edit", args=[document.pk])


def test_errors_of_lines_are_shown_on_their_row_and_keep_what_was_typed(signed_in, org):
    response = signed_in.post(reverse("web:document_new"), _post(org.customer.pk, [
        {"name": "Bon", "unit_price": "10"},
        {"name": "Mauvais", "quantity": "deux", "unit_price": "-3"}]))
    assert response.status_code == 422
    rows = response.context["rows"]
    assert rows[0]["errors"] == {}
    assert "The quantity must be a number." in rows[1]["errors"]["quantity"]
    assert any("cannot be negative" in m for m in rows[1]["errors"]["unit_price"])
    content = response.content.decode()
    assert 'value="deux"' in content and 'value="Mauvais"' in content
    assert not Document.objects.exists()


def test_a_missing_customer_is_an_inline_error(signed_in, org):
    response = signed_in.post(reverse("web:document_new"), _post("", [{"name": "A", "unit_price": "1"}]))
    assert response.status_code == 422
    assert "Choose a customer." in response.content.decode()


def test_another_organisations_customer_cannot_be_invoiced(signed_in, other_org):
    response = signed_in.post(reverse("web:document_new"), _post(other_org.customer.pk,
                                                                 [{"name": "A", "unit_price": "1"}]))
    assert response.status_code == 422
    assert not Document.objects.filter(customer=other_org.customer).exists()


def test_edit_replaces_the_lines_and_shows_the_rule_check(signed_in, draft, org):
    page = signed_in.get(reverse("web:document_edit", args=[draft.pk]))
    assert page.status_code == 200
    assert page.context["findings"] == [] and "No rule is broken" in page.content.decode()
    response = signed_in.post(reverse("web:document_edit", args=[draft.pk]), _post(org.customer.pk, [
        {"name": "Seul", "quantity": "3", "unit_price": "10"}], note="Merci"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.lines.count() == 1 and draft.payable == Decimal("36.00") and draft.note == "Merci"


def test_rule_findings_are_listed_with_their_rule_id(signed_in, owner, org):
    from facturier.invoicing.services import draft_create

    document = draft_create(by=owner, customer_id=org.customer.pk, lines=[
        {"name": "Export", "quantity": 1, "unit_price": 10, "vat_category": "E", "vat_rate": 0,
         "exemption_reason": "Exonération"}])
    from facturier.web.views.documents import rule_findings

    findings = rule_findings(document, "en")
    page = signed_in.get(reverse("web:document_edit", args=[document.pk]))
    for finding in findings:
        assert finding["rule"] in page.content.decode()


def test_save_and_issue_goes_to_the_confirmation(signed_in, draft, org):
    data = _post(org.customer.pk, [{"name": "A", "unit_price": "5"}], then="issue")
    response = signed_in.post(reverse("web:document_edit", args=[draft.pk]), data)
    assert response["Location"] == reverse("web:document_issue", args=[draft.pk])


def test_an_issued_document_is_not_editable(signed_in, issued):
    response = signed_in.get(reverse("web:document_edit", args=[issued.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:document", args=[issued.pk])
    assert Document.objects.get(pk=issued.pk).state == State.ISSUED


def test_recompute_returns_totals_and_line_amounts_without_saving(signed_in, org):
    data = _post(org.customer.pk, [{"name": "A", "quantity": "3", "unit_price": "10"},
                                   {"name": "B", "quantity": "1", "unit_price": "100", "vat_rate": "5.5"}])
    response = signed_in.post(reverse("web:recompute"), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    totals = response.context["totals"]
    assert totals.tax_exclusive == Decimal("130.00") and totals.payable == Decimal("141.50")
    assert len(totals.vat_breakdown) == 2
    content = response.content.decode()
    assert 'id="net-0" hx-swap-oob="true"' in content and 'id="net-7" hx-swap-oob="true"' in content
    assert not Document.objects.exists()


def test_recompute_reports_what_prevents_the_totals(signed_in, org):
    data = _post(org.customer.pk, [{"name": "A", "quantity": "x", "unit_price": "10"}])
    response = signed_in.post(reverse("web:recompute"), data, HTTP_HX_REQUEST="true")
    assert response.context["totals"] is None
    assert "Line 1" in response.content.decode() and "The quantity must be a number." in response.content.decode()


def test_new_line_row(signed_in):
    response = signed_in.get(reverse("web:line_row"), {"i": "12"})
    assert 'name="line-12-name"' in response.content.decode()


def test_customer_search_finds_by_code_or_name_within_the_organisation(signed_in, org, other_org):
    found = signed_in.get(reverse("web:customer_search"), {"q": "Client"}).context["results"]
    assert found == [org.customer]
    assert other_org.customer not in found


def test_a_viewer_cannot_open_the_editor(client_of, org):
    viewer = client_of(org.member("viewer"))
    assert viewer.get(reverse("web:document_new")).status_code == 403


def test_a_saved_draft_is_saved_again_without_its_locked_kind(signed_in, draft, org):
    # The browser does not post a disabled field: the form must not ask for the kind it locks.
    data = _post(org.customer.pk, [{"name": "Changé", "quantity": "2", "unit_price": "10"}])
    del data["kind"]
    response = signed_in.post(reverse("web:document_edit", args=[draft.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert draft.kind == "invoice" and draft.payable == Decimal("24.00")
    data["then"] = "issue"
    response = signed_in.post(reverse("web:document_edit", args=[draft.pk]), data)
    assert response["Location"] == reverse("web:document_issue", args=[draft.pk])


def test_a_posted_kind_cannot_change_a_saved_draft(signed_in, draft, org):
    data = _post(org.customer.pk, [{"name": "A", "unit_price": "5"}], kind="deposit")
    assert signed_in.post(reverse("web:document_edit", args=[draft.pk]), data).status_code == 302
    draft.refresh_from_db()
    assert draft.kind == "invoice"


def test_a_draft_credit_note_is_edited_and_keeps_its_kind(signed_in, issued, org):
    signed_in.post(reverse("web:document_credit_note", args=[issued.pk]))
    credit = Document.objects.get(kind="credit_note")
    page = signed_in.get(reverse("web:document_edit", args=[credit.pk])).content.decode()
    assert 'name="kind"' in page and "disabled" in page.split('name="kind"')[1].split(">")[0]
    data = _post(org.customer.pk, [{"name": "Remise commerciale", "quantity": "1", "unit_price": "10"}])
    del data["kind"]
    assert signed_in.post(reverse("web:document_edit", args=[credit.pk]), data).status_code == 302
    credit.refresh_from_db()
    assert credit.kind == "credit_note" and credit.payable == Decimal("12.00")


def test_an_item_family_typed_in_the_editor_is_kept_on_the_line(signed_in, org):
    response = signed_in.post(reverse("web:document_new"), _post(org.customer.pk, [
        {"name": "Formation", "quantity": "2", "unit_price": "400", "family": "TRAINING"},
        {"name": "Conseil", "quantity": "1", "unit_price": "150"}]))
    assert response.status_code == 302
    document = Document.objects.get(organisation=org)
    assert list(document.lines.order_by("position").values_list("family", flat=True)) == ["TRAINING", ""]
    page = signed_in.get(reverse("web:document_edit", args=[document.pk])).content.decode()
    assert 'name="line-0-family" value="TRAINING"' in page
