"""The consent campaign (lettre de dématérialisation): choosing the customers, one e-mail each
with signed accept / refuse links, printable letters for the others, and recording answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Membership, Organisation, Right
from facturier.accounts.selectors import legal_profile_at
from facturier.accounts.services import NoLegalProfile, require_right
from facturier.audit.services import audit_record
from facturier.delivery.models import ConsentAnswer, MailSettings, MessageKind, OutboxMessage, TemplateKind
from facturier.delivery.services import enqueue_flush, invoice_addresses, new_message_id, settings_of
from facturier.delivery.wording import fill, template_for
from facturier.errors import FacturierError
from facturier.invoicing.models import Document, State
from facturier.parties.models import ConsentOrigin, Contact, Customer
from facturier.parties.services import consent_accept, consent_refuse

SALT = "facturier.delivery.consent"
LINK_MAX_AGE = dt.timedelta(days=365)


class BadConsentLink(FacturierError):
    code = "bad_consent_link"


@dataclass(frozen=True, slots=True)
class CampaignFilter:
    code: str = ""
    code_prefix: str = ""
    invoiced_between: tuple[dt.date, dt.date] | None = None
    include_already_sent: bool = False
    include_without_email: bool = False
    order: str = "code"  # or "name"


def campaign_customers(*, organisation: Organisation, f: CampaignFilter) -> list[Customer]:
    """The customers a consent letter goes to, by code or prefix, by invoicing period."""
    qs: QuerySet[Customer] = Customer.objects.filter(organisation=organisation, is_archived=False)
    if f.code:
        qs = qs.filter(code=f.code)
    if f.code_prefix:
        qs = qs.filter(code__startswith=f.code_prefix)
    if f.invoiced_between:
        qs = qs.filter(Exists(Document.objects.filter(
            customer=OuterRef("pk"), issue_date__range=f.invoiced_between).exclude(state=State.DRAFT)))
    if not f.include_already_sent:
        qs = qs.filter(consent_letter_sent_on__isnull=True)
    customers = list(qs.order_by("name", "code") if f.order == "name" else qs.order_by("code"))
    if not f.include_without_email:
        customers = [c for c in customers if invoice_addresses(c)]
    return customers


def link_token(customer: Customer) -> str:
    return signing.dumps({"o": customer.organisation_id, "c": customer.pk}, salt=SALT, compress=True)


def links_of(customer: Customer) -> tuple[str, str]:
    token = link_token(customer)
    base = settings.FACTURIER_BASE_URL
    return f"{base}/consent/{token}/accept/", f"{base}/consent/{token}/refuse/"


def read_token(token: str) -> Customer:
    try:
        data = signing.loads(token, salt=SALT, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise BadConsentLink(_("This link has expired. Please contact the sender of the letter."))
    except signing.BadSignature:
        raise BadConsentLink(_("This link is not valid. Please copy it again from the letter, in full."))
    customer = Customer.objects.select_related("organisation").filter(pk=data["c"], organisation_id=data["o"]).first()
    if customer is None:
        raise BadConsentLink(_("This link is not valid any more."))
    return customer


def refusal_contact(organisation, ms: MailSettings | None) -> str:
    """Where a customer can refuse other than by the link (%4): the reply-to or sender of the
    organisation's mail settings, else the e-mail, phone or postal address of its legal data."""
    if ms and (ms.reply_to or ms.sender_address):
        return ms.reply_to or ms.sender_address
    try:
        legal = legal_profile_at(organisation=organisation, on=timezone.localdate())
    except NoLegalProfile:
        return organisation.name
    address = ", ".join(p for p in (legal.address_line1, legal.address_line2, f"{legal.postcode} {legal.city}") if p)
    return legal.email or legal.phone or f"{legal.legal_name}, {address}"


def _percent(customer: Customer, ms: MailSettings | None, emails: list[str]) -> dict[str, str]:
    contact = refusal_contact(customer.organisation, ms)
    return {"1": customer.name, "2": customer.organisation.name, "3": ", ".join(emails) or "—", "4": contact}


def letter_text(customer: Customer, ms: MailSettings | None) -> tuple[str, str]:
    language = customer.language or customer.organisation.default_language
    subject, body = template_for(customer.organisation, TemplateKind.CONSENT_LETTER, language)
    accept, refuse = links_of(customer)
    emails = invoice_addresses(customer)
    values = {"accept_link": accept, "refuse_link": refuse, "customer": customer.name,
              "company": customer.organisation.name, "contact_email": ", ".join(emails)}
    percent = _percent(customer, ms, emails)
    return fill(subject, values, percent).replace("\n", " "), fill(body, values, percent)


