"""Subjects and bodies of the messages: defaults in French and English, an organisation's own
versions, placeholders, and the preview with a real document."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

from facturier.delivery.models import MailTemplate, TemplateKind
from facturier.engine.pdf.render import format_amount, format_date
from facturier.invoicing.models import Document, Kind

PLACEHOLDERS = ("customer", "company", "contact_email", "number", "date", "amount", "due_date", "portal_link")
_BRACES = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
_PERCENT = re.compile(r"%([1-4])")

DEFAULTS: dict[tuple[str, str], tuple[str, str]] = {
    (TemplateKind.INVOICE, "fr"): (
        "Facture {number} — {company}",
        "Bonjour,\n\nVeuillez trouver ci-joint notre facture {number} du {date}, d'un montant de {amount}, "
        "payable au plus tard le {due_date}.\n\nLe fichier joint est une facture électronique Factur-X : "
        "le PDF se lit comme d'habitude et contient les données structurées pour votre comptabilité.\n"
        "Vous pouvez aussi la consulter dans votre espace client : {portal_link}\n\n"
        "Pour toute question : {contact_email}\n\nCordialement,\n{company}"),
    (TemplateKind.INVOICE, "en"): (
        "Invoice {number} — {company}",
        "Hello,\n\nPlease find attached our invoice {number} of {date}, for {amount}, due on {due_date}.\n\n"
        "The attachment is a Factur-X e-invoice: a normal PDF that also carries structured data for your "
        "accounts.\nYou can also see it in your customer space: {portal_link}\n\n"
        "Any question: {contact_email}\n\nKind regards,\n{company}"),
    (TemplateKind.CREDIT_NOTE, "fr"): (
        "Avoir {number} — {company}",
        "Bonjour,\n\nVeuillez trouver ci-joint notre avoir {number} du {date}, d'un montant de {amount}.\n\n"
        "Espace client : {portal_link}\nPour toute question : {contact_email}\n\nCordialement,\n{company}"),
    (TemplateKind.CREDIT_NOTE, "en"): (
        "Credit note {number} — {company}",
        "Hello,\n\nPlease find attached our credit note {number} of {date}, for {amount}.\n\n"
        "Customer space: {portal_link}\nAny question: {contact_email}\n\nKind regards,\n{company}"),
    (TemplateKind.DEPOSIT, "fr"): (
        "Facture d'acompte {number} — {company}",
        "Bonjour,\n\nVeuillez trouver ci-joint notre facture d'acompte {number} du {date}, d'un montant de "
        "{amount}, payable au plus tard le {due_date}.\n\nEspace client : {portal_link}\n"
        "Pour toute question : {contact_email}\n\nCordialement,\n{company}"),
    (TemplateKind.DEPOSIT, "en"): (
        "Deposit invoice {number} — {company}",
        "Hello,\n\nPlease find attached our deposit invoice {number} of {date}, for {amount}, due on "
        "{due_date}.\n\nCustomer space: {portal_link}\nAny question: {contact_email}\n\nKind regards,\n{company}"),
    (TemplateKind.REMINDER, "fr"): (
        "Rappel : facture {number} échue le {due_date}",
        "Bonjour,\n\nSauf erreur de notre part, notre facture {number} du {date}, d'un montant de {amount}, "
        "échue le {due_date}, reste impayée. Vous la trouverez de nouveau ci-jointe.\n\n"
        "Si vous l'avez réglée entre-temps, merci de ne pas tenir compte de ce message.\n"
        "Pour toute question : {contact_email}\n\nCordialement,\n{company}"),
    (TemplateKind.REMINDER, "en"): (
        "Reminder: invoice {number} was due on {due_date}",
        "Hello,\n\nUnless we are mistaken, our invoice {number} of {date}, for {amount}, due on {due_date}, "
        "is still unpaid. You will find it attached again.\n\nIf you have paid it since, please ignore this "
        "message.\nAny question: {contact_email}\n\nKind regards,\n{company}"),
    (TemplateKind.CONSENT_LETTER, "fr"): (
        "Vos factures par voie électronique — %2",
        "Madame, Monsieur,\n\n%2 souhaite vous adresser désormais ses factures par voie électronique, au "
        "format Factur-X, à l'adresse %3.\n\nSans réponse de votre part, nous considérerons que vous "
        "l'acceptez. Vous pouvez :\n- accepter (éventuellement à une autre adresse) : {accept_link}\n"
        "- refuser et continuer à recevoir des factures papier : {refuse_link}\n\n"
        "Pour toute question ou pour refuser par courrier : %4\n\nVeuillez agréer, %1, nos salutations "
        "distinguées.\n%2"),
    (TemplateKind.CONSENT_LETTER, "en"): (
        "Your invoices by e-mail — %2",
        "Dear Sir or Madam,\n\n%2 would like to send you its invoices electronically from now on, as Factur-X "
        "files, to %3.\n\nWithout an answer we will take it that you agree. You may:\n"
        "- accept (possibly at another address): {accept_link}\n"
        "- refuse and keep receiving paper invoices: {refuse_link}\n\n"
        "Questions, or to refuse by post: %4\n\nYours faithfully,\n%2"),
}

DOCUMENT_TEMPLATE = {Kind.INVOICE: TemplateKind.INVOICE, Kind.CREDIT_NOTE: TemplateKind.CREDIT_NOTE,
                     Kind.DEPOSIT: TemplateKind.DEPOSIT, Kind.CORRECTIVE: TemplateKind.INVOICE,
                     Kind.FINAL: TemplateKind.INVOICE}


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    body: str


def template_for(organisation, kind: str, language: str) -> tuple[str, str]:
    own = MailTemplate.objects.filter(organisation=organisation, kind=kind, language=language).first()
    if own is not None:
        return own.subject, own.body
    return DEFAULTS.get((kind, language)) or DEFAULTS[(kind, "fr")]


def fill(text: str, values: dict[str, str], percent: dict[str, str] | None = None) -> str:
    """Replace the known placeholders only: a brace or percent sign that is not one stays as written."""
    text = _BRACES.sub(lambda m: values.get(m.group(1), m.group(0)), text)
    for extra in ("accept_link", "refuse_link"):
        if extra in values:
            text = text.replace("{" + extra + "}", values[extra])
    if percent:
        text = _PERCENT.sub(lambda m: percent.get(m.group(1), m.group(0)), text)
    return text


def portal_link(document: Document | None) -> str:
    """The document's page in its organisation's customer portal (the portal asks the reader to sign in first)."""
    from django.urls import NoReverseMatch, reverse

    base = settings.FACTURIER_BASE_URL
    if document is None:
        return f"{base}/portal/"
    try:
        return base + reverse("portal:document", args=[document.organisation.slug, document.pk])
    except NoReverseMatch:  # the portal app is not installed
        return f"{base}/portal/"


def document_values(document: Document, *, contact_email: str) -> dict[str, str]:
    language = document.language
    seller = document.seller_snapshot or {}
    amount = document.payable if document.kind != Kind.CREDIT_NOTE else document.tax_inclusive
    return {
        "customer": (document.buyer_snapshot or {}).get("name") or document.customer.name,
        "company": seller.get("legal_name") or document.organisation.name,
        "contact_email": contact_email,
        "number": document.number,
        "date": format_date(document.issue_date, language),
        "amount": format_amount(amount, document.currency, language),
        "due_date": format_date(document.due_date, language) if document.due_date else "—",
        "portal_link": portal_link(document),
    }


def render_document_message(document: Document, *, contact_email: str, reminder: bool = False,
                            templates: dict | None = None) -> Rendered:
    """The subject and body for a document; `templates` caches the texts across a batch."""
    kind = TemplateKind.REMINDER if reminder else DOCUMENT_TEMPLATE[document.kind]
    key = (kind, document.language)
    if templates is not None and key in templates:
        subject, body = templates[key]
    else:
        subject, body = template_for(document.organisation, kind, document.language)
        if templates is not None:
            templates[key] = (subject, body)
    values = document_values(document, contact_email=contact_email)
    return Rendered(subject=fill(subject, values).replace("\n", " "), body=fill(body, values))


def preview(*, organisation, kind: str, language: str, document: Document | None = None,
            subject: str | None = None, body: str | None = None, contact_email: str = "") -> Rendered:
    """How a template (stored, default, or being edited) reads with a real document."""
    default_subject, default_body = template_for(organisation, kind, language)
    subject = default_subject if subject is None else subject
    body = default_body if body is None else body
    if document is None:
        from facturier.invoicing.models import State

        document = (Document.objects.filter(organisation=organisation).exclude(state=State.DRAFT)
                    .select_related("customer", "organisation").order_by("-issue_date", "-id").first())
    values = document_values(document, contact_email=contact_email) if document is not None else {}
    customer = document.customer.name if document is not None else "Client"
    percent = {"1": customer, "2": organisation.name, "3": contact_email, "4": contact_email}
    values.setdefault("accept_link", f"{settings.FACTURIER_BASE_URL}/consent/…/accept/")
    values.setdefault("refuse_link", f"{settings.FACTURIER_BASE_URL}/consent/…/refuse/")
    return Rendered(subject=fill(subject, values, percent).replace("\n", " "), body=fill(body, values, percent))
