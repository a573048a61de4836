"""Writes of the platforms' sending side: routing documents when they are sent, queuing them for the PA,
and the "Encaissée" (212) status the seller owes when a payment is recorded."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from facturier.platforms.routing import RoutingDecision, Way, decide, directory_lines
from facturier.platforms.submissions import PlatformState, PlatformSubmission, SubmissionKind, SubmissionState

log = logging.getLogger(__name__)

# The organisation's choice of syntax for its flows (the connection's), and the file that carries it.
SYNTAXES = {"Factur-X": "facturx", "CII": "cii", "UBL": "ubl"}


def _connection(organisation):
    from facturier.platforms.selectors import connection_for

    return connection_for(organisation)


def directory_prefetch(*, organisation, document_ids: list[int]) -> None:
    """Before drafts are issued: look their buyers up in the PA directory (outside the issuing transactions),
    so that the snapshot taken at issue carries the addressing identifier the directory gives (BT-49). Never
    stops an issue: the directory down, the snapshot keeps the customer's own address or its SIREN. Without
    a PA connection it costs one query."""
    from facturier.invoicing.models import Document

    public_buyers_prefetch(organisation=organisation, customer_ids=set(Document.objects.filter(
        pk__in=document_ids, organisation=organisation, state="draft", customer__is_public_sector=True)
        .values_list("customer_id", flat=True)))
    connection = _connection(organisation)
    if connection is None:
        return
    sirens = set(Document.objects.filter(
        pk__in=document_ids, organisation=organisation, state="draft", customer__electronic_address="",
        customer__is_public_sector=False).exclude(customer__siren="").values_list("customer__siren", flat=True))
    for siren in sorted(sirens):
        try:
            directory_lines(organisation, siren, connection=connection)
        except Exception as e:  # noqa: BLE001 — the directory never blocks an issue; sending asks it again
            log.warning("directory lookup before issue failed: %s", e)


def public_buyers_prefetch(*, organisation, customer_ids) -> None:
    """The B2G side of the lookups made before issuing or sending: each public buyer's Chorus Pro structure
    (whether it requires a service code or an engagement number, its services) read again when its cache is
    stale, so that the gates check what Chorus Pro says today. Never stops an issue or a send."""
    from django.apps import apps

    if not customer_ids or not apps.is_installed("facturier.platforms.chorus"):
        return
    from facturier.parties.models import Customer
    from facturier.platforms.chorus.services import buyer_rules_refresh

    for customer in Customer.objects.filter(organisation=organisation, pk__in=sorted(customer_ids)).select_related(
            "organisation"):
        try:
            buyer_rules_refresh(customer)
        except Exception as e:  # noqa: BLE001 — a lookup never blocks; the cached rules stand
            log.warning("Chorus Pro structure lookup failed: %s", e)


def platform_route(organisation, document) -> RoutingDecision | None:
    """The platform route of a document being sent, or None when it keeps the customer's own channel.

    A public-sector buyer's invoices go to Chorus Pro (the obligation since 2020), directly or through the PA
    when it delivers to public buyers. A customer whose channel is "approved platform" or "Chorus Pro" goes
    there; with a PA connected, an invoice dated from the company's issuing date (`routing.issuing_from`) to a
    French company goes to the PA whatever its channel."""
    from facturier.parties.models import Channel
    from facturier.platforms import routing

    channel = document.customer.preferred_channel
    public = bool((document.buyer_snapshot or {}).get("is_public_sector", document.customer.is_public_sector))
    if channel not in (Channel.PLATFORM, Channel.CHORUS) and not public:
        connection = _connection(organisation)
        if (connection is None or document.issue_date is None
                or document.issue_date < routing.issuing_from(connection)):
            return None
    decision = decide(document)
    if channel == Channel.CHORUS and decision.channel != Way.PLATFORM:
        return RoutingDecision(Way.CHORUS, decision.reason if decision.channel == Way.CHORUS
                               else _("The customer's channel is Chorus Pro."), processing_rule="B2G")
    if decision.channel == Way.EREPORTING:
        if channel == Channel.PLATFORM:
            why = _("This sale is not e-invoiced through a platform (%(why)s) Choose e-mail, the portal or the "
                    "post for this customer.") % {"why": decision.reason}
            return RoutingDecision(Way.PLATFORM, decision.reason, processing_rule=decision.processing_rule,
                                   refusal=("not_in_scope", why))
        return None
    return decision


def record_route(document, decision: RoutingDecision) -> None:
    """The routing decided for a document, shown on its page."""
    PlatformState.objects.update_or_create(document=document, defaults={
        "organisation_id": document.organisation_id, "channel": decision.channel,
        "route_reason": decision.reason[:500], "address": decision.address[:125]})


def _tracking_id(document) -> str:
    failed = PlatformSubmission.objects.filter(organisation_id=document.organisation_id, document=document,
                                               kind=SubmissionKind.INVOICE).count()
    return str(document.pk) if not failed else f"{document.pk}-{failed + 1}"


def platform_refusal(document) -> tuple[str, str] | None:
    """Why `document` cannot be handed to the PA now, or None."""
    if document.state == "draft":
        return "draft", _("This document is a draft: issue it first, then send it.")
    if _connection(document.organisation) is None:
        return "no_platform", _("No approved platform (PA) is connected for %(org)s: set up the connection in the "
                                "settings.") % {"org": document.organisation.name}
    active = PlatformSubmission.objects.filter(document=document, kind=SubmissionKind.INVOICE).exclude(
        state=SubmissionState.FAILED).first()
    if active is not None:
        if active.state == SubmissionState.SENT:
            return "already_submitted", _("This document was already handed to the approved platform (flow "
                                          "%(flow)s): correct it with a credit note or a corrective invoice.") % {
                "flow": active.flow_id}
        return "in_progress", _("This document is already waiting to be handed to the approved platform.")
    return None


def platform_queue(*, by, document, decision: RoutingDecision) -> PlatformSubmission:
    """Queue an issued invoice for its PA, in the syntax the connection chose (Factur-X by default)."""
    from facturier.delivery.connectors.files import make_file
    from facturier.delivery.history import delivery_mark
    from facturier.delivery.models import DeliveryState
    from facturier.parties.models import FileFormat
    from facturier.platforms.outbox import submission_queue

    connection = _connection(document.organisation)
    syntax = getattr(connection, "flow_syntax", "") or "Factur-X"
    file_format = {"Factur-X": FileFormat.FACTURX, "CII": FileFormat.CII, "UBL": FileFormat.UBL}.get(
        syntax, FileFormat.FACTURX)
    made = make_file(document, file_format, "{number}.{ext}")
    record_route(document, decision)
    row = submission_queue(organisation=document.organisation, kind=SubmissionKind.INVOICE,
                           tracking_id=_tracking_id(document), file_name=made.name, data=made.data,
                           flow_syntax=syntax, processing_rule=decision.processing_rule or "B2B", document=document,
                           flow_type="CustomerInvoice")
    delivery_mark(document=document, state=DeliveryState.QUEUED, actor=by,
                  recipient=str(_("Approved platform (PA)")),
                  detail=_("Queued for the approved platform: %(why)s") % {"why": decision.reason})
    return row


# --- the status the seller owes: 212 "Encaissée" ------------------------------------------------


def _on_receipts(document) -> bool:
    return document.operation_category == "services" and not document.vat_on_debits


def cashed_per_rate(document, amount: Decimal) -> list[tuple[Decimal, Decimal]]:
    """The amount cashed split over the invoice's VAT rates, pro rata of their totals with VAT
    (the last rate takes the rounding remainder): [(rate, amount cashed at that rate)]."""
    from facturier.engine.en16931.money import round_amount

    rows = [(Decimal(str(r.get("rate") or "0")),
             Decimal(str(r.get("taxable_amount") or "0")) + Decimal(str(r.get("tax_amount") or "0")))
            for r in (document.vat_breakdown or [])]
    total = sum((gross for _rate, gross in rows), Decimal(0))
    if not rows or total == 0:
        return [(Decimal(0), amount)]
    out, left = [], amount
    for i, (rate, gross) in enumerate(rows):
        part = left if i == len(rows) - 1 else round_amount(amount * gross / total)
        out.append((rate, part))
        left -= part
    return out


def payment_recorded(payment) -> PlatformSubmission | None:
    """A payment recorded on an invoice handed to the PA whose VAT is due on receipt: the seller owes the
    status 212 "Encaissée" with the amount cashed per VAT rate; built as CDAR, validated, and queued as a
    flow in the payment's transaction (nothing when the invoice did not go through a PA)."""
    document = payment.document
    if document.kind == "credit_note" or not _on_receipts(document) or payment.amount <= 0:
        return None
    if not PlatformSubmission.objects.filter(document=document, kind=SubmissionKind.INVOICE,
                                             state=SubmissionState.SENT).exists():
        return None
    from facturier.platforms.outbox import submission_queue
    from facturier.platforms.statuses import build_status

    data = build_status(document, code="212", amounts=cashed_per_rate(document, payment.amount),
                        when=dt.datetime.combine(payment.date, dt.time(12), tzinfo=dt.UTC))
    return submission_queue(organisation=document.organisation, kind=SubmissionKind.CDAR,
                            tracking_id=f"{document.pk}-212-{payment.pk}", file_name=f"{document.number}-212.xml",
                            data=data, flow_syntax="CDAR", processing_rule="B2B", document=document,
                            flow_type="CustomerInvoiceLC")


def now() -> dt.datetime:
    return timezone.now()
