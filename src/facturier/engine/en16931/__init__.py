"""The EN 16931 semantic model: codes, money, and the calculation of totals.

Framework-free: only the standard library and `facturier.engine` are imported here.
"""

from facturier.engine.en16931.calculation import (
    AllowanceChargeInput,
    LineInput,
    Totals,
    VatBreakdown,
    compute_totals,
)
from facturier.engine.en16931.codes import DocumentTypeCode, VatCategory, VatExemptionCode
from facturier.engine.en16931.money import currency_exponent, parse_decimal, round_amount

__all__ = [
    "AllowanceChargeInput",
    "DocumentTypeCode",
    "LineInput",
    "Totals",
    "VatBreakdown",
    "VatCategory",
    "VatExemptionCode",
    "compute_totals",
    "currency_exponent",
    "parse_decimal",
    "round_amount",
]
