"""The EN 16931 calculation of an invoice's totals (BG-22) and VAT breakdown (BG-23).

Amounts follow the standard's own order, so the result matches what the official rules
recompute: each line net amount (BT-131) is rounded on its own; the document totals are
sums of rounded amounts (BR-CO-10, BR-CO-11, BR-CO-12, BR-CO-13, BR-CO-15, BR-CO-16);
the VAT of each category and rate is computed once on that group's taxable amount
(BR-S-08/09, BR-Z-08, BR-E-08, BR-AE-08, BR-IC-08, BR-G-08, BR-O-08, BR-IG-08, BR-IP-08) and the
VAT total is the sum of the groups (BR-CO-14). Computing VAT per line and summing would
drift by a cent every few lines: the standard does not do it and neither do we.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from facturier.engine.en16931.codes import VatCategory
from facturier.engine.en16931.money import parse_decimal, round_amount
from facturier.engine.errors import CalculationError, Message

__all__ = ["AllowanceChargeInput", "LineInput", "Totals", "VatBreakdown", "compute_totals"]

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class LineInput:
    """What the calculation needs of a BG-25 invoice line."""

    quantity: Decimal
    """BT-129 Invoiced quantity (negative on a deposit-deduction or return line)."""
    net_price: Decimal
    """BT-146 Item net price, never negative (BR-27)."""
    vat_category: VatCategory
    """BT-151 Invoiced item VAT category code."""
    vat_rate: Decimal | None
    """BT-152 Invoiced item VAT rate, in percent; None only for category O (BR-O-05)."""
    price_base_quantity: Decimal = Decimal(1)
    """BT-149 Item price base quantity: the net price is for this many units."""
    allowances: tuple[Decimal, ...] = ()
    """BT-136 Invoice line allowance amounts (BG-27)."""
    charges: tuple[Decimal, ...] = ()
    """BT-141 Invoice line charge amounts (BG-28)."""


@dataclass(frozen=True, slots=True)
class AllowanceChargeInput:
    """A document level allowance (BG-20) or charge (BG-21)."""

    is_charge: bool
    """False for an allowance (BG-20), True for a charge (BG-21)."""
    amount: Decimal
    """BT-92 Document level allowance amount / BT-99 Document level charge amount."""
    vat_category: VatCategory
    """BT-95 / BT-102 VAT category code of the allowance or charge."""
    vat_rate: Decimal | None
    """BT-96 / BT-103 VAT rate of the allowance or charge; None only for category O."""


@dataclass(frozen=True, slots=True)
class VatBreakdown:
    """BG-23 VAT breakdown: one per VAT category and rate."""

    category: VatCategory
    """BT-118 VAT category code."""
    rate: Decimal | None
    """BT-119 VAT category rate; None for category O."""
    taxable_amount: Decimal
    """BT-116 VAT category taxable amount: line nets − allowances + charges of the group."""
    tax_amount: Decimal
    """BT-117 VAT category tax amount: BT-116 × BT-119 / 100, rounded once."""


@dataclass(frozen=True, slots=True)
class Totals:
    """BG-22 Document totals, with the BG-23 VAT breakdown they come from."""

    line_net_amounts: tuple[Decimal, ...]
    """BT-131 Invoice line net amount of each line, rounded, in input order."""
    line_total: Decimal
    """BT-106 Sum of Invoice line net amount (BR-CO-10)."""
    allowance_total: Decimal
    """BT-107 Sum of allowances on document level (BR-CO-11)."""
    charge_total: Decimal
    """BT-108 Sum of charges on document level (BR-CO-12)."""
    tax_exclusive: Decimal
    """BT-109 Invoice total amount without VAT: BT-106 − BT-107 + BT-108 (BR-CO-13)."""
    tax_total: Decimal
    """BT-110 Invoice total VAT amount: sum of BT-117 (BR-CO-14)."""
    tax_total_accounting: Decimal | None
    """BT-111 Invoice total VAT amount in accounting currency, when BT-6 differs from BT-5."""
    tax_inclusive: Decimal
    """BT-112 Invoice total amount with VAT: BT-109 + BT-110 (BR-CO-15)."""
    prepaid: Decimal
    """BT-113 Paid amount."""
    rounding: Decimal
    """BT-114 Rounding amount."""
    payable: Decimal
    """BT-115 Amount due for payment: BT-112 − BT-113 + BT-114 (BR-CO-16)."""
    vat_breakdown: tuple[VatBreakdown, ...]
    """BG-23 VAT breakdown, sorted by category (declaration order of VatCategory) and rate."""


def compute_totals(
    lines: Iterable[LineInput],
    allowances_charges: Iterable[AllowanceChargeInput] = (),
    *,
    currency: str = "EUR",
    prepaid: Decimal = _ZERO,
    rounding: Decimal = _ZERO,
    tax_currency: str | None = None,
    tax_exchange_rate: Decimal | None = None,
) -> Totals:
    """Compute BT-106..BT-115, BT-131 and BG-23 from lines and document allowances/charges.

    `currency` is BT-5 (it sets the rounding exponent); `tax_currency` is BT-6 and
    `tax_exchange_rate` converts one unit of BT-5 into BT-6 for BT-111. Raises
    `CalculationError` when the data cannot give amounts: a negative net price, a price
    base quantity that is not positive, a missing VAT rate, or a rate that contradicts the
    VAT category.
    """
    lines = tuple(lines)
    allowances_charges = tuple(allowances_charges)

    def money(value: Decimal) -> Decimal:
        return round_amount(parse_decimal(value), currency)

    # Zero at the currency's exponent (0.00 EUR, 0 JPY), so that even an empty sum has the
    # scale the XML writers print.
    zero = money(_ZERO)

    groups: dict[tuple[VatCategory, Decimal | None], Decimal] = {}

    def add(category: VatCategory, rate: Decimal | None, amount: Decimal) -> None:
        # Decimal("20") and Decimal("20.00") hash and compare equal: one group, as in BG-23.
        key = (category, rate)
        groups[key] = groups.get(key, zero) + amount

    line_nets: list[Decimal] = []
    for position, line in enumerate(lines, start=1):
        where = Message(fr=f"Ligne {position}", en=f"Line {position}")
        rate = _checked_rate(line.vat_category, line.vat_rate, where)
        net = _line_net_amount(line, where, money, zero)
        line_nets.append(net)
        add(line.vat_category, rate, net)

    allowance_total = charge_total = zero
    for position, item in enumerate(allowances_charges, start=1):
        kind = ("Frais", "charge") if item.is_charge else ("Remise", "allowance")
        where = Message(fr=f"{kind[0]} {position} du document", en=f"Document {kind[1]} {position}")
        rate = _checked_rate(item.vat_category, item.vat_rate, where)
        amount = money(item.amount)
        if item.is_charge:
            charge_total += amount
            add(item.vat_category, rate, amount)
        else:
            allowance_total += amount
            add(item.vat_category, rate, -amount)

    breakdown = tuple(
        VatBreakdown(
            category=category,
            rate=rate,
            taxable_amount=taxable,
            tax_amount=zero if rate is None else money(taxable * rate / _HUNDRED),
        )
        for (category, rate), taxable in sorted(groups.items(), key=_group_order)
    )

    line_total = sum(line_nets, zero)
    tax_exclusive = line_total - allowance_total + charge_total
    tax_total = sum((group.tax_amount for group in breakdown), zero)
    tax_inclusive = tax_exclusive + tax_total
    prepaid = money(prepaid)
    rounding = money(rounding)
    return Totals(
        line_net_amounts=tuple(line_nets),
        line_total=line_total,
        allowance_total=allowance_total,
        charge_total=charge_total,
        tax_exclusive=tax_exclusive,
        tax_total=tax_total,
        tax_total_accounting=_tax_total_accounting(tax_total, currency, tax_currency, tax_exchange_rate),
        tax_inclusive=tax_inclusive,
        prepaid=prepaid,
        rounding=rounding,
        payable=tax_inclusive - prepaid + rounding,
        vat_breakdown=breakdown,
    )


def _line_net_amount(
    line: LineInput, where: Message, money: Callable[[Decimal], Decimal], zero: Decimal
) -> Decimal:
    """BT-131 = round(BT-129 × BT-146 / BT-149) − Σ BT-136 + Σ BT-141."""
    quantity = parse_decimal(line.quantity)
    price = parse_decimal(line.net_price)
    base = parse_decimal(line.price_base_quantity)
    if price < 0:
        raise CalculationError(
            Message(
                fr=f"{where.fr} : le prix net est négatif ({price}), ce que la norme interdit "
                "(BR-27). Pour déduire un montant, utilisez une quantité négative ou une remise.",
                en=f"{where.en}: the net price is negative ({price}), which the standard forbids "
                "(BR-27). To deduct an amount, use a negative quantity or an allowance.",
            )
        )
    if base <= 0:
        raise CalculationError(
            Message(
                fr=f"{where.fr} : la quantité de base du prix vaut {base} ; elle doit être "
                "strictement positive (par exemple 1, ou 100 pour un prix au cent).",
                en=f"{where.en}: the price base quantity is {base}; it must be greater than zero "
                "(for example 1, or 100 for a price per hundred).",
            )
        )
    amount = money(quantity * price / base)
    amount -= sum((money(value) for value in line.allowances), zero)
    amount += sum((money(value) for value in line.charges), zero)
    return amount


def _checked_rate(category: VatCategory, rate: Decimal | None, where: Message) -> Decimal | None:
    """The rate to group by, after refusing the combinations no VAT breakdown can hold."""
    if not category.has_rate:
        if rate is not None:
            raise CalculationError(
                Message(
                    fr=f"{where.fr} : hors champ de la TVA (catégorie O) mais avec un taux "
                    f"({rate} %) ; retirez le taux (BR-O-05).",
                    en=f"{where.en}: outside the scope of VAT (category O) but with a "
                    f"rate ({rate}%); remove the rate (BR-O-05).",
                )
            )
        return None
    if rate is None:
        raise CalculationError(
            Message(
                fr=f"{where.fr} : aucun taux de TVA, alors que la catégorie "
                f"« {category.label('fr')} » ({category.value}) en exige un. Indiquez le taux.",
                en=f"{where.en}: no VAT rate, although category "
                f"'{category.label('en')}' ({category.value}) needs one. Give the rate.",
            )
        )
    rate = parse_decimal(rate)
    if rate < 0 or (category.requires_zero_rate and rate != 0):
        expected = ("0 %", "0%") if category.requires_zero_rate else ("positif ou nul", "zero or more")
        raise CalculationError(
            Message(
                fr=f"{where.fr} : le taux de TVA vaut {rate} % ; pour la catégorie "
                f"« {category.label('fr')} » ({category.value}) il doit être {expected[0]}.",
                en=f"{where.en}: the VAT rate is {rate}%; for category "
                f"'{category.label('en')}' ({category.value}) it must be {expected[1]}.",
            )
        )
    return rate


_CATEGORY_ORDER = {category: index for index, category in enumerate(VatCategory)}


def _group_order(item: tuple[tuple[VatCategory, Decimal | None], Decimal]) -> tuple[int, Decimal]:
    (category, rate), _ = item
    return _CATEGORY_ORDER[category], _ZERO if rate is None else rate


def _tax_total_accounting(
    tax_total: Decimal, currency: str, tax_currency: str | None, rate: Decimal | None
) -> Decimal | None:
    """BT-111: BT-110 converted into the VAT accounting currency (BT-6), when it differs."""
    if not tax_currency or tax_currency == currency:
        return None
    if rate is None:
        raise CalculationError(
            Message(
                fr=f"La TVA doit être déclarée en {tax_currency} mais aucun taux de change depuis "
                f"{currency} n'est indiqué. Indiquez le taux de change.",
                en=f"VAT is accounted in {tax_currency} but no exchange rate from {currency} is "
                "given. Give the exchange rate.",
            )
        )
    rate = parse_decimal(rate)
    if rate <= 0:
        raise CalculationError(
            Message(
                fr=f"Le taux de change {currency}→{tax_currency} vaut {rate} ; il doit être positif.",
                en=f"The {currency}→{tax_currency} exchange rate is {rate}; it must be positive.",
            )
        )
    return round_amount(tax_total * rate, tax_currency)
