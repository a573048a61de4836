"""The French CIUS rules (BR-FR) checked on the model: each broken on its own reports its id."""

from __future__ import annotations

from datetime import date

import pytest
from test_rules import (
    BUYER,
    FRENCH_NOTES,
    SELLER,
    D,
    add_ac,
    add_group,
    category_invoice,
    french_invoice,
    line,
    replace,
    rule_ids,
    set_line,
    set_totals,
    shift,
)

from facturier.engine.en16931.codes import DocumentTypeCode, VatCategory
from facturier.engine.en16931.model import (
    AdditionalDocument,
    ElectronicAddress,
    Identifier,
    Item,
    ItemAttribute,
    Note,
    Period,
    PrecedingInvoice,
    ProcessControl,
    TaxRepresentative,
)
from facturier.engine.en16931.rules import check_rules
from facturier.engine.validation.report import Severity


def fr_ids(inv) -> set[str]:
    return rule_ids(inv, french=True)


def framework(code: str | None) -> ProcessControl:
    return ProcessControl(specification_id="urn:cen.eu:en16931:2017", business_process=code)


def without_note(subject: str) -> tuple[Note, ...]:
    return tuple(n for n in FRENCH_NOTES if n.subject_code != subject)


B2C_NOTES = (*without_note("BAR"), Note(subject_code="BAR", text="B2C"))


def zero_line(rate):
    model_line, _ = line(9, "0", "10.00", "S", rate)
    return model_line


PRECEDING = (PrecedingInvoice(reference="FA-2026-0041", issue_date=date(2026, 11, 2)),)

BROKEN = {
    "BR-FR-01": lambda i: replace(i, number="FA-" + "0" * 33),
    "BR-FR-02": lambda i: replace(i, number="FA 2026/42"),
    "BR-FR-03": lambda i: replace(i, invoicing_period=Period(start=date(1999, 12, 1), end=date(2026, 11, 1))),
    "BR-FR-04": lambda i: replace(i, type_code="383"),
    "BR-FR-05": lambda i: replace(i, notes=without_note("PMD")),
    "BR-FR-06": lambda i: replace(i, notes=(*i.notes, Note(subject_code="AAB", text="Escompte 2 % à 10 jours."))),
    "BR-FR-08": lambda i: replace(i, process=framework("B3")),
    "BR-FR-09": lambda i: replace(i, seller=replace(SELLER, identifiers=(Identifier("55210055400013", "0009"),))),
    "BR-FR-10": lambda i: replace(
        i, seller=replace(SELLER, legal_registration=Identifier("732829320"), identifiers=())
    ),
    "BR-FR-11": lambda i: replace(i, buyer=replace(BUYER, legal_registration=Identifier("552100554", "0223"))),
    "BR-FR-12": lambda i: replace(i, buyer=replace(BUYER, electronic_address=None), notes=B2C_NOTES),
    "BR-FR-13": lambda i: replace(i, seller=replace(SELLER, electronic_address=None)),
    "BR-FR-15": lambda i: add_group(
        add_ac(i, is_charge=True, amount=D("0.00"), vat_category=VatCategory.L, vat_rate=D("7"), reason="Frais"),
        category=VatCategory.L,
        rate=D("7"),
    ),
    "BR-FR-16": lambda i: replace(i, lines=(*i.lines, zero_line(D("19")))),
    "BR-FR-17": lambda i: replace(i, additional_documents=(AdditionalDocument(reference="1", description="Devis"),)),
    "BR-FR-18": lambda i: replace(
        i,
        additional_documents=(
            AdditionalDocument(reference="1", description="LISIBLE"),
            AdditionalDocument(reference="2", description="LISIBLE"),
        ),
    ),
    "BR-FR-20": lambda i: replace(i, notes=(*without_note("BAR"), Note(subject_code="BAR", text="B2G"))),
    "BR-FR-21": lambda i: replace(i, buyer=replace(BUYER, electronic_address=ElectronicAddress("552100554", "0009"))),
    "BR-FR-22": lambda i: replace(
        i,
        type_code=DocumentTypeCode.SELF_BILLED_INVOICE,
        seller=replace(SELLER, electronic_address=ElectronicAddress("facturation", "0225")),
    ),
    "BR-FR-23": lambda i: replace(
        i, seller=replace(SELLER, electronic_address=ElectronicAddress("732829320#1", "0225"))
    ),
    "BR-FR-24": lambda i: replace(i, buyer=replace(BUYER, identifiers=(Identifier("client 42", "0224"),))),
    "BR-FR-25": lambda i: replace(
        i, seller=replace(SELLER, electronic_address=ElectronicAddress("a" * 126 + "@x.fr", "EM"))
    ),
    "BR-FR-26": lambda i: replace(i, buyer=replace(BUYER, identifiers=(Identifier("C" * 101, "0224"),))),
    "BR-FR-29": lambda i: replace(i, invoiced_object=Identifier(" ", "AFL")),
    "BR-FR-30": lambda i: set_line(i, 0, object_id=Identifier("", "AVV")),
    "BR-FR-31": lambda i: replace(i, notes=(*i.notes, Note(subject_code="BAR", text="B2C"))),
    "BR-FR-32": lambda i: replace(i, buyer=replace(BUYER, identifiers=(Identifier("5521005540", "0002"),))),
    "BR-FR-CO-03": lambda i: replace(
        i,
        type_code=DocumentTypeCode.CONSOLIDATED_CREDIT_NOTE,
        preceding_invoices=PRECEDING,
        invoicing_period=Period(start=date(2026, 10, 1), end=date(2026, 10, 31)),
    ),
    "BR-FR-CO-04": lambda i: replace(i, type_code=DocumentTypeCode.CORRECTED_INVOICE),
    "BR-FR-CO-05": lambda i: replace(
        i, type_code=DocumentTypeCode.CREDIT_NOTE, preceding_invoices=(PrecedingInvoice(reference="FA-2026-0041"),)
    ),
    "BR-FR-CO-07": lambda i: replace(i, due_date=date(2026, 11, 24)),
    "BR-FR-CO-08": lambda i: replace(i, process=framework("B4"), type_code=DocumentTypeCode.PREPAYMENT_INVOICE),
    "BR-FR-CO-10": lambda i: replace(
        i,
        seller=replace(
            SELLER, identifiers=(Identifier("73282932000074", "0009"), Identifier("73282932000082", "0009"))
        ),
    ),
    "BR-FR-CO-12": lambda i: replace(i, currency="USD"),
    "BR-FR-DEC-02": lambda i: set_line(i, 0, quantity=D("10.00000"), net_amount=D("125.00")),
    "BR-FR-DEC-03": lambda i: set_line(i, 0, price=replace(i.lines[0].price, gross_price=D("12.5000001"))),
}


