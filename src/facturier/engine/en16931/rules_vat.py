"""The EN 16931 rules of each VAT category: BR-S, BR-Z, BR-E, BR-AE, BR-IC, BR-G, BR-O, BR-AF, BR-AG.

The nine families share one shape (numbers 01 to 10): the category in the VAT breakdown,
the seller identification it needs, the rate of lines, allowances and charges, the taxable
amount and the tax of its breakdown, and the exemption reason. They are generated from one
table; each generated rule is registered under its own id and only runs when its category
occurs somewhere in the invoice. BR-B (Italian split payment) is left out: Facturier's VAT
categories do not include B.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from facturier.engine.en16931.rules_core import (
    HUNDRED,
    ONE,
    ZERO,
    Ctx,
    RuleFn,
    blank,
    code,
    fail,
    fr_num,
    rule,
    xround,
)
from facturier.engine.validation.report import Finding

__all__: list[str] = []


@dataclass(frozen=True, slots=True)
class _Family:
    prefix: str
    category: str
    fr: str
    en: str
    parties: str
    """Who must (or must not) be identified: "vat", "vat-strict", "ic", "ae" or "none"."""
    rate: str
    """Line, allowance and charge rate: "positive", "zero", "none" or "non-negative"."""
    exactly_one: bool
    """BR-x-01: exactly one breakdown of the category (else at least one)."""
    by_rate: bool
    """BR-x-08 is checked per rate (S, L, M); else per category."""
    tolerance: Decimal
    """BR-x-08 tolerance of the official rule (0: exact)."""
    taxed: bool
    """BR-x-09: tax = taxable × rate (else tax = 0)."""
    exemption: bool
    """BR-x-10: an exemption reason is required (else forbidden)."""


_FAMILIES = (
    _Family("BR-S", "S", "taux normal", "Standard rated", "vat", "positive", False, True, ZERO, True, False),
    _Family("BR-Z", "Z", "taux zéro", "Zero rated", "vat", "zero", True, False, ONE, False, False),
    _Family("BR-E", "E", "exonéré de TVA", "Exempt from VAT", "vat", "zero", True, False, ONE, False, True),
    _Family("BR-AE", "AE", "autoliquidation", "Reverse charge", "ae", "zero", True, False, ONE, False, True),
    _Family("BR-IC", "K", "livraison intracommunautaire", "Intra-community supply", "ic", "zero", True, False,
            ONE, False, True),
    _Family("BR-G", "G", "exportation hors UE", "Export outside the EU", "vat-strict", "zero", True, False, ONE,
            False, True),
    _Family("BR-O", "O", "hors champ de la TVA", "Not subject to VAT", "none", "none", True, False, ZERO, False,
            True),
    _Family("BR-AF", "L", "IGIC (îles Canaries)", "IGIC", "vat", "positive", False, True, ZERO, True, False),
    _Family("BR-AG", "M", "IPSI (Ceuta et Melilla)", "IPSI", "vat", "non-negative", False, True, ZERO, True, False),
)


def _name(f: _Family) -> tuple[str, str]:
    return f"« {f.fr} » ({f.category})", f"'{f.en}' ({f.category})"


def _register(rule_id: str, f: _Family, fn: RuleFn) -> None:
    rule(rule_id, category=f.category)(fn)


# BR-x-01 ------------------------------------------------------------------------------------------


def _breakdown_presence(f: _Family) -> RuleFn:
    rule_id = f"{f.prefix}-01"
    fr_name, en_name = _name(f)

    def check(c: Ctx, out: list[Finding]) -> None:
        count = len(c.breakdown_by_cat.get(f.category, ()))
        used = f.category in c.used_categories
        # "Exactly one" families also refuse a breakdown group that nothing uses.
        broken = ((used and count != 1) or (not used and count > 0)) if f.exactly_one else (used and count == 0)
        if not broken:
            return
        if not used:
            fr = f"Le récapitulatif de TVA (BG-23) comporte la catégorie {fr_name}, qu'aucune ligne, remise ou " \
                 "frais n'utilise : retirez-la."
            en = f"The VAT breakdown (BG-23) holds category {en_name}, which no line, allowance or charge uses: " \
                 "remove it."
        elif count == 0:
            fr = f"Des lignes, remises ou frais relèvent de la catégorie {fr_name} : le récapitulatif de TVA " \
                 "(BG-23) doit la comporter."
            en = f"Lines, allowances or charges are in category {en_name}: the VAT breakdown (BG-23) shall " \
                 "contain it."
        else:
            fr = f"Le récapitulatif de TVA (BG-23) doit comporter la catégorie {fr_name} une seule fois " \
                 f"(elle y figure {count} fois)."
            en = f"The VAT breakdown (BG-23) shall contain category {en_name} exactly once (it is there " \
                 f"{count} times)."
        fail(out, rule_id, "vat_breakdown", fr, en)

    return check


# BR-x-02, 03, 04 ---------------------------------------------------------------------------------


def _parties_ok(c: Ctx, parties: str) -> bool:
    if parties == "vat":
        return c.seller_vat or c.seller_fc or c.rep_vat
    if parties == "vat-strict":
        return c.seller_vat or c.rep_vat
    if parties == "ic":
        return (c.seller_vat or c.rep_vat) and c.buyer_vat
    if parties == "ae":
        return (c.seller_vat or c.seller_fc or c.rep_vat) and (c.buyer_vat or c.buyer_legal)
    return not (c.seller_vat or c.rep_vat or c.buyer_vat)  # "none": outside the scope of VAT


_PARTIES_TEXT = {
    "vat": ("le numéro de TVA du vendeur (BT-31), son identifiant fiscal (BT-32) ou le numéro de TVA de son "
            "représentant fiscal (BT-63)",
            "the seller VAT identifier (BT-31), the seller tax registration identifier (BT-32) or the seller tax "
            "representative VAT identifier (BT-63)"),
    "vat-strict": ("le numéro de TVA du vendeur (BT-31) ou celui de son représentant fiscal (BT-63)",
                   "the seller VAT identifier (BT-31) or the seller tax representative VAT identifier (BT-63)"),
    "ic": ("le numéro de TVA du vendeur (BT-31) ou de son représentant fiscal (BT-63), et le numéro de TVA de "
           "l'acheteur (BT-48)",
           "the seller VAT identifier (BT-31) or the seller tax representative VAT identifier (BT-63), and the buyer "
           "VAT identifier (BT-48)"),
    "ae": ("le numéro de TVA du vendeur (BT-31), son identifiant fiscal (BT-32) ou le numéro de TVA de son "
           "représentant fiscal (BT-63), et le numéro de TVA (BT-48) ou l'immatriculation légale (BT-47) de "
           "l'acheteur",
           "the seller VAT identifier (BT-31), tax registration identifier (BT-32) or tax representative VAT "
           "identifier (BT-63), and the buyer VAT identifier (BT-48) or legal registration identifier (BT-47)"),
}

_WHERE = {
    "02": ("une ligne", "an invoice line"),
    "03": ("une remise de pied de facture", "a document level allowance"),
    "04": ("des frais de pied de facture", "a document level charge"),
}


def _parties(f: _Family, number: str) -> RuleFn:
    rule_id = f"{f.prefix}-{number}"
    fr_name, en_name = _name(f)
    fr_where, en_where = _WHERE[number]

    def concerned(c: Ctx) -> bool:
        if number == "02":
            return bool(c.lines_by_cat.get(f.category))
        by_cat = c.allowance_by_cat if number == "03" else c.charge_by_cat
        return f.category in by_cat

    def check(c: Ctx, out: list[Finding]) -> None:
        if not concerned(c) or _parties_ok(c, f.parties):
            return
        if f.parties == "none":
            fail(out, rule_id, "seller.vat_id",
                 f"La facture contient {fr_where} hors champ de la TVA (catégorie O) : elle ne doit alors porter "
                 "ni le numéro de TVA du vendeur (BT-31), ni celui de son représentant fiscal (BT-63), ni celui de "
                 "l'acheteur (BT-48).",
                 f"The invoice contains {en_where} not subject to VAT (category O): it shall then carry neither "
                 "the seller VAT identifier (BT-31), nor the tax representative's (BT-63), nor the buyer's (BT-48).")
            return
        fr_need, en_need = _PARTIES_TEXT[f.parties]
        fail(out, rule_id, "seller.vat_id",
             f"La facture contient {fr_where} en catégorie de TVA {fr_name} : indiquez {fr_need}.",
             f"The invoice contains {en_where} in VAT category {en_name}: give {en_need}.")

    return check


# BR-x-05, 06, 07 ---------------------------------------------------------------------------------


def _rate_broken(kind: str, rate: Decimal | None) -> bool:
    if kind == "none":
        return rate is not None
    if rate is None:
        return True
    if kind == "positive":
        return rate <= 0
    if kind == "zero":
        return rate != 0
    return rate < 0  # "non-negative"


_RATE_TEXT = {
    "positive": ("doit être strictement positif", "shall be greater than zero"),
    "zero": ("doit être 0", "shall be 0 (zero)"),
    "none": ("ne doit pas être indiqué", "shall not be given"),
    "non-negative": ("doit être positif ou nul", "shall be zero or greater"),
}


def _rates(f: _Family, number: str) -> RuleFn:
    rule_id = f"{f.prefix}-{number}"
    fr_name, en_name = _name(f)
    # IGIC and IPSI allowances and charges may be at 0 % (BR-AF-06/07, BR-AG-06/07).
    kind = "non-negative" if f.prefix in ("BR-AF", "BR-AG") and number != "05" else f.rate
    fr_rule, en_rule = _RATE_TEXT[kind]

    def shown(rate: Decimal | None) -> tuple[str, str]:
        return ("absent", "missing") if rate is None else (f"{fr_num(rate)} %", f"{rate}%")

    def check(c: Ctx, out: list[Finding]) -> None:
        if number == "05":
            for i in c.lines_by_cat.get(f.category, ()):
                rate = c.inv.lines[i].vat.rate
                if _rate_broken(kind, rate):
                    fr, en = c.line_labels[i]
                    fr_rate, en_rate = shown(rate)
                    fail(out, rule_id, f"lines[{i}].vat.rate",
                         f"{fr} : en catégorie {fr_name}, le taux de TVA (BT-152) {fr_rule} ({fr_rate}).",
                         f"{en}: in category {en_name}, the VAT rate (BT-152) {en_rule} ({en_rate}).")
            return
        is_charge = number == "07"
        if f.category not in (c.charge_by_cat if is_charge else c.allowance_by_cat):
            return
        acs = c.inv.allowances_charges
        bt = "BT-103" if is_charge else "BT-96"
        fr_what, en_what = ("des frais", "charge") if is_charge else ("de la remise", "allowance")
        for i in c.charges if is_charge else c.allowances:
            ac = acs[i]
            if code(ac.vat_category) == f.category and _rate_broken(kind, ac.vat_rate):
                fr_rate, en_rate = shown(ac.vat_rate)
                fail(out, rule_id, f"allowances_charges[{i}].vat_rate",
                     f"En catégorie {fr_name}, le taux de TVA {fr_what} de pied de facture n° {i + 1} ({bt}) "
                     f"{fr_rule} ({fr_rate}).",
                     f"In category {en_name}, the VAT rate of document level {en_what} #{i + 1} ({bt}) {en_rule} "
                     f"({en_rate}).")

    return check


# BR-x-08 -----------------------------------------------------------------------------------------


def _taxable(f: _Family) -> RuleFn:
    rule_id = f"{f.prefix}-08"
    fr_name, en_name = _name(f)

    def expected_for(c: Ctx, rate: Decimal | None) -> Decimal:
        if f.by_rate:
            key = (f.category, rate)
            net, charges, allowances = (c.net_by_cat_rate.get(key, ZERO), c.charge_by_cat_rate.get(key, ZERO),
                                        c.allowance_by_cat_rate.get(key, ZERO))
        else:
            cat = f.category
            net, charges, allowances = (c.net_by_cat.get(cat, ZERO), c.charge_by_cat.get(cat, ZERO),
                                        c.allowance_by_cat.get(cat, ZERO))
        return xround(net) + xround(charges) - xround(allowances)

    def check(c: Ctx, out: list[Finding]) -> None:
        for i in c.breakdown_by_cat.get(f.category, ()):
            group = c.inv.vat_breakdown[i]
            if group.taxable_amount is None or (f.by_rate and group.rate is None):
                continue  # BR-45, BR-48
            expected = expected_for(c, group.rate)
            gap = abs(group.taxable_amount - expected)
            if (gap > 0) if not f.tolerance else (gap >= f.tolerance):
                at_rate = f" au taux de {fr_num(group.rate)} %" if f.by_rate else ""
                en_rate = f" at {group.rate}%" if f.by_rate else ""
                fail(out, rule_id, f"vat_breakdown[{i}].taxable_amount",
                     f"La base imposable (BT-116) de la catégorie {fr_name}{at_rate} vaut "
                     f"{fr_num(group.taxable_amount)} ; "
                     "elle doit être égale aux montants nets des lignes de cette catégorie, moins les remises, plus "
                     f"les frais de pied de facture de cette catégorie, soit {fr_num(expected)}.",
                     f"The taxable amount (BT-116) of category {en_name}{en_rate} is {group.taxable_amount}; it "
                     "shall equal the net amounts of the lines of that category, minus the document level "
                     f"allowances, plus the document level charges of that category, i.e. {expected}.")

    return check


# BR-x-09 -----------------------------------------------------------------------------------------


def _tax(f: _Family) -> RuleFn:
    rule_id = f"{f.prefix}-09"
    fr_name, en_name = _name(f)

    def check(c: Ctx, out: list[Finding]) -> None:
        for i in c.breakdown_by_cat.get(f.category, ()):
            group = c.inv.vat_breakdown[i]
            tax = group.tax_amount
            if tax is None:
                continue  # BR-46
            if not f.taxed:
                if tax != 0:
                    fail(out, rule_id, f"vat_breakdown[{i}].tax_amount",
                         f"En catégorie {fr_name}, le montant de TVA (BT-117) doit être 0 (il vaut {fr_num(tax)}).",
                         f"In category {en_name}, the VAT category tax amount (BT-117) shall be 0 (it is {tax}).")
                continue
            if group.rate is None or group.taxable_amount is None:
                continue  # BR-45, BR-48
            expected = xround(abs(group.taxable_amount) * group.rate / HUNDRED)
            if not abs(tax) - ONE < expected < abs(tax) + ONE:
                fail(out, rule_id, f"vat_breakdown[{i}].tax_amount",
                     f"En catégorie {fr_name} au taux de {fr_num(group.rate)} %, le montant de TVA (BT-117) vaut "
                     f"{fr_num(tax)} ; il doit être égal à la base (BT-116) multipliée par le taux, soit "
                     f"{fr_num(expected)}.",
                     f"In category {en_name} at {group.rate}%, the VAT category tax amount (BT-117) is {tax}; it "
                     f"shall equal the taxable amount (BT-116) times the rate, i.e. {expected}.")

    return check


# BR-x-10 -----------------------------------------------------------------------------------------


def _exemption(f: _Family) -> RuleFn:
    rule_id = f"{f.prefix}-10"
    fr_name, en_name = _name(f)

    def check(c: Ctx, out: list[Finding]) -> None:
        for i in c.breakdown_by_cat.get(f.category, ()):
            group = c.inv.vat_breakdown[i]
            given = not blank(group.exemption_reason) or not blank(group.exemption_code)
            if f.exemption and not given:
                fail(out, rule_id, f"vat_breakdown[{i}].exemption_reason",
                     f"En catégorie {fr_name}, le récapitulatif de TVA doit indiquer le motif d'exonération : un "
                     "texte (BT-120) ou un code VATEX (BT-121), par exemple la mention légale à imprimer.",
                     f"In category {en_name}, the VAT breakdown shall give the exemption reason: a text (BT-120) "
                     "or a VATEX code (BT-121).")
            elif not f.exemption and given:
                fail(out, rule_id, f"vat_breakdown[{i}].exemption_reason",
                     f"En catégorie {fr_name}, la TVA est due : le récapitulatif ne doit pas porter de motif "
                     "d'exonération (BT-120, BT-121).",
                     f"In category {en_name}, VAT is due: the VAT breakdown shall not carry an exemption reason "
                     "(BT-120, BT-121).")

    return check


for _f in _FAMILIES:
    _register(f"{_f.prefix}-01", _f, _breakdown_presence(_f))
    for _n in ("02", "03", "04"):
        _register(f"{_f.prefix}-{_n}", _f, _parties(_f, _n))
    for _n in ("05", "06", "07"):
        _register(f"{_f.prefix}-{_n}", _f, _rates(_f, _n))
    _register(f"{_f.prefix}-08", _f, _taxable(_f))
    _register(f"{_f.prefix}-09", _f, _tax(_f))
    _register(f"{_f.prefix}-10", _f, _exemption(_f))


# Intra-community supply: the proof of the supply ------------------------------------------------


@rule("BR-IC-11", category="K")
def _br_ic_11(c: Ctx, out: list[Finding]) -> None:
    if "K" not in c.breakdown_by_cat:
        return
    delivery, period = c.inv.delivery, c.inv.invoicing_period
    if (delivery is None or delivery.actual_date is None) and (
        period is None or (period.start is None and period.end is None)
    ):
        fail(out, "BR-IC-11", "delivery.actual_date",
             "Livraison intracommunautaire : indiquez la date de livraison effective (BT-72) ou la période de "
             "facturation (BG-14).",
             "Intra-community supply: give the actual delivery date (BT-72) or the invoicing period (BG-14).")


@rule("BR-IC-12", category="K")
def _br_ic_12(c: Ctx, out: list[Finding]) -> None:
    if "K" not in c.breakdown_by_cat:
        return
    delivery = c.inv.delivery
    if delivery is None or delivery.address is None or blank(delivery.address.country):
        fail(out, "BR-IC-12", "delivery.address.country",
             "Livraison intracommunautaire : indiquez le pays de livraison (BT-80).",
             "Intra-community supply: give the deliver to country code (BT-80).")


# Not subject to VAT: nothing else on the invoice -------------------------------------------------


@rule("BR-O-11", category="O")
def _br_o_11(c: Ctx, out: list[Finding]) -> None:
    if "O" in c.breakdown_by_cat and len(c.breakdown_by_cat) > 1:
        fail(out, "BR-O-11", "vat_breakdown",
             "Une facture hors champ de la TVA (catégorie O) ne peut pas comporter d'autre catégorie dans son "
             "récapitulatif de TVA (BG-23).",
             "An invoice with a VAT breakdown 'Not subject to VAT' (O) shall not contain other VAT breakdown "
             "groups (BG-23).")


@rule("BR-O-12", category="O")
def _br_o_12(c: Ctx, out: list[Finding]) -> None:
    if "O" not in c.breakdown_by_cat:
        return
    for cat, indices in c.lines_by_cat.items():
        if cat != "O":
            for i in indices:
                fr, en = c.line_labels[i]
                fail(out, "BR-O-12", f"lines[{i}].vat.category",
                     f"{fr} : la facture est hors champ de la TVA (catégorie O), la ligne doit l'être aussi "
                     f"(catégorie {cat or 'absente'}).",
                     f"{en}: the invoice is not subject to VAT (category O), so shall be the line (category "
                     f"{cat or 'missing'}).")


def _o_ac(rule_id: str, is_charge: bool) -> RuleFn:
    fr_what, en_what = ("des frais", "charges") if is_charge else ("des remises", "allowances")

    def check(c: Ctx, out: list[Finding]) -> None:
        if "O" not in c.breakdown_by_cat:
            return
        acs = c.inv.allowances_charges
        for i in c.charges if is_charge else c.allowances:
            if code(acs[i].vat_category) != "O":
                fail(out, rule_id, f"allowances_charges[{i}].vat_category",
                     f"La facture est hors champ de la TVA (catégorie O) : elle ne peut pas comporter {fr_what} de "
                     "pied de facture d'une autre catégorie.",
                     f"The invoice is not subject to VAT (category O): it shall not contain document level "
                     f"{en_what} of another category.")

    return check


rule("BR-O-13", category="O")(_o_ac("BR-O-13", False))
rule("BR-O-14", category="O")(_o_ac("BR-O-14", True))
