"""Payment terms: the due date a rule gives, and the French mentions written on a document."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

from facturier.accounts.models import DueDateRule


def end_of_month(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def due_date(issue_date: dt.date, *, days: int, rule: str) -> dt.date:
    """The due date for `days` under a rule: net, "45 days end of month" (days then end of month),
    or "end of month, 45 days" (end of month then days) — the two readings of art. L441-10."""
    if rule == DueDateRule.END_OF_MONTH_AFTER:
        return end_of_month(issue_date + dt.timedelta(days=days))
    if rule == DueDateRule.END_OF_MONTH_BEFORE:
        return end_of_month(issue_date) + dt.timedelta(days=days)
    return issue_date + dt.timedelta(days=days)


_TEXTS = {
    "fr": {
        DueDateRule.NET: "Paiement à {days} jours à compter de la date de facture.",
        DueDateRule.END_OF_MONTH_AFTER: "Paiement à {days} jours fin de mois.",
        DueDateRule.END_OF_MONTH_BEFORE: "Paiement fin de mois, puis {days} jours.",
        "immediate": "Paiement à réception de facture.",
        "penalty": "En cas de retard de paiement, pénalités au taux annuel de {rate} %, exigibles "
                   "le jour suivant la date d'échéance.",
    },
    "en": {
        DueDateRule.NET: "Payment within {days} days of the invoice date.",
        DueDateRule.END_OF_MONTH_AFTER: "Payment within {days} days, end of month.",
        DueDateRule.END_OF_MONTH_BEFORE: "Payment at the end of the month, then {days} days.",
        "immediate": "Payment on receipt of the invoice.",
        "penalty": "Late payments bear interest at the annual rate of {rate}%, due from the day after "
                   "the due date.",
    },
}

INDEMNITY_EN = "Fixed indemnity for recovery costs in case of late payment: EUR 40."
DISCOUNT_EN = "No discount for early payment."


def payment_terms_text(language: str, *, days: int, rule: str) -> str:
    texts = _TEXTS.get(language, _TEXTS["fr"])
    return texts["immediate"] if days == 0 and rule == DueDateRule.NET else texts[rule].format(days=days)


def late_penalty_text(language: str, *, rate: Decimal) -> str:
    shown = f"{rate.normalize():f}".replace(".", ",") if language == "fr" else f"{rate.normalize():f}"
    return _TEXTS.get(language, _TEXTS["fr"])["penalty"].format(rate=shown)
