"""The machinery of the model-level business rules, and the EN 16931 rules BR-01 … BR-65.

Each rule is a small function registered under the id the standard gives it ("BR-16",
"BR-CO-10", "BR-DEC-23", "BR-CL-23"). All rules read one `Ctx`, built once per check:
the per-line values, the VAT categories in use and the sums per category and rate are
computed there, so that a rule is a lookup and a comparison, not another pass over the
invoice. The other rules live in `rules_co` (BR-CO, BR-DEC), `rules_cl` (BR-CL),
`rules_vat` (the VAT categories) and `rules_fr` (the French CIUS); the entry point is
`rules.check_rules`.

Where the official validation artefacts (EN 16931 1.3.16, CII) compute with a tolerance or
an XPath rounding, the rule here does the same, so that the engine and the official rules
agree on every document; where the artefact only approximates the rule's text (BR-S-01,
BR-O-01), the text of the standard wins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from facturier.engine.en16931.model import Invoice, Period
from facturier.engine.errors import Message
from facturier.engine.validation.report import Finding, Severity

__all__ = [
    "EN_RULES",
    "FR_RULES",
    "HUNDRED",
    "ONE",
    "ZERO",
    "Ctx",
    "Rule",
    "RuleFn",
    "blank",
    "code",
    "decimals",
    "fail",
    "fr_date",
    "fr_num",
    "rule",
    "xround",
]

FATAL = Severity.FATAL
WARNING = Severity.WARNING
ZERO = _ZERO = Decimal(0)
ONE = _ONE = Decimal(1)
HUNDRED = _HUNDRED = Decimal(100)
_HALF = Decimal("0.5")

RuleFn = Callable[["Ctx", list[Finding]], None]


@dataclass(frozen=True, slots=True)
class Rule:
    """One registered rule: its id, its check, and when it needs to run at all."""

    id: str
    check: RuleFn
    category: str | None = None
    """A VAT category code: the rule only runs when that category occurs in the invoice."""


EN_RULES: dict[str, Rule] = {}
"""EN 16931 rules, by id."""
FR_RULES: dict[str, Rule] = {}
"""French CIUS rules (BR-FR-*), by id."""


def rule(rule_id: str, *, category: str | None = None, table: dict[str, Rule] = EN_RULES):
    """Register the decorated function as the check of `rule_id`."""

    def register(fn: RuleFn) -> RuleFn:
        if rule_id in table:  # pragma: no cover - a programming error caught at import
            raise ValueError(f"rule {rule_id} registered twice")
        table[rule_id] = Rule(rule_id, fn, category)
        return fn

    return register


def fail(
    out: list[Finding],
    rule_id: str,
    path: str,
    fr: str,
    en: str,
    *,
    severity: Severity = FATAL,
    source: str = "model",
) -> None:
    """Record one broken rule."""
    out.append(Finding(rule=rule_id, severity=severity, message=Message(fr=fr, en=en), path=path, source=source))


def blank(text: str | None) -> bool:
    """No value, or only white space (what the official rules test with normalize-space)."""
    return text is None or not text.strip()


def decimals(value: Decimal) -> int:
    """How many decimals the value is written with (Decimal("1.50") has 2)."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def xround(value: Decimal, places: int = 2) -> Decimal:
    """XPath's round() at `places` decimals, as the official rules compute: floor(x + 0.5).

    Not a rounding of amounts (that is `money.round_amount`): this only mirrors the official
    validation arithmetic, so that a comparison here agrees with the official verdict.
    """
    if not places:
        return (value + _HALF).to_integral_value(rounding=ROUND_FLOOR)
    scale = _HUNDRED if places == 2 else Decimal(10) ** places
    return (value * scale + _HALF).to_integral_value(rounding=ROUND_FLOOR).scaleb(-places)


def fr_num(value: Decimal | None) -> str:
    """A number as French text writes it: decimal comma (306,00)."""
    return "—" if value is None else format(value, "f").replace(".", ",")


def fr_date(value: date) -> str:
    """A date as French text writes it: 24/11/2026."""
    return value.strftime("%d/%m/%Y")


def code(value: object) -> str:
    """A code as text, whether it is a code-list member or a plain string."""
    return "" if value is None else str(value)


