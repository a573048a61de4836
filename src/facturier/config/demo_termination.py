"""The demo's third company: one that left the platform (S1.10), terminated by its owner, its export produced.

`demo_terminated()` is idempotent: the company is created, given a few issued (and archived)
invoices, terminated once; its archive export is produced at once (the task would do it in the
worker; doing it here keeps the demo complete without one). Run `python3 verify.py` on the ZIP
(Settings → Termination → download, as its owner) in a clean virtual environment.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from facturier.accounts.models import Organisation, Role, Termination, User
from facturier.accounts.services import membership_add, organisation_create
from facturier.accounts.termination import organisation_terminate, termination_export
from facturier.archive.services import archive_document
from facturier.invoicing.models import Series
from facturier.invoicing.services import document_issue, draft_create
from facturier.parties.services import customer_create

SLUG = "demo-partie"
NAME = "Boulangerie Partie (démo)"
OWNER_EMAIL = "partie@facturier.test"
LEGAL = dict(legal_name="Boulangerie Partie SARL", legal_form="SARL", siren="732829320", siret="73282932000074",
             vat_number="FR44732829320", address_line1="3 rue du Four", postcode="69002", city="Lyon")


def demo_terminated(password: str) -> Termination:
    existing = Termination.objects.filter(organisation__slug=SLUG).first()
    if existing is not None:
        return termination_export(termination_id=existing.pk) if not existing.export_sha256 else existing
    today = timezone.localdate()
    start = today - dt.timedelta(days=200)
    with transaction.atomic():
        organisation = Organisation.objects.filter(slug=SLUG).first() or organisation_create(
            slug=SLUG, name=NAME, legal=LEGAL, effective_from=start)
        user = User.objects.filter(email=OWNER_EMAIL).first() or User.objects.create_user(OWNER_EMAIL, password)
        user.full_name = "Paul Partie"
        user.save()
        owner = membership_add(organisation=organisation, user=user, role=Role.OWNER)
        Series.objects.get_or_create(organisation=organisation, code="FA",
                                     defaults={"name": "Factures", "prefix": "FA-{year}-"})
        customer = customer_create(
            by=owner, code="EPIC01", name="Épicerie du Coin", siren="552100554", siret="55210055400013",
            effective_from=start, billing_address={"line1": "8 quai Saint-Vincent", "postcode": "69001",
                                                   "city": "Lyon"},
            contacts=[{"name": "Mme Coin", "email": "compta@epicerie.test"}])
        issued = []
        for i in range(3):
            draft = draft_create(by=owner, customer_id=customer.pk, lines=[
                {"name": "Pains de campagne", "unit": "C62", "unit_price": Decimal("2.40"),
                 "quantity": Decimal(120 + 10 * i), "vat_rate": Decimal("5.5")}])
            issued.append(document_issue(by=owner, document_id=draft.pk,
                                         issue_date=start + dt.timedelta(days=30 * (i + 1))).pk)
    for document_id in issued:
        archive_document(document_id)  # idempotent: the on-commit task may have done it already
    _subscribe_to_the_demo_operator(organisation, start, today)
    owner.refresh_from_db()
    termination = organisation_terminate(organisation_id=organisation.pk, by=owner, confirm_name=NAME,
                                         reason="Cessation d'activité (démo)")
    return termination_export(termination_id=termination.pk)


def _subscribe_to_the_demo_operator(organisation, start: dt.date, today: dt.date) -> None:
    """The third company of the demo operator (issue 16): on the free plan, then terminated — its
    subscription ends with the termination (billing listens to `organisation_terminated`)."""
    from django.apps import apps

    if not apps.is_installed("facturier.billing"):
        return
    from facturier.billing.models import Plan
    from facturier.billing.services import subscription_set

    plan = Plan.objects.filter(name="Découverte").first()
    if plan is not None:
        subscription_set(by=None, organisation=organisation, plan=plan, anniversary=start, today=today)
