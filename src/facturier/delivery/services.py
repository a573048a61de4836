"""Writes of the delivery app: mail settings and their test, templates, and queuing documents
for sending (with every refusal explained)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Membership, Right
from facturier.accounts.services import require_right
from facturier.audit.services import audit_record
from facturier.delivery import smtp
from facturier.delivery.history import delivery_mark
from facturier.delivery.models import (
    Delivery,
    DeliveryState,
    DuplicatePolicy,
    MailSettings,
    MailTemplate,
    MessageKind,
    OutboxMessage,
    OutboxState,
    Security,
)
from facturier.errors import FacturierError, localized
from facturier.invoicing.models import Document, State
from facturier.parties.models import Channel, Contact, Customer
from facturier.secrets import open_secret, seal_secret

SETTINGS_FIELDS = {
    "host", "port", "security", "username", "sender_name", "sender_address", "reply_to", "bounce_address",
    "imap_host", "imap_port", "imap_security", "imap_username", "imap_folder", "correction_delay_days",
    "duplicate_policy", "read_receipts", "attach_xml",
}


class NoMailSettings(FacturierError):
    code = "no_mail_settings"


# --- settings -----------------------------------------------------------------------------------


_ENDPOINTS = {"password": ("host", "port", "security"), "imap_password": ("imap_host", "imap_port", "imap_security")}


def mail_settings_save(*, by: Membership, password: str | None = None, imap_password: str | None = None,
                       **fields) -> MailSettings:
    """Create or change the organisation's mail settings; a password given is sealed at rest.

    A stored password is forgotten when its server's host, port or security changes and it is not
    typed again; `ms.forgotten_secrets` names those forgotten ("password", "imap_password").
    """
    require_right(by, Right.MANAGE_SETTINGS)
    unknown = set(fields) - SETTINGS_FIELDS
    if unknown:
        raise TypeError(f"unknown mail settings: {sorted(unknown)}")
    with transaction.atomic():
        current = MailSettings.objects.select_for_update().filter(organisation=by.organisation).first()
        ms = current or MailSettings(organisation=by.organisation)
        ms.forgotten_secrets = []
        before = {name: getattr(ms, name) for name in sorted(SETTINGS_FIELDS)} if current else None
        for name, value in fields.items():
            setattr(ms, name, value)
        ms.full_clean(exclude=["password", "imap_password", "organisation"])
        ms.save()
        changed = []
        # A stored password belongs to the server it was typed for: when the endpoint changes and the
        # password is not typed again, it is forgotten, never sent to the new host.
        if current is not None:
            for secret, endpoint in _ENDPOINTS.items():
                typed = password if secret == "password" else imap_password
                if typed is None and getattr(ms, secret) and any(before[f] != getattr(ms, f) for f in endpoint):
                    setattr(ms, secret, b"")
                    changed.append(secret)
                    ms.forgotten_secrets.append(secret)
        if password is not None:
            ms.password = seal_secret(password.encode(), purpose=f"smtp-password:{ms.pk}") if password else b""
            changed.append("password")
        if imap_password is not None:
            ms.imap_password = (seal_secret(imap_password.encode(), purpose=f"imap-password:{ms.pk}")
                                if imap_password else b"")
            changed.append("imap_password")
        if changed:
            ms.save(update_fields=changed)
        after = {name: getattr(ms, name) for name in sorted(SETTINGS_FIELDS)}
        after.update({name: "(changed)" for name in changed})
        audit_record(actor=by, subject=ms, action="mail_settings.save", before=before, after=after)
    return ms


def settings_of(organisation) -> MailSettings:
    ms = MailSettings.objects.filter(organisation=organisation).first()
    if ms is None:
        raise NoMailSettings(_("%(org)s has no mail server set up yet. Enter it in the mail settings."),
                             org=organisation.name)
    return ms


def smtp_endpoint(ms: MailSettings) -> smtp.Endpoint:
    password = open_secret(bytes(ms.password), purpose=f"smtp-password:{ms.pk}").decode() if ms.password else ""
    return smtp.Endpoint(host=ms.host, port=ms.port, security=ms.security, username=ms.username, password=password)


def imap_password_of(ms: MailSettings) -> str:
    if not ms.imap_password:
        return ""
    return open_secret(bytes(ms.imap_password), purpose=f"imap-password:{ms.pk}").decode()


@dataclass(frozen=True, slots=True)
class ConnectionReport:
    ok: bool
    code: str
    message: str


def test_connection(*, by: Membership) -> ConnectionReport:
    """Connect, secure and authenticate as configured; report what failed, in the active language."""
    require_right(by, Right.MANAGE_SETTINGS)
    ms = settings_of(by.organisation)
    try:
        client = smtp.connect(smtp_endpoint(ms))
    except smtp.MailError as e:
        return ConnectionReport(ok=False, code=e.code, message=e.message)
    smtp.close(client)
    security = Security(ms.security).label
    return ConnectionReport(ok=True, code="ok", message=str(_(
        "Connected to %(host)s:%(port)s (%(security)s)%(auth)s.") % {
        "host": ms.host, "port": ms.port, "security": security,
        "auth": _(", signed in as %(user)s") % {"user": ms.username} if ms.username else ""}))


def imap_test_connection(*, by: Membership) -> ConnectionReport:
    """Open the bounce mailbox as the bounce reader does and count its folder, read-only; report what
    failed, in the active language. Nothing is fetched, flagged or deleted."""
    from facturier.delivery import imap

    require_right(by, Right.MANAGE_SETTINGS)
    ms = MailSettings.objects.filter(organisation=by.organisation).first()
    if ms is None or not ms.imap_host.strip():
        return ConnectionReport(ok=False, code="no_mailbox", message=str(_(
            "No bounce mailbox is set up. Enter its IMAP server, user and password under “Bounces” and save.")))
    try:
        count = imap.examine(ms, imap_password_of(ms))
    except smtp.MailError as e:
        return ConnectionReport(ok=False, code=e.code, message=e.message)
    return ConnectionReport(ok=True, code="ok", message=str(_(
        "Signed in to %(host)s:%(port)s (%(security)s) as %(user)s and opened the folder “%(folder)s” read-only. "
        "Messages in it: %(count)d.") % {
        "host": ms.imap_host, "port": ms.imap_port, "security": Security(ms.imap_security).label,
        "user": ms.imap_username, "folder": ms.imap_folder, "count": count}))


def mail_template_save(*, by: Membership, kind: str, language: str, subject: str, body: str) -> MailTemplate:
    require_right(by, Right.MANAGE_SETTINGS)
    with transaction.atomic():
        template, _created = MailTemplate.objects.update_or_create(
            organisation=by.organisation, kind=kind, language=language,
            defaults={"subject": subject, "body": body})
        template.full_clean()
        audit_record(actor=by, subject=template, action="mail_template.save",
                     after={"kind": kind, "language": language, "subject": subject})
    return template


# --- recipients ---------------------------------------------------------------------------------


def invoice_addresses(customer: Customer) -> list[str]:
    """The customer's valid invoice addresses (contacts that receive invoices)."""
    found = []
    for email in (Contact.objects.filter(customer=customer, receives_invoices=True).exclude(email="")
                  .order_by("id").values_list("email", flat=True)):
        try:
            validate_email(email)
        except ValidationError:
            continue
        if email.lower() not in (f.lower() for f in found):
            found.append(email)
    return found


