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


def fec_bytes(queryset, chunk_size: int = 20000, batch: int = 1000) -> Iterator[bytes]:
    """The file as byte blocks of about `batch` lines (a streaming response writes fewer, larger pieces)."""
    buffer: list[str] = []
    for line in fec_lines(queryset, chunk_size):
        buffer.append(line)
        if len(buffer) >= batch:
            yield "".join(buffer).encode(ENCODING)
            buffer.clear()
    if buffer:
        yield "".join(buffer).encode(ENCODING)
