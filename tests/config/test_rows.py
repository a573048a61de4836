"""`config.rows.rows_of`: instances read through a statement written once, the same as the ORM's."""

import pytest

from facturier.config.rows import rows_of
from facturier.invoicing.models import Document, Line

pytestmark = pytest.mark.django_db


def test_rows_read_once_written_equal_the_orm_s_field_by_field(issued):
    [raw] = rows_of(Document, id=issued.pk, organisation_id=issued.organisation_id)
    orm = Document.objects.get(pk=issued.pk)
    for field in Document._meta.concrete_fields:  # dates, decimals, JSON snapshots, times, foreign keys
        assert getattr(raw, field.attname) == getattr(orm, field.attname), field.name
    assert not raw._state.adding
    lines = rows_of(Line, order="position", document_id=issued.pk)
    assert [(x.pk, x.position, x.quantity, x.unit_price, x.vat_rate) for x in lines] == \
        [(x.pk, x.position, x.quantity, x.unit_price, x.vat_rate) for x in issued.lines.order_by("position")]


def test_no_row_matching_gives_an_empty_list(issued):
    assert rows_of(Document, id=issued.pk, organisation_id=issued.organisation_id + 1000) == []