# --- sending ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Refusal:
    document_id: int
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class Route:
    """How a customer's documents leave: its channel, and the connector's name when it is a connector."""

    channel: str
    connector: str = ""

    @property
    def sendable(self) -> bool:
        """`send_documents` hands documents to this channel (the others are posted or go elsewhere)."""
        return self.channel in (Channel.EMAIL, Channel.PORTAL, Channel.CONNECTOR)


def route_of(customer: Customer) -> Route:
    if customer.preferred_channel == Channel.CONNECTOR and customer.preferred_connector_id:
        return Route(Channel.CONNECTOR, customer.preferred_connector.name)
    return Route(customer.preferred_channel)


@dataclass(slots=True)
class SendResult:
    batch: str
    queued: list[int] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    warnings: list[Refusal] = field(default_factory=list)
    routes: dict[int, Route] = field(default_factory=dict)
    """The way each queued document goes: e-mail, the portal (announced by e-mail) or a connector."""

    def queued_by_route(self) -> dict[Route, list[int]]:
        out: dict[Route, list[int]] = {}
        for document_id in self.queued:
            out.setdefault(self.routes.get(document_id, Route(Channel.EMAIL)), []).append(document_id)
        return out

    @property
    def drafts(self) -> list[int]:
        """Drafts that were refused: the screen offers to issue them first."""
        return [r.document_id for r in self.refused if r.code == "draft"]