def line_label(index: int, line_id: str) -> tuple[str, str]:
    """How a message names a line: by its identifier (BT-126) and its position."""
    if blank(line_id):
        return f"Ligne n° {index + 1}", f"Line #{index + 1}"
    return f"Ligne « {line_id} »", f"Line '{line_id}'"


class Ctx:
    """What every rule needs, computed once per check."""

    __slots__ = (
        "allowance_by_cat",
        "allowance_sum",
        "allowance_by_cat_rate",
        "allowances",
        "breakdown_by_cat",
        "buyer_legal",
        "buyer_vat",
        "categories",
        "charge_by_cat",
        "charge_by_cat_rate",
        "charge_sum",
        "charges",
        "counted_lines",
        "inv",
        "line_labels",
        "lines_by_cat",
        "net_by_cat",
        "net_by_cat_rate",
        "rep_vat",
        "seller_fc",
        "seller_vat",
        "used_categories",
    )

    def __init__(self, inv: Invoice):
        self.inv = inv
        seller, buyer, rep = inv.seller, inv.buyer, inv.tax_representative
        self.seller_vat = not blank(seller.vat_id)
        self.seller_fc = not blank(seller.tax_registration_id)
        self.rep_vat = rep is not None and not blank(rep.vat_id)
        self.buyer_vat = not blank(buyer.vat_id)
        self.buyer_legal = buyer.legal_registration is not None and not blank(buyer.legal_registration.value)

        lines_by_cat: dict[str, list[int]] = {}
        net_by_cat: dict[str, Decimal] = {}
        net_by_cat_rate: dict[tuple[str, Decimal | None], Decimal] = {}
        counted: list[int] = []
        labels: list[tuple[str, str]] = []
        for index, line in enumerate(inv.lines):
            labels.append(line_label(index, line.id))
            cat = code(line.vat.category) if line.vat is not None else ""
            lines_by_cat.setdefault(cat, []).append(index)
            if line.counts_in_totals and line.net_amount is not None:
                counted.append(index)
                net_by_cat[cat] = net_by_cat.get(cat, _ZERO) + line.net_amount
                key = (cat, line.vat.rate if line.vat is not None else None)
                net_by_cat_rate[key] = net_by_cat_rate.get(key, _ZERO) + line.net_amount
        self.lines_by_cat = lines_by_cat
        self.net_by_cat = net_by_cat
        self.net_by_cat_rate = net_by_cat_rate
        self.counted_lines = counted
        self.line_labels = labels

        allowances: list[int] = []
        charges: list[int] = []
        sums: tuple[dict, dict, dict, dict] = ({}, {}, {}, {})
        for index, ac in enumerate(inv.allowances_charges):
            cat = code(ac.vat_category)
            by_cat, by_cat_rate = (sums[2], sums[3]) if ac.is_charge else (sums[0], sums[1])
            (charges if ac.is_charge else allowances).append(index)
            if ac.amount is not None:
                by_cat[cat] = by_cat.get(cat, _ZERO) + ac.amount
                key = (cat, ac.vat_rate)
                by_cat_rate[key] = by_cat_rate.get(key, _ZERO) + ac.amount
            else:
                by_cat.setdefault(cat, _ZERO)
        # Factur-X EXTENDED logistics charges count as document level charges (BT-108, BG-23).
        for logistics in inv.logistics_charges:
            cat = code(logistics.vat_category)
            sums[2][cat] = sums[2].get(cat, _ZERO) + logistics.amount
            key = (cat, logistics.vat_rate)
            sums[3][key] = sums[3].get(key, _ZERO) + logistics.amount
        self.allowances = allowances
        self.charges = charges
        self.allowance_by_cat, self.allowance_by_cat_rate, self.charge_by_cat, self.charge_by_cat_rate = sums
        self.allowance_sum = sum(self.allowance_by_cat.values(), _ZERO)
        self.charge_sum = sum(self.charge_by_cat.values(), _ZERO)

        breakdown_by_cat: dict[str, list[int]] = {}
        for index, group in enumerate(inv.vat_breakdown):
            breakdown_by_cat.setdefault(code(group.category), []).append(index)
        self.breakdown_by_cat = breakdown_by_cat
        self.used_categories = set(lines_by_cat) | set(self.allowance_by_cat) | set(self.charge_by_cat)
        self.categories = self.used_categories | set(breakdown_by_cat)


