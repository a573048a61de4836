"""Gapless, chronological numbering per series.

The series row is the counter: it is locked with SELECT … FOR UPDATE inside the issuing
transaction, so concurrent issuers queue on it, and a rolled-back issue gives its number
back. The unique constraint on (series, number_value) backs this up at the database level.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from facturier.errors import FacturierError
from facturier.invoicing.models import Series


class NotChronological(FacturierError):
    code = "not_chronological"


def series_take_number(*, series_id: int, issue_date: dt.date) -> tuple[int, str]:
    """The next number of the series for a document issued on `issue_date`; call inside a transaction."""
    series = Series.objects.select_for_update().get(pk=series_id)
    if series.last_issue_date and issue_date < series.last_issue_date:
        raise NotChronological(
            _("Series %(series)s already holds a document issued on %(last)s: numbers follow the dates, "
              "so this one cannot be issued on %(date)s. Issue it on %(last)s or later."),
            series=series.code, last=series.last_issue_date, date=issue_date)
    value = series.next_number
    series.next_number = value + 1
    series.last_issue_date = issue_date
    series.save(update_fields=["next_number", "last_issue_date"])
    return value, series.format_number(value, issue_date.year)
