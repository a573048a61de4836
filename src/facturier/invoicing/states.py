"""The one transition table of a sales document, and the settlement state its amounts imply."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from facturier.errors import FacturierError
from facturier.invoicing.models import Document, State


class IllegalTransition(FacturierError):
    code = "illegal_transition"


# (from, to): what moves a document along. Anything else is refused.
TRANSITIONS: frozenset[tuple[str, str]] = frozenset({
    (State.DRAFT, State.ISSUED),                    # issue
    (State.ISSUED, State.PARTIALLY_PAID),           # payment or credit note
    (State.ISSUED, State.PAID),
    (State.PARTIALLY_PAID, State.PAID),
    (State.PARTIALLY_PAID, State.ISSUED),           # a payment cancelled
    (State.PAID, State.PARTIALLY_PAID),
    (State.PAID, State.ISSUED),
    (State.ISSUED, State.BAD_DEBT),                 # write-off of the whole amount
    (State.PARTIALLY_PAID, State.BAD_DEBT_PARTIAL),  # write-off of the remainder
})


def can_transition(current: str, to: str) -> bool:
    return (current, to) in TRANSITIONS


def transition(document: Document, *, to: State) -> None:
    """Move the document to `to`, or raise IllegalTransition saying why not. Staying put is allowed
    only between settlement states (a second partial payment leaves it partially paid)."""
    current = document.state
    if current == to and current not in (State.DRAFT, State.BAD_DEBT, State.BAD_DEBT_PARTIAL):
        return
    if not can_transition(current, to):
        raise IllegalTransition(
            _("A document that is “%(current)s” cannot become “%(to)s”."),
            current=State(current).label, to=State(to).label)
    document.state = to


def settlement_state(*, payable: Decimal, paid: Decimal, credited: Decimal, written_off: Decimal) -> State:
    """The state an issued document's amounts imply."""
    settled = paid + credited
    if written_off > 0:
        return State.BAD_DEBT_PARTIAL if settled > 0 else State.BAD_DEBT
    if settled >= payable:
        return State.PAID
    if settled > 0:
        return State.PARTIALLY_PAID
    return State.ISSUED