# --- BR-01 … BR-65: mandatory terms and their shape --------------------------------------------


@rule("BR-01")
def _br_01(c: Ctx, out: list[Finding]) -> None:
    # Writers supply their own profile's BT-24: only a document read without one breaks BR-01.
    process = c.inv.process
    if process is not None and blank(process.specification_id):
        fail(out, "BR-01", "process.specification_id",
             "La facture doit indiquer l'identifiant de spécification (BT-24), c'est-à-dire le profil suivi.",
             "An invoice shall have a specification identifier (BT-24), i.e. the profile it follows.")


@rule("BR-02")
def _br_02(c: Ctx, out: list[Finding]) -> None:
    if blank(c.inv.number):
        fail(out, "BR-02", "number", "La facture doit avoir un numéro (BT-1).",
             "An invoice shall have an invoice number (BT-1).")


@rule("BR-03")
def _br_03(c: Ctx, out: list[Finding]) -> None:
    if c.inv.issue_date is None:
        fail(out, "BR-03", "issue_date", "La facture doit avoir une date d'émission (BT-2).",
             "An invoice shall have an issue date (BT-2).")


@rule("BR-04")
def _br_04(c: Ctx, out: list[Finding]) -> None:
    if blank(code(c.inv.type_code)):
        fail(out, "BR-04", "type_code", "La facture doit avoir un code de type de document (BT-3).",
             "An invoice shall have an invoice type code (BT-3).")


@rule("BR-05")
def _br_05(c: Ctx, out: list[Finding]) -> None:
    if blank(c.inv.currency):
        fail(out, "BR-05", "currency", "La facture doit indiquer sa devise (BT-5).",
             "An invoice shall have an invoice currency code (BT-5).")


@rule("BR-06")
def _br_06(c: Ctx, out: list[Finding]) -> None:
    if blank(c.inv.seller.name):
        fail(out, "BR-06", "seller.name", "La facture doit indiquer la raison sociale du vendeur (BT-27).",
             "An invoice shall contain the seller name (BT-27).")


@rule("BR-07")
def _br_07(c: Ctx, out: list[Finding]) -> None:
    if blank(c.inv.buyer.name):
        fail(out, "BR-07", "buyer.name", "La facture doit indiquer le nom de l'acheteur (BT-44).",
             "An invoice shall contain the buyer name (BT-44).")


@rule("BR-08")
def _br_08(c: Ctx, out: list[Finding]) -> None:
    if c.inv.seller.address is None:
        fail(out, "BR-08", "seller.address", "La facture doit contenir l'adresse postale du vendeur (BG-5).",
             "An invoice shall contain the seller postal address (BG-5).")


@rule("BR-09")
def _br_09(c: Ctx, out: list[Finding]) -> None:
    address = c.inv.seller.address
    if address is not None and blank(address.country):
        fail(out, "BR-09", "seller.address.country",
             "L'adresse du vendeur (BG-5) doit comporter le code pays (BT-40).",
             "The seller postal address (BG-5) shall contain a country code (BT-40).")


@rule("BR-10")
def _br_10(c: Ctx, out: list[Finding]) -> None:
    if c.inv.buyer.address is None:
        fail(out, "BR-10", "buyer.address", "La facture doit contenir l'adresse postale de l'acheteur (BG-8).",
             "An invoice shall contain the buyer postal address (BG-8).")


@rule("BR-11")
def _br_11(c: Ctx, out: list[Finding]) -> None:
    address = c.inv.buyer.address
    if address is not None and blank(address.country):
        fail(out, "BR-11", "buyer.address.country",
             "L'adresse de l'acheteur (BG-8) doit comporter le code pays (BT-55).",
             "The buyer postal address (BG-8) shall contain a country code (BT-55).")


_MANDATORY_TOTALS = (
    ("BR-12", "line_net_total", "BT-106", "la somme des montants nets des lignes",
     "the sum of invoice line net amounts"),
    ("BR-13", "tax_exclusive", "BT-109", "le montant total HT", "the invoice total amount without VAT"),
    ("BR-14", "tax_inclusive", "BT-112", "le montant total TTC", "the invoice total amount with VAT"),
    ("BR-15", "amount_due", "BT-115", "le montant net à payer", "the amount due for payment"),
)