@pytest.mark.parametrize("rule_id", sorted(BROKEN))
def test_breaking_one_french_rule_reports_exactly_that_rule(rule_id):
    assert fr_ids(BROKEN[rule_id](french_invoice())) == {rule_id}


def test_a_negative_or_foreign_vat_rate_breaks_the_french_rate_rules():
    inv = replace(french_invoice(), lines=(*french_invoice().lines, zero_line(D("-20"))))
    assert fr_ids(inv) == {"BR-S-05", "BR-FR-16", "BR-FR-DEC-04"}


def test_french_findings_come_from_the_french_check():
    (finding,) = check_rules(replace(french_invoice(), notes=without_note("PMT")), french=True).findings
    assert (finding.rule, finding.source, finding.path) == ("BR-FR-05", "model-fr", "notes")
    assert "frais de recouvrement" in finding.message.fr
    assert "PMT" in finding.message.en


def test_the_three_mandatory_notes_are_each_reported():
    report = check_rules(replace(french_invoice(), notes=()), french=True)
    assert [f.rule for f in report.findings] == ["BR-FR-05"] * 3


def test_a_siren_with_a_wrong_check_digit_is_a_warning():
    inv = replace(
        french_invoice(), seller=replace(SELLER, legal_registration=Identifier("732829321", "0002"), identifiers=())
    )
    (finding,) = check_rules(inv, french=True).findings
    assert (finding.rule, finding.severity) == ("BR-FR-10", Severity.WARNING)
    assert "732829321" in finding.message.fr and "clé de contrôle" in finding.message.fr


def test_a_siren_must_have_the_siren_scheme():
    inv = replace(french_invoice(), seller=replace(SELLER, legal_registration=Identifier("732829320")))
    assert {"BR-FR-10", "BR-FR-09"} <= fr_ids(inv)


