"""Money: exact decimals, the currency's minor unit, and the project's one rounding rule.

Every amount in Facturier is a `Decimal`. `round_amount` is the only place where an amount
is rounded (ROUND_HALF_UP to the currency's ISO 4217 exponent), so a total shown on screen,
printed on the PDF and written into the XML is always the same number.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from facturier.engine.errors import CalculationError, Message

__all__ = ["currency_exponent", "parse_decimal", "round_amount"]

# ISO 4217 minor units, for the currencies that do not use two decimals. Everything else in
# the EN 16931 currency list (BR-CL-04) has two, which is also the safe default.
_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV")
        + ("XAF", "XOF", "XPF"),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}

# xs:decimal's lexical space: what the XML syntaxes (and careful users) write. No exponent,
# no thousands separator, no comma — "1,5" is ambiguous and "1E3" is not a decimal in XML.
_DECIMAL_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def currency_exponent(code: str) -> int:
    """Number of decimals of the currency's minor unit (ISO 4217), 2 when unknown."""
    return _EXPONENTS.get((code or "").strip().upper(), 2)


def _require_finite_decimal(value: object) -> Decimal:
    if isinstance(value, (bool, float)):
        # A float has already lost the exact cents; refusing it is the only safe answer.
        raise CalculationError(
            Message(
                fr=f"Le montant {value!r} est un nombre à virgule flottante, qui a déjà perdu "
                "la valeur exacte ; "
                "utilisez un Decimal ou un texte.",
                en=f"The amount {value!r} is a floating-point number, which has already lost the "
                "exact value; use a Decimal or text.",
            )
        )
    if isinstance(value, int):
        value = Decimal(value)
    if not isinstance(value, Decimal):
        raise CalculationError(
            Message(
                fr=f"La valeur {value!r} n'est pas un nombre décimal ({type(value).__name__}).",
                en=f"The value {value!r} is not a decimal number ({type(value).__name__}).",
            )
        )
    if not value.is_finite():
        raise CalculationError(
            Message(
                fr=f"Le montant {value} n'est pas un nombre fini.",
                en=f"The amount {value} is not a finite number.",
            )
        )
    return value


def round_amount(value: Decimal, currency: str = "EUR") -> Decimal:
    """Round an amount half-up to the currency's exponent (0.005 EUR -> 0.01, 0.5 JPY -> 1).

    ROUND_HALF_UP rounds away from zero on ties, so -0.005 becomes -0.01: a credit line
    rounds to the mirror image of the invoice line it cancels.
    """
    value = _require_finite_decimal(value)
    quantum = Decimal(1).scaleb(-currency_exponent(currency))
    try:
        result = value.quantize(quantum, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:  # more digits than the decimal context holds
        raise CalculationError(
            Message(
                fr=f"Le montant {value} est trop grand pour être arrondi.",
                en=f"The amount {value} is too large to be rounded.",
            )
        ) from exc
    # -0.00 and 0.00 are the same amount; keep the sign out of totals and XML.
    return result.copy_abs() if result.is_zero() else result


def parse_decimal(text: str | Decimal | int) -> Decimal:
    """Read an exact decimal from text (xs:decimal syntax), a Decimal or an int.

    Floats, booleans, NaN, infinities, exponents and empty text are refused with a
    `CalculationError` that says, in French and English, what was wrong.
    """
    if isinstance(text, str):
        stripped = text.strip()
        if not _DECIMAL_RE.fullmatch(stripped):
            raise CalculationError(
                Message(
                    fr=f"« {text} » n'est pas un nombre décimal valide. "
                    "Écrivez par exemple 1234.56 (point décimal, sans espace ni exposant).",
                    en=f"'{text}' is not a valid decimal number. "
                    "Write for example 1234.56 (decimal point, no spaces or exponent).",
                )
            )
        return Decimal(stripped)
    return _require_finite_decimal(text)
