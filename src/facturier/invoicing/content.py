"""What a draft holds (lines, allowances and charges), how it is checked and how it is totalled.

Input is validated field by field with messages that say what to fix; totals come from the
engine's EN 16931 calculation, so the same numbers appear on screen, in PDF and in XML.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from facturier.engine.en16931.calculation import AllowanceChargeInput, LineInput, Totals, compute_totals
from facturier.engine.en16931.codes import VatCategory, is_currency_code, is_unit_code
from facturier.engine.en16931.money import round_amount
from facturier.engine.errors import CalculationError
from facturier.errors import FacturierError
from facturier.invoicing.models import Kind

NO_NEGATIVE_QUANTITIES = {Kind.CREDIT_NOTE, Kind.DEPOSIT}
MAX_LINES = 5000


class InvalidDocument(FacturierError):
    """The draft's content is wrong; `errors` maps each field path to its messages."""

    code = "invalid_document"

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        first = next(iter(errors.items()))
        super().__init__(_("The document cannot be saved: %(field)s — %(problem)s"),
                         field=first[0], problem=first[1][0])


@dataclass(frozen=True, slots=True)
class LineData:
    """One line as a user or an import gives it (BG-25)."""

    name: str
    quantity: Decimal
    unit_price: Decimal
    vat_category: str = VatCategory.S.value
    vat_rate: Decimal | None = Decimal("20")
    unit: str = "C62"
    description: str = ""
    gross_price: Decimal | None = None
    price_base_quantity: Decimal = Decimal(1)
    discount_percent: Decimal = Decimal(0)
    exemption_reason: str = ""
    exemption_code: str = ""
    note: str = ""
    family: str = ""  # item family: a free code, mapped to a revenue account by the accounting


@dataclass(frozen=True, slots=True)
class AllowanceChargeData:
    """A document-level allowance (BG-20) or charge (BG-21): an amount, or a percentage of a base."""

    is_charge: bool = False
    amount: Decimal | None = None
    percent: Decimal | None = None
    base_amount: Decimal | None = None
    vat_category: str = VatCategory.S.value
    vat_rate: Decimal | None = Decimal("20")
    reason: str = ""
    reason_code: str = ""


def _coerce(cls, item: Any):
    if isinstance(item, cls):
        return item
    if isinstance(item, Mapping):
        known = {f.name for f in fields(cls)}
        unknown = set(item) - known
        if unknown:
            raise InvalidDocument({", ".join(sorted(unknown)): [str(_("unknown field"))]})
        return cls(**item)
    raise TypeError(f"expected {cls.__name__} or a mapping, got {type(item).__name__}")


def as_lines(items: Iterable[Any]) -> list[LineData]:
    return [_coerce(LineData, item) for item in items]


def as_allowances_charges(items: Iterable[Any]) -> list[AllowanceChargeData]:
    return [_coerce(AllowanceChargeData, item) for item in items]


def line_data_from(line) -> LineData:
    """The editable content of a stored line (to copy it into a credit note or a new draft)."""
    return LineData(name=line.name, quantity=line.quantity, unit_price=line.unit_price,
                    vat_category=line.vat_category, vat_rate=line.vat_rate, unit=line.unit,
                    description=line.description, gross_price=line.gross_price,
                    price_base_quantity=line.price_base_quantity, discount_percent=line.discount_percent,
                    exemption_reason=line.exemption_reason, exemption_code=line.exemption_code, note=line.note,
                    family=line.family)


def _decimal(value: Any) -> Decimal | None:
    """A Decimal from a Decimal, an int or a string; None for anything else (floats included)."""
    if isinstance(value, (bool, float)):
        return None
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


class _Errors:
    def __init__(self):
        self.by_field: dict[str, list[str]] = {}

    def add(self, path: str, message) -> None:
        self.by_field.setdefault(path, []).append(str(message))


def _check_vat(errors: _Errors, path: str, category: str, rate: Any, exemption_reason: str,
               exemption_code: str) -> tuple[VatCategory | None, Decimal | None]:
    try:
        cat = VatCategory(category)
    except ValueError:
        errors.add(f"{path}.vat_category", _("Unknown VAT category “%(value)s”. Use one of: %(choices)s.")
                   % {"value": category, "choices": ", ".join(c.value for c in VatCategory)})
        return None, None
    if cat is VatCategory.O:
        if rate not in (None, ""):
            errors.add(f"{path}.vat_rate", _("A supply outside the scope of VAT (O) has no VAT rate."))
        rate_d = None
    else:
        rate_d = _decimal(rate)
        if rate_d is None:
            errors.add(f"{path}.vat_rate", _("Give the VAT rate as a number, e.g. 20 or 5.5."))
        elif cat is VatCategory.S and not (Decimal(0) < rate_d < Decimal(100)):
            errors.add(f"{path}.vat_rate", _("A standard-rated line (S) needs a VAT rate above 0 and below 100."))
        elif cat not in (VatCategory.S, VatCategory.L, VatCategory.M) and rate_d != 0:
            errors.add(f"{path}.vat_rate", _("VAT category %(cat)s requires a rate of 0.") % {"cat": cat.value})
    if cat.requires_exemption_reason and not (exemption_reason.strip() or exemption_code.strip()):
        errors.add(f"{path}.exemption_reason",
                   _("VAT category %(cat)s needs an exemption reason (text or VATEX code), "
                     "e.g. “Autoliquidation” or VATEX-EU-AE.") % {"cat": cat.value})
    return cat, rate_d


