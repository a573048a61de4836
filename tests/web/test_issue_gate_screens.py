"""The dashboard's batch issue, the admin action and the editor go through the service's rule gate."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from facturier.accounts.models import VatRegime
from facturier.invoicing.models import Document, State
from facturier.invoicing.services import draft_create

pytestmark = pytest.mark.django_db
OUT_OF_SCOPE = [{"name": "Débours", "quantity": Decimal("1"), "unit_price": Decimal("50.00"), "vat_category": "O",
                 "vat_rate": None, "exemption_reason": "Hors champ"}]


@pytest.fixture
def out_of_scope_draft(owner, org):
    return draft_create(by=owner, customer_id=org.customer.pk, lines=OUT_OF_SCOPE)


def test_the_dashboard_batch_issue_refuses_a_draft_breaking_br_o_02_and_issues_the_others(
        signed_in, out_of_scope_draft, draft):
    response = signed_in.post(reverse("web:batch"), {"action": "issue", "ids": [out_of_scope_draft.pk, draft.pk]},
                              follow=True)
    texts = [str(m) for m in response.context["messages"]]
    assert any("BR-O-02" in t for t in texts), texts
    assert Document.objects.get(pk=out_of_scope_draft.pk).state == State.DRAFT
    assert Document.objects.get(pk=draft.pk).state == State.ISSUED


def test_the_admin_action_refuses_a_draft_breaking_br_o_02(owner, out_of_scope_draft):
    owner.user.is_staff = True
    owner.user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(owner.user)
    response = client.post(reverse("admin:invoicing_document_changelist"),
                           {"action": "issue_selected", "_selected_action": [out_of_scope_draft.pk]}, follow=True)
    texts = [str(m) for m in response.context["messages"]]
    assert any("BR-O-02" in t for t in texts), texts
    assert Document.objects.get(pk=out_of_scope_draft.pk).state == State.DRAFT


def test_the_issue_screen_shows_the_gate_findings_and_refuses(signed_in, out_of_scope_draft):
    url = reverse("web:document_issue", args=[out_of_scope_draft.pk])
    assert "BR-O-02" in signed_in.get(url).content.decode()
    signed_in.post(url)
    assert Document.objects.get(pk=out_of_scope_draft.pk).state == State.DRAFT


def test_the_editor_proposes_exempt_lines_with_the_franchise_reason_to_a_franchise_seller(signed_in, org):
    org.vat_regime = VatRegime.FRANCHISE
    org.save(update_fields=["vat_regime"])
    body = signed_in.get(reverse("web:document_new")).content.decode()
    assert "TVA non applicable, art. 293 B du CGI" in body
    row = signed_in.get(reverse("web:line_row"), {"i": 3}).content.decode()
    assert "TVA non applicable, art. 293 B du CGI" in row
    assert '<option value="E" selected>' in row


def test_an_over_payment_on_the_payments_screen_asks_for_confirmation_then_shows_the_customer_credit(
        signed_in, issued):
    from facturier.invoicing.models import Payment

    url = reverse("web:document_payments", args=[issued.pk])
    data = {"date": "2026-03-10", "amount": "1800.00", "method": "transfer", "reference": ""}
    response = signed_in.post(url, data)
    body = response.content.decode()
    assert response.status_code == 422 and "owed to the customer" in body and 'name="confirm_overpayment"' in body
    assert not Payment.objects.filter(document=issued).exists()
    response = signed_in.post(url, {**data, "confirm_overpayment": "on"}, follow=True)
    body = response.content.decode()
    assert Payment.objects.filter(document=issued).count() == 1
    assert "Owed to the customer" in body and "29.44" in body
    assert "-29.44" not in body


def test_a_credit_note_beyond_what_the_invoice_owes_is_confirmed_on_the_issue_screen(signed_in, owner, issued):
    from facturier.invoicing.services import credit_note_create
    from facturier.invoicing.settlement import payment_record

    payment_record(by=owner, document_id=issued.pk, date=issued.issue_date, amount=issued.payable)
    credit = credit_note_create(by=owner, invoice_id=issued.pk)
    url = reverse("web:document_issue", args=[credit.pk])
    response = signed_in.post(url)
    assert response.status_code == 422 and 'name="confirm_overcredit"' in response.content.decode()
    assert Document.objects.get(pk=credit.pk).state == State.DRAFT
    signed_in.post(url, {"confirm_overcredit": "1"})
    credit = Document.objects.get(pk=credit.pk)
    assert credit.state == State.ISSUED and credit.owed_to_customer == issued.payable
