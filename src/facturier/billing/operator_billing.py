"""Period ends: close each period, tell the operator, and invoice the subscriber with Facturier itself.

A closed period's amount is the plan's base price plus its price per tranche begun. A period whose
amount is zero (a free plan that stayed within its included documents) is NOT invoiced: there is no
consideration, so no invoice is due (art. 289 CGI concerns supplies made for consideration), and
issuing one would consume the operator's gapless numbering, reach the customer's accounting for
nothing, and ask for a means of payment the free tier promises not to need. The period is still
closed and listed in the operator's statement, with amount 0.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, FilteredRelation, Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from facturier.accounts.models import Membership, Organisation, Role
from facturier.billing.models import ChangeKind, PeriodUsage, Plan, State, Subscription
from facturier.billing.periods import tranches_for
from facturier.billing.services import _change, _usage, operator_organisation
from facturier.errors import FacturierError

log = logging.getLogger(__name__)


def period_amount(plan: Plan, tranches: int) -> Decimal:
    return plan.base_price + plan.tranche_price * tranches


# --- the statement -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatementRow:
    organisation_id: int
    organisation: str
    slug: str
    plan: str
    state: str
    period_start: dt.date
    period_end: dt.date
    count: int
    tranche: int
    amount: Decimal
    next_renewal: dt.date


def usage_statement(*, plan_id: int | None = None, state: str = "", search: str = "", renews_before=None,
                    limit: int | None = None) -> list[StatementRow]:
    """Every subscription's current period: plan, count, tranche, amount so far, next renewal.

    One query for the whole platform (the current period's usage is a filtered LEFT JOIN)."""
    qs = (Subscription.objects
          .annotate(current=FilteredRelation("periods", condition=Q(periods__period_start=F("period_start"))))
          .order_by("organisation__name"))
    if plan_id:
        qs = qs.filter(plan_id=plan_id)
    if state:
        qs = qs.filter(state=state)
    if search:
        qs = qs.filter(Q(organisation__name__icontains=search) | Q(organisation__slug__icontains=search))
    if renews_before:
        qs = qs.filter(period_end__lt=renews_before)
    rows = qs.values_list("organisation_id", "organisation__name", "organisation__slug", "plan__name", "state",
                          "period_start", "period_end", "current__count", "current__tranche", "plan__included_invoices",
                          "plan__tranche_size", "plan__base_price", "plan__tranche_price")
    if limit:
        rows = rows[:limit]
    labels = dict(State.choices)
    out = []
    for (org_id, name, slug, plan, st, start, end, counted, begun, included, size, base, price) in rows:
        count = counted or 0
        tranche = max(begun or 0, tranches_for(count, included=included, size=size))
        out.append(StatementRow(org_id, name, slug, plan, str(labels.get(st, st)), start, end, count, tranche,
                                base + price * tranche, end + dt.timedelta(days=1)))
    return out


def statement_csv(rows: list[StatementRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Organisation"), _("Short name"), _("Plan"), _("State"), _("Period start"), _("Period end"),
                     _("Documents counted"), _("Tranche"), _("Amount (EUR, excl. VAT)"), _("Next renewal")])
    for r in rows:
        writer.writerow([r.organisation, r.slug, r.plan, r.state, r.period_start.isoformat(), r.period_end.isoformat(),
                         r.count, r.tranche, f"{r.amount:.2f}", r.next_renewal.isoformat()])
    return out.getvalue()


# --- closing periods -----------------------------------------------------------------------------


def _terminations_caught_up() -> None:
    """A subscription whose organisation was terminated ends even if the termination's signal was lost
    (a process stopped between the commit and the signal): the termination row is the truth."""
    from facturier.billing.services import subscription_terminate

    for subscription in (Subscription.objects.exclude(state=State.TERMINATED)
                         .filter(organisation__termination__isnull=False)
                         .select_related("organisation__termination")):
        subscription_terminate(subscription.organisation, subscription.organisation.termination.at)


def periods_close(*, today: dt.date | None = None) -> list[int]:
    """Close every period that ended before `today`; queue its invoice and the operator's statement.
    Idempotent: a closed period is never closed again. Returns the usage ids closed by this run."""
    today = today or timezone.localdate()
    now = timezone.now()
    _terminations_caught_up()
    for subscription_id in (Subscription.objects.filter(period_end__lt=today)
                            .exclude(state=State.TERMINATED).values_list("pk", flat=True)):
        with transaction.atomic():
            subscription = Subscription.objects.select_for_update().select_related("plan").get(pk=subscription_id)
            _usage(subscription, today)  # rolls on, leaving a row (maybe of 0) for each period that ended
    closed = []
    for usage_id in PeriodUsage.objects.filter(closed_at__isnull=True, period_end__lt=today).values_list("pk",
                                                                                                         flat=True):
        with transaction.atomic():
            usage = PeriodUsage.objects.select_for_update().select_related("plan", "subscription").get(pk=usage_id)
            if usage.closed_at is not None:
                continue
            plan = usage.plan
            usage.tranche = max(usage.tranche, tranches_for(usage.count, included=plan.included_invoices,
                                                            size=plan.tranche_size))
            usage.amount = period_amount(plan, usage.tranche)
            usage.closed_at = now
            usage.save(update_fields=["tranche", "amount", "closed_at"])
            _change(usage.subscription, ChangeKind.PERIOD, at=now, count=usage.count, before=usage.tranche,
                    after=f"{usage.amount:.2f}", period_start=usage.period_start)
            if usage.amount > 0:
                transaction.on_commit(lambda pk=usage.pk: _enqueue_invoice(pk))
        closed.append(usage_id)
    if closed:
        transaction.on_commit(lambda: _enqueue_statement(closed))
    return closed


def _enqueue_invoice(usage_id: int) -> None:
    from facturier.billing.tasks import operator_invoice_task

    operator_invoice_task.enqueue(usage_id=usage_id)


def _enqueue_statement(usage_ids: list[int]) -> None:
    from facturier.billing.tasks import statement_send_task

    statement_send_task.enqueue(usage_ids=usage_ids)


# --- the operator's invoice ----------------------------------------------------------------------


class OperatorNotReady(FacturierError):
    code = "operator_not_ready"


def operator_member(operator: Organisation) -> Membership:
    member = (Membership.objects.filter(organisation=operator, is_active=True, role=Role.OWNER, can_issue=True,
                                        can_edit=True, can_send=True).select_related("user", "organisation")
              .order_by("pk").first())
    if member is None:
        raise OperatorNotReady(_("The operator organisation %(org)s has no active owner who may issue and send: "
                                 "its invoices cannot be made."), org=operator.name)
    return member


def subscriber_customer(*, by: Membership, subscription: Subscription):
    """The subscriber as a customer of the operator organisation: the linked record, else one made from
    the subscriber's current legal data (and linked)."""
    from facturier.parties.models import Customer
    from facturier.parties.services import customer_create

    if subscription.customer_id and subscription.customer.organisation_id == by.organisation.pk:
        return subscription.customer
    organisation = subscription.organisation
    legal = organisation.legal_profiles.order_by("-effective_from").first()
    if legal is None:
        raise OperatorNotReady(_("%(org)s has no legal data: it cannot be invoiced."), org=organisation.name)
    code = f"SUB{organisation.pk:06d}"
    customer = Customer.objects.filter(organisation=by.organisation, code=code).first()
    if customer is None:
        customer = Customer.objects.filter(organisation=by.organisation, siret=legal.siret).first() if legal.siret \
            else None
    if customer is None:
        contacts = [{"name": legal.legal_name, "email": legal.email}] if legal.email else []
        customer = customer_create(
            by=by, code=code, name=legal.legal_name, siren=legal.siren, siret=legal.siret,
            vat_number=legal.vat_number, effective_from=timezone.localdate(), contacts=contacts,
            billing_address={"line1": legal.address_line1, "line2": legal.address_line2,
                             "postcode": legal.postcode, "city": legal.city, "country": legal.country})
    Subscription.objects.filter(pk=subscription.pk).update(customer=customer)
    subscription.customer = customer
    return customer


def operator_invoice(*, usage_id: int):
    """Issue (and send through the customer's channel) the operator's invoice of a closed period.
    Idempotent: a period is invoiced once; a free period is not invoiced."""
    from facturier.delivery.services import send_documents
    from facturier.invoicing.services import document_issue, draft_create

    operator = operator_organisation()
    if operator is None:
        raise OperatorNotReady(_("No operator organisation is set: the subscribers cannot be invoiced."))
    by = operator_member(operator)
    with transaction.atomic():
        usage = (PeriodUsage.objects.select_for_update().select_related("plan", "subscription__organisation")
                 .get(pk=usage_id))
        if usage.invoice_id is not None or usage.closed_at is None or not usage.amount:
            return usage.invoice
        if usage.subscription.organisation_id == operator.pk:
            return None  # the operator does not invoice itself
        plan = usage.plan
        customer = subscriber_customer(by=by, subscription=usage.subscription)
        with translation.override(customer.language or operator.default_language):
            period = _("period from %(start)s to %(end)s") % {
                "start": date_format(usage.period_start, "SHORT_DATE_FORMAT"),
                "end": date_format(usage.period_end, "SHORT_DATE_FORMAT")}
            lines = []
            if plan.base_price:
                lines.append({"name": _("Subscription “%(plan)s”") % {"plan": plan.name}, "quantity": Decimal(1),
                              "unit_price": plan.base_price, "description": period})
            if usage.tranche and plan.tranche_price:
                lines.append({"name": _("Tranches of %(size)s invoices") % {"size": plan.tranche_size},
                              "quantity": Decimal(usage.tranche), "unit_price": plan.tranche_price,
                              "description": _("%(count)s documents counted, %(period)s") % {
                                  "count": usage.count, "period": period}})
        draft = draft_create(by=by, customer_id=customer.pk, lines=lines)
        invoice = document_issue(by=by, document_id=draft.pk)
        usage.invoice = invoice
        usage.save(update_fields=["invoice"])
        try:
            with transaction.atomic():
                result = send_documents(by=by, document_ids=[invoice.pk])
            for refusal in result.refused:
                log.warning("operator invoice %s not sent: %s", invoice.pk, refusal)
        except FacturierError as e:  # no mail server yet: the invoice stays issued, to send from the screen
            log.warning("operator invoice %s not sent: %s", invoice.pk, e)
    return invoice


# --- messages ------------------------------------------------------------------------------------


def _owners(organisation_id: int) -> list[str]:
    return list(Membership.objects.filter(organisation_id=organisation_id, is_active=True, role=Role.OWNER)
                .values_list("user__email", flat=True).order_by("user__email"))


def tranche_notify(*, usage_id: int, before: int) -> None:
    """Tell the organisation's owners that their period moved to the next tranche."""
    from facturier.delivery.platform_mail import PlatformMailError, platform_send

    usage = PeriodUsage.objects.select_related("plan", "subscription__organisation").get(pk=usage_id)
    organisation = usage.subscription.organisation
    to = _owners(organisation.pk)
    if not to:
        return
    plan = usage.plan
    with translation.override(organisation.default_language):
        subject = _("Your usage moved to tranche %(tranche)s") % {"tranche": usage.tranche}
        body = _("Hello,\n\n%(org)s has counted %(count)s documents in the period from %(start)s to %(end)s of its "
                 "plan “%(plan)s”: it moved from tranche %(before)s to tranche %(tranche)s (up to %(capacity)s "
                 "documents beyond the %(included)s included), at %(price)s EUR excl. VAT per tranche.\n\n"
                 "Facturier") % {
            "org": organisation.name, "count": usage.count, "start": date_format(usage.period_start),
            "end": date_format(usage.period_end), "plan": plan.name, "before": before, "tranche": usage.tranche,
            "capacity": usage.tranche * plan.tranche_size, "included": plan.included_invoices,
            "price": plan.tranche_price}
    try:
        platform_send(EmailMessage(subject, body, None, to, headers={"Auto-Submitted": "auto-generated"}),
                      organisation_id=organisation.pk)
    except PlatformMailError:
        log.warning("tranche notice for organisation %s not sent", organisation.pk)


def statement_send(*, usage_ids: list[int]) -> None:
    """Send the operator the statement of the periods just closed (a CSV attached)."""
    from facturier.delivery.platform_mail import PlatformMailError, platform_send

    operator = operator_organisation()
    if operator is None:
        return
    to = _owners(operator.pk)
    usages = list(PeriodUsage.objects.filter(pk__in=usage_ids).select_related("plan", "subscription__organisation")
                  .order_by("subscription__organisation__name"))
    if not to or not usages:
        return
    rows = [StatementRow(u.subscription.organisation_id, u.subscription.organisation.name,
                         u.subscription.organisation.slug, u.plan.name, u.subscription.get_state_display(),
                         u.period_start, u.period_end, u.count, u.tranche, u.amount or Decimal(0),
                         u.period_end + dt.timedelta(days=1)) for u in usages]
    with translation.override(operator.default_language):
        subject = ngettext("Usage statement: %(n)s period closed", "Usage statement: %(n)s periods closed",
                           len(rows)) % {"n": len(rows)}
        body = "\n".join([_("Periods closed, with their count, tranche and amount (excl. VAT):"), ""] + [
            f"- {r.organisation}: {r.plan}, {r.period_start} → {r.period_end}, {r.count}, {r.tranche}, {r.amount:.2f}"
            for r in rows]) + "\n"
        message = EmailMessage(subject, body, None, to, headers={"Auto-Submitted": "auto-generated"})
        message.attach("statement.csv", statement_csv(rows), "text/csv")
    try:
        platform_send(message, organisation_id=operator.pk)
    except PlatformMailError:  # logged; the statement stays on the operator's screen and in its CSV
        log.warning("usage statement of %s periods not sent", len(rows))
