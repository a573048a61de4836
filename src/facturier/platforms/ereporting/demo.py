"""The demo's sales to individuals: a few counter sales last month, so its e-reporting period can be built.

They have their own series ("VP", ventes aux particuliers): the demo's invoice series is numbered up to
today, and a series is chronological, so last month's sales could not be issued in it afterwards.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from facturier.invoicing.models import Document, Series
from facturier.invoicing.services import document_issue, draft_create
from facturier.parties.models import Customer
from facturier.parties.services import customer_create

SALES = (  # (day of the month, operation, [(item, unit price, VAT rate, quantity)])
    (3, "goods", [("Lampe de bureau", "49.90", "20", 1), ("Guide de l'éclairage", "18.00", "5.5", 1)]),
    (3, "goods", [("Ampoule LED", "6.50", "20", 4)]),
    (8, "services", [("Conseil en éclairage à domicile", "120.00", "20", 1)]),
    (12, "goods", [("Lampe de bureau", "49.90", "20", 2)]),
    (17, "services", [("Installation d'un luminaire", "75.00", "10", 1)]),
    (24, "goods", [("Guide de l'éclairage", "18.00", "5.5", 3)]),
)


def ereporting_demo(owner, *, today: dt.date, since: dt.date) -> int:
    """Last month's sales to an individual, once (cheap: six documents). Returns how many were issued."""
    from facturier.platforms.ereporting.models import EReportingProfile, Regime

    organisation = owner.organisation
    # Built and submitted by a click in the demo (the page shows the path); a real organisation's worker does it
    # at the end of each period unless its profile says otherwise.
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    EReportingProfile.objects.get_or_create(organisation=organisation, defaults={
        "regime": Regime.SIMPLIFIED, "start_date": last_month, "auto_submit": False})
    series, _created = Series.objects.get_or_create(
        organisation=organisation, code="VP", defaults={"name": "Ventes aux particuliers", "prefix": "VP-{year}-"})
    if Document.objects.filter(organisation=organisation, series=series).exists():
        return 0
    person = Customer.objects.filter(organisation=organisation, code="PART13").first() or customer_create(
        by=owner, code="PART13", name="Claire Fontaine (particulier)", effective_from=since,
        billing_address={"line1": "8 rue Mercière", "postcode": "69002", "city": "Lyon", "country": "FR"},
        contacts=[{"name": "Claire Fontaine", "email": "claire.fontaine@particulier.test"}])
    month_end = today.replace(day=1) - dt.timedelta(days=1)
    for day, operation, items in SALES:
        lines = [{"name": name, "unit": "C62", "unit_price": Decimal(price), "vat_rate": Decimal(rate),
                  "quantity": Decimal(quantity)} for name, price, rate, quantity in items]
        draft = draft_create(by=owner, customer_id=person.pk, lines=lines, series_id=series.pk,
                             operation_category=operation)
        document_issue(by=owner, document_id=draft.pk, issue_date=month_end.replace(day=min(day, month_end.day)))
    return len(SALES)
