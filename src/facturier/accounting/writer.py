"""Writing a transfer's entries: COPY on PostgreSQL (a hundred thousand documents in seconds), bulk_create elsewhere.

Both paths write exactly the same rows from the same drafts; the PostgreSQL one takes the ids from
the table's own sequence first, then streams both tables with COPY in the transfer's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.db import connection

from facturier.accounting.entries import EntryDraft
from facturier.accounting.fec import clean
from facturier.accounting.mapping import ZERO, account_label
from facturier.accounting.models import EntryLine, JournalEntry

CHUNK = 5000
ENTRY_COLUMNS = ("id", "organisation_id", "transfer_id", "journal", "journal_label", "fiscal_year", "number", "date",
                 "piece_ref", "piece_date", "label", "origin", "document_id", "payment_id", "write_off_id", "total",
                 "lettering_group")
LINE_COLUMNS = ("entry_id", "position", "account", "account_label", "aux_account", "aux_label", "debit", "credit",
                "currency_amount", "currency", "lettering", "lettering_date", "lettered_by_id")


def _text(value: str) -> str:
    """A text field of COPY's text format: tabs and line breaks out (`clean`), backslashes escaped."""
    if "\t" in value or "\n" in value or "\r" in value or "\\" in value:
        return clean(value).replace("\\", "\\\\")
    return value


def _opt(value) -> str:
    return "\\N" if value is None else str(value)


def write(entries: list[EntryDraft], *, organisation_id: int, transfer_id: int, journals: dict,
          progress: Callable[[int, int], None] | None = None) -> Decimal:
    """Write the entries and their lines; returns the transfer's total debit (= total credit)."""
    if connection.vendor == "postgresql":
        return _copy(entries, organisation_id, transfer_id, journals, progress)
    return _orm(entries, organisation_id, transfer_id, journals, progress)


def _copy(entries, organisation_id, transfer_id, journals, progress) -> Decimal:
    """One COPY per table, written chunk by chunk as the rows are made: the server inserts one chunk while
    this process formats the next (two processes, two cores), instead of each waiting for the other."""
    texts: dict[str, str] = {}  # account labels, customer codes and names repeat: formatted once

    def text(value: str) -> str:
        found = texts.get(value)
        if found is None:
            found = texts[value] = _text(value)
        return found

    total, n = ZERO, len(entries)
    org, tr = str(organisation_id), str(transfer_id)
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # psycopg's own cursor, for COPY
        cursor.execute("SELECT nextval(pg_get_serial_sequence('accounting_journalentry', 'id')) "
                       "FROM generate_series(1, %s)", [n])
        ids = [str(row[0]) for row in cursor.fetchall()]
        codes = {key: (code, text(label)) for key, (code, label) in journals.items()}
        with cursor.copy(f"COPY accounting_journalentry ({', '.join(ENTRY_COLUMNS)}) FROM STDIN") as copy:
            for i in range(0, n, CHUNK):
                rows = []
                for pk, e in zip(ids[i:i + CHUNK], entries[i:i + CHUNK], strict=True):
                    code, journal_label = codes[e.journal]
                    entry_total = e.total
                    total += entry_total
                    rows.append("\t".join((
                        pk, org, tr, code, journal_label, e.fiscal_year.isoformat(), str(e.number),
                        e.date.isoformat(), _text(e.piece_ref), e.piece_date.isoformat(), _text(e.label), e.origin,
                        str(e.document_id), _opt(e.payment_id), _opt(e.write_off_id), str(entry_total),
                        str(e.group))))
                copy.write("\n".join(rows) + "\n")
        labels: dict[str, str] = {}
        with cursor.copy(f"COPY accounting_entryline ({', '.join(LINE_COLUMNS)}) FROM STDIN") as copy:
            for i in range(0, n, CHUNK):
                rows = []
                for pk, e in zip(ids[i:i + CHUNK], entries[i:i + CHUNK], strict=True):
                    for pos, li in enumerate(e.lines, 1):
                        account = li.account
                        label = labels.get(account)
                        if label is None:
                            label = labels[account] = _text(account_label(account))
                        amount = li.amount
                        rows.append("\t".join((
                            pk, str(pos), account, label, text(li.aux), text(li.aux_label),
                            str(amount) if amount > 0 else "0", str(-amount) if amount < 0 else "0",
                            _opt(li.currency_amount), li.currency, li.lettering,
                            li.lettering_date.isoformat() if li.lettering_date else "\\N",
                            tr if li.lettering else "\\N")))
                copy.write("\n".join(rows) + "\n")
                if progress:
                    progress(min(i + CHUNK, n), n)
    return total


def _orm(entries, organisation_id, transfer_id, journals, progress) -> Decimal:
    total, n = ZERO, len(entries)
    labels: dict[str, str] = {}
    for i in range(0, n, CHUNK):
        chunk = entries[i:i + CHUNK]
        rows = JournalEntry.objects.bulk_create([
            JournalEntry(organisation_id=organisation_id, transfer_id=transfer_id, journal=journals[e.journal][0],
                         journal_label=journals[e.journal][1], fiscal_year=e.fiscal_year, number=e.number,
                         date=e.date, piece_ref=clean(e.piece_ref), piece_date=e.piece_date, label=clean(e.label),
                         origin=e.origin, document_id=e.document_id, payment_id=e.payment_id,
                         write_off_id=e.write_off_id, total=e.total, lettering_group=e.group) for e in chunk])
        lines = []
        for row, e in zip(rows, chunk, strict=True):
            total += e.total
            for pos, li in enumerate(e.lines, 1):
                label = labels.get(li.account) or labels.setdefault(li.account, account_label(li.account))
                lines.append(EntryLine(
                    entry_id=row.pk, position=pos, account=li.account, account_label=label, aux_account=li.aux,
                    aux_label=clean(li.aux_label), debit=li.amount if li.amount > 0 else ZERO,
                    credit=-li.amount if li.amount < 0 else ZERO, currency_amount=li.currency_amount,
                    currency=li.currency, lettering=li.lettering, lettering_date=li.lettering_date,
                    lettered_by_id=transfer_id if li.lettering else None))
        EntryLine.objects.bulk_create(lines, batch_size=CHUNK)
        if progress:
            progress(i + len(chunk), n)
    return total
