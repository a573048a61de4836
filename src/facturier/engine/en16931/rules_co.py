"""EN 16931 conditions and calculations (BR-CO) and the two-decimal rule for amounts (BR-DEC)."""

from __future__ import annotations

from decimal import Decimal

from facturier.engine.en16931.codes import COUNTRY_CODES
from facturier.engine.en16931.rules_core import (
    HUNDRED,
    ONE,
    ZERO,
    Ctx,
    RuleFn,
    blank,
    decimals,
    fail,
    fr_num,
    rule,
    xround,
)
from facturier.engine.validation.report import Finding

__all__: list[str] = []


# --- BR-CO: conditions and calculations -------------------------------------------------------


@rule("BR-CO-03")
def _br_co_03(c: Ctx, out: list[Finding]) -> None:
    if c.inv.tax_point_date is not None and not blank(c.inv.tax_point_date_code):
        fail(out, "BR-CO-03", "tax_point_date_code",
             "Indiquez soit la date d'exigibilité de la TVA (BT-7), soit son code (BT-8), pas les deux.",
             "Give either the VAT point date (BT-7) or the VAT point date code (BT-8), not both.")


@rule("BR-CO-04")
def _br_co_04(c: Ctx, out: list[Finding]) -> None:
    lines = c.inv.lines
    for i in c.lines_by_cat.get("", ()):
        if not lines[i].counts_in_totals:
            continue  # GROUP and INFORMATION lines (Factur-X EXTENDED) carry no VAT of their own
        fr, en = c.line_labels[i]
        fail(out, "BR-CO-04", f"lines[{i}].vat.category",
             f"{fr} : indiquez la catégorie de TVA de l'article (BT-151).",
             f"{en}: give the invoiced item VAT category code (BT-151).")


_VAT_PREFIXES = COUNTRY_CODES | {"EL"}


@rule("BR-CO-09")
def _br_co_09(c: Ctx, out: list[Finding]) -> None:
    inv = c.inv
    rep = inv.tax_representative
    for path, bt, value in (
        ("seller.vat_id", "BT-31", inv.seller.vat_id),
        ("tax_representative.vat_id", "BT-63", rep.vat_id if rep is not None else None),
        ("buyer.vat_id", "BT-48", inv.buyer.vat_id),
    ):
        if not blank(value) and value.strip()[:2] not in _VAT_PREFIXES:
            fail(out, "BR-CO-09", path,
                 f"Le numéro de TVA {value} ({bt}) doit commencer par le code du pays qui l'a attribué "
                 "(FR, DE… ; EL pour la Grèce).",
                 f"The VAT identifier {value} ({bt}) shall start with the code of the country that issued it "
                 "(FR, DE…; EL for Greece).")


@rule("BR-CO-10")
def _br_co_10(c: Ctx, out: list[Finding]) -> None:
    total = c.inv.totals.line_net_total
    if total is None:
        return  # BR-12
    lines = c.inv.lines
    expected = xround(sum((lines[i].net_amount for i in c.counted_lines), ZERO))
    if total != expected:
        fail(out, "BR-CO-10", "totals.line_net_total",
             f"La somme des montants nets des lignes (BT-106) vaut {fr_num(total)} ; elle doit être égale à la somme "
             f"des montants nets des lignes (BT-131), soit {fr_num(expected)}.",
             f"The sum of invoice line net amounts (BT-106) is {total}; it shall equal the sum of the line net "
             f"amounts (BT-131), i.e. {expected}.")


def _doc_ac_total(rule_id: str, is_charge: bool) -> RuleFn:
    field, bt, bt_each = ("charge_total", "BT-108", "BT-99") if is_charge else ("allowance_total", "BT-107", "BT-92")
    fr_what, en_what = ("des frais", "charges") if is_charge else ("des remises", "allowances")

    def check(c: Ctx, out: list[Finding]) -> None:
        total = getattr(c.inv.totals, field)
        if is_charge:
            present = bool(c.charges or c.inv.logistics_charges)
            expected = xround(c.charge_sum)
        else:
            present = bool(c.allowances)
            expected = xround(c.allowance_sum)
        if total is None and not present:
            return
        if total != expected:
            fail(out, rule_id, f"totals.{field}",
                 f"La somme {fr_what} de pied de facture ({bt}) vaut {fr_num(total)} ; "
                 f"elle doit être égale à la somme de leurs montants ({bt_each}), soit {fr_num(expected)}.",
                 f"The sum of document level {en_what} ({bt}) is {total if total is not None else 'missing'}; "
                 f"it shall equal the sum of their amounts ({bt_each}), i.e. {expected}.")

    return check


