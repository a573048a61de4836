"""The consent campaign (lettre de dématérialisation): choosing the customers, one e-mail each
with signed accept / refuse links, printable letters for the others, and recording answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Membership, Organisation, Right
from facturier.accounts.selectors import legal_profile_at
from facturier.accounts.services import NoLegalProfile, require_right
from facturier.audit.services import audit_record
from facturier.delivery.models import ConsentAnswer, MailSettings, MessageKind, OutboxMessage, TemplateKind
from facturier.delivery.platform_mail import PlatformMailError, platform_send
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


def link_token(customer: Customer, *, now: dt.datetime | None = None) -> str:
    """A letter's answer link: the customer and the moment the letter was written (milliseconds).

    An answer given through any link of the customer's spends every link written before it: a later
    visit shows that answer, and a change needs a new letter from the company.
    """
    issued = int((now or timezone.now()).timestamp() * 1000)
    return signing.dumps({"o": customer.organisation_id, "c": customer.pk, "t": issued}, salt=SALT, compress=True)


def links_of(customer: Customer) -> tuple[str, str]:
    token = link_token(customer)
    base = settings.FACTURIER_BASE_URL
    return f"{base}/consent/{token}/accept/", f"{base}/consent/{token}/refuse/"


@dataclass(frozen=True, slots=True)
class ConsentLink:
    customer: Customer
    issued_at: dt.datetime
    spent_by: ConsentAnswer | None
    """The answer given through a link since this one was written: the link is spent."""


def _signed(token: str, salt: str, max_age: dt.timedelta) -> dict:
    try:
        return signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise BadConsentLink(_("This link has expired. Please contact the sender of the letter."))
    except signing.BadSignature:
        raise BadConsentLink(_("This link is not valid. Please copy it again from the letter, in full."))


def _customer_of(data: dict, *, lock: bool = False) -> Customer:
    qs = Customer.objects.select_related("organisation")
    qs = qs.select_for_update(of=("self",)) if lock else qs
    customer = qs.filter(pk=data["c"], organisation_id=data["o"]).first()
    if customer is None:
        raise BadConsentLink(_("This link is not valid any more."))
    return customer


def read_link(token: str, *, lock: bool = False) -> ConsentLink:
    """The letter behind a link, and the answer that spent it if any (`lock`: the customer row locked)."""
    data = _signed(token, SALT, LINK_MAX_AGE)
    customer = _customer_of(data, lock=lock)
    issued_at = dt.datetime.fromtimestamp(data.get("t", 0) / 1000, tz=dt.UTC)
    spent_by = (ConsentAnswer.objects.filter(customer=customer, origin=ConsentOrigin.LINK, at__gte=issued_at)
                .order_by("at", "id").first())
    return ConsentLink(customer, issued_at, spent_by)


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


class ConsentLinkSpent(BadConsentLink):
    code = "consent_link_spent"

    def __init__(self, message, *, answer: ConsentAnswer, **params):
        super().__init__(message, **params)
        self.answer = answer


def answer_by_link(*, token: str, accept: bool, email: str = "", remote_address: str | None = None) -> ConsentAnswer:
    """The customer answers the letter through its link: recorded once; the link is then spent.

    Another address given with an acceptance is not added at once: a confirmation link goes to that
    address, and only its owner's confirmation adds it (the customer's known addresses are told then).
    """
    email = email.strip()
    if email:
        validate_email(email)
    with transaction.atomic():
        link = read_link(token, lock=True)  # the customer row locked: two answers at once record one
        if link.spent_by is not None:
            raise ConsentLinkSpent(_("This link has already been used; the answer is recorded. To change it, "
                                     "ask %(org)s for a new letter."), answer=link.spent_by,
                                   org=link.customer.organisation.name)
        customer = link.customer
        known = [e.lower() for e in invoice_addresses(customer)]
        other = email if accept and email and email.lower() not in known else ""
        answer = _record_answer(customer, accept=accept, origin=ConsentOrigin.LINK, remote_address=remote_address,
                                email=other)
        if other:
            _send_address_confirmation(answer)
    return answer


def consent_answer_for(*, customer: Customer, accept: bool, origin: ConsentOrigin,
                       remote_address: str | None = None) -> ConsentAnswer:
    """An answer given where the customer is already known (signed in to the portal): no link to spend."""
    with transaction.atomic():
        return _record_answer(customer, accept=accept, origin=origin, remote_address=remote_address)


def _record_answer(customer: Customer, *, accept: bool, origin: ConsentOrigin, remote_address: str | None,
                   email: str = "") -> ConsentAnswer:
    if accept:
        consent_accept(by=None, customer_id=customer.pk, organisation_id=customer.organisation_id, origin=origin)
    else:
        consent_refuse(by=None, customer_id=customer.pk, organisation_id=customer.organisation_id,
                       on=timezone.localdate(), origin=origin)
    return ConsentAnswer.objects.create(organisation=customer.organisation, customer=customer, accepted=accept,
                                        email=email, origin=origin, remote_address=remote_address)


# --- another address for the invoices: confirmed by its owner, announced to the known ones ------------

ADDRESS_SALT = "facturier.delivery.consent.address"
ADDRESS_LINK_MAX_AGE = dt.timedelta(days=14)


class MailNotSent(FacturierError):
    code = "consent_mail_not_sent"


def address_confirmation_token(answer: ConsentAnswer) -> str:
    return signing.dumps({"o": answer.organisation_id, "c": answer.customer_id, "a": answer.pk, "e": answer.email},
                         salt=ADDRESS_SALT, compress=True)


def read_address_confirmation(token: str, *, lock: bool = False) -> tuple[Customer, str, bool]:
    """The customer, the address to add, and whether it already receives the invoices (link spent)."""
    data = _signed(token, ADDRESS_SALT, ADDRESS_LINK_MAX_AGE)
    customer = _customer_of(data, lock=lock)
    if not ConsentAnswer.objects.filter(pk=data["a"], customer=customer, email=data["e"]).exists():
        raise BadConsentLink(_("This link is not valid any more."))
    done = customer.contacts.filter(email__iexact=data["e"], receives_invoices=True).exists()
    return customer, data["e"], done


def address_confirm(*, token: str, remote_address: str | None = None) -> tuple[Customer, str]:
    """The owner of the address confirms: it receives the invoices from now on; the known addresses are told."""
    with transaction.atomic():
        customer, email, done = read_address_confirmation(token, lock=True)
        if done:
            return customer, email
        known = invoice_addresses(customer)
        Contact.objects.create(customer=customer, email=email, receives_invoices=True,
                               role=str(_("Invoices (given in the consent answer)")))
        audit_record(actor=None, organisation=customer.organisation, subject=customer, action="contact.add",
                     after={"email": email, "origin": ConsentOrigin.LINK, "confirmed_by_owner": True,
                            "from": remote_address or ""})
        # Told before the change is kept: if the known addresses cannot be told, nothing is added.
        _send_platform_mail(customer, known, *_address_added_text(customer, email))
    return customer, email


def _send_address_confirmation(answer: ConsentAnswer) -> None:
    customer = answer.customer
    link = f"{settings.FACTURIER_BASE_URL}/consent/address/{address_confirmation_token(answer)}/"
    with translation.override(_language_of(customer)):
        subject = _("Confirm this address for the invoices of %(org)s") % {"org": customer.organisation.name}
        body = _("Hello,\n\nWhile answering the letter of %(org)s about electronic invoices, someone asked that the "
                 "invoices of %(customer)s be sent to this address (%(email)s).\n\nIf it was you, confirm it here: "
                 "%(link)s\n\nIf not, ignore this message: nothing will be sent to this address.") % {
            "org": customer.organisation.name, "customer": customer.name, "email": answer.email, "link": link}
    _send_platform_mail(customer, [answer.email], subject, body)


def _address_added_text(customer: Customer, email: str) -> tuple[str, str]:
    with translation.override(_language_of(customer)):
        subject = _("A new address receives the invoices of %(org)s") % {"org": customer.organisation.name}
        body = _("Hello,\n\nFrom now on, the invoices of %(org)s to %(customer)s are also sent to %(email)s, at the "
                 "request made in the answer to the consent letter and confirmed from that address.\n\nIf you did "
                 "not ask for this, contact %(org)s: %(contact)s.") % {
            "org": customer.organisation.name, "customer": customer.name, "email": email,
            "contact": refusal_contact(customer.organisation, MailSettings.objects.filter(
                organisation=customer.organisation).first())}
    return subject, body


def _language_of(customer: Customer) -> str:
    return customer.language or customer.organisation.default_language


def _send_platform_mail(customer: Customer, recipients: list[str], subject: str, body: str) -> None:
    """Through the platform's own mail (the catcher in the embedded setup; `platform_mail` logs a failure);
    a failure rolls the caller's transaction back and says so."""
    if not recipients:
        return
    message = EmailMessage(subject, body, to=recipients, headers={"Auto-Submitted": "auto-generated"})
    try:
        platform_send(message, organisation_id=customer.organisation_id)
    except PlatformMailError as e:
        raise MailNotSent(_("The confirmation e-mail could not be sent just now, so nothing was changed. "
                            "Please try again in a few minutes.")) from e
