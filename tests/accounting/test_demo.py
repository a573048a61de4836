"""The demo organisation's accounting: transferred entries, a bad-debt entry, a FEC that passes our checker,
and a fortnight left for a newcomer to transfer."""

import datetime as dt

import pytest
from django.utils import timezone

from facturier.accounting.exports import export
from facturier.accounting.models import JournalEntry, Origin
from facturier.accounting.services import fiscal_year_end, fiscal_year_of
from facturier.config.demo import demo_load

pytestmark = pytest.mark.django_db


def test_demo_has_transferred_entries_a_bad_debt_and_a_clean_fec():
    organisation = demo_load().organisation
    entries = JournalEntry.objects.filter(organisation=organisation)
    assert entries.filter(origin=Origin.DOCUMENT).count() > 30
    assert entries.filter(origin=Origin.WRITE_OFF, journal="OD").count() == 2
    today = timezone.localdate()
    start = fiscal_year_of(today, 1)
    out = export(organisation, start=start, end=fiscal_year_end(start))
    assert out.problems == []
    assert entries.filter(date__gt=today - dt.timedelta(days=15), origin=Origin.DOCUMENT).count() == 0
