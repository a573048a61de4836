"""Exports of a period or a transfer: FEC (checked before it is offered) and CSV column layouts.

CSV presets (a layout is a list of columns taken from the same rows as the FEC):
- "ebp": the ASCII import of EBP Compta as public integration notes describe it (comma separated, no
  header: entry number, date JJMMAAAA, journal, account, blank, "label", "piece", amount with a point,
  D or C, due date JJMMAAAA, then an empty field);
- "sage": a layout for Sage 100 Comptabilité's parametrable import ("format paramétrable"), semicolon
  separated with a header: journal, date JJMMAA, general account, third-party account, piece, label,
  debit, credit with a decimal comma — the same columns are declared once in Sage's import format;
- "journal": a plain journal, semicolon separated, ISO dates, one line per entry line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import connection
from django.utils.translation import gettext_lazy as _

from facturier.accounting import fec, fec_check
from facturier.accounting.mapping import AccountingRefused
from facturier.accounting.models import AccountingSettings
from facturier.accounting.services import fiscal_year_end, fiscal_year_of

F = {name: i for i, name in enumerate(("journal", "journal_label", "number", "date", "account", "account_label", "aux",
                                       "aux_label", "piece", "piece_date", "label", "debit", "credit", "lettering",
                                       "lettering_date", "valid", "currency_amount", "currency"))}


@dataclass(frozen=True)
class Layout:
    name: str
    delimiter: str
    header: bool
    columns: list[tuple[str, Callable[[tuple], str]]]
    quoting: int = csv.QUOTE_MINIMAL


def _d(fmt: str, key: str) -> Callable[[tuple], str]:
    return lambda r: r[F[key]].strftime(fmt) if r[F[key]] else ""


def _comma(key: str) -> Callable[[tuple], str]:
    return lambda r: f"{r[F[key]]:.2f}".replace(".", ",")


def _amount_side(r: tuple) -> tuple[str, str]:
    return (f"{r[F['debit']]:.2f}", "D") if r[F["debit"]] else (f"{r[F['credit']]:.2f}", "C")


def _field(key: str) -> Callable[[tuple], str]:
    return lambda r: str(r[F[key]] or "")


LAYOUTS = {
    "ebp": Layout("ebp", ",", False, [
        ("number", _field("number")), ("date", _d("%d%m%Y", "date")), ("journal", _field("journal")),
        ("account", lambda r: r[F["aux"]] or r[F["account"]]), ("blank", lambda r: ""),
        ("label", lambda r: r[F["label"]][:40]), ("piece", lambda r: r[F["piece"]][:15]),
        ("amount", lambda r: _amount_side(r)[0].rjust(13, "0")), ("side", lambda r: _amount_side(r)[1]),
        ("due", _d("%d%m%Y", "piece_date")), ("end", lambda r: ""),
    ]),
    "sage": Layout("sage", ";", True, [
        ("Journal", _field("journal")), ("Date", _d("%d%m%y", "date")), ("Compte général", _field("account")),
        ("Compte tiers", _field("aux")), ("Pièce", _field("piece")), ("Libellé", _field("label")),
        ("Débit", _comma("debit")), ("Crédit", _comma("credit")), ("Lettrage", _field("lettering")),
    ]),
    "journal": Layout("journal", ";", True, [
        ("journal", _field("journal")), ("number", _field("number")), ("date", _d("%Y-%m-%d", "date")),
        ("account", _field("account")), ("account_label", _field("account_label")), ("aux", _field("aux")),
        ("piece", _field("piece")), ("label", _field("label")), ("debit", _comma("debit")),
        ("credit", _comma("credit")), ("lettering", _field("lettering")),
        ("currency_amount", lambda r: f"{r[F['currency_amount']]:.2f}" if r[F["currency_amount"]] is not None else ""),
        ("currency", _field("currency")),
    ]),
}


def csv_bytes(queryset, layout: Layout, chunk_size: int = 5000) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=layout.delimiter, quoting=layout.quoting, lineterminator="\r\n")
    if layout.header:
        writer.writerow([name for name, _f in layout.columns])
    for n, row in enumerate(fec.rows(queryset, chunk_size), 1):
        writer.writerow([fn(row) for _name, fn in layout.columns])
        if n % 1000 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


@dataclass
class Export:
    name: str
    content_type: str
    problems: list[str]
    chunks: Callable[[], Iterator[bytes]]


def export(organisation, *, start: dt.date, end: dt.date, fmt: str = "fec", transfer_id: int | None = None) -> Export:
    """An export of the entries dated in a period (of one fiscal year). A FEC is checked first; a FEC that fails
    the checker carries its problems and must not be offered."""
    settings = AccountingSettings.objects.filter(organisation=organisation).first()
    if settings is None:
        raise AccountingRefused(_("Set up the accounting before exporting."))
    queryset = fec.lines_queryset(organisation, start=start, end=end, transfer_id=transfer_id)
    year = fiscal_year_of(start, settings.fiscal_year_start_month)
    closing = fiscal_year_end(year)
    profile = organisation.legal_profiles.order_by("-effective_from").first()
    siren = profile.siren if profile else "000000000"
    if fmt == "fec":
        def lines():
            if connection.vendor == "postgresql":
                return fec.pg_fec_lines(organisation.pk, start=start, end=end, transfer_id=transfer_id)
            return fec.fec_lines(queryset)

        problems = fec_check.check(lines(), fiscal_start=year, fiscal_end=closing)
        return Export(fec.fec_file_name(siren, closing), "text/plain; charset=utf-8", problems,
                      lambda: fec.fec_bytes(queryset, lines=lines()))
    if fmt not in LAYOUTS:
        raise AccountingRefused(_("Unknown export format “%(format)s”."), format=fmt)
    return Export(f"{siren}-{fmt}-{start:%Y%m%d}-{end:%Y%m%d}.csv", "text/csv; charset=utf-8", [],
                  lambda: csv_bytes(queryset, LAYOUTS[fmt]))
