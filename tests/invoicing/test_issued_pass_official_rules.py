"""What the gate lets through, the official rules accept: a range of issued documents, each written as
CII and UBL, judged by the official schematron (CEN EN 16931, Factur-X EN 16931 and BR-FR)."""

import datetime as dt
from decimal import Decimal

import pytest

from facturier.accounts.models import VatRegime
from facturier.engine.cii.write import write_cii
from facturier.engine.ubl.write import write_ubl
from facturier.engine.validation.schematron import validate
from facturier.invoicing.gate import FRANCHISE_CODE, FRANCHISE_REASON
from facturier.invoicing.mapping import document_to_invoice
from facturier.invoicing.models import Document, Kind
from facturier.invoicing.services import (
    corrective_create,
    credit_note_create,
    document_issue,
    draft_create,
    final_invoice_create,
)
from facturier.parties.services import customer_create

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 2)
SINCE = dt.date(2020, 1, 1)


def line(name, quantity, price, category="S", rate="20", **more):
    return {"name": name, "quantity": Decimal(quantity), "unit_price": Decimal(price), "vat_category": category,
            "vat_rate": None if rate is None else Decimal(rate), **more}


@pytest.fixture
def abroad(owner):
    """A Belgian business (intra-EU) and a Swiss one (export)."""
    belgian = customer_create(by=owner, code="BE01", name="Brussels Trading SA", vat_number="BE0403170701",
                              effective_from=SINCE, foreign_identifier="0403170701", foreign_identifier_scheme="0208",
                              billing_address={"line1": "Rue Neuve 1", "postcode": "1000", "city": "Bruxelles",
                                               "country": "BE"},
                              delivery_address={"line1": "Quai 4", "postcode": "2000", "city": "Anvers",
                                                "country": "BE"},
                              contacts=[{"name": "Compta", "email": "compta@brussels.test"}])
    swiss = customer_create(by=owner, code="CH01", name="Zürich Handel AG", effective_from=SINCE,
                            foreign_identifier="CHE116281710", foreign_identifier_scheme="0183", billing_address={
                                "line1": "Bahnhofstrasse 1", "postcode": "8001", "city": "Zürich", "country": "CH"},
                            contacts=[{"name": "Buchhaltung", "email": "buha@zurich.test"}])
    return {"BE": belgian, "CH": swiss}


def issue(owner, document, **kwargs):
    return document_issue(by=owner, document_id=document.pk, issue_date=DAY, **kwargs)


def issued_range(owner, org, abroad, lines) -> list[Document]:
    c = org.customer.pk
    docs = [
        issue(owner, draft_create(by=owner, customer_id=c, lines=lines)),
        issue(owner, draft_create(by=owner, customer_id=c, lines=[
            line("Repas", "3", "18.50", rate="10"), line("Livre", "2", "9.99", rate="5.5"),
            line("Presse", "5", "1.20", rate="2.1"), line("Export", "1", "10", category="Z", rate="0")])),
        issue(owner, draft_create(by=owner, customer_id=c, lines=[
            line("Travaux", "1", "1000", category="AE", rate="0", exemption_reason="Autoliquidation",
                 exemption_code="VATEX-EU-AE")])),
        issue(owner, draft_create(by=owner, customer_id=abroad["BE"].pk, delivery_date=DAY, operation_category="goods",
                                  lines=[line("Machine", "1", "2500", category="K", rate="0",
                                              exemption_reason="Exonération TVA, article 262 ter I du CGI",
                                              exemption_code="VATEX-EU-IC")])),
        issue(owner, draft_create(by=owner, customer_id=abroad["CH"].pk, operation_category="goods", lines=[
            line("Pièces", "10", "12.345", category="G", rate="0", exemption_reason="Exportation, art. 262 I du CGI",
                 exemption_code="VATEX-EU-G")])),
        issue(owner, draft_create(by=owner, customer_id=c, lines=[
            line("Abonnement", "12", "15", unit="MON", gross_price=Decimal("20"), price_base_quantity=Decimal("1")),
            line("Papier", "1000", "0.333", price_base_quantity=Decimal("100")),
        ], allowances_charges=[
            {"is_charge": False, "amount": Decimal("10.00"), "vat_category": "S", "vat_rate": Decimal("20"),
             "reason": "Remise fidélité", "reason_code": "95"},
            {"is_charge": True, "amount": Decimal("5.00"), "vat_category": "S", "vat_rate": Decimal("20"),
             "reason": "Port", "reason_code": "FC"}])),
        issue(owner, draft_create(by=owner, customer_id=c, currency="USD", tax_currency="EUR",
                                  tax_exchange_rate=Decimal("0.92"), lines=[line("Consulting", "2", "500")])),
    ]
    docs.append(issue(owner, credit_note_create(by=owner, invoice_id=docs[0].pk)))
    first_line = docs[1].lines.order_by("position").first()
    docs.append(issue(owner, credit_note_create(by=owner, invoice_id=docs[1].pk, line_ids=[first_line.pk])))
    docs.append(issue(owner, corrective_create(by=owner, invoice_id=docs[2].pk)))
    deposit = issue(owner, draft_create(by=owner, kind=Kind.DEPOSIT, customer_id=c,
                                        lines=[line("Acompte 30 %", "1", "300")]))
    docs.append(deposit)
    docs.append(issue(owner, final_invoice_create(by=owner, customer_id=c, deposit_ids=[deposit.pk],
                                                  lines=[line("Chantier", "1", "1000")])))
    return docs


def fatal(report) -> list[str]:
    return [f"{f.source} {f.rule}: {f.message.en[:200]}" for f in report.fatal]


def test_every_issued_document_passes_the_official_rules_in_cii_and_ubl(owner, org, abroad, lines):
    documents = issued_range(owner, org, abroad, lines)
    org.vat_regime = VatRegime.FRANCHISE
    org.save(update_fields=["vat_regime"])
    documents.append(issue(owner, draft_create(by=owner, customer_id=org.customer.pk, lines=[
        line("Cours", "4", "40", category="E", rate="0", exemption_reason=FRANCHISE_REASON,
             exemption_code=FRANCHISE_CODE)])))
    assert len(documents) == 13
    problems = {}
    for document in documents:
        invoice = document_to_invoice(Document.objects.get(pk=document.pk))
        for syntax, xml in (("cii", write_cii(invoice)), ("ubl", write_ubl(invoice))):
            report = validate(xml, french=True)
            if fatal(report):
                problems[f"{document} ({syntax})"] = fatal(report)
    assert problems == {}