def test_an_already_paid_invoice_shows_nothing_left_to_pay():
    inv = replace(french_invoice(), process=framework("S2"))
    assert fr_ids(inv) == {"BR-FR-CO-09"}
    paid = set_totals(inv, prepaid=inv.totals.tax_inclusive, amount_due=D("0.00"))
    assert fr_ids(paid) == set()
    assert fr_ids(replace(paid, due_date=None)) == {"BR-FR-CO-09"}


def test_a_due_date_before_the_invoice_date_is_allowed_for_prepayments():
    inv = replace(french_invoice(), due_date=date(2026, 11, 1))
    assert fr_ids(inv) == {"BR-FR-CO-07"}
    assert fr_ids(replace(inv, type_code=DocumentTypeCode.PREPAYMENT_INVOICE)) == set()


def test_a_credit_note_referencing_its_invoice_passes():
    inv = replace(french_invoice(), type_code=DocumentTypeCode.CREDIT_NOTE, preceding_invoices=PRECEDING)
    assert fr_ids(inv) == set()


def test_a_corrected_invoice_references_exactly_one_invoice():
    inv = replace(french_invoice(), type_code=DocumentTypeCode.CORRECTED_INVOICE, preceding_invoices=PRECEDING)
    assert fr_ids(inv) == set()
    assert fr_ids(replace(inv, preceding_invoices=PRECEDING * 2)) == {"BR-FR-CO-04"}


def test_a_foreign_currency_invoice_declares_its_vat_in_euros():
    inv = replace(french_invoice(), currency="USD", tax_currency="EUR")
    assert fr_ids(inv) == {"BR-53", "BR-FR-CO-12"}
    assert fr_ids(set_totals(inv, tax_total_accounting=D("47.00"), tax_currency="EUR")) == set()


def test_a_member_of_a_single_taxable_person_says_so_and_names_its_representative():
    seller = replace(SELLER, identifiers=(*SELLER.identifiers, Identifier("732829320", "0231")))
    inv = replace(french_invoice(), seller=seller)
    assert fr_ids(inv) == {"BR-FR-CO-14", "BR-FR-CO-15"}
    inv = replace(
        inv,
        notes=(*inv.notes, Note(subject_code="TXD", text="MEMBRE_ASSUJETTI_UNIQUE")),
        tax_representative=TaxRepresentative(name="Groupe TVA", vat_id="FR44732829320", address=SELLER.address),
    )
    assert fr_ids(inv) == set()


def test_a_business_to_consumer_invoice_needs_no_buyer_siren():
    inv = replace(french_invoice(), notes=B2C_NOTES, buyer=replace(BUYER, legal_registration=None))
    assert fr_ids(inv) == set()


def test_item_attributes_need_a_name_and_a_value():
    item = Item(name="Article 1", attributes=(ItemAttribute(name=" ", value="rouge"),))
    assert fr_ids(set_line(french_invoice(), 0, item=item)) == {"BR-54", "BR-FR-27"}
    item = Item(name="Article 1", attributes=(ItemAttribute(name="Couleur", value=""),))
    assert fr_ids(set_line(french_invoice(), 0, item=item)) == {"BR-54", "BR-FR-28"}


def test_amounts_keep_two_decimals_in_french_invoices():
    inv = shift(set_line(french_invoice(), 0, net_amount=D("125.001")), line_net_total=0)
    assert {"BR-FR-DEC-01", "BR-DEC-23"} <= fr_ids(inv)


def test_the_french_vat_categories_exclude_the_canary_islands_and_ceuta():
    assert fr_ids(category_invoice("L")) == {"BR-FR-15"}
    assert fr_ids(category_invoice("M")) == {"BR-FR-15", "BR-FR-16"}
    assert "BR-FR-15" not in fr_ids(category_invoice("E"))


def test_a_self_billed_invoice_is_routed_to_the_seller():
    inv = replace(
        french_invoice(),
        type_code=DocumentTypeCode.SELF_BILLED_INVOICE,
        buyer=replace(BUYER, electronic_address=ElectronicAddress("achats@martin.fr", "EM")),
    )
    assert fr_ids(inv) == set()
