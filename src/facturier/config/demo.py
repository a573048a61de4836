"""The demo organisation: a small French company with customers and documents in every state.

`demo_load()` is idempotent: the organisation, its users, settings and customers are created
or refreshed; documents are created once (issued documents are legal records and are never
deleted or rewritten), so running it twice leaves one organisation with the same documents.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from facturier.accounts.models import LegalProfile, Organisation, Role, User, VatRegime
from facturier.accounts.services import legal_profile_add, membership_add, organisation_create
from facturier.documents.services import certificate_demo_ensure
from facturier.invoicing.models import Document, Kind, Series, WriteOff
from facturier.invoicing.services import (
    corrective_create,
    credit_note_create,
    document_issue,
    draft_create,
    final_invoice_create,
)
from facturier.invoicing.settlement import payment_record, write_off
from facturier.parties.models import AddressKind, Customer
from facturier.parties.services import address_add, customer_create

DEMO_SLUG = "demo"
DEMO_EMAIL = "demo@facturier.test"
DEMO_PASSWORD = "demo"
ACCOUNTANT_EMAIL = "comptable@facturier.test"

LEGAL = dict(
    legal_name="Atelier Numérique Lumière SAS", legal_form="SAS", share_capital=Decimal("20000.00"),
    siren="884123456", siret="88412345600011", vat_number="FR52884123456", registration="RCS Lyon 884 123 456",
    address_line1="12 rue de la République", postcode="69002", city="Lyon", country="FR",
    contact_name="Service facturation", email="facturation@atelier-lumiere.test", phone="+33 4 78 00 00 00",
    iban="FR7630006000011234567890189", bic="AGRIFRPP",
)

# code, name, siren, siret, vat, city, extra
CUSTOMERS = [
    ("BOUL01", "Boulangerie Martin SARL", "412345670", "41234567000019", "FR96412345670", "Villeurbanne", {}),
    ("CAFE02", "Café des Arts SAS", "500123450", "50012345000016", "FR67500123450", "Lyon", {}),
    ("DIST03", "Distribution Rhône-Alpes SA", "798765434", "79876543400013", "FR69798765434", "Grenoble",
     {"payment_terms_days": 45, "due_date_rule": "eom_after"}),
    ("ECOL04", "École Montessori du Parc", "833111222", "83311122200018", "", "Lyon", {}),
    ("FERM05", "Ferme des Monts d'Or EARL", "444555668", "44455566800011", "FR48444555668", "Limonest", {}),
    ("GARA06", "Garage Central SARL", "912345675", "91234567500017", "FR65912345675", "Bron", {}),
    ("HOTE07", "Hôtel du Vieux Lyon SAS", "523456788", "52345678800018", "FR31523456788", "Lyon",
     {"language": "en"}),
    ("MAIR08", "Mairie de Caluire-et-Cuire", "612345678", "61234567800017", "", "Caluire-et-Cuire",
     {"is_public_sector": True, "chorus_service_code": "SERV-FIN-01", "preferred_channel": "chorus"}),
    ("PHAR09", "Pharmacie de la Croix-Rousse", "700123458", "70012345800015", "FR92700123458", "Lyon",
     {"preferred_channel": "platform"}),  # receives through the approved platform: the PA simulator (issue 14)
    ("RECY10", "Recyclage Avenir SCOP", "800123457", "80012345700015", "FR41800123457", "Vénissieux", {}),
    ("TRAN11", "Transports Saône SARL", "300123452", "30012345200017", "FR72300123452", "Mâcon",
     {"preferred_channel": "post"}),
    ("BERL12", "Berliner Design GmbH", "", "", "DE136695976", "Berlin",
     {"language": "en", "foreign_identifier": "HRB 123456", "foreign_identifier_scheme": "0204"}),
]

SERVICES = [
    ("Développement site web", "HUR", Decimal("85.00")),
    ("Maintenance mensuelle", "MON", Decimal("150.00")),
    ("Hébergement annuel", "ANN", Decimal("240.00")),
    ("Audit d'accessibilité", "DAY", Decimal("650.00")),
    ("Formation équipe (journée)", "DAY", Decimal("900.00")),
]
GOODS = [
    ("Écran 27 pouces", "C62", Decimal("329.90")),
    ("Câble HDMI 2 m", "C62", Decimal("12.50")),
]


@dataclass
class DemoResult:
    organisation: Organisation
    created_documents: int
    terminated: object = None
    """The third demo company, terminated, with its archive export (config/demo_termination.py)."""


def _line(item, quantity, **extra) -> dict:
    name, unit, price = item
    return {"name": name, "unit": unit, "unit_price": price, "quantity": Decimal(quantity), **extra}


def _user(email: str, name: str, *, staff: bool) -> User:
    user = User.objects.filter(email=email).first() or User.objects.create_user(email, DEMO_PASSWORD)
    user.full_name, user.is_staff, user.is_active = name, staff, True
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def _organisation(start: dt.date) -> Organisation:
    organisation = Organisation.objects.filter(slug=DEMO_SLUG).first()
    # VAT on receipts, the default for services: a payment on a services invoice sent through the PA owes 212.
    settings = dict(name="Atelier Lumière (démo)", payment_terms_days=30, vat_regime=VatRegime.NORMAL)
    if organisation is None:
        return organisation_create(slug=DEMO_SLUG, legal=LEGAL, effective_from=start, **settings)
    for name, value in settings.items():
        setattr(organisation, name, value)
    organisation.save()
    if not LegalProfile.objects.filter(organisation=organisation).exists():
        legal_profile_add(organisation=organisation, effective_from=start, **LEGAL)
    return organisation


def _customers(owner, start: dt.date) -> dict[str, Customer]:
    result = {}
    for code, name, siren, siret, vat, city, extra in CUSTOMERS:
        country = "DE" if vat.startswith("DE") else "FR"
        customer = Customer.objects.filter(organisation=owner.organisation, code=code).first()
        if customer is None:
            customer = customer_create(
                by=owner, code=code, name=name, siren=siren, siret=siret, vat_number=vat,
                effective_from=start,
                billing_address={"line1": f"{len(code) * 3} avenue {name.split()[0]}", "postcode":
                                 "10115" if country == "DE" else "69000", "city": city, "country": country},
                contacts=[{"name": "Service comptabilité", "email": f"compta@{code.lower()}.test"}],
                **extra)
        result[code] = customer
    # One customer has moved since: its older invoices keep the old address.
    address_add(by=owner, customer=result["CAFE02"], kind=AddressKind.BILLING,
                effective_from=start + dt.timedelta(days=60),
                line1="5 place des Terreaux", postcode="69001", city="Lyon", country="FR")
    letter_day = start + dt.timedelta(days=10)
    Customer.objects.filter(pk=result["FERM05"].pk).update(consent_letter_sent_on=letter_day)
    Customer.objects.filter(pk=result["TRAN11"].pk).update(consent_letter_sent_on=letter_day,
                                                           consent_refused_on=letter_day + dt.timedelta(days=4),
                                                           consent_refusal_origin="link")
    return result


def _mail(owner) -> None:
    """When the local mail catcher runs (`facturier run`), the demo sends to it."""
    from facturier.delivery.catcher import address, catcher_adopt

    running = address()
    if running is not None:
        catcher_adopt(slugs=(owner.organisation.slug,), host=running[0], port=running[1])


def _documents(owner, customers: dict[str, Customer], today: dt.date) -> int:
    """About fifty documents over four months, in issue-date order so numbering stays chronological."""
    c = customers
    day = today - dt.timedelta(days=120)
    made = 0

    def issued(kind, code, lines, *, days_after: int, **header) -> Document:
        nonlocal day, made
        day = min(today, day + dt.timedelta(days=days_after))
        document = draft_create(by=owner, kind=kind, customer_id=c[code].pk, lines=lines, **header)
        made += 1
        return document_issue(by=owner, document_id=document.pk, issue_date=day)

    def pay(document, amount=None, *, after: int = 10, method="transfer"):
        document.refresh_from_db()
        when = min(today, document.issue_date + dt.timedelta(days=after))
        payment_record(by=owner, document_id=document.pk, date=when, amount=amount or document.amount_due,
                       method=method, reference=f"VIR {document.number}")

    web, maint, host, audit, training = SERVICES
    screen, cable = GOODS
    invoices = []
    for i, code in enumerate(["BOUL01", "CAFE02", "DIST03", "ECOL04", "FERM05", "GARA06", "HOTE07", "PHAR09",
                              "RECY10", "TRAN11"] * 3):
        lines = [_line(web, 4 + i % 5), _line(maint, 1)]
        if i % 3 == 0:
            lines.append(_line(screen, 2, discount_percent=Decimal("10")))
        if code == "ECOL04":
            lines = [_line(training, 1, vat_category="E", vat_rate=Decimal(0),
                           exemption_reason="Exonération de TVA, article 261-4-4° du CGI (formation)")]
        extra = {"purchase_order": f"BC-{2026}-{100 + i}"} if i % 4 == 0 else {}
        if i % 5 == 0:
            extra["operation_category"] = "both"
        acs = [{"is_charge": True, "amount": Decimal("15.00"), "reason": "Frais de livraison", "reason_code": "DL"}] \
            if i % 7 == 0 else []
        invoices.append(issued(Kind.INVOICE, code, lines, days_after=3, allowances_charges=acs, **extra))
    # Settlement: most paid, some partially, a few still due.
    for i, invoice in enumerate(invoices[:22]):
        if i % 6 == 5:
            pay(invoice, (invoice.payable / 2).quantize(Decimal("0.01")), after=20)
        else:
            pay(invoice, after=5 + i % 20, method="card" if i % 4 == 0 else "transfer")
    # Public sector and export customers.
    invoices.append(issued(Kind.INVOICE, "MAIR08", [_line(audit, 3)], days_after=1, purchase_order="ENG-2026-0042"))
    invoices.append(issued(Kind.INVOICE, "BERL12", [_line(web, 12, vat_category="AE", vat_rate=Decimal(0),
                                                          exemption_reason="Autoliquidation")], days_after=1,
                           language="en"))
    # Deposits and the final invoice deducting them.
    deposit1 = issued(Kind.DEPOSIT, "DIST03", [_line(("Acompte 30 % — refonte du site", "C62",
                                                      Decimal("3000.00")), 1)], days_after=1)
    deposit2 = issued(Kind.DEPOSIT, "DIST03", [_line(("Acompte 30 % — application mobile", "C62",
                                                      Decimal("1500.00")), 1)], days_after=1)
    issued(Kind.DEPOSIT, "HOTE07", [_line(("Deposit — booking engine", "C62", Decimal("800.00")), 1)], days_after=1)
    pay(deposit1, after=2)
    pay(deposit2, after=2)
    final = final_invoice_create(by=owner, customer_id=c["DIST03"].pk, deposit_ids=[deposit1.pk, deposit2.pk],
                                 lines=[_line(("Refonte du site (solde)", "C62", Decimal("10000.00")), 1),
                                        _line(("Application mobile (solde)", "C62", Decimal("5000.00")), 1)])
    made += 1
    day = min(today, day + dt.timedelta(days=1))
    document_issue(by=owner, document_id=final.pk, issue_date=day)
    # Credit notes: a whole invoice, and one line of another.
    for source, line_ids in ((invoices[24], None), (invoices[25], "first")):
        chosen = None if line_ids is None else [source.lines.order_by("position").first().pk]
        credit = credit_note_create(by=owner, invoice_id=source.pk, line_ids=chosen)
        made += 1
        day = min(today, day + dt.timedelta(days=1))
        document_issue(by=owner, document_id=credit.pk, issue_date=day)
    # A corrective invoice.
    corrective = corrective_create(by=owner, invoice_id=invoices[26].pk)
    made += 1
    day = min(today, day + dt.timedelta(days=1))
    document_issue(by=owner, document_id=corrective.pk, issue_date=day)
    # Bad debts: one never paid, one half paid.
    write_off(by=owner, document_id=invoices[27].pk, date=today, reason="Liquidation judiciaire du client")
    write_off(by=owner, document_id=invoices[5].pk, date=today, reason="Clôture de la procédure, solde irrécouvrable")
    # Drafts of every kind still being prepared.
    for code, kind, lines in (
        ("BOUL01", Kind.INVOICE, [_line(web, 6), _line(host, 1)]),
        ("CAFE02", Kind.INVOICE, [_line(cable, 10), _line(screen, 1)]),
        ("GARA06", Kind.DEPOSIT, [_line(("Acompte — nouvelle vitrine", "C62", Decimal("1200.00")), 1)]),
        ("PHAR09", Kind.INVOICE, [_line(audit, 1)]),
        ("HOTE07", Kind.INVOICE, [_line(training, 2)]),
    ):
        draft_create(by=owner, kind=kind, customer_id=c[code].pk, lines=lines)
        made += 1
    return made


def _accounting(owner, today: dt.date, bad_debts: list[int]) -> None:
    """The accounting of the demo: default journals and accounts, everything transferred up to two weeks ago,
    and the bad debts (with their write-off entries on 654, VAT recovered); the last fortnight is left for a
    newcomer to transfer."""
    from django.apps import apps

    if not apps.is_installed("facturier.accounting"):
        return
    from facturier.accounting.services import settings_save, transfer_run

    settings_save(by=owner, values={})
    transfer_run(by=owner, start=today - dt.timedelta(days=400), end=today - dt.timedelta(days=15))
    transfer_run(by=owner, document_ids=bad_debts)


def _contracts(owner, customers: dict[str, Customer], today: dt.date) -> None:
    """Three running contracts with their first invoices already generated (dated today: numbering is
    chronological and the demo's documents run up to today)."""
    from facturier.contracts import calendar
    from facturier.contracts.models import Action, Contract, Timing
    from facturier.contracts.services import contract_create, generate_due

    if Contract.objects.filter(organisation=owner.organisation).exists():
        return
    web, maint, host, audit, training = SERVICES
    back = calendar.add_months(today, -3, 31)  # the last day of the month three months ago: month ends shown
    contract_create(by=owner, customer_id=customers["CAFE02"].pk, name="Maintenance mensuelle — Café des Arts",
                    lines=[_line(maint, 1)], start_date=back, day_of_month=31, action=Action.ISSUE,
                    reference="CT-2026-001")
    quarterly = calendar.add_months(today, -17, 1)  # five quarters ended: the last one after the anniversary
    contract_create(by=owner, customer_id=customers["DIST03"].pk, name="Infogérance trimestrielle — Distribution RA",
                    lines=[_line(web, 6), _line(maint, 3)], start_date=quarterly, day_of_month=1,
                    frequency="quarterly", timing=Timing.IN_ARREARS, revision_percent=Decimal("2.5"),
                    reference="CT-2026-002")
    yearly = today - dt.timedelta(days=200)
    contract_create(by=owner, customer_id=customers["PHAR09"].pk, name="Hébergement annuel — Pharmacie",
                    lines=[_line(host, 1)], start_date=yearly, frequency="yearly", action=Action.ISSUE,
                    reference="CT-2026-003")
    generate_due(today=today, organisation_id=owner.organisation_id)


def demo_load() -> DemoResult:
    today = timezone.localdate()
    start = today - dt.timedelta(days=400)
    with transaction.atomic():
        organisation = _organisation(start)
        owner_user = _user(DEMO_EMAIL, "Camille Durand", staff=True)
        owner = membership_add(organisation=organisation, user=owner_user, role=Role.OWNER)
        accountant = _user(ACCOUNTANT_EMAIL, "Dominique Leroy", staff=True)
        membership_add(organisation=organisation, user=accountant, role=Role.ACCOUNTANT)
        for code, name, prefix in (("FA", "Factures", "FA-{year}-"), ("AV", "Avoirs", "AV-{year}-")):
            Series.objects.update_or_create(organisation=organisation, code=code,
                                            defaults={"name": name, "prefix": prefix})
        organisation.sealing_enabled = True
        organisation.save(update_fields=["sealing_enabled"])
        certificate_demo_ensure(organisation)  # self-signed, labelled DEMO, so sealing works out of the box
        customers = _customers(owner, start)
        _mail(owner)
        from facturier.platforms.chorus.demo import chorus_demo

        chorus_demo(organisation, customers)  # on the simulator `facturier run` starts
        created = 0
        if not Document.objects.filter(organisation=organisation).exists():
            created = _documents(owner, customers, today)
            bad_debts = list(WriteOff.objects.filter(organisation=organisation).values_list("document_id", flat=True))
            _accounting(owner, today, bad_debts)
        _contracts(owner, customers, today)
        from facturier.platforms.ereporting.demo import ereporting_demo

        ereporting_demo(owner, today=today, since=start)  # last month's sales to an individual (issue 14)
        from facturier.platforms.demo import demo_connect

        demo_connect(organisation)  # the PA simulator `facturier run` starts (issue 14)
        from facturier.billing.demo import billing_demo

        billing_demo(today=today)  # the operator hosting companies on plans (issue 16)
    from facturier.config.demo_termination import demo_terminated

    return DemoResult(organisation=organisation, created_documents=created, terminated=demo_terminated(DEMO_PASSWORD))
