"""One rule gate before a document is issued: the service refuses, whoever calls it, with the rule ids."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from facturier.accounts.models import VatRegime
from facturier.invoicing.gate import FRANCHISE_REASON, FRANCHISE_RULE, RulesRefused, new_line_defaults
from facturier.invoicing.models import Document, State
from facturier.invoicing.services import document_issue, draft_create

pytestmark = pytest.mark.django_db
ISSUE_DAY = dt.date(2026, 3, 2)
OUT_OF_SCOPE = [{"name": "Débours", "quantity": Decimal("1"), "unit_price": Decimal("50.00"), "vat_category": "O",
                 "vat_rate": None, "exemption_reason": "Hors champ"}]


@pytest.fixture
def out_of_scope_draft(owner, org):
    """Category O (not subject to VAT) from a seller that has a VAT id: BR-O-02 forbids it."""
    return draft_create(by=owner, customer_id=org.customer.pk, lines=OUT_OF_SCOPE)


def test_the_service_refuses_a_document_breaking_br_o_02_and_writes_nothing(owner, org, out_of_scope_draft):
    series_before = org.series.get(code="FA").next_number
    with pytest.raises(RulesRefused) as refused:
        document_issue(by=owner, document_id=out_of_scope_draft.pk, issue_date=ISSUE_DAY)
    assert "BR-O-02" in refused.value.rule_ids
    assert "BR-O-02" in refused.value.message
    document = Document.objects.get(pk=out_of_scope_draft.pk)
    assert (document.state, document.number, document.seller_snapshot) == (State.DRAFT, "", None)
    assert org.series.get(code="FA").next_number == series_before


def test_the_refusal_names_the_rules_in_french_too(owner, out_of_scope_draft):
    with pytest.raises(RulesRefused) as refused:
        document_issue(by=owner, document_id=out_of_scope_draft.pk, issue_date=ISSUE_DAY)
    with translation.override("fr"):
        text = refused.value.message
    assert "ne peut pas être émis" in text and "BR-O-02 :" in text


def test_a_document_passing_the_rules_is_issued(owner, draft):
    assert document_issue(by=owner, document_id=draft.pk, issue_date=ISSUE_DAY).state == State.ISSUED


@pytest.fixture
def franchise(org):
    org.vat_regime = VatRegime.FRANCHISE
    org.save(update_fields=["vat_regime"])
    return org


def test_a_franchise_seller_cannot_issue_a_line_with_vat(owner, franchise, lines):
    draft = draft_create(by=owner, customer_id=franchise.customer.pk, lines=lines)
    with pytest.raises(RulesRefused) as refused:
        document_issue(by=owner, document_id=draft.pk, issue_date=ISSUE_DAY)
    assert FRANCHISE_RULE in refused.value.rule_ids
    assert "293 B" in refused.value.message and "category E" in refused.value.message
    assert Document.objects.get(pk=draft.pk).state == State.DRAFT


def test_a_franchise_seller_issues_exempt_lines_with_the_franchise_reason(owner, franchise):
    defaults = new_line_defaults(franchise)
    assert (defaults["vat_category"], defaults["exemption_reason"]) == ("E", FRANCHISE_REASON)
    line = {"name": "Cours de piano", "quantity": Decimal("4"), "unit": "HUR", "unit_price": Decimal("40.00"),
            "vat_category": defaults["vat_category"], "vat_rate": Decimal(defaults["vat_rate"]),
            "exemption_reason": defaults["exemption_reason"], "exemption_code": defaults["exemption_code"]}
    draft = draft_create(by=owner, customer_id=franchise.customer.pk, lines=[line])
    issued = document_issue(by=owner, document_id=draft.pk, issue_date=ISSUE_DAY)
    assert (issued.state, issued.tax_total, issued.payable) == (State.ISSUED, Decimal("0.00"), Decimal("160.00"))


def test_a_normal_seller_is_proposed_standard_vat(org):
    assert new_line_defaults(org)["vat_category"] == "S" and new_line_defaults(org)["vat_rate"] == "20"


def test_a_buyer_identifier_without_its_scheme_is_refused_at_issue_as_ubl_would_refuse_it(owner):
    """BR-FR-CO-10 is only a warning for CII, but Facturier also writes UBL, where it is fatal."""
    from facturier.parties.services import customer_create

    swiss = customer_create(by=owner, code="CH01", name="Zürich Handel AG", effective_from=dt.date(2020, 1, 1),
                            foreign_identifier="CHE116281710", billing_address={
                                "line1": "Bahnhofstrasse 1", "postcode": "8001", "city": "Zürich", "country": "CH"})
    draft = draft_create(by=owner, customer_id=swiss.pk, lines=[
        {"name": "Pièces", "quantity": Decimal("1"), "unit_price": Decimal("10"), "vat_category": "G",
         "vat_rate": Decimal("0"), "exemption_reason": "Exportation"}])
    with pytest.raises(RulesRefused) as refused:
        document_issue(by=owner, document_id=draft.pk, issue_date=ISSUE_DAY)
    assert "BR-FR-CO-10" in refused.value.rule_ids