rule("BR-CO-11")(_doc_ac_total("BR-CO-11", False))
rule("BR-CO-12")(_doc_ac_total("BR-CO-12", True))


@rule("BR-CO-13")
def _br_co_13(c: Ctx, out: list[Finding]) -> None:
    t = c.inv.totals
    if t.line_net_total is None or t.tax_exclusive is None:
        return  # BR-12, BR-13
    expected = xround(t.line_net_total - (t.allowance_total or ZERO) + (t.charge_total or ZERO))
    if t.tax_exclusive != expected:
        fail(out, "BR-CO-13", "totals.tax_exclusive",
             f"Le montant total HT (BT-109) vaut {fr_num(t.tax_exclusive)} ; il doit être égal à la somme des lignes "
             f"(BT-106) moins les remises (BT-107) plus les frais (BT-108), soit {fr_num(expected)}.",
             f"The invoice total without VAT (BT-109) is {t.tax_exclusive}; it shall equal the sum of lines "
             f"(BT-106) minus allowances (BT-107) plus charges (BT-108), i.e. {expected}.")


@rule("BR-CO-14")
def _br_co_14(c: Ctx, out: list[Finding]) -> None:
    total = c.inv.totals.tax_total
    if total is None:
        return
    expected = xround(sum((g.tax_amount for g in c.inv.vat_breakdown if g.tax_amount is not None), ZERO))
    if total != expected:
        fail(out, "BR-CO-14", "totals.tax_total",
             f"Le montant total de TVA (BT-110) vaut {fr_num(total)} ; il doit être égal à la somme des montants "
             f"de TVA par catégorie (BT-117), soit {fr_num(expected)}.",
             f"The invoice total VAT amount (BT-110) is {total}; it shall equal the sum of the VAT category tax "
             f"amounts (BT-117), i.e. {expected}.")


@rule("BR-CO-15")
def _br_co_15(c: Ctx, out: list[Finding]) -> None:
    t = c.inv.totals
    if t.tax_inclusive is None or t.tax_exclusive is None:
        return  # BR-13, BR-14
    if t.tax_inclusive == t.tax_exclusive:
        return  # the official rule accepts a total with VAT equal to the total without VAT
    # A second VAT total in the invoice currency (BT-111 in BT-5) makes BT-110 ambiguous.
    ambiguous = (
        t.tax_total_accounting is not None
        and t.tax_total_accounting != t.tax_total
        and (t.tax_currency or "").strip() == c.inv.currency.strip()
    )
    expected = xround(t.tax_exclusive + t.tax_total) if t.tax_total is not None and not ambiguous else None
    if t.tax_inclusive != expected:
        shown = expected if expected is not None else t.tax_exclusive
        fail(out, "BR-CO-15", "totals.tax_inclusive",
             f"Le montant total TTC (BT-112) vaut {fr_num(t.tax_inclusive)} ; il doit être égal au total HT "
             f"(BT-109) plus la TVA (BT-110), soit {fr_num(shown)}.",
             f"The invoice total with VAT (BT-112) is {t.tax_inclusive}; it shall equal the total without VAT "
             f"(BT-109) plus the total VAT (BT-110), i.e. {shown}.")