def new_message_id(domain: str) -> tuple[str, str]:
    token = secrets.token_hex(10)
    return f"<{uuid.uuid4().hex}.{token}@{domain}>", token


def _duplicates(document: Document) -> list[str]:
    """Why the document may be a duplicate of one already sent to the same customer."""
    sent = OutboxMessage.objects.filter(organisation_id=document.organisation_id, customer_id=document.customer_id,
                                        kind=MessageKind.DOCUMENT).exclude(state=OutboxState.FAILED)
    reasons = []
    same_number = sent.filter(document__number=document.number).first()
    if same_number is not None:
        reasons.append(str(_("%(number)s was already sent to this customer (%(when)s).") % {
            "number": document.number, "when": localized(same_number.created_at)}))
    twin = (sent.filter(document__payable=document.payable, document__issue_date=document.issue_date)
            .exclude(document=document).select_related("document").first())
    if twin is not None:
        reasons.append(str(_("%(other)s, already sent to this customer, has the same amount and date.") % {
            "other": twin.document.number}))
    return reasons


def duplicate_block(document: Document) -> list[str]:
    """Why sending `document` would be refused as a likely duplicate; [] when it would not be.

    Only an organisation whose policy blocks duplicates refuses them; the screen then shows
    the reasons and lets a member who may send confirm (`allow_duplicates`)."""
    ms = MailSettings.objects.filter(organisation_id=document.organisation_id).first()
    if ms is None or ms.duplicate_policy != DuplicatePolicy.BLOCK or document.state == State.DRAFT:
        return []
    return _duplicates(document)


