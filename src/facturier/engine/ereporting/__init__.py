"""E-reporting (flux 10 of the 2026 French reform), framework-free: the report model, its calendar per
VAT regime, streaming aggregation, the XML format (`format.py`, our own until an official one is
published) and the rules a report must follow."""

from facturier.engine.ereporting.calendar import (
    DUE_DAYS_AFTER_PERIOD_END,
    Period,
    due_date,
    ended_periods,
    is_period,
    period_containing,
    periods_between,
)
from facturier.engine.ereporting.format import FormatError, file_name, parse, write
from facturier.engine.ereporting.model import (
    Category,
    DailyPayments,
    DailySummary,
    Declarant,
    Flow,
    Nature,
    PaymentRecord,
    Regime,
    Report,
    TaxSubtotal,
    Totals,
    Transaction,
    computed_totals,
)
from facturier.engine.ereporting.rules import check, validate

__all__ = [
    "DUE_DAYS_AFTER_PERIOD_END", "Category", "DailyPayments", "DailySummary", "Declarant", "Flow", "FormatError",
    "Nature", "PaymentRecord", "Period", "Regime", "Report", "TaxSubtotal", "Totals", "Transaction", "check",
    "computed_totals", "due_date", "ended_periods", "file_name", "is_period", "parse", "period_containing",
    "periods_between", "validate", "write",
]
