"""The demo operator: an organisation that hosts companies on plans and invoices them, run by `facturier demo`.

Idempotent like the rest of the demo. Two subscribers: one within its free tier, one that crossed
from 900 to 1,800 documents' worth of tranches in its current period (counted through the metering
service, as the archive would, rather than by issuing 950 real invoices). Its previous period,
closed here, is invoiced by the operator organisation through the ordinary pipeline.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from facturier.accounts.models import Organisation, Role, User
from facturier.accounts.services import membership_add, organisation_create
from facturier.billing.models import PeriodUsage, Plan
from facturier.billing.operator_billing import operator_member, periods_close, subscriber_customer
from facturier.billing.periods import add_months
from facturier.billing.services import meter, operator_organisation_set, subscription_set
from facturier.invoicing.models import Series

OPERATOR_SLUG = "demo-operateur"
OPERATOR_EMAIL = "operateur@facturier.test"
PASSWORD = "demo"


def _legal(name: str, siren: str, siret: str, vat: str, city: str, email: str) -> dict:
    return dict(legal_name=name, legal_form="SAS", siren=siren, siret=siret, vat_number=vat,
                registration=f"RCS Lyon {siren[:3]} {siren[3:6]} {siren[6:]}", address_line1="1 place Bellecour",
                postcode="69002", city=city, country="FR", email=email, iban="FR7630006000011234567890189",
                bic="AGRIFRPP")


COMPANIES = [  # slug, name, legal, user
    (OPERATOR_SLUG, "Memsoft e-facture (démo opérateur)",
     _legal("Memsoft e-facture SAS", "812345676", "81234567600017", "FR19812345676", "Lyon",
            "facturation@memsoft.test"), OPERATOR_EMAIL),
    ("demo-gratuit", "Boutique Gratuite (démo)",
     _legal("Boutique Gratuite SARL", "823456785", "82345678500018", "FR72823456785", "Lyon",
            "compta@boutique-gratuite.test"), "gratuit@facturier.test"),
    ("demo-croissance", "Croissance Industrie (démo)",
     _legal("Croissance Industrie SAS", "834567893", "83456789300013", "FR25834567893", "Villeurbanne",
            "compta@croissance.test"), "croissance@facturier.test"),
]

PLANS = [  # name, included, tranche size, tranche price, base price, capabilities off
    ("Découverte", 10, 900, Decimal("90.00"), Decimal("0.00"), ("api", "connectors", "platform_transmission")),
    ("Essentiel", 10, 900, Decimal("80.00"), Decimal("19.00"), ("api",)),
    ("Intégral", 10, 900, Decimal("70.00"), Decimal("49.00"), ()),
]


@functools.cache
def _demo_password() -> str:
    return make_password(PASSWORD)


def _user(email: str, *, operator: bool) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:  # hashed once for the three demo users, on creation only (hashing is the demo's slow part)
        user = User.objects.create_user(email, None)
        user.password = _demo_password()
        user.save(update_fields=["password"])
    if not user.is_active or user.is_platform_operator != operator:
        user.is_active, user.is_platform_operator = True, operator
        user.save(update_fields=["is_active", "is_platform_operator"])
    return user


def billing_demo(*, today: dt.date | None = None) -> Organisation:
    """The operator organisation, its plans and its two subscribers; returns the operator organisation."""
    today = today or timezone.localdate()
    organisations = {}
    for slug, name, legal, email in COMPANIES:
        organisation = Organisation.objects.filter(slug=slug).first() or organisation_create(
            slug=slug, name=name, legal=legal, effective_from=today - dt.timedelta(days=400))
        membership_add(organisation=organisation, user=_user(email, operator=slug == OPERATOR_SLUG), role=Role.OWNER)
        organisations[slug] = organisation
    plans = {}
    for name, included, size, price, base, off in PLANS:
        plans[name], _created = Plan.objects.update_or_create(name=name, defaults=dict(
            included_invoices=included, tranche_size=size, tranche_price=price, base_price=base, period_months=1,
            **{f: f not in off for f in ("sealing", "email_delivery", "archive", "platform_transmission",
                                         "connectors", "api")}))
    operator = organisations[OPERATOR_SLUG]
    Series.objects.update_or_create(organisation=operator, code="AB",
                                    defaults={"name": "Abonnements", "prefix": "AB-{year}-"})
    operator_organisation_set(by=None, organisation=operator)
    free, growth = organisations["demo-gratuit"], organisations["demo-croissance"]
    # Anniversaries some days back, so each has a current period under way and a closed one behind it.
    anniversary = add_months(today - dt.timedelta(days=12), -3)
    subscription_set(by=None, organisation=free, plan=plans["Découverte"], anniversary=anniversary, today=today)
    growing = subscription_set(by=None, organisation=growth, plan=plans["Essentiel"], anniversary=anniversary,
                               today=today)
    if not PeriodUsage.objects.filter(subscription__organisation__in=[free, growth]).exists():
        now = timezone.now()
        moment = timezone.make_aware(dt.datetime.combine(growing.period_start, dt.time(10)))
        earlier = moment - dt.timedelta(days=5)  # in the previous period
        meter(organisation_id=growth.pk, count=420, at=earlier)
        meter(organisation_id=free.pk, count=7, at=min(now, moment + dt.timedelta(hours=1)))
        meter(organisation_id=growth.pk, count=905, at=moment)  # 10 included, then tranche 1 (up to 910)
        meter(organisation_id=growth.pk, count=45, at=min(now, moment + dt.timedelta(days=1)))  # 950: tranche 2
    by = operator_member(operator)
    for subscription in (free.subscription, growth.subscription):
        subscriber_customer(by=by, subscription=subscription)
    periods_close(today=today)  # the previous period of "croissance": closed, invoiced by the operator
    return operator
