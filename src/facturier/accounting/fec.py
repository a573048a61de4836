"""FEC (Fichier des écritures comptables, article A47 A-1 of the LPF), streamed: constant memory.

`fec_lines` yields the file one text line at a time, straight from the database cursor
(`.iterator(chunk_size=…)`), so a million entry lines never sit in memory. The file is offered
only once `fec_check` has passed over the same lines.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models.functions import TruncDate

from facturier.accounting.models import EntryLine, TransferState

COLUMNS = ["JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
           "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
           "ValidDate", "Montantdevise", "Idevise"]
ENCODING = "utf-8"


def fec_file_name(siren: str, closing: dt.date) -> str:
    return f"{siren}FEC{closing:%Y%m%d}.txt"


class _Dates(dict):
    """AAAAMMJJ of a date, each distinct date formatted once (a year has 366 of them)."""

    def __missing__(self, d: dt.date | None) -> str:
        text = self[d] = f"{d:%Y%m%d}" if d else ""
        return text


def _amount(value) -> str:
    return f"{value:.2f}".replace(".", ",")


def clean(text: str) -> str:
    """Text as a FEC field holds it: no tab, no line break (applied when an entry is written)."""
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def lines_queryset(organisation, *, start: dt.date | None = None, end: dt.date | None = None, transfer_id=None):
    qs = EntryLine.objects.filter(entry__organisation=organisation).exclude(
        entry__transfer__state=TransferState.CANCELLED)
    if transfer_id is not None:
        qs = qs.filter(entry__transfer_id=transfer_id)
    if start is not None:
        qs = qs.filter(entry__date__gte=start)
    if end is not None:
        qs = qs.filter(entry__date__lte=end)
    return qs.order_by("entry__journal", "entry__fiscal_year", "entry__number", "position")


ROW_FIELDS = ("entry__journal", "entry__journal_label", "entry__number", "entry__date", "account", "account_label",
              "aux_account", "aux_label", "entry__piece_ref", "entry__piece_date", "entry__label", "debit", "credit",
              "lettering", "lettering_date", "valid_date", "currency_amount", "currency")


def rows(queryset, chunk_size: int = 20000) -> Iterator[tuple]:
    """ValidDate is the day of the transfer (the day the entry became definitive in these books)."""
    queryset = queryset.annotate(valid_date=TruncDate("entry__transfer__created_at"))
    yield from queryset.values_list(*ROW_FIELDS).iterator(chunk_size=chunk_size)


def fec_lines(queryset, chunk_size: int = 20000) -> Iterator[str]:
    yield "\t".join(COLUMNS) + "\r\n"
    _date = _Dates()
    for (journal, journal_label, number, date, account, account_label, aux, aux_label, piece, piece_date, label,
         debit, credit, let, let_date, valid, cur_amount, currency) in rows(queryset, chunk_size):
        yield "\t".join((
            journal, journal_label, str(number), _date[date], account, account_label, aux,
            aux_label, piece, _date[piece_date], label, _amount(debit), _amount(credit), let,
            _date[let_date], _date[valid], _amount(cur_amount) if cur_amount is not None else "", currency,
        )) + "\r\n"


PG_LINES = """
SELECT concat_ws(E'\t', e.journal, e.journal_label, e.number::text, to_char(e.date, 'YYYYMMDD'), l.account,
       l.account_label, l.aux_account, l.aux_label, e.piece_ref, to_char(e.piece_date, 'YYYYMMDD'), e.label,
       replace(l.debit::text, '.', ','), replace(l.credit::text, '.', ','), l.lettering,
       coalesce(to_char(l.lettering_date, 'YYYYMMDD'), ''), to_char(t.created_at AT TIME ZONE %s, 'YYYYMMDD'),
       coalesce(replace(l.currency_amount::text, '.', ','), ''), l.currency) || E'\r\n'
FROM accounting_entryline l JOIN accounting_journalentry e ON e.id = l.entry_id
JOIN accounting_transfer t ON t.id = e.transfer_id
WHERE e.organisation_id = %s AND t.state <> 'cancelled' {where}
ORDER BY e.journal, e.fiscal_year, e.number, l.position"""


def pg_fec_lines(organisation_id: int, *, start=None, end=None, transfer_id=None,
                 chunk_size: int = 20000) -> Iterator[str]:
    """The same lines as `fec_lines`, formatted by PostgreSQL itself (several times faster for a million lines),
    read through a server-side cursor: constant memory."""
    from django.db import connection, transaction
    from django.utils import timezone

    where, params = "", [timezone.get_current_timezone_name(), organisation_id]
    for clause, value in (("AND e.date >= %s", start), ("AND e.date <= %s", end),
                          ("AND e.transfer_id = %s", transfer_id)):
        if value is not None:
            where += f" {clause}"
            params.append(value)
    yield "\t".join(COLUMNS) + "\r\n"
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(PG_LINES.format(where=where), params)
        while rows := cursor.fetchmany(chunk_size):
            for (line,) in rows:
                yield line


def fec_bytes(queryset, chunk_size: int = 20000, batch: int = 1000, lines: Iterator[str] | None = None
              ) -> Iterator[bytes]:
    """The file as byte blocks of about `batch` lines (a streaming response writes fewer, larger pieces)."""
    buffer: list[str] = []
    for line in lines if lines is not None else fec_lines(queryset, chunk_size):
        buffer.append(line)
        if len(buffer) >= batch:
            yield "".join(buffer).encode(ENCODING)
            buffer.clear()
    if buffer:
        yield "".join(buffer).encode(ENCODING)
