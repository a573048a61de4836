"""A printed list of documents: by date, or grouped by payment method with subtotals.

Amounts are net of discounts (the documents' own totals) and credit notes count negative,
as on the dashboard. Rendered by the same Typst compiler as the invoices.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from facturier.engine.pdf.render import _TYPST, format_amount, format_date

Model = Literal["by_date", "by_payment_method"]

LABELS = {
    "fr": {"title": "Liste des documents", "columns": ["Date", "Numéro", "Client", "Type", "HT", "TVA", "TTC",
                                                        "Reste dû"],
           "subtotal": "Sous-total", "total": "Total", "count": "Documents", "page": "Page",
           "no_method": "Sans règlement", "printed": "Imprimé le", "from": "Du", "to": "au"},
    "en": {"title": "List of documents", "columns": ["Date", "Number", "Customer", "Kind", "Excl. VAT", "VAT",
                                                      "Incl. VAT", "Amount due"],
           "subtotal": "Subtotal", "total": "Total", "count": "Documents", "page": "Page",
           "no_method": "No payment", "printed": "Printed on", "from": "From", "to": "to"},
}


@dataclass(frozen=True, slots=True)
class ListRow:
    issue_date: dt.date | None
    number: str
    customer: str
    kind: str
    """The kind as the reader should see it ("Facture", "Avoir"…)."""
    tax_exclusive: Decimal
    tax_total: Decimal
    tax_inclusive: Decimal
    amount_due: Decimal
    payment_method: str = ""
    """For the by-payment-method model: the label of the method the document was paid with."""
    currency: str = "EUR"


def _cells(row: ListRow, language: str) -> list[str]:
    money = lambda value: format_amount(value, row.currency, language)  # noqa: E731
    return [format_date(row.issue_date, language), row.number, row.customer, row.kind, money(row.tax_exclusive),
            money(row.tax_total), money(row.tax_inclusive), money(row.amount_due)]


def _sums(rows: Sequence[ListRow]) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return (sum((r.tax_exclusive for r in rows), Decimal(0)), sum((r.tax_total for r in rows), Decimal(0)),
            sum((r.tax_inclusive for r in rows), Decimal(0)), sum((r.amount_due for r in rows), Decimal(0)))


def render_document_list(rows: Sequence[ListRow], *, model: Model = "by_date", language: str = "fr",
                         organisation: str = "", period: tuple[dt.date, dt.date] | None = None,
                         printed: dt.datetime | None = None) -> bytes:
    labels = LABELS["fr" if language.startswith("fr") else "en"]
    currency = rows[0].currency if rows else "EUR"
    money = lambda value: format_amount(value, currency, language)  # noqa: E731
    if model == "by_payment_method":
        grouped: dict[str, list[ListRow]] = defaultdict(list)
        for row in rows:
            grouped[row.payment_method or labels["no_method"]].append(row)
        groups = []
        for title in sorted(grouped):
            members = sorted(grouped[title], key=lambda r: (r.issue_date or dt.date.min, r.number))
            ht, tva, ttc, due = _sums(members)
            groups.append({"title": title, "rows": [{"cells": _cells(r, language)} for r in members],
                           "subtotal": ["", "", f"{labels['subtotal']} ({len(members)})", "", money(ht), money(tva),
                                        money(ttc), money(due)]})
    else:
        ordered = sorted(rows, key=lambda r: (r.issue_date or dt.date.min, r.number))
        groups = [{"title": None, "rows": [{"cells": _cells(r, language)} for r in ordered], "subtotal": None}]
    ht, tva, ttc, due = _sums(rows)
    printed = (printed or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    data = {
        "language": "fr" if language.startswith("fr") else "en",
        "title": labels["title"], "organisation": organisation, "labels": labels, "columns": labels["columns"],
        "period": f"{labels['from']} {format_date(period[0], language)} {labels['to']} "
                  f"{format_date(period[1], language)}" if period else "",
        "printed": f"{labels['printed']} {format_date(printed.date(), language)}",
        "groups": groups,
        "totals": [[labels["count"], str(len(rows))], [columns_label(labels, 4), money(ht)],
                   [columns_label(labels, 5), money(tva)], [columns_label(labels, 6), money(ttc)],
                   [columns_label(labels, 7), money(due)]],
    }
    return _TYPST.compile("list.typ", {"list.json": json.dumps(data, ensure_ascii=False).encode()},
                          timestamp=printed, tags=False)


def columns_label(labels: dict, index: int) -> str:
    return f"{labels['total']} {labels['columns'][index]}"