@rule("BR-CO-16")
def _br_co_16(c: Ctx, out: list[Finding]) -> None:
    t = c.inv.totals
    if t.amount_due is None or t.tax_inclusive is None:
        return  # BR-14, BR-15
    expected = t.tax_inclusive - (t.prepaid or ZERO) + (t.rounding or ZERO)
    if t.amount_due != expected:
        fail(out, "BR-CO-16", "totals.amount_due",
             f"Le net à payer (BT-115) vaut {fr_num(t.amount_due)} ; il doit être égal au total TTC (BT-112) moins "
             f"l'acompte versé (BT-113) plus l'arrondi (BT-114), soit {fr_num(expected)}.",
             f"The amount due for payment (BT-115) is {t.amount_due}; it shall equal the total with VAT "
             f"(BT-112) minus the paid amount (BT-113) plus the rounding amount (BT-114), i.e. {expected}.")


@rule("BR-CO-17")
def _br_co_17(c: Ctx, out: list[Finding]) -> None:
    # As the official CII rule (and its unit tests): up to one currency unit of difference, on
    # absolute values. The UBL artefact refuses exactly one unit; Factur-X is CII.
    for i, group in enumerate(c.inv.vat_breakdown):
        tax, taxable, rate = group.tax_amount, group.taxable_amount, group.rate
        if tax is None or taxable is None:
            continue  # BR-45, BR-46
        if rate is None or xround(rate, 0) == 0:
            ok = xround(tax, 0) == 0
            expected = ZERO
        else:
            expected = xround(abs(taxable) * rate / HUNDRED)
            ok = abs(tax) - ONE <= expected <= abs(tax) + ONE
        if not ok:
            fail(out, "BR-CO-17", f"vat_breakdown[{i}].tax_amount",
                 f"Le montant de TVA du récapitulatif n° {i + 1} (BT-117) vaut {fr_num(tax)} ; il doit être égal à "
                 f"la base (BT-116) multipliée par le taux (BT-119), arrondie au centime, soit {fr_num(expected)}.",
                 f"The tax amount of VAT breakdown #{i + 1} (BT-117) is {tax}; it shall equal the taxable amount "
                 f"(BT-116) times the rate (BT-119), rounded to two decimals, i.e. {expected}.")


@rule("BR-CO-18")
def _br_co_18(c: Ctx, out: list[Finding]) -> None:
    if not c.inv.vat_breakdown:
        fail(out, "BR-CO-18", "vat_breakdown",
             "La facture doit comporter au moins un récapitulatif de TVA (BG-23).",
             "An invoice shall have at least one VAT breakdown group (BG-23).")


@rule("BR-CO-19")
def _br_co_19(c: Ctx, out: list[Finding]) -> None:
    period = c.inv.invoicing_period
    if period is not None and period.start is None and period.end is None:
        fail(out, "BR-CO-19", "invoicing_period",
             "La période de facturation (BG-14) doit indiquer une date de début (BT-73), de fin (BT-74), ou les deux.",
             "The invoicing period (BG-14) shall have a start date (BT-73), an end date (BT-74), or both.")