def send_documents(*, by: Membership, document_ids: list[int], allow_duplicates: bool = False,
                   reminder: bool = False, issue_drafts: bool = False) -> SendResult:
    """Queue issued documents for sending — by e-mail, or through the export connector a customer's
    channel names (`delivery.connectors`); each refusal comes back with its reason.

    Drafts are refused (code "draft": the screen offers to issue them first) unless
    `issue_drafts` is set, which issues them today with the member's "issue" right, then sends.
    Nothing is sent here: one outbox row per document is committed, and the worker sends them
    (`outbox_flush`), so a crash never loses nor repeats a message.
    """
    require_right(by, Right.SEND)
    ms = MailSettings.objects.filter(organisation=by.organisation).first()
    if issue_drafts:
        from facturier.invoicing.services import documents_issue

        require_right(by, Right.ISSUE)
        outcome = documents_issue(by=by, document_ids=list(
            Document.objects.filter(organisation=by.organisation, pk__in=document_ids, state=State.DRAFT)
            .order_by("pk").values_list("pk", flat=True)))
        if outcome.refused:  # the others are issued; nothing is sent until every draft could be
            raise outcome.refused[0][1]
    result = SendResult(batch=uuid.uuid4().hex)
    documents = {d.pk: d for d in Document.objects.filter(organisation=by.organisation, pk__in=document_ids)
                 .select_related("customer__preferred_connector", "organisation")}
    now = timezone.now()
    plan = _plan_refusals(by.organisation)
    platform = _platform_routes(by.organisation, documents)  # directory lookups: before the transaction
    with transaction.atomic():
        for document_id in dict.fromkeys(document_ids):
            document = documents.get(document_id)
            if document is None:
                result.refused.append(Refusal(document_id, "not_found", str(_("No such document."))))
                continue
            if document_id in platform:
                refusal = _platform_send(by, document, platform[document_id])
                if refusal is not None:
                    result.refused.append(Refusal(document_id, *refusal))
                    continue
                result.queued.append(document_id)
                result.routes[document_id] = Route(
                    Channel.CHORUS if platform[document_id].channel == "chorus" else Channel.PLATFORM)
                continue
            refusal = _refusal(document) or plan.get(document.customer.preferred_channel == Channel.CONNECTOR)
            if refusal is not None:
                result.refused.append(Refusal(document_id, *refusal))
                continue
            if document.customer.preferred_channel == Channel.CONNECTOR:
                from facturier.delivery.connectors.services import channel_queue

                channel_queue(by=by, document=document)
                result.queued.append(document_id)
                result.routes[document_id] = route_of(document.customer)
                continue
            if ms is None:
                ms = settings_of(by.organisation)  # raises: no mail server to send with
            duplicates = _duplicates(document)
            if duplicates and not reminder:
                if ms.duplicate_policy == DuplicatePolicy.BLOCK:
                    if not allow_duplicates:
                        result.refused.append(Refusal(document_id, "duplicate", " ".join(duplicates)))
                        continue
                    audit_record(actor=by, subject=document, action="delivery.duplicate_confirmed",
                                 after={"reasons": duplicates})
                result.warnings.append(Refusal(document_id, "duplicate", " ".join(duplicates)))
            recipients = invoice_addresses(document.customer)
            message_id, token = new_message_id(ms.return_path_domain[1])
            message = OutboxMessage.objects.create(
                organisation=by.organisation, kind=MessageKind.DOCUMENT, document=document,
                customer=document.customer, batch=result.batch, recipients=recipients, message_id=message_id,
                verp_token=token, next_attempt_at=now, reminder=reminder)
            delivery_mark(document=document, state=DeliveryState.QUEUED, recipient=", ".join(recipients),
                          message=message, actor=by, detail=str(_("Queued for %(to)s") % {"to": ", ".join(recipients)}))
            result.queued.append(document_id)
            result.routes[document_id] = route_of(document.customer)
        if any(m for m in result.queued if documents[m].customer.preferred_channel != Channel.CONNECTOR
               and m not in platform):
            organisation_id = by.organisation.pk
            transaction.on_commit(lambda: enqueue_flush(organisation_id))
    return result


def _platform_routes(organisation, documents: dict[int, Document]) -> dict:
    """The documents that leave through a platform (the PA or Chorus Pro), with their routing decision
    (`facturier.platforms.routing`): the others keep their channel."""
    from facturier.platforms.sending import platform_route, public_buyers_prefetch

    routes = {}
    for document_id, document in documents.items():
        if document.state == State.DRAFT:
            continue
        decision = platform_route(organisation, document)
        if decision is not None:
            routes[document_id] = decision
    public_buyers_prefetch(organisation=organisation, customer_ids={
        documents[pk].customer_id for pk, decision in routes.items() if decision.channel == "chorus"})
    return routes


def _platform_send(by: Membership, document: Document, decision) -> tuple[str, str] | None:
    """Queue a document for the PA or Chorus Pro; the refusal (code, reason) when it cannot go."""
    from facturier.billing.models import Capability
    from facturier.billing.services import capability_refusal

    reason = capability_refusal(by.organisation, Capability.PLATFORM)
    if reason:
        return "plan_capability_missing", str(reason)
    if decision.refusal is not None:
        return decision.refusal[0], str(decision.refusal[1])
    if decision.channel == "chorus":
        from facturier.platforms.chorus.services import chorus_queue, chorus_refusal

        refusal = chorus_refusal(document)
        if refusal is not None:
            return refusal
        from facturier.platforms.sending import record_route

        record_route(document, decision)
        chorus_queue(by=by, document=document)
        return None
    from facturier.delivery.connectors.files import FileRefused
    from facturier.platforms.sending import platform_queue, platform_refusal

    refusal = platform_refusal(document)
    if refusal is not None:
        return refusal
    try:
        with transaction.atomic():
            platform_queue(by=by, document=document, decision=decision)
    except FileRefused as e:
        return "file_refused", str(e.message)
    return None