def consent_message(message: OutboxMessage, ms: MailSettings) -> tuple[str, str, list]:
    subject, body = letter_text(message.customer, ms)
    return subject, body, []


@dataclass(slots=True)
class CampaignResult:
    emailed: list[int] = field(default_factory=list)
    to_print: list[int] = field(default_factory=list)
    pdf: bytes | None = None


def campaign_send(*, by: Membership, customer_ids: list[int], print_all: bool = False,
                  on: dt.date | None = None) -> CampaignResult:
    """One e-mail per customer with an address (marked "letter sent" when the server accepts it);
    one printed letter per page for the others (marked sent on the day of printing)."""
    require_right(by, Right.SEND)
    on = on or timezone.localdate()
    customers = list(Customer.objects.filter(organisation=by.organisation, pk__in=customer_ids)
                     .select_related("organisation").order_by("code"))
    order = {pk: i for i, pk in enumerate(customer_ids)}
    customers.sort(key=lambda c: order.get(c.pk, 0))
    result = CampaignResult()
    ms = MailSettings.objects.filter(organisation=by.organisation).first()
    now = timezone.now()
    with transaction.atomic():
        for customer in customers:
            emails = invoice_addresses(customer)
            if emails and not print_all:
                ms = ms or settings_of(by.organisation)
                _local, domain = ms.return_path_domain
                message_id, token = new_message_id(domain)
                OutboxMessage.objects.create(
                    organisation=by.organisation, kind=MessageKind.CONSENT, customer=customer, recipients=emails,
                    message_id=message_id, verp_token=token, next_attempt_at=now, batch="consent")
                result.emailed.append(customer.pk)
            else:
                result.to_print.append(customer.pk)
        if result.to_print:
            from facturier.delivery.postal import consent_letters_pdf

            printed = [c for c in customers if c.pk in set(result.to_print)]
            result.pdf = consent_letters_pdf(printed, ms, on=on)
            Customer.objects.filter(pk__in=result.to_print).update(consent_letter_sent_on=on)
            for customer in printed:
                audit_record(actor=by, subject=customer, action="consent.letter_printed", after={"on": on.isoformat()})
        if result.emailed:
            organisation_id = by.organisation.pk
            transaction.on_commit(lambda: enqueue_flush(organisation_id))
    return result


def consent_letter_sent(message: OutboxMessage) -> None:
    """The server accepted the letter's e-mail: the customer was sent the letter today."""
    on = timezone.localdate()
    Customer.objects.filter(pk=message.customer_id).update(consent_letter_sent_on=on)
    audit_record(actor=None, organisation=message.organisation, subject=message.customer,
                 action="consent.letter_sent", after={"on": on.isoformat(), "message_id": message.message_id,
                                                      "to": message.recipients})


def answer_accept(*, token: str, email: str = "", remote_address: str | None = None,
                  origin: ConsentOrigin = ConsentOrigin.LINK) -> Customer:
    """The customer clicked "accept" (in the letter, or in the portal), possibly giving another address."""
    customer = read_token(token)
    email = email.strip()
    if email:
        validate_email(email)
    with transaction.atomic():
        consent_accept(by=None, customer_id=customer.pk, organisation_id=customer.organisation_id,
                       origin=origin)
        if email and email.lower() not in (e.lower() for e in invoice_addresses(customer)):
            Contact.objects.create(customer=customer, email=email, receives_invoices=True,
                                   role=str(_("Invoices (given in the consent answer)")))
            audit_record(actor=None, organisation=customer.organisation, subject=customer, action="contact.add",
                         after={"email": email, "origin": origin})
        ConsentAnswer.objects.create(organisation=customer.organisation, customer=customer, accepted=True,
                                     email=email, origin=origin, remote_address=remote_address)
    return customer


def answer_refuse(*, token: str, remote_address: str | None = None,
                  origin: ConsentOrigin = ConsentOrigin.LINK) -> Customer:
    customer = read_token(token)
    with transaction.atomic():
        consent_refuse(by=None, customer_id=customer.pk, organisation_id=customer.organisation_id,
                       on=timezone.localdate(), origin=origin)
        ConsentAnswer.objects.create(organisation=customer.organisation, customer=customer, accepted=False,
                                     origin=origin, remote_address=remote_address)
    return customer
