"""Model-level business rules: the API, the invoices the other rule tests build on, and the
EN 16931 core rules (BR, BR-CO, BR-DEC, BR-CL).

Each rule test starts from a valid invoice built in code (totals and VAT breakdown computed
by the engine), breaks exactly one rule and expects exactly that rule id.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from decimal import Decimal

import pytest

from facturier.engine.en16931.calculation import AllowanceChargeInput, LineInput, compute_totals
from facturier.engine.en16931.codes import DocumentTypeCode, VatCategory
from facturier.engine.en16931.model import (
    AdditionalDocument,
    AllowanceCharge,
    Buyer,
    CreditTransfer,
    Delivery,
    DocumentTotals,
    ElectronicAddress,
    Identifier,
    Invoice,
    InvoiceLine,
    Item,
    ItemAttribute,
    ItemClassification,
    LineAllowanceCharge,
    LineVat,
    LogisticsCharge,
    Note,
    Payee,
    PaymentCard,
    PaymentInstructions,
    Period,
    PostalAddress,
    PrecedingInvoice,
    Price,
    ProcessControl,
    Seller,
    TaxRepresentative,
    VatBreakdown,
)
from facturier.engine.en16931.rules import RULE_IDS, check_rules
from facturier.engine.validation.report import Severity

D = Decimal

SELLER = Seller(
    name="Atelier Dupont SARL",
    identifiers=(Identifier("73282932000074", "0009"),),
    legal_registration=Identifier("732829320", "0002"),
    vat_id="FR44732829320",
    electronic_address=ElectronicAddress("732829320", "0225"),
    address=PostalAddress(country="FR", line1="12 rue de la Paix", city="Lyon", post_code="69002"),
)
BUYER = Buyer(
    name="Boulangerie Martin SAS",
    legal_registration=Identifier("552100554", "0002"),
    vat_id="FR22552100554",
    electronic_address=ElectronicAddress("552100554", "0225"),
    address=PostalAddress(country="FR", line1="3 place du Marché", city="Dijon", post_code="21000"),
)
FRENCH_NOTES = (
    Note(subject_code="PMT", text="Indemnité forfaitaire pour frais de recouvrement : 40 €."),
    Note(subject_code="PMD", text="Pénalités de retard : trois fois le taux d'intérêt légal."),
    Note(subject_code="AAB", text="Pas d'escompte pour paiement anticipé."),
    Note(subject_code="BAR", text="B2B"),
)
EXEMPTIONS = {
    "E": ("Exonération de TVA, article 261 du CGI", "VATEX-FR-CGI261-1"),
    "AE": ("Autoliquidation", "VATEX-EU-AE"),
    "K": ("Livraison intracommunautaire", "VATEX-EU-IC"),
    "G": ("Exportation hors de l'Union européenne", "VATEX-EU-G"),
    "O": ("Non soumis à la TVA", "VATEX-EU-O"),
}
DEFAULT_RATES = {"S": D("20"), "L": D("7"), "M": D("4")}


def line(
    position: int,
    quantity: str,
    price: str,
    category: str = "S",
    rate: Decimal | None | str = "default",
) -> tuple[InvoiceLine, LineInput]:
    """A line and what the calculation needs of it."""
    if rate == "default":
        rate = DEFAULT_RATES.get(category, None if category == "O" else D("0"))
    cat = VatCategory(category)
    net = (D(quantity) * D(price)).quantize(D("0.01"))
    model_line = InvoiceLine(
        id=str(position),
        quantity=D(quantity),
        unit="C62",
        net_amount=net,
        price=Price(net_price=D(price)),
        vat=LineVat(category=cat, rate=rate),
        item=Item(name=f"Article {position}"),
    )
    return model_line, LineInput(quantity=D(quantity), net_price=D(price), vat_category=cat, vat_rate=rate)


def build(
    lines: list[tuple[InvoiceLine, LineInput]],
    allowances_charges: tuple[AllowanceCharge, ...] = (),
    **fields: object,
) -> Invoice:
    """An invoice whose totals and VAT breakdown are those the engine computes."""
    totals = compute_totals(
        [li for _, li in lines],
        [
            AllowanceChargeInput(ac.is_charge, ac.amount, VatCategory(ac.vat_category), ac.vat_rate)
            for ac in allowances_charges
        ],
    )
    breakdown = tuple(
        VatBreakdown(
            taxable_amount=g.taxable_amount,
            tax_amount=g.tax_amount,
            category=g.category,
            rate=g.rate,
            exemption_reason=EXEMPTIONS.get(g.category.value, (None, None))[0],
            exemption_code=EXEMPTIONS.get(g.category.value, (None, None))[1],
        )
        for g in totals.vat_breakdown
    )
    values: dict[str, object] = {
        "number": "FA-2026-0042",
        "issue_date": date(2026, 11, 25),
        "type_code": DocumentTypeCode.COMMERCIAL_INVOICE,
        "currency": "EUR",
        "seller": SELLER,
        "buyer": BUYER,
        "due_date": date(2026, 12, 25),
        "process": ProcessControl(specification_id="urn:cen.eu:en16931:2017", business_process="S1"),
        "notes": FRENCH_NOTES,
        "payment": PaymentInstructions(
            means_code="58", credit_transfers=(CreditTransfer(account_id="FR7630006000011234567890189"),)
        ),
        "lines": tuple(m for m, _ in lines),
        "allowances_charges": allowances_charges,
        "vat_breakdown": breakdown,
        "totals": DocumentTotals(
            line_net_total=totals.line_total,
            allowance_total=totals.allowance_total if any(not a.is_charge for a in allowances_charges) else None,
            charge_total=totals.charge_total if any(a.is_charge for a in allowances_charges) else None,
            tax_exclusive=totals.tax_exclusive,
            tax_total=totals.tax_total,
            tax_inclusive=totals.tax_inclusive,
            amount_due=totals.payable,
        ),
    }
    values.update(fields)
    return Invoice(**values)


def french_invoice(**fields: object) -> Invoice:
    """A valid French B2B invoice: two standard-rated lines, a charge and an allowance."""
    return build(
        [line(1, "10", "12.50"), line(2, "3", "40.00")],
        (
            AllowanceCharge(
                is_charge=True,
                amount=D("15.00"),
                vat_category=VatCategory.S,
                vat_rate=D("20"),
                reason="Livraison",
                reason_code="DL",
            ),
            AllowanceCharge(
                is_charge=False,
                amount=D("5.00"),
                vat_category=VatCategory.S,
                vat_rate=D("20"),
                reason="Remise fidélité",
                reason_code="95",
            ),
        ),
        **fields,
    )


def category_invoice(category: str, **fields: object) -> Invoice:
    """A valid invoice whose lines, allowance and charge are all in one VAT category."""
    rate = DEFAULT_RATES.get(category, None if category == "O" else D("0"))
    extra: dict[str, object] = {}
    if category == "O":
        extra["seller"] = dataclasses.replace(SELLER, vat_id=None)
        extra["buyer"] = dataclasses.replace(BUYER, vat_id=None)
    if category == "K":
        extra["buyer"] = dataclasses.replace(BUYER, vat_id="DE123456789", address=PostalAddress(country="DE"))
        extra["delivery"] = Delivery(actual_date=date(2026, 11, 20), address=PostalAddress(country="DE"))
    if category == "G":
        extra["buyer"] = dataclasses.replace(BUYER, vat_id=None, address=PostalAddress(country="CH"))
    extra.update(fields)
    cat = VatCategory(category)
    return build(
        [line(1, "2", "100.00", category, rate), line(2, "1", "50.00", category, rate)],
        (
            AllowanceCharge(is_charge=True, amount=D("10.00"), vat_category=cat, vat_rate=rate, reason="Port"),
            AllowanceCharge(is_charge=False, amount=D("20.00"), vat_category=cat, vat_rate=rate, reason="Remise"),
        ),
        **extra,
    )


def replace(obj, **changes):
    """dataclasses.replace, shorter."""
    return dataclasses.replace(obj, **changes)


def retotal(inv: Invoice) -> Invoice:
    """The invoice with BT-110, BT-112 and BT-115 recomputed from its VAT breakdown."""
    t = inv.totals
    tax = sum((g.tax_amount for g in inv.vat_breakdown), D("0.00"))
    inclusive = t.tax_exclusive + tax
    return replace(inv, totals=replace(t, tax_total=tax, tax_inclusive=inclusive, amount_due=inclusive))


def set_line(inv: Invoice, index: int, **changes) -> Invoice:
    lines = list(inv.lines)
    lines[index] = replace(lines[index], **changes)
    return replace(inv, lines=tuple(lines))


def set_group(inv: Invoice, index: int, **changes) -> Invoice:
    groups = list(inv.vat_breakdown)
    groups[index] = replace(groups[index], **changes)
    return replace(inv, vat_breakdown=tuple(groups))


def set_ac(inv: Invoice, index: int, **changes) -> Invoice:
    acs = list(inv.allowances_charges)
    acs[index] = replace(acs[index], **changes)
    return replace(inv, allowances_charges=tuple(acs))


def set_totals(inv: Invoice, **changes) -> Invoice:
    return replace(inv, totals=replace(inv.totals, **changes))


def shift(inv: Invoice, **deltas: int) -> Invoice:
    """The invoice with some totals moved by whole currency units."""
    return set_totals(inv, **{k: getattr(inv.totals, k) + v for k, v in deltas.items()})


def add_ac(inv: Invoice, **fields) -> Invoice:
    return replace(inv, allowances_charges=(*inv.allowances_charges, AllowanceCharge(**fields)))


def add_group(inv: Invoice, **fields) -> Invoice:
    group = VatBreakdown(taxable_amount=D("0.00"), tax_amount=D("0.00"), **fields)
    return replace(inv, vat_breakdown=(*inv.vat_breakdown, group))


def rule_ids(inv: Invoice, *, french: bool = False) -> set[str]:
    return set(check_rules(inv, french=french).rule_ids)


# --- The API -------------------------------------------------------------------------------------


def test_a_valid_french_invoice_breaks_no_rule():
    report = check_rules(french_invoice(), french=True)
    assert report.findings == ()
    assert report.passed
    assert report.checks == ("model", "model-fr")


def test_without_french_only_the_en16931_rules_run():
    report = check_rules(french_invoice(notes=()))
    assert report.findings == ()
    assert report.checks == ("model",)


def test_a_finding_names_the_rule_the_place_and_says_it_in_both_languages():
    inv = set_totals(french_invoice(), tax_inclusive=D("1.00"), amount_due=D("1.00"))
    (finding,) = check_rules(inv).findings
    assert finding.rule == "BR-CO-15"
    assert finding.severity is Severity.FATAL
    assert finding.path == "totals.tax_inclusive"
    assert finding.source == "model"
    assert finding.message.fr == (
        "Le montant total TTC (BT-112) vaut 1,00 ; il doit être égal au total HT (BT-109) plus la TVA (BT-110), "
        "soit 306,00."
    )
    assert "total with VAT (BT-112) is 1.00" in finding.message.en and "306.00" in finding.message.en


def test_a_line_finding_points_at_the_line_and_names_it():
    inv = set_line(french_invoice(), 1, unit="")
    (finding,) = check_rules(inv).findings
    assert (finding.rule, finding.path) == ("BR-23", "lines[1].unit")
    assert finding.message.fr.startswith("Ligne « 2 »")


def test_every_rule_is_named_as_the_standard_names_it():
    pattern = re.compile(r"BR-(\d\d|CO-\d\d|DEC-\d\d|CL-\d\d|(S|Z|E|AE|IC|G|O|AF|AG)-\d\d|FR-(CO-|DEC-)?\d\d)")
    assert all(pattern.fullmatch(r) for r in RULE_IDS), sorted(r for r in RULE_IDS if not pattern.fullmatch(r))
    assert {"BR-01", "BR-65", "BR-CO-26", "BR-DEC-28", "BR-CL-25", "BR-S-10", "BR-AG-10", "BR-FR-05"} <= RULE_IDS


def test_an_invoice_read_without_its_mandatory_data_gives_findings_not_exceptions():
    inv = Invoice(
        number="",
        issue_date=date(2026, 1, 1),
        type_code="",
        currency="",
        seller=Seller(name=""),
        buyer=Buyer(name=""),
        totals=DocumentTotals(tax_exclusive=D(0), tax_inclusive=D(0), amount_due=D(0)),
        process=ProcessControl(specification_id=""),
    )
    ids = check_rules(inv, french=True).fatal_rule_ids
    assert {
        "BR-01",
        "BR-02",
        "BR-04",
        "BR-05",
        "BR-06",
        "BR-07",
        "BR-08",
        "BR-10",
        "BR-12",
        "BR-16",
        "BR-CO-18",
        "BR-CO-26",
        "BR-FR-04",
        "BR-FR-05",
        "BR-FR-08",
        "BR-FR-10",
        "BR-FR-12",
        "BR-FR-13",
    } <= ids


# --- One broken rule, one finding ------------------------------------------------------------------

ALLOWANCE, CHARGE = 1, 0  # positions in french_invoice().allowances_charges
DE_ADDRESS = PostalAddress(country="DE")
EMPTY_S = VatBreakdown(taxable_amount=D("0.00"), tax_amount=D("0.00"), category=VatCategory.S, rate=D("20"))

BROKEN: dict[str, object] = {
    "BR-01": lambda i: replace(i, process=ProcessControl(specification_id=" ", business_process="S1")),
    "BR-02": lambda i: replace(i, number=""),
    "BR-04": lambda i: replace(i, type_code=""),
    "BR-05": lambda i: replace(i, currency=""),
    "BR-06": lambda i: replace(i, seller=replace(i.seller, name="  ")),
    "BR-07": lambda i: replace(i, buyer=replace(i.buyer, name="")),
    "BR-08": lambda i: replace(i, seller=replace(i.seller, address=None)),
    "BR-09": lambda i: replace(i, seller=replace(i.seller, address=PostalAddress(country=""))),
    "BR-10": lambda i: replace(i, buyer=replace(i.buyer, address=None)),
    "BR-11": lambda i: replace(i, buyer=replace(i.buyer, address=PostalAddress(country=""))),
    "BR-16": lambda i: set_totals(
        replace(i, lines=(), allowances_charges=(), vat_breakdown=(EMPTY_S,)),
        line_net_total=D(0),
        allowance_total=None,
        charge_total=None,
        tax_exclusive=D(0),
        tax_total=None,
        tax_inclusive=D(0),
        amount_due=D(0),
    ),
    "BR-17": lambda i: replace(i, payee=Payee(name=" ")),
    "BR-18": lambda i: replace(
        i, tax_representative=TaxRepresentative(name="", vat_id="DE123456789", address=DE_ADDRESS)
    ),
    "BR-20": lambda i: replace(
        i,
        tax_representative=TaxRepresentative(
            name="Fiskal GmbH", vat_id="DE123456789", address=PostalAddress(country="")
        ),
    ),
    "BR-21": lambda i: set_line(i, 0, id=""),
    "BR-23": lambda i: set_line(i, 0, unit=""),
    "BR-25": lambda i: set_line(i, 0, item=Item(name="")),
    "BR-27": lambda i: set_line(i, 0, price=Price(net_price=D("-12.50"))),
    "BR-28": lambda i: set_line(i, 0, price=Price(net_price=D("12.50"), gross_price=D("-1"))),
    "BR-29": lambda i: replace(i, invoicing_period=Period(start=date(2026, 11, 30), end=date(2026, 11, 1))),
    "BR-30": lambda i: set_line(i, 0, period=Period(start=date(2026, 11, 30), end=date(2026, 11, 1))),
    "BR-32": lambda i: add_ac(i, is_charge=False, amount=D("0.00"), vat_category="", reason="Geste commercial"),
    "BR-37": lambda i: add_ac(i, is_charge=True, amount=D("0.00"), vat_category="", reason="Frais de dossier"),
    "BR-47": lambda i: add_group(i, category="", rate=D("0")),
    "BR-48": lambda i: add_group(i, category=VatCategory.S, rate=None),
    "BR-49": lambda i: replace(i, payment=PaymentInstructions(means_code=" ")),
    "BR-50": lambda i: replace(
        i, payment=PaymentInstructions(means_code="ZZZ", credit_transfers=(CreditTransfer(account_id=""),))
    ),
    "BR-51": lambda i: replace(
        i, payment=PaymentInstructions(means_code="48", card=PaymentCard(account_number="4970101234567890"))
    ),
    "BR-52": lambda i: replace(i, additional_documents=(AdditionalDocument(reference=""),)),
    "BR-53": lambda i: replace(i, tax_currency="USD"),
    "BR-54": lambda i: set_line(
        i, 0, item=Item(name="Article 1", attributes=(ItemAttribute(name="Couleur", value=""),))
    ),
    "BR-55": lambda i: replace(i, preceding_invoices=(PrecedingInvoice(reference=""),)),
    "BR-56": lambda i: replace(
        i, tax_representative=TaxRepresentative(name="Fiskal GmbH", vat_id=" ", address=DE_ADDRESS)
    ),
    "BR-57": lambda i: replace(i, delivery=Delivery(address=PostalAddress(country=""))),
    "BR-61": lambda i: replace(i, payment=PaymentInstructions(means_code="30")),
    "BR-62": lambda i: replace(i, seller=replace(i.seller, electronic_address=ElectronicAddress("732829320", ""))),
    "BR-63": lambda i: replace(i, buyer=replace(i.buyer, electronic_address=ElectronicAddress("552100554", " "))),
    "BR-64": lambda i: set_line(i, 0, item=Item(name="Article 1", standard_id=Identifier("03453120000011"))),
    "BR-65": lambda i: set_line(i, 0, item=Item(name="Article 1", classifications=(ItemClassification(code="1"),))),
    "BR-CO-03": lambda i: replace(i, tax_point_date=date(2026, 11, 25), tax_point_date_code="432"),
    "BR-CO-04": lambda i: replace(
        i, lines=(*i.lines, replace(i.lines[0], id="3", quantity=D(0), net_amount=D("0.00"), vat=LineVat(category="")))
    ),
    "BR-CO-09": lambda i: replace(i, buyer=replace(i.buyer, vat_id="XX22552100554")),
    "BR-CO-10": lambda i: shift(i, line_net_total=1, tax_exclusive=1, tax_inclusive=1, amount_due=1),
    "BR-CO-11": lambda i: shift(i, allowance_total=1, tax_exclusive=-1, tax_inclusive=-1, amount_due=-1),
    "BR-CO-12": lambda i: shift(i, charge_total=-1, tax_exclusive=-1, tax_inclusive=-1, amount_due=-1),
    "BR-CO-13": lambda i: set_totals(
        i,
        tax_exclusive=i.totals.tax_exclusive + 1,
        tax_inclusive=i.totals.tax_inclusive + 1,
        amount_due=i.totals.amount_due + 1,
    ),
    "BR-CO-14": lambda i: shift(i, tax_total=1, tax_inclusive=1, amount_due=1),
    "BR-CO-15": lambda i: shift(i, tax_inclusive=1, amount_due=1),
    "BR-CO-16": lambda i: set_totals(i, amount_due=i.totals.amount_due - D("0.01")),
    "BR-CO-19": lambda i: replace(i, invoicing_period=Period()),
    "BR-CO-20": lambda i: set_line(i, 1, period=Period()),
    "BR-CO-26": lambda i: replace(
        i, seller=replace(i.seller, identifiers=(), legal_registration=None, vat_id=None, tax_registration_id="12345")
    ),
    "BR-DEC-01": lambda i: set_totals(set_ac(i, ALLOWANCE, amount=D("5.000")), allowance_total=D("5.00")),
    "BR-DEC-02": lambda i: set_ac(i, ALLOWANCE, base_amount=D("250.001"), percentage=D("2")),
    "BR-DEC-12": lambda i: set_totals(i, tax_exclusive=D("255.000")),
    "BR-DEC-20": lambda i: set_group(i, 0, tax_amount=i.vat_breakdown[0].tax_amount.quantize(D("0.001"))),
    "BR-DEC-23": lambda i: set_line(i, 0, net_amount=D("125.000")),
    "BR-DEC-27": lambda i: set_line(
        i, 0, allowances_charges=(LineAllowanceCharge(is_charge=True, amount=D("0.000"), reason="Emballage"),)
    ),
    "BR-CL-01": lambda i: replace(i, type_code="999"),
    "BR-CL-04": lambda i: replace(i, currency="EUROS"),
    "BR-CL-06": lambda i: replace(i, tax_point_date_code="99"),
    "BR-CL-08": lambda i: replace(i, notes=(*i.notes, Note(subject_code="XYZ", text="?"))),
    "BR-CL-10": lambda i: replace(i, seller=replace(i.seller, identifiers=(Identifier("73282932000074", "9999"),))),
    "BR-CL-14": lambda i: replace(i, buyer=replace(i.buyer, address=PostalAddress(country="FX"))),
    "BR-CL-16": lambda i: replace(i, payment=PaymentInstructions(means_code="99")),
    "BR-CL-19": lambda i: set_ac(i, ALLOWANCE, reason_code="DL"),
    "BR-CL-20": lambda i: set_ac(i, CHARGE, reason_code="95"),
    "BR-CL-22": lambda i: set_group(category_invoice("E"), 0, exemption_code="VATEX-FR-NOPE"),
    "BR-CL-23": lambda i: set_line(i, 0, unit="PIECE"),
    "BR-CL-24": lambda i: replace(
        i, additional_documents=(AdditionalDocument(reference="BL-1", attachment=b"x", mime_code="application/zip"),)
    ),
    "BR-CL-25": lambda i: replace(i, buyer=replace(i.buyer, electronic_address=ElectronicAddress("x", "9999"))),
}


@pytest.mark.parametrize("rule_id", sorted(BROKEN))
def test_breaking_one_rule_reports_exactly_that_rule(rule_id):
    inv = BROKEN[rule_id](french_invoice())
    assert rule_ids(inv) == {rule_id}


def test_breaking_a_reason_rule_also_breaks_its_br_co_twin():
    no_reason = {"reason": None, "reason_code": None}
    assert rule_ids(set_ac(french_invoice(), ALLOWANCE, **no_reason)) == {"BR-33", "BR-CO-21"}
    assert rule_ids(set_ac(french_invoice(), CHARGE, **no_reason)) == {"BR-38", "BR-CO-22"}
    line_allowance = LineAllowanceCharge(is_charge=False, amount=D("0.00"))
    line_charge = LineAllowanceCharge(is_charge=True, amount=D("0.00"))
    assert rule_ids(set_line(french_invoice(), 0, allowances_charges=(line_allowance,))) == {"BR-42", "BR-CO-23"}
    assert rule_ids(set_line(french_invoice(), 0, allowances_charges=(line_charge,))) == {"BR-44", "BR-CO-24"}


def test_missing_mandatory_amounts_are_reported_without_a_cascade():
    assert rule_ids(set_totals(french_invoice(), line_net_total=None)) == {"BR-12"}
    assert rule_ids(set_line(french_invoice(), 0, quantity=None)) == {"BR-22"}
    assert rule_ids(
        add_ac(french_invoice(), is_charge=False, amount=None, vat_category=VatCategory.S, vat_rate=D("20"), reason="?")
    ) == {"BR-31"}
    assert rule_ids(set_group(french_invoice(), 0, taxable_amount=None)) == {"BR-45"}


def test_a_payee_identical_to_the_seller_breaks_br_17():
    assert rule_ids(replace(french_invoice(), payee=Payee(name=SELLER.name))) == {"BR-17"}
    assert rule_ids(replace(french_invoice(), payee=Payee(name="Factor SA"))) == set()


def test_vat_total_follows_the_official_tolerance():
    # As the official CII rules: BR-S-09 accepts less than one currency unit of difference,
    # BR-CO-17 up to one.
    tax = french_invoice().vat_breakdown[0].tax_amount
    assert rule_ids(retotal(set_group(french_invoice(), 0, tax_amount=tax + D("0.99")))) == set()
    assert rule_ids(retotal(set_group(french_invoice(), 0, tax_amount=tax + D("1.00")))) == {"BR-S-09"}
    assert rule_ids(retotal(set_group(french_invoice(), 0, tax_amount=tax - D("1.50")))) == {"BR-S-09", "BR-CO-17"}


def test_a_zero_rate_breakdown_carries_no_vat():
    inv = category_invoice("Z")
    assert rule_ids(retotal(set_group(inv, 0, tax_amount=D("0.60")))) == {"BR-Z-09", "BR-CO-17"}


def test_greek_vat_numbers_may_start_with_el():
    assert rule_ids(replace(french_invoice(), buyer=replace(BUYER, vat_id="EL123456789"))) == set()


def test_a_vat_accounting_currency_needs_the_vat_total_in_that_currency():
    inv = replace(french_invoice(), tax_currency="USD")
    assert rule_ids(set_totals(inv, tax_total_accounting=D("60.00"), tax_currency="USD")) == set()
    assert rule_ids(replace(french_invoice(), tax_currency="EUR")) == set()


def test_group_and_information_lines_need_no_vat_category():
    group_line = replace(
        french_invoice().lines[0], id="G1", subtype="GROUP", vat=LineVat(category=""), net_amount=D("245.00")
    )
    inv = replace(french_invoice(), lines=(group_line, *french_invoice().lines))
    assert rule_ids(inv) == set()


def _odd_variants(obj, depth: int = 0):
    """Every copy of `obj` with one field, at any depth, blank, missing or emptied."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, bool) or f.name in ("seller", "buyer", "totals"):
            continue
        odds = ("", " ", None) if isinstance(value, str) else ((),) if isinstance(value, tuple) else (None,)
        for odd in odds:
            yield replace(obj, **{f.name: odd})
        if dataclasses.is_dataclass(value) and depth < 3:
            for sub in _odd_variants(value, depth + 1):
                yield replace(obj, **{f.name: sub})
        if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]) and depth < 3:
            for sub in _odd_variants(value[0], depth + 1):
                yield replace(obj, **{f.name: (sub, *value[1:])})


@pytest.mark.parametrize("category", ["S", "K", "O"])
def test_the_rules_never_raise_on_blank_or_missing_values(category):
    # What a sloppy document or a half-typed draft gives: findings, never an exception.
    base = french_invoice() if category == "S" else category_invoice(category)
    count = 0
    for variant in _odd_variants(base):
        check_rules(variant, french=True)
        count += 1
    assert count > 100


def test_exemption_codes_of_lines_are_checked_against_vatex_too():
    inv = french_invoice()
    inv = set_line(inv, 0, vat=replace(inv.lines[0].vat, exemption_code="VATEX-XX-1"))
    assert rule_ids(inv) == {"BR-CL-22"}


def test_extended_logistics_charges_count_as_document_charges():
    charge = LogisticsCharge(description="Transport", amount=D("10.00"), vat_category=VatCategory.S, vat_rate=D("20"))
    inv = replace(french_invoice(), logistics_charges=(charge,))
    assert rule_ids(inv) == {"BR-CO-12", "BR-S-08"}