def _plan_refusals(organisation) -> dict[bool, tuple[str, str]]:
    """What the organisation's plan (billing) refuses, keyed by "leaves by a connector"."""
    from facturier.billing.models import Capability
    from facturier.billing.services import capability_refusal

    reasons = {connector: capability_refusal(organisation, Capability.CONNECTORS if connector else Capability.EMAIL)
               for connector in (False, True)}
    return {connector: ("plan_capability_missing", reason) for connector, reason in reasons.items() if reason}


def _refusal(document: Document) -> tuple[str, str] | None:
    customer = document.customer
    if document.state == State.DRAFT:
        return "draft", str(_("This document is a draft: issue it first, then send it."))
    if not customer.accepts_einvoices:
        return "refused", str(_("%(customer)s refused e-invoices on %(date)s: send it by post.") % {
            "customer": customer.name, "date": localized(customer.consent_refused_on)})
    if customer.preferred_channel == Channel.CONNECTOR:
        from facturier.delivery.connectors.services import channel_refusal

        return channel_refusal(document)
    if customer.preferred_channel not in (Channel.EMAIL, Channel.PORTAL):
        return "channel", str(_("%(customer)s receives its invoices by “%(channel)s”, not by e-mail.") % {
            "customer": customer.name, "channel": Channel(customer.preferred_channel).label})
    if not invoice_addresses(customer):
        return "no_email", str(_("%(customer)s has no valid e-mail address for invoices: add one to a contact "
                                 "who receives invoices.") % {"customer": customer.name})
    active = OutboxMessage.objects.filter(document=document, state__in=(OutboxState.PENDING, OutboxState.SENDING))
    if active.exists():
        return "in_progress", str(_("This document is already waiting to be sent."))
    if OutboxMessage.objects.filter(document=document, state=OutboxState.UNKNOWN).exists():
        return "unknown", str(_("The outcome of this document's last sending is unknown: check whether the customer "
                                "received it, then send it again or mark it sent from its page."))
    return None


def enqueue_flush(organisation_id: int) -> None:
    from facturier.delivery.tasks import outbox_flush_task

    outbox_flush_task.enqueue(organisation_id=organisation_id)


# --- corrections --------------------------------------------------------------------------------


def address_correct(*, by: Membership, document_id: int, email: str) -> SendResult:
    """Replace a bounced address by a corrected one, and send the document again to it."""
    require_right(by, Right.SEND)
    validate_email(email)
    with transaction.atomic():
        document = Document.objects.select_related("customer", "organisation").get(
            pk=document_id, organisation=by.organisation)
        delivery = Delivery.objects.select_for_update().filter(document=document).first()
        bounced = set()
        if delivery is not None and delivery.last_message is not None:
            bounced = {a.lower() for a in delivery.last_message.recipients}
        contacts = Contact.objects.filter(customer=document.customer, receives_invoices=True)
        replaced = False
        for contact in contacts:
            if contact.email.lower() in bounced:
                before = contact.email
                contact.email = email
                contact.save(update_fields=["email"])
                audit_record(actor=by, subject=document.customer, action="contact.email_correct",
                             before={"email": before}, after={"email": email})
                replaced = True
        if not replaced:
            Contact.objects.create(customer=document.customer, email=email, receives_invoices=True)
            audit_record(actor=by, subject=document.customer, action="contact.add", after={"email": email})
        delivery_mark(document=document, state=DeliveryState.ADDRESS_CORRECTED, recipient=email, actor=by,
                      detail=str(_("Address corrected to %(email)s") % {"email": email}), correction_deadline=None)
        return send_documents(by=by, document_ids=[document.pk], allow_duplicates=True)