@rule("BR-CO-20")
def _br_co_20(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        period = line.period
        if period is not None and period.start is None and period.end is None:
            fr, en = c.line_labels[i]
            fail(out, "BR-CO-20", f"lines[{i}].period",
                 f"{fr} : la période (BG-26) doit indiquer une date de début (BT-134), de fin (BT-135), ou les deux.",
                 f"{en}: the line period (BG-26) shall have a start date (BT-134), an end date (BT-135), or both.")


@rule("BR-CO-26")
def _br_co_26(c: Ctx, out: list[Finding]) -> None:
    seller = c.inv.seller
    legal = seller.legal_registration
    if (
        not any(not blank(i.value) for i in seller.identifiers)
        and (legal is None or blank(legal.value))
        and not c.seller_vat
    ):
        fail(out, "BR-CO-26", "seller.legal_registration",
             "Le vendeur doit être identifiable : indiquez son identifiant (BT-29), son immatriculation légale "
             "(BT-30, le SIREN en France) ou son numéro de TVA (BT-31).",
             "The seller shall be identifiable: give its identifier (BT-29), its legal registration identifier "
             "(BT-30, the SIREN in France) or its VAT identifier (BT-31).")


# --- BR-DEC: at most two decimals in amounts -----------------------------------------------------

_DEC_TOTALS = (
    ("BR-DEC-09", "line_net_total", "BT-106"),
    ("BR-DEC-10", "allowance_total", "BT-107"),
    ("BR-DEC-11", "charge_total", "BT-108"),
    ("BR-DEC-12", "tax_exclusive", "BT-109"),
    ("BR-DEC-13", "tax_total", "BT-110"),
    ("BR-DEC-14", "tax_inclusive", "BT-112"),
    ("BR-DEC-15", "tax_total_accounting", "BT-111"),
    ("BR-DEC-16", "prepaid", "BT-113"),
    ("BR-DEC-17", "rounding", "BT-114"),
    ("BR-DEC-18", "amount_due", "BT-115"),
)


def _dec_fail(out: list[Finding], rule_id: str, path: str, bt: str, value: Decimal) -> None:
    fail(out, rule_id, path,
         f"Le montant {value} ({bt}) a plus de deux décimales ; arrondissez-le au centime.",
         f"The amount {value} ({bt}) has more than two decimals; round it to two.")


def _dec_total(rule_id: str, field: str, bt: str) -> RuleFn:
    def check(c: Ctx, out: list[Finding]) -> None:
        value = getattr(c.inv.totals, field)
        if value is not None and decimals(value) > 2:
            _dec_fail(out, rule_id, f"totals.{field}", bt, value)

    return check


for _rid, _field, _bt in _DEC_TOTALS:
    rule(_rid)(_dec_total(_rid, _field, _bt))


def _dec_doc_ac(rule_id: str, is_charge: bool, field: str, bt: str) -> RuleFn:
    def check(c: Ctx, out: list[Finding]) -> None:
        acs = c.inv.allowances_charges
        for i in c.charges if is_charge else c.allowances:
            value = getattr(acs[i], field)
            if value is not None and decimals(value) > 2:
                _dec_fail(out, rule_id, f"allowances_charges[{i}].{field}", bt, value)

    return check


rule("BR-DEC-01")(_dec_doc_ac("BR-DEC-01", False, "amount", "BT-92"))
rule("BR-DEC-02")(_dec_doc_ac("BR-DEC-02", False, "base_amount", "BT-93"))
rule("BR-DEC-05")(_dec_doc_ac("BR-DEC-05", True, "amount", "BT-99"))
rule("BR-DEC-06")(_dec_doc_ac("BR-DEC-06", True, "base_amount", "BT-100"))


def _dec_breakdown(rule_id: str, field: str, bt: str) -> RuleFn:
    def check(c: Ctx, out: list[Finding]) -> None:
        for i, group in enumerate(c.inv.vat_breakdown):
            value = getattr(group, field)
            if value is not None and decimals(value) > 2:
                _dec_fail(out, rule_id, f"vat_breakdown[{i}].{field}", bt, value)

    return check


rule("BR-DEC-19")(_dec_breakdown("BR-DEC-19", "taxable_amount", "BT-116"))
rule("BR-DEC-20")(_dec_breakdown("BR-DEC-20", "tax_amount", "BT-117"))


@rule("BR-DEC-23")
def _br_dec_23(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        if line.net_amount is not None and decimals(line.net_amount) > 2:
            _dec_fail(out, "BR-DEC-23", f"lines[{i}].net_amount", "BT-131", line.net_amount)


def _dec_line_ac(rule_id: str, is_charge: bool, field: str, bt: str) -> RuleFn:
    def check(c: Ctx, out: list[Finding]) -> None:
        for i, line in enumerate(c.inv.lines):
            for j, ac in enumerate(line.allowances_charges):
                value = getattr(ac, field)
                if ac.is_charge is is_charge and value is not None and decimals(value) > 2:
                    _dec_fail(out, rule_id, f"lines[{i}].allowances_charges[{j}].{field}", bt, value)

    return check


rule("BR-DEC-24")(_dec_line_ac("BR-DEC-24", False, "amount", "BT-136"))
rule("BR-DEC-25")(_dec_line_ac("BR-DEC-25", False, "base_amount", "BT-137"))
rule("BR-DEC-27")(_dec_line_ac("BR-DEC-27", True, "amount", "BT-141"))
rule("BR-DEC-28")(_dec_line_ac("BR-DEC-28", True, "base_amount", "BT-142"))