def validate_content(*, kind: str, currency: str, lines: list[LineData],
                     allowances_charges: list[AllowanceChargeData]) -> None:
    """Refuse wrong input with one message per field; nothing is written when this raises."""
    errors = _Errors()
    if not is_currency_code(currency):
        errors.add("currency", _("Unknown currency code “%(value)s” (ISO 4217, e.g. EUR).") % {"value": currency})
    if len(lines) > MAX_LINES:
        errors.add("lines", _("A document holds at most %(n)d lines.") % {"n": MAX_LINES})
    for i, line in enumerate(lines):
        path = f"lines[{i + 1}]"
        if not line.name.strip():
            errors.add(f"{path}.name", _("Give the item a name."))
        quantity = _decimal(line.quantity)
        if quantity is None:
            errors.add(f"{path}.quantity", _("The quantity must be a number."))
        elif quantity < 0 and kind in NO_NEGATIVE_QUANTITIES:
            errors.add(f"{path}.quantity", _("A %(kind)s cannot have a negative quantity.")
                       % {"kind": Kind(kind).label.lower()})
        price = _decimal(line.unit_price)
        if price is None:
            errors.add(f"{path}.unit_price", _("The unit price must be a number."))
        elif price < 0:
            errors.add(f"{path}.unit_price", _("The unit price cannot be negative (BR-27); "
                                               "use a negative quantity or an allowance."))
        if line.gross_price is not None and (_decimal(line.gross_price) is None or
                                             (price is not None and _decimal(line.gross_price) < price)):
            errors.add(f"{path}.gross_price", _("The gross price must be a number not below the net price."))
        base = _decimal(line.price_base_quantity)
        if base is None or base <= 0:
            errors.add(f"{path}.price_base_quantity", _("The price base quantity must be above 0."))
        discount = _decimal(line.discount_percent)
        if discount is None or not (0 <= discount <= 100):
            errors.add(f"{path}.discount_percent", _("The line discount is a percentage between 0 and 100."))
        if not is_unit_code(line.unit):
            errors.add(f"{path}.unit", _("Unknown unit code “%(value)s” (UN/ECE Rec 20, e.g. C62, HUR, DAY).")
                       % {"value": line.unit})
        _check_vat(errors, path, line.vat_category, line.vat_rate, line.exemption_reason, line.exemption_code)
    for i, ac in enumerate(allowances_charges):
        path = f"allowances_charges[{i + 1}]"
        amount, percent, base = _decimal(ac.amount), _decimal(ac.percent), _decimal(ac.base_amount)
        if amount is None and (percent is None or base is None):
            errors.add(f"{path}.amount", _("Give an amount, or a percentage and its base amount."))
        elif (amount is not None and amount < 0) or (percent is not None and percent < 0):
            errors.add(f"{path}.amount", _("Allowances and charges are positive amounts."))
        if not (ac.reason.strip() or ac.reason_code.strip()):
            errors.add(f"{path}.reason", _("Give the reason of the allowance or charge (BR-33, BR-38)."))
        _check_vat(errors, path, ac.vat_category, ac.vat_rate, "-", "-")
    if errors.by_field:
        raise InvalidDocument(errors.by_field)


def allowance_charge_amount(ac: AllowanceChargeData, currency: str) -> Decimal:
    if ac.amount is not None:
        return round_amount(_decimal(ac.amount), currency)
    return round_amount(_decimal(ac.base_amount) * _decimal(ac.percent) / 100, currency)


def line_discount_amount(line: LineData, currency: str) -> Decimal:
    gross_net = Decimal(line.quantity) * Decimal(line.unit_price) / Decimal(line.price_base_quantity)
    return round_amount(gross_net * Decimal(line.discount_percent) / 100, currency)


def _rate(category: str, rate: Any) -> Decimal | None:
    return None if category == VatCategory.O.value else Decimal(rate)


def totals_of(*, currency: str, lines: list[LineData], allowances_charges: list[AllowanceChargeData],
              prepaid: Decimal = Decimal(0), tax_currency: str | None = None,
              tax_exchange_rate: Decimal | None = None) -> Totals:
    """The EN 16931 totals of validated content."""
    line_inputs = [
        LineInput(
            quantity=Decimal(line.quantity), net_price=Decimal(line.unit_price),
            vat_category=VatCategory(line.vat_category), vat_rate=_rate(line.vat_category, line.vat_rate),
            price_base_quantity=Decimal(line.price_base_quantity),
            allowances=(line_discount_amount(line, currency),) if line.discount_percent else (),
        ) for line in lines
    ]
    ac_inputs = [
        AllowanceChargeInput(is_charge=ac.is_charge, amount=allowance_charge_amount(ac, currency),
                             vat_category=VatCategory(ac.vat_category), vat_rate=_rate(ac.vat_category, ac.vat_rate))
        for ac in allowances_charges
    ]
    try:
        return compute_totals(line_inputs, ac_inputs, currency=currency, prepaid=prepaid,
                              tax_currency=tax_currency if tax_currency != currency else None,
                              tax_exchange_rate=tax_exchange_rate)
    except CalculationError as e:
        raise InvalidDocument({"totals": [e.message.in_language(_current_language())]}) from e


def _current_language() -> str:
    from django.utils import translation

    return translation.get_language() or "fr"
