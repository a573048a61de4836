"""Our own checker of a FEC file: the structural rules the tax administration's test tool applies.

Columns (18, named and ordered as article A47 A-1 lists them), field formats (dates AAAAMMJJ,
amounts with a comma, debit or credit), mandatory fields, each entry balanced and contiguous,
the whole file balanced, entry numbers continuous per journal, entry dates within the fiscal
year, lettering consistent (EcritureLet and DateLet together), currency columns together.
One pass over the lines, constant memory: it runs on every export before the file is offered.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal

from facturier.accounting.fec import COLUMNS

AMOUNT = re.compile(r"^-?\d+(,\d{1,2})?$")
DATE = re.compile(r"^\d{8}$")
MANDATORY = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "PieceRef",
             "PieceDate", "EcritureLib", "Debit", "Credit", "ValidDate")
MAX_PROBLEMS = 50


def _parse_date(text: str) -> dt.date | None:
    if not DATE.match(text):
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _amount(text: str, _match=AMOUNT.match) -> Decimal | None:
    return Decimal(text.replace(",", ".")) if _match(text) else None


def check(lines: Iterable[str], *, fiscal_start: dt.date | None = None,
          fiscal_end: dt.date | None = None) -> list[str]:
    """The problems found (empty: the file passes). `lines` are the file's text lines, header first."""
    problems: list[str] = []

    def problem(n: int, text: str) -> None:
        if len(problems) < MAX_PROBLEMS:
            problems.append(f"line {n}: {text}")

    it = iter(lines)
    header = next(it, "").rstrip("\r\n").split("\t")
    if header != COLUMNS:
        problem(1, f"the header must be the 18 columns {'|'.join(COLUMNS)}, found {'|'.join(header)}")
        return problems
    total_debit = total_credit = Decimal(0)
    last_number: dict[str, int] = {}
    current: tuple[str, str] | None = None
    entry_balance, entry_start, entry_date = Decimal(0), 0, ""
    n = 1

    def close_entry() -> None:
        if current is not None and entry_balance != 0:
            problem(entry_start, f"entry {current[0]} {current[1]} does not balance ({entry_balance})")

    dates: dict[str, dt.date | None] = {"": None}

    def day_of(text: str) -> dt.date | None:
        if text not in dates:
            dates[text] = _parse_date(text)
        return dates[text]

    for n, raw in enumerate(it, 2):
        fields = raw.rstrip("\r\n").split("\t")
        if len(fields) != 18:
            problem(n, f"{len(fields)} fields instead of 18")
            continue
        (journal, journal_label, number_text, entry_day, account, account_label, aux, aux_label, piece, piece_day,
         label, debit_text, credit_text, let, let_day, valid_day, cur_amount, currency) = fields
        if not all((journal, journal_label, number_text, entry_day, account, account_label, piece, piece_day, label,
                    debit_text, credit_text, valid_day)):
            for name, value in zip(COLUMNS, fields, strict=True):
                if name in MANDATORY and not value.strip():
                    problem(n, f"{name} is empty")
        for name, text in (("EcritureDate", entry_day), ("PieceDate", piece_day), ("ValidDate", valid_day),
                           ("DateLet", let_day)):
            if text and day_of(text) is None:
                problem(n, f"{name} “{text}” is not a date AAAAMMJJ")
        debit, credit = _amount(debit_text), _amount(credit_text)
        if debit is None or credit is None:
            problem(n, "Debit and Credit must be amounts with a decimal comma (1234,56)")
            continue
        if debit and credit:
            problem(n, "a line is either a debit or a credit, not both")
        if bool(aux) != bool(aux_label):
            problem(n, "CompAuxNum and CompAuxLib go together")
        if bool(let) != bool(let_day):
            problem(n, "EcritureLet and DateLet go together")
        if bool(cur_amount) != bool(currency):
            problem(n, "Montantdevise and Idevise go together")
        if cur_amount and _amount(cur_amount) is None:
            problem(n, "Montantdevise must be an amount with a decimal comma")
        day = day_of(entry_day)
        if day and fiscal_start and fiscal_end and not fiscal_start <= day <= fiscal_end:
            problem(n, f"EcritureDate {entry_day} is outside the fiscal year "
                       f"{fiscal_start:%Y%m%d}–{fiscal_end:%Y%m%d}")
        total_debit += debit
        total_credit += credit
        key = (journal, number_text)
        if key != current:
            close_entry()
            try:
                number = int(number_text)
            except ValueError:
                problem(n, f"EcritureNum “{number_text}” is not a number")
                number = None
            previous = last_number.get(journal)
            if number is not None:
                if previous is not None and number != previous + 1:
                    problem(n, f"journal {journal}: entry {number} follows {previous} (numbering must be continuous, "
                               "and the lines of an entry follow each other)")
                last_number[journal] = number
            current, entry_balance, entry_start, entry_date = key, Decimal(0), n, entry_day
        elif entry_day != entry_date:
            problem(n, f"entry {journal} {number_text} has two dates")
        entry_balance += debit - credit
    close_entry()
    if total_debit != total_credit:
        problem(n, f"the file does not balance: debit {total_debit}, credit {total_credit}")
    return problems
