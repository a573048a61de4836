"""Drafts: totals computed by the EN 16931 rules, and every bad input refused with nothing written."""

from decimal import Decimal

import pytest

from facturier.invoicing.content import InvalidDocument
from facturier.invoicing.models import Document, Kind, Line
from facturier.invoicing.services import draft_create, draft_delete, draft_update

pytestmark = pytest.mark.django_db


def test_draft_totals_follow_the_en16931_calculation(draft):
    assert [line.net_amount for line in draft.lines.order_by("position")] == [
        Decimal("850.00"), Decimal("593.82"), Decimal("36.00")]
    assert draft.line_total == Decimal("1479.82")
    # VAT per rate on the group's taxable amount: 1443.82 × 20 % = 288.764 → 288.76; 36 × 5.5 % = 1.98
    assert draft.vat_breakdown == [
        {"category": "S", "rate": "5.50", "taxable_amount": "36.00", "tax_amount": "1.98",
         "exemption_reason": "", "exemption_code": ""},
        {"category": "S", "rate": "20.00", "taxable_amount": "1443.82", "tax_amount": "288.76",
         "exemption_reason": "", "exemption_code": ""},
    ]
    assert draft.tax_total == Decimal("290.74")
    assert draft.tax_inclusive == draft.payable == draft.amount_due == Decimal("1770.56")
    assert draft.number == "" and draft.state == "draft"


def test_document_allowances_and_charges_enter_the_vat_base(owner, org):
    document = draft_create(
        by=owner, customer_id=org.customer.pk,
        lines=[{"name": "Service", "quantity": 1, "unit_price": Decimal("1000")}],
        allowances_charges=[
            {"amount": Decimal("100"), "reason": "Remise fidélité", "reason_code": "95"},
            {"is_charge": True, "percent": Decimal("2"), "base_amount": Decimal("1000"), "reason": "Port"},
        ])
    assert (document.allowance_total, document.charge_total) == (Decimal("100.00"), Decimal("20.00"))
    assert document.tax_exclusive == Decimal("920.00")
    assert document.tax_total == Decimal("184.00")
    assert document.payable == Decimal("1104.00")


def test_a_foreign_currency_invoice_carries_its_vat_total_in_euros(owner, org):
    document = draft_create(by=owner, customer_id=org.customer.pk, currency="USD", tax_currency="EUR",
                            tax_exchange_rate=Decimal("0.92"),
                            lines=[{"name": "Licence", "quantity": 1, "unit_price": Decimal("1000")}])
    assert document.tax_total == Decimal("200.00")
    assert document.tax_total_accounting == Decimal("184.00")


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"vat_category": "X"}, "lines[1].vat_category", "Unknown VAT category"),
    ({"vat_rate": Decimal("0")}, "lines[1].vat_rate", "above 0"),
    ({"vat_category": "E", "vat_rate": Decimal("0")}, "lines[1].exemption_reason", "exemption reason"),
    ({"vat_category": "Z", "vat_rate": Decimal("20")}, "lines[1].vat_rate", "rate of 0"),
    ({"unit_price": Decimal("-5")}, "lines[1].unit_price", "cannot be negative"),
    ({"quantity": "beaucoup"}, "lines[1].quantity", "must be a number"),
    ({"quantity": 1.5}, "lines[1].quantity", "must be a number"),
    ({"unit": "PCS"}, "lines[1].unit", "Unknown unit code"),
    ({"name": "  "}, "lines[1].name", "name"),
    ({"discount_percent": Decimal("120")}, "lines[1].discount_percent", "between 0 and 100"),
    ({"price_base_quantity": Decimal("0")}, "lines[1].price_base_quantity", "above 0"),
])
def test_bad_line_input_is_refused_and_nothing_is_written(owner, org, change, field, words):
    before = (Document.objects.count(), Line.objects.count())
    line = {"name": "Service", "quantity": Decimal("1"), "unit_price": Decimal("100"), **change}
    with pytest.raises(InvalidDocument) as refused:
        draft_create(by=owner, customer_id=org.customer.pk, lines=[line])
    assert field in refused.value.errors
    assert any(words in message for message in refused.value.errors[field])
    assert (Document.objects.count(), Line.objects.count()) == before


@pytest.mark.parametrize("kind", [Kind.CREDIT_NOTE, Kind.DEPOSIT])
def test_negative_quantities_are_refused_where_not_allowed(owner, org, kind):
    with pytest.raises(InvalidDocument) as refused:
        draft_create(by=owner, kind=kind, customer_id=org.customer.pk,
                     lines=[{"name": "Retour", "quantity": Decimal("-1"), "unit_price": Decimal("10")}])
    assert "negative quantity" in refused.value.errors["lines[1].quantity"][0]


def test_an_invoice_may_hold_a_negative_line(owner, org):
    document = draft_create(by=owner, customer_id=org.customer.pk, lines=[
        {"name": "Service", "quantity": 2, "unit_price": Decimal("100")},
        {"name": "Reprise", "quantity": -1, "unit_price": Decimal("30")}])
    assert document.tax_exclusive == Decimal("170.00")


def test_an_unknown_currency_is_refused(owner, org):
    with pytest.raises(InvalidDocument) as refused:
        draft_create(by=owner, customer_id=org.customer.pk, currency="EURO",
                     lines=[{"name": "S", "quantity": 1, "unit_price": 1}])
    assert "currency" in refused.value.errors


def test_messages_speak_french_when_french_is_active(owner, org):
    from django.utils import translation

    with translation.override("fr"), pytest.raises(InvalidDocument) as refused:
        draft_create(by=owner, customer_id=org.customer.pk,
                     lines=[{"name": "S", "quantity": 1, "unit_price": 1, "vat_category": "X"}])
    assert "Catégorie de TVA inconnue" in refused.value.errors["lines[1].vat_category"][0]


def test_a_draft_is_edited_then_deleted(owner, draft):
    updated = draft_update(by=owner, document_id=draft.pk, purchase_order="BC-42",
                           lines=[{"name": "Forfait", "quantity": 1, "unit_price": Decimal("500")}])
    assert updated.purchase_order == "BC-42"
    assert updated.lines.count() == 1 and updated.payable == Decimal("600.00")
    draft_delete(by=owner, document_id=draft.pk)
    assert not Document.objects.filter(pk=draft.pk).exists()


def test_a_draft_uses_the_customer_language_and_the_organisation_terms(owner, org):
    document = draft_create(by=owner, customer_id=org.customer.pk,
                            lines=[{"name": "S", "quantity": 1, "unit_price": 1}])
    assert document.language == "fr"
    assert "30 jours" in document.payment_terms_text
    assert "12,15 %" in document.late_penalty_text
    assert "40 €" in document.indemnity_text