def _mandatory_total(rule_id: str, field: str, bt: str, fr: str, en: str) -> RuleFn:
    def check(c: Ctx, out: list[Finding]) -> None:
        if getattr(c.inv.totals, field) is None:
            fail(out, rule_id, f"totals.{field}", f"La facture doit indiquer {fr} ({bt}).",
                 f"An invoice shall have {en} ({bt}).")

    return check


for _args in _MANDATORY_TOTALS:
    rule(_args[0])(_mandatory_total(*_args))


@rule("BR-16")
def _br_16(c: Ctx, out: list[Finding]) -> None:
    if not c.inv.lines:
        fail(out, "BR-16", "lines", "La facture doit comporter au moins une ligne (BG-25).",
             "An invoice shall have at least one invoice line (BG-25).")


@rule("BR-17")
def _br_17(c: Ctx, out: list[Finding]) -> None:
    payee, seller = c.inv.payee, c.inv.seller
    if payee is None:
        return
    same = (
        payee.name.strip() == seller.name.strip()
        or (payee.identifier is not None and any(i.value == payee.identifier.value for i in seller.identifiers))
        or (
            payee.legal_registration is not None
            and seller.legal_registration is not None
            and payee.legal_registration.value == seller.legal_registration.value
        )
    )
    if blank(payee.name) or same:
        fail(out, "BR-17", "payee.name",
             "Le bénéficiaire (BG-10) n'est indiqué que s'il diffère du vendeur, et son nom (BT-59) est alors "
             "obligatoire. Renseignez le nom du bénéficiaire, ou retirez-le s'il s'agit du vendeur.",
             "The payee (BG-10) is only given when it differs from the seller, and then its name (BT-59) is "
             "mandatory. Give the payee name, or remove the payee if it is the seller.")


@rule("BR-18")
def _br_18(c: Ctx, out: list[Finding]) -> None:
    rep = c.inv.tax_representative
    if rep is not None and blank(rep.name):
        fail(out, "BR-18", "tax_representative.name",
             "Le représentant fiscal du vendeur (BG-11) doit avoir un nom (BT-62).",
             "The seller tax representative (BG-11) shall have a name (BT-62).")


@rule("BR-19")
def _br_19(c: Ctx, out: list[Finding]) -> None:
    rep = c.inv.tax_representative
    if rep is not None and rep.address is None:
        fail(out, "BR-19", "tax_representative.address",
             "Le représentant fiscal du vendeur (BG-11) doit avoir une adresse postale (BG-12).",
             "The seller tax representative (BG-11) shall have a postal address (BG-12).")


@rule("BR-20")
def _br_20(c: Ctx, out: list[Finding]) -> None:
    rep = c.inv.tax_representative
    if rep is not None and rep.address is not None and blank(rep.address.country):
        fail(out, "BR-20", "tax_representative.address.country",
             "L'adresse du représentant fiscal (BG-12) doit comporter le code pays (BT-69).",
             "The tax representative postal address (BG-12) shall contain a country code (BT-69).")


# Line rules: one function per rule, each a tight loop over the lines.


