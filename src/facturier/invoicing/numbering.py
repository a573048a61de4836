"""Gapless, chronological numbering per series.

The series row is the counter: it is locked by the UPDATE that takes the number, inside the
issuing transaction, so concurrent issuers queue on it, and a rolled-back issue gives its number
back. The unique constraint on (series, number_value) backs this up at the database level.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils.translation import gettext_lazy as _

from facturier.errors import FacturierError
from facturier.invoicing.models import Series


class NotChronological(FacturierError):
    code = "not_chronological"


def series_take_number(*, series_id: int, issue_date: dt.date) -> tuple[int, str]:
    """The next number of the series for a document issued on `issue_date`; call inside a transaction.

    One statement: the UPDATE takes the series row's lock (held until the issuing transaction
    ends), checks the chronology and moves the counter, and RETURNING gives the number taken,
    so concurrent issuers hold the lock for one round trip less than a SELECT … FOR UPDATE
    followed by an UPDATE. A concurrent issuer's UPDATE waits on the lock, then re-reads the
    row as committed (PostgreSQL re-checks the WHERE clause on the new version; SQLite's
    writers are serialised as a whole).
    """
    table = Series._meta.db_table
    day = connection.ops.adapt_datefield_value(issue_date)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET next_number = next_number + 1, last_issue_date = %s "
            "WHERE id = %s AND (last_issue_date IS NULL OR last_issue_date <= %s) "
            "RETURNING next_number - 1, prefix, padding",
            [day, series_id, day],
        )
        row = cursor.fetchone()
    if row is None:
        series = Series.objects.get(pk=series_id)  # the row exists: the chronology refused the date
        raise NotChronological(
            _("Series %(series)s already holds a document issued on %(last)s: numbers follow the dates, "
              "so this one cannot be issued on %(date)s. Issue it on %(last)s or later."),
            series=series.code, last=series.last_issue_date, date=issue_date)
    value, prefix, padding = row
    return value, Series(prefix=prefix, padding=padding).format_number(value, issue_date.year)
