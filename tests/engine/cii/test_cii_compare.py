from dataclasses import replace
from decimal import Decimal

from cii_compare import first_difference
from cii_factories import french_invoice


def test_equal_models_have_no_difference():
    assert first_difference(french_invoice(), french_invoice()) is None


def test_the_first_differing_path_is_named():
    a = french_invoice()
    line = replace(a.lines[2], net_amount=Decimal("1"))
    b = replace(a, lines=(*a.lines[:2], line, *a.lines[3:]))
    assert first_difference(a, b) == "invoice.lines[2].net_amount: Decimal('100.00') != Decimal('1')"


def test_a_missing_item_is_reported():
    a = french_invoice()
    b = replace(a, notes=a.notes[:-1])
    assert first_difference(a, b) == "invoice.notes: 4 items != 3 items"
