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
