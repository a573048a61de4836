"""E-reporting fixtures: an organisation selling to individuals, to a company abroad and to a French company."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone


def last_month() -> tuple[dt.date, dt.date]:
    """The previous calendar month (ended whatever day the suite runs)."""
    first_this = timezone.localdate().replace(day=1)
    end = first_this - dt.timedelta(days=1)
    return end.replace(day=1), end


@pytest.fixture
def month():
    return last_month()


@pytest.fixture
def simplified(org):
    from facturier.platforms.ereporting.services import profile_set

    return profile_set(by=org.owner, regime="simplified", start_date=dt.date(2026, 1, 1), auto_submit=True)


@pytest.fixture
def people(org):
    """(individual in France, company in Germany) customers of `org`."""
    from facturier.parties.services import customer_create

    since = dt.date(2020, 1, 1)
    person = customer_create(by=org.owner, code="P001", name="Camille Martin", effective_from=since,
                             billing_address={"line1": "3 rue des Lilas", "postcode": "69002", "city": "Lyon"},
                             contacts=[{"name": "Camille Martin", "email": "camille@example.test"}])
    abroad = customer_create(by=org.owner, code="DE01", name="Beispiel GmbH", vat_number="DE136695976",
                             effective_from=since,
                             billing_address={"line1": "Hauptstraße 1", "postcode": "10115", "city": "Berlin",
                                              "country": "DE"},
                             delivery_address={"line1": "Lager 2", "postcode": "10115", "city": "Berlin",
                                               "country": "DE"},
                             contacts=[{"name": "Buchhaltung", "email": "rechnung@beispiel.test"}])
    return person, abroad


@pytest.fixture
def sell(org):
    """sell(customer, [lines], day, operation="goods") -> the issued document."""
    from facturier.invoicing.services import document_issue, draft_create

    def make(customer, lines, day, operation="goods", **header):
        draft = draft_create(by=org.owner, customer_id=customer.pk, lines=lines, operation_category=operation,
                             **header)
        return document_issue(by=org.owner, document_id=draft.pk, issue_date=day)

    return make