@rule("BR-21")
def _br_21(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        if blank(line.id):
            fail(out, "BR-21", f"lines[{i}].id", f"La ligne n° {i + 1} doit avoir un identifiant (BT-126).",
                 f"Invoice line #{i + 1} shall have a line identifier (BT-126).")


@rule("BR-22")
def _br_22(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        if line.quantity is None:
            fr, en = c.line_labels[i]
            fail(out, "BR-22", f"lines[{i}].quantity", f"{fr} : la quantité facturée (BT-129) est obligatoire.",
                 f"{en}: the invoiced quantity (BT-129) is mandatory.")


@rule("BR-23")
def _br_23(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        if blank(line.unit):
            fr, en = c.line_labels[i]
            fail(out, "BR-23", f"lines[{i}].unit", f"{fr} : l'unité de la quantité (BT-130) est obligatoire.",
                 f"{en}: the unit of measure of the quantity (BT-130) is mandatory.")


@rule("BR-24")
def _br_24(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        if line.net_amount is None:
            fr, en = c.line_labels[i]
            fail(out, "BR-24", f"lines[{i}].net_amount", f"{fr} : le montant net de la ligne (BT-131) est obligatoire.",
                 f"{en}: the invoice line net amount (BT-131) is mandatory.")


@rule("BR-25")
def _br_25(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        if line.item is None or blank(line.item.name):
            fr, en = c.line_labels[i]
            fail(out, "BR-25", f"lines[{i}].item.name", f"{fr} : le nom de l'article (BT-153) est obligatoire.",
                 f"{en}: the item name (BT-153) is mandatory.")


@rule("BR-26")
def _br_26(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        if line.price is None or line.price.net_price is None:
            fr, en = c.line_labels[i]
            fail(out, "BR-26", f"lines[{i}].price.net_price",
                 f"{fr} : le prix net de l'article (BT-146) est obligatoire.",
                 f"{en}: the item net price (BT-146) is mandatory.")


@rule("BR-27")
def _br_27(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        price = line.price
        if price is not None and price.net_price is not None and price.net_price < 0:
            fr, en = c.line_labels[i]
            fail(out, "BR-27", f"lines[{i}].price.net_price",
                 f"{fr} : le prix net (BT-146) ne peut pas être négatif ({fr_num(price.net_price)}). Pour déduire un "
                 "montant, utilisez une quantité négative ou une remise.",
                 f"{en}: the item net price (BT-146) shall not be negative ({price.net_price}). To deduct an "
                 "amount, use a negative quantity or an allowance.")


@rule("BR-28")
def _br_28(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        price = line.price
        if price is not None and price.gross_price is not None and price.gross_price < 0:
            fr, en = c.line_labels[i]
            fail(out, "BR-28", f"lines[{i}].price.gross_price",
                 f"{fr} : le prix brut (BT-148) ne peut pas être négatif ({fr_num(price.gross_price)}).",
                 f"{en}: the item gross price (BT-148) shall not be negative ({price.gross_price}).")


def _period_reversed(period: Period | None) -> bool:
    return period is not None and period.start is not None and period.end is not None and period.end < period.start


@rule("BR-29")
def _br_29(c: Ctx, out: list[Finding]) -> None:
    period = c.inv.invoicing_period
    if _period_reversed(period):
        fail(out, "BR-29", "invoicing_period.end",
             f"La fin de la période de facturation (BT-74, {fr_date(period.end)}) précède son début (BT-73, "
             f"{fr_date(period.start)}).",
             f"The invoicing period end date (BT-74, {period.end}) is before its start date (BT-73, {period.start}).")


@rule("BR-30")
def _br_30(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        if _period_reversed(line.period):
            fr, en = c.line_labels[i]
            fail(out, "BR-30", f"lines[{i}].period.end",
                 f"{fr} : la fin de période (BT-135) précède son début (BT-134).",
                 f"{en}: the line period end date (BT-135) is before its start date (BT-134).")


# Document level allowances (BG-20) and charges (BG-21).

_AC_WORDS = {
    False: ("la remise de pied de facture", "Document level allowance", "BT-92", "BT-95", "BT-97", "BT-98"),
    True: ("les frais de pied de facture", "Document level charge", "BT-99", "BT-102", "BT-104", "BT-105"),
}


def _ac_rules(is_charge: bool, ids: tuple[str, str, str, str]) -> None:
    amount_id, category_id, reason_id, co_id = ids
    fr_what, en_what, bt_amount, bt_cat, bt_reason, bt_code = _AC_WORDS[is_charge]

    def indices(c: Ctx) -> list[int]:
        return c.charges if is_charge else c.allowances

    def amount(c: Ctx, out: list[Finding]) -> None:
        for i in indices(c):
            if c.inv.allowances_charges[i].amount is None:
                fail(out, amount_id, f"allowances_charges[{i}].amount",
                     f"Le montant de {fr_what} n° {i + 1} ({bt_amount}) est obligatoire.",
                     f"{en_what} #{i + 1} shall have an amount ({bt_amount}).")

    def category(c: Ctx, out: list[Finding]) -> None:
        for i in indices(c):
            if blank(code(c.inv.allowances_charges[i].vat_category)):
                fail(out, category_id, f"allowances_charges[{i}].vat_category",
                     f"La catégorie de TVA de {fr_what} n° {i + 1} ({bt_cat}) est obligatoire.",
                     f"{en_what} #{i + 1} shall have a VAT category code ({bt_cat}).")

    def reason(rule_id: str) -> RuleFn:
        def check(c: Ctx, out: list[Finding]) -> None:
            for i in indices(c):
                ac = c.inv.allowances_charges[i]
                if blank(ac.reason) and blank(ac.reason_code):
                    fail(out, rule_id, f"allowances_charges[{i}].reason",
                         f"Le motif de {fr_what} n° {i + 1} est obligatoire : indiquez un libellé ({bt_reason}) "
                         f"ou un code ({bt_code}).",
                         f"{en_what} #{i + 1} shall have a reason ({bt_reason}) or a reason code ({bt_code}).")

        return check

    rule(amount_id)(amount)
    rule(category_id)(category)
    rule(reason_id)(reason(reason_id))
    rule(co_id)(reason(co_id))


_ac_rules(False, ("BR-31", "BR-32", "BR-33", "BR-CO-21"))
_ac_rules(True, ("BR-36", "BR-37", "BR-38", "BR-CO-22"))


def _line_ac_rules(is_charge: bool, amount_id: str, reason_id: str, co_id: str) -> None:
    fr_what = "des frais" if is_charge else "de la remise"
    en_what = "charge" if is_charge else "allowance"
    bt_amount, bt_reason, bt_code = ("BT-141", "BT-144", "BT-145") if is_charge else ("BT-136", "BT-139", "BT-140")

    def amount(c: Ctx, out: list[Finding]) -> None:
        for i, line in enumerate(c.inv.lines):
            for j, ac in enumerate(line.allowances_charges):
                if ac.is_charge is is_charge and ac.amount is None:
                    fr, en = c.line_labels[i]
                    fail(out, amount_id, f"lines[{i}].allowances_charges[{j}].amount",
                         f"{fr} : le montant {fr_what} n° {j + 1} ({bt_amount}) est obligatoire.",
                         f"{en}: {en_what} #{j + 1} shall have an amount ({bt_amount}).")

    def reason(rule_id: str) -> RuleFn:
        def check(c: Ctx, out: list[Finding]) -> None:
            for i, line in enumerate(c.inv.lines):
                for j, ac in enumerate(line.allowances_charges):
                    if ac.is_charge is is_charge and blank(ac.reason) and blank(ac.reason_code):
                        fr, en = c.line_labels[i]
                        fail(out, rule_id, f"lines[{i}].allowances_charges[{j}].reason",
                             f"{fr} : le motif {fr_what} n° {j + 1} est obligatoire : indiquez un libellé "
                             f"({bt_reason}) ou un code ({bt_code}).",
                             f"{en}: {en_what} #{j + 1} shall have a reason ({bt_reason}) or a reason code "
                             f"({bt_code}).")

        return check

    rule(amount_id)(amount)
    rule(reason_id)(reason(reason_id))
    rule(co_id)(reason(co_id))


_line_ac_rules(False, "BR-41", "BR-42", "BR-CO-23")
_line_ac_rules(True, "BR-43", "BR-44", "BR-CO-24")


@rule("BR-45")
def _br_45(c: Ctx, out: list[Finding]) -> None:
    for i, group in enumerate(c.inv.vat_breakdown):
        if group.taxable_amount is None:
            fail(out, "BR-45", f"vat_breakdown[{i}].taxable_amount",
                 f"Le récapitulatif de TVA n° {i + 1} (BG-23) doit indiquer la base imposable (BT-116).",
                 f"VAT breakdown #{i + 1} (BG-23) shall have a taxable amount (BT-116).")


@rule("BR-46")
def _br_46(c: Ctx, out: list[Finding]) -> None:
    for i, group in enumerate(c.inv.vat_breakdown):
        if group.tax_amount is None:
            fail(out, "BR-46", f"vat_breakdown[{i}].tax_amount",
                 f"Le récapitulatif de TVA n° {i + 1} (BG-23) doit indiquer le montant de TVA (BT-117).",
                 f"VAT breakdown #{i + 1} (BG-23) shall have a tax amount (BT-117).")


@rule("BR-47")
def _br_47(c: Ctx, out: list[Finding]) -> None:
    for i, group in enumerate(c.inv.vat_breakdown):
        if blank(code(group.category)):
            fail(out, "BR-47", f"vat_breakdown[{i}].category",
                 f"Le récapitulatif de TVA n° {i + 1} (BG-23) doit indiquer sa catégorie de TVA (BT-118).",
                 f"VAT breakdown #{i + 1} (BG-23) shall have a VAT category code (BT-118).")


@rule("BR-48")
def _br_48(c: Ctx, out: list[Finding]) -> None:
    for i, group in enumerate(c.inv.vat_breakdown):
        if group.rate is None and code(group.category) != "O":
            fail(out, "BR-48", f"vat_breakdown[{i}].rate",
                 f"Le récapitulatif de TVA n° {i + 1} (BG-23) doit indiquer le taux (BT-119) ; seule la "
                 "catégorie O (hors champ) n'en a pas.",
                 f"VAT breakdown #{i + 1} (BG-23) shall have a VAT rate (BT-119); only category O "
                 "(not subject to VAT) has none.")


@rule("BR-49")
def _br_49(c: Ctx, out: list[Finding]) -> None:
    payment = c.inv.payment
    if payment is not None and blank(payment.means_code):
        fail(out, "BR-49", "payment.means_code",
             "Les instructions de paiement (BG-16) doivent indiquer le moyen de paiement (BT-81).",
             "The payment instructions (BG-16) shall give the payment means type code (BT-81).")


@rule("BR-50")
def _br_50(c: Ctx, out: list[Finding]) -> None:
    payment = c.inv.payment
    if payment is None:
        return
    for j, transfer in enumerate(payment.credit_transfers):
        if blank(transfer.account_id):
            fail(out, "BR-50", f"payment.credit_transfers[{j}].account_id",
                 "Un virement (BG-17) doit indiquer le compte à créditer (BT-84), par exemple l'IBAN.",
                 "A credit transfer (BG-17) shall give the payment account identifier (BT-84), e.g. the IBAN.")


@rule("BR-51")
def _br_51(c: Ctx, out: list[Finding]) -> None:
    payment = c.inv.payment
    if payment is not None and payment.card is not None and len(payment.card.account_number.strip()) > 10:
        fail(out, "BR-51", "payment.card.account_number",
             "Le numéro de carte (BT-87) ne doit jamais figurer en entier sur une facture : au plus les "
             "6 premiers et 4 derniers chiffres (normes PCI DSS).",
             "The card primary account number (BT-87) shall never appear in full on an invoice: at most the "
             "first 6 and last 4 digits (PCI DSS).")


@rule("BR-52")
def _br_52(c: Ctx, out: list[Finding]) -> None:
    for i, document in enumerate(c.inv.additional_documents):
        if blank(document.reference):
            fail(out, "BR-52", f"additional_documents[{i}].reference",
                 f"Le justificatif n° {i + 1} (BG-24) doit avoir une référence (BT-122).",
                 f"Additional supporting document #{i + 1} (BG-24) shall have a reference (BT-122).")


@rule("BR-53")
def _br_53(c: Ctx, out: list[Finding]) -> None:
    inv = c.inv
    if blank(inv.tax_currency):
        return
    # When BT-6 is the invoice currency itself, BT-110 already is the VAT total in that currency.
    same = inv.tax_currency.strip() == inv.currency.strip()
    if (inv.totals.tax_total if same else inv.totals.tax_total_accounting) is None:
        fail(out, "BR-53", "totals.tax_total_accounting",
             f"La TVA est déclarée en {inv.tax_currency} (BT-6) : indiquez le montant total de TVA dans cette "
             "devise (BT-111).",
             f"VAT is accounted in {inv.tax_currency} (BT-6): give the total VAT amount in that currency (BT-111).")


@rule("BR-54")
def _br_54(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        for j, attribute in enumerate(line.item.attributes if line.item is not None else ()):
            if blank(attribute.name) or blank(attribute.value):
                fr, en = c.line_labels[i]
                fail(out, "BR-54", f"lines[{i}].item.attributes[{j}]",
                     f"{fr} : chaque attribut d'article (BG-32) doit avoir un nom (BT-160) et une valeur (BT-161).",
                     f"{en}: each item attribute (BG-32) shall have a name (BT-160) and a value (BT-161).")


@rule("BR-55")
def _br_55(c: Ctx, out: list[Finding]) -> None:
    for i, preceding in enumerate(c.inv.preceding_invoices):
        if blank(preceding.reference):
            fail(out, "BR-55", f"preceding_invoices[{i}].reference",
                 "Chaque référence à une facture antérieure (BG-3) doit indiquer son numéro (BT-25).",
                 "Each preceding invoice reference (BG-3) shall contain the preceding invoice number (BT-25).")


@rule("BR-56")
def _br_56(c: Ctx, out: list[Finding]) -> None:
    rep = c.inv.tax_representative
    if rep is not None and blank(rep.vat_id):
        fail(out, "BR-56", "tax_representative.vat_id",
             "Le représentant fiscal du vendeur (BG-11) doit avoir un numéro de TVA (BT-63).",
             "The seller tax representative (BG-11) shall have a VAT identifier (BT-63).")


@rule("BR-57")
def _br_57(c: Ctx, out: list[Finding]) -> None:
    delivery = c.inv.delivery
    if delivery is not None and delivery.address is not None and blank(delivery.address.country):
        fail(out, "BR-57", "delivery.address.country",
             "L'adresse de livraison (BG-15) doit comporter le code pays (BT-80).",
             "The deliver to address (BG-15) shall contain a country code (BT-80).")


_CREDIT_TRANSFER_MEANS = frozenset({"30", "58"})


@rule("BR-61")
def _br_61(c: Ctx, out: list[Finding]) -> None:
    payment = c.inv.payment
    means = code(payment.means_code).strip() if payment is not None else ""
    if means not in _CREDIT_TRANSFER_MEANS:
        return
    if not any(not blank(t.account_id) for t in payment.credit_transfers):
        fail(out, "BR-61", "payment.credit_transfers",
             f"Le paiement est un virement (code {means}) : indiquez le compte à créditer "
             "(BT-84), par exemple l'IBAN.",
             f"Payment is by credit transfer (code {means}): give the payment account "
             "identifier (BT-84), e.g. the IBAN.")


@rule("BR-62")
def _br_62(c: Ctx, out: list[Finding]) -> None:
    address = c.inv.seller.electronic_address
    if address is not None and blank(address.scheme):
        fail(out, "BR-62", "seller.electronic_address.scheme",
             "L'adresse électronique du vendeur (BT-34) doit indiquer son schéma d'identification (BT-34-1).",
             "The seller electronic address (BT-34) shall have a scheme identifier (BT-34-1).")


@rule("BR-63")
def _br_63(c: Ctx, out: list[Finding]) -> None:
    address = c.inv.buyer.electronic_address
    if address is not None and blank(address.scheme):
        fail(out, "BR-63", "buyer.electronic_address.scheme",
             "L'adresse électronique de l'acheteur (BT-49) doit indiquer son schéma d'identification (BT-49-1).",
             "The buyer electronic address (BT-49) shall have a scheme identifier (BT-49-1).")


@rule("BR-64")
def _br_64(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        standard = line.item.standard_id if line.item is not None else None
        if standard is not None and blank(standard.scheme):
            fr, en = c.line_labels[i]
            fail(out, "BR-64", f"lines[{i}].item.standard_id.scheme",
                 f"{fr} : l'identifiant normalisé de l'article (BT-157) doit indiquer son schéma (BT-157-1).",
                 f"{en}: the item standard identifier (BT-157) shall have a scheme identifier (BT-157-1).")


@rule("BR-65")
def _br_65(c: Ctx, out: list[Finding]) -> None:
    for i, line in enumerate(c.inv.lines):
        for j, classification in enumerate(line.item.classifications if line.item is not None else ()):
            if blank(classification.scheme):
                fr, en = c.line_labels[i]
                fail(out, "BR-65", f"lines[{i}].item.classifications[{j}].scheme",
                     f"{fr} : la classification de l'article (BT-158) doit indiquer son schéma (BT-158-1).",
                     f"{en}: the item classification identifier (BT-158) shall have a scheme identifier (BT-158-1).")
