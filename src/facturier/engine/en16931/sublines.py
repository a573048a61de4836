"""Sub-lines: the line hierarchy of two extensions of EN 16931, on one flat model.

EN 16931 has no line hierarchy: every invoice line (BG-25) counts in the totals. Two
extensions add one, each its own way, and the model holds both with the same two fields
of `InvoiceLine` (outside the EN 16931 core, which stays unchanged):

- ``parent_line_id`` (Factur-X EXTENDED BT-X-304, CII ``ram:ParentLineID``): the line this
  one details; None for a line at the top;
- ``subtype`` (Factur-X EXTENDED BT-X-8, CII ``ram:LineStatusReasonCode``): DETAIL (or None)
  for a line that counts in the totals (BT-106 and the VAT breakdown), GROUP for a subtotal
  of its DETAIL and GROUP children, INFORMATION for a line that counts nowhere.

Factur-X EXTENDED (CII) keeps the lines flat, in any order, and counts the DETAIL ones at
every level. The XRechnung 3.0 extension (UBL, ``cac:SubInvoiceLine``, BG-DEX-01) nests
each sub-line inside its parent, has no sub-type, and counts the top-level lines only
(BR-CO-10 sums ``/Invoice/cac:InvoiceLine``); a parent's amount should be the sum of its
sub-lines' (BR-DEX-02, a warning) and every sub-line has one VAT category (BR-DEX-03).

So a Factur-X hierarchy can be written as nested UBL sub-lines only when both readings
give the same totals: per VAT category and rate, the top-level lines add up to what the
counted lines add up to (`nesting_problems` says why not, line by line). Read back from
UBL, the sub-types are derived from the nesting (`derive_subtypes`): a line whose amount
is the sum of its sub-lines', all in its VAT category and rate, is a GROUP of them;
otherwise it is a DETAIL and what hangs below it is INFORMATION. Both readings then agree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from decimal import Decimal

from facturier.engine.en16931.model import Invoice, InvoiceLine
from facturier.engine.errors import Message

__all__ = [
    "DETAIL",
    "GROUP",
    "INFORMATION",
    "derive_subtypes",
    "has_sub_lines",
    "in_tree_order",
    "nesting_problems",
]

MAX_DEPTH = 100
"""The deepest sub-line a nested document is written with (deeper is refused, never cut)."""

DETAIL = "DETAIL"
GROUP = "GROUP"
INFORMATION = "INFORMATION"


def has_sub_lines(invoice: Invoice) -> bool:
    """Whether the invoice has a line hierarchy or lines that do not count in the totals."""
    return any(line.parent_line_id is not None or not line.counts_in_totals for line in invoice.lines)


def _children(lines: Sequence[InvoiceLine]) -> tuple[list[int], dict[str, list[int]]]:
    """The top-level line indices, and the child indices of each parent id (in document order)."""
    top: list[int] = []
    children: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        if line.parent_line_id is None:
            top.append(i)
        else:
            children.setdefault(line.parent_line_id, []).append(i)
    return top, children


def in_tree_order(lines: Sequence[InvoiceLine]) -> tuple[InvoiceLine, ...]:
    """The lines in the order a nested document holds them: each parent, then its sub-lines.

    Lines whose parent cannot be reached (unknown parent, cycle) are left out: check
    `nesting_problems` first.
    """
    top, children = _children(lines)
    out: list[InvoiceLine] = []
    seen: set[int] = set()

    def visit(i: int) -> None:
        if i in seen:
            return
        seen.add(i)
        out.append(lines[i])
        for child in children.get(lines[i].id, ()):
            visit(child)

    for i in top:
        visit(i)
    return tuple(out)


def _vat_key(line: InvoiceLine) -> tuple[str, Decimal | None]:
    rate = line.vat.rate
    return str(line.vat.category), None if rate is None else rate.normalize()


def _sums(lines: Iterable[InvoiceLine]) -> dict[tuple[str, Decimal | None], Decimal]:
    out: dict[tuple[str, Decimal | None], Decimal] = {}
    for line in lines:
        key = _vat_key(line)
        out[key] = out.get(key, Decimal(0)) + line.net_amount
    return {k: v for k, v in out.items() if v != 0}


def _shown(ids: Sequence[str]) -> str:
    return ", ".join(ids[:10]) + (" …" if len(ids) > 10 else "")


def nesting_problems(invoice: Invoice) -> list[Message]:
    """Why the line hierarchy cannot be written as nested UBL sub-lines with the same totals
    (empty when it can): unknown or ambiguous parents, cycles, lines without a VAT category,
    or top-level lines that do not add up, per VAT category and rate, to the counted lines."""
    lines = invoice.lines
    out: list[Message] = []
    ids = [line.id for line in lines]
    duplicated = sorted({i for i in ids if ids.count(i) > 1 and any(li.parent_line_id == i for li in lines)})
    if duplicated:
        out.append(Message(
            fr=f"Plusieurs lignes portent l'identifiant {_shown(duplicated)}, que des sous-lignes désignent comme "
            "parent : on ne sait pas laquelle est le parent.",
            en=f"Several lines have the identifier {_shown(duplicated)}, which sub-lines name as their parent: "
            "which one is the parent is unknown.",
        ))
    known = set(ids)
    orphans = [line.id for line in lines if line.parent_line_id is not None and line.parent_line_id not in known]
    if orphans:
        out.append(Message(
            fr=f"Les lignes {_shown(orphans)} désignent une ligne parente qui n'existe pas dans la facture.",
            en=f"Lines {_shown(orphans)} name a parent line that the invoice does not have.",
        ))
    reached = {line.id for line in in_tree_order(lines)}
    cycle = [line.id for line in lines if line.parent_line_id in known and line.id not in reached]
    if cycle:
        out.append(Message(
            fr=f"Les lignes {_shown(cycle)} sont leurs propres ascendantes (boucle de lignes parentes).",
            en=f"Lines {_shown(cycle)} are their own ancestors (a loop of parent lines).",
        ))
    no_vat = [line.id for line in lines if not str(line.vat.category).strip()]
    if no_vat:
        out.append(Message(
            fr=f"Les lignes {_shown(no_vat)} n'ont pas de catégorie de TVA (ligne de groupe aux taux mélangés) : "
            "une ligne ou sous-ligne UBL en porte exactement une (BR-CO-04, BR-DEX-03).",
            en=f"Lines {_shown(no_vat)} have no VAT category (a group line of mixed rates): a UBL line or "
            "sub-line carries exactly one (BR-CO-04, BR-DEX-03).",
        ))
    if out:
        return out
    parent_of = {line.id: line.parent_line_id for line in lines}
    too_deep = []
    for line in lines:
        depth, at = 0, line.parent_line_id
        while at is not None and depth <= MAX_DEPTH:
            depth, at = depth + 1, parent_of.get(at)
        if depth > MAX_DEPTH:
            too_deep.append(line.id)
    if too_deep:
        return [Message(
            fr=f"Les lignes {_shown(too_deep)} sont à plus de {MAX_DEPTH} niveaux de sous-lignes.",
            en=f"Lines {_shown(too_deep)} are more than {MAX_DEPTH} levels of sub-lines deep.",
        )]
    top = [line for line in lines if line.parent_line_id is None]
    counted = [line for line in lines if line.counts_in_totals]
    if _sums(top) != _sums(counted):
        out.append(Message(
            fr="Les lignes de premier niveau ne totalisent pas, par catégorie et taux de TVA, les lignes de détail "
            "qui comptent dans les totaux (BT-106, ventilation de TVA) : en sous-lignes UBL, seules les lignes de "
            f"premier niveau ({_shown([line.id for line in top])}) comptent, et les totaux ne tomberaient plus juste.",
            en="The top-level lines do not add up, per VAT category and rate, to the detail lines that count in "
            "the totals (BT-106, VAT breakdown): with UBL sub-lines only the top-level lines "
            f"({_shown([line.id for line in top])}) count, and the totals would no longer add up.",
        ))
    return out


def derive_subtypes(lines: Sequence[InvoiceLine]) -> tuple[InvoiceLine, ...]:
    """Sub-types for lines read from nested UBL sub-lines (which have none), so that the
    lines that count (`InvoiceLine.counts_in_totals`) are exactly what the top-level lines
    stand for. Lines that already have a sub-type, and lines outside any hierarchy, are
    kept as they are."""
    top, children = _children(lines)
    if not children:
        return tuple(lines)
    subtypes: dict[int, str | None] = {}

    def group_of(i: int) -> bool:
        kids = children.get(lines[i].id, ())
        return bool(kids) and lines[i].net_amount == sum((lines[k].net_amount for k in kids), Decimal(0)) and all(
            _vat_key(lines[k]) == _vat_key(lines[i]) for k in kids
        )

    def mark(i: int, informational: bool, depth: int) -> None:
        if i in subtypes:
            return
        kids = children.get(lines[i].id, ())
        if informational:
            subtypes[i] = INFORMATION
        elif kids and group_of(i):
            subtypes[i] = GROUP
        else:
            subtypes[i] = DETAIL if kids or depth else None
        below_is_information = informational or (bool(kids) and subtypes[i] != GROUP)
        for k in kids:
            mark(k, below_is_information, depth + 1)

    for i in top:
        mark(i, False, 0)
    return tuple(
        line if line.subtype is not None or i not in subtypes else dataclasses.replace(line, subtype=subtypes[i])
        for i, line in enumerate(lines)
    )
