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


def _amount(text: str) -> Decimal | None:
    return Decimal(text.replace(",", ".")) if AMOUNT.match(text) else None


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

    for n, raw in enumerate(it, 2):
        fields = raw.rstrip("\r\n").split("\t")
        if len(fields) != 18:
            problem(n, f"{len(fields)} fields instead of 18")
            continue
        row = dict(zip(COLUMNS, fields, strict=True))
        for name in MANDATORY:
            if not row[name].strip():
                problem(n, f"{name} is empty")
        for name in ("EcritureDate", "PieceDate", "ValidDate"):
            if row[name] and _parse_date(row[name]) is None:
                problem(n, f"{name} “{row[name]}” is not a date AAAAMMJJ")
        debit, credit = _amount(row["Debit"]), _amount(row["Credit"])
        if debit is None or credit is None:
            problem(n, "Debit and Credit must be amounts with a decimal comma (1234,56)")
            continue
        if debit and credit:
            problem(n, "a line is either a debit or a credit, not both")
        if bool(row["CompAuxNum"]) != bool(row["CompAuxLib"]):
            problem(n, "CompAuxNum and CompAuxLib go together")
        if bool(row["EcritureLet"]) != bool(row["DateLet"]):
            problem(n, "EcritureLet and DateLet go together")
        if row["DateLet"] and _parse_date(row["DateLet"]) is None:
            problem(n, f"DateLet “{row['DateLet']}” is not a date AAAAMMJJ")
        if bool(row["Montantdevise"]) != bool(row["Idevise"]):
            problem(n, "Montantdevise and Idevise go together")
        if row["Montantdevise"] and _amount(row["Montantdevise"]) is None:
            problem(n, "Montantdevise must be an amount with a decimal comma")
        day = _parse_date(row["EcritureDate"])
        if day and fiscal_start and fiscal_end and not fiscal_start <= day <= fiscal_end:
            problem(n, f"EcritureDate {row['EcritureDate']} is outside the fiscal year "
                       f"{fiscal_start:%Y%m%d}–{fiscal_end:%Y%m%d}")
        total_debit += debit
        total_credit += credit
        key = (row["JournalCode"], row["EcritureNum"])
        if key != current:
            close_entry()
            try:
                number = int(row["EcritureNum"])
            except ValueError:
                problem(n, f"EcritureNum “{row['EcritureNum']}” is not a number")
                number = None
            previous = last_number.get(key[0])
            if number is not None:
                if previous is not None and number != previous + 1:
                    problem(n, f"journal {key[0]}: entry {number} follows {previous} (numbering must be continuous, "
                               "and the lines of an entry follow each other)")
                last_number[key[0]] = number
            current, entry_balance, entry_start, entry_date = key, Decimal(0), n, row["EcritureDate"]
        elif row["EcritureDate"] != entry_date:
            problem(n, f"entry {key[0]} {key[1]} has two dates")
        entry_balance += debit - credit
    close_entry()
    if total_debit != total_credit:
        problem(n, f"the file does not balance: debit {total_debit}, credit {total_credit}")
    return problems
