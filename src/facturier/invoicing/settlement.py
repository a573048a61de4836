"""Settling issued documents: payments (partial, over-), their cancellation, bad-debt write-offs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Membership, Right
from facturier.accounts.services import require_right
from facturier.audit.services import audit_record
from facturier.errors import FacturierError
from facturier.invoicing.models import Document, Payment, PaymentMethod, State, WriteOff
from facturier.invoicing.states import settlement_state, transition

SETTLEMENT_FIELDS = ["state", "paid_amount", "credited_amount", "written_off_amount", "amount_due", "updated_at"]


class SettlementRefused(FacturierError):
    code = "settlement_refused"


class OverpaymentUnconfirmed(SettlementRefused):
    """A payment larger than what is still due (or on a paid document): recorded only when confirmed."""

    code = "overpayment_unconfirmed"


def money_text(amount: Decimal) -> str:
    """An amount as the active language writes it (1 234,50 in French, 1,234.50 in English)."""
    return formats.number_format(amount, 2, use_l10n=True, force_grouping=True)


def settle(document: Document, *, save: bool = True) -> None:
    """Recompute what is due and move the document to the state its amounts imply (row already locked);
    `save=False` leaves the writing to the caller (the issue, which saves the whole document)."""
    document.amount_due = (document.payable - document.paid_amount - document.credited_amount
                           - document.written_off_amount)
    transition(document, to=settlement_state(payable=document.payable, paid=document.paid_amount,
                                             credited=document.credited_amount,
                                             written_off=document.written_off_amount))
    if save:
        document.save(update_fields=SETTLEMENT_FIELDS)


def _locked(by: Membership, document_id: int) -> Document:
    return Document.objects.select_for_update().get(pk=document_id, organisation=by.organisation)


def _amount(value) -> Decimal:
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).replace(",", "."))
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise SettlementRefused(_("The amount must be a positive number with at most 2 decimals."))
    return amount


def _snapshot(document: Document) -> dict:
    return {"state": document.state, "paid": str(document.paid_amount), "amount_due": str(document.amount_due)}


def payment_record(*, by: Membership, document_id: int, date: dt.date, amount, method: str = PaymentMethod.TRANSFER,
                   reference: str = "", confirm_overpayment: bool = False) -> Payment:
    """Record money received (or refunded, on a credit note).

    A payment larger than what is still due, or on a document already settled, is refused
    unless `confirm_overpayment`: the excess is then owed to the customer (a credit to refund
    or to use, `Document.owed_to_customer`). The document's row is locked first, so two
    concurrent payments see each other: the second one sees the first and needs the confirmation.
    """
    require_right(by, Right.RECORD_PAYMENTS)
    amount = _amount(amount)
    if method not in PaymentMethod.values:
        raise SettlementRefused(_("Unknown payment method “%(method)s”."), method=method)
    with transaction.atomic():
        document = _locked(by, document_id)
        if document.state == State.DRAFT:
            raise SettlementRefused(_("%(document)s is a draft: issue it before recording a payment."),
                                    document=str(document))
        if document.state in (State.BAD_DEBT, State.BAD_DEBT_PARTIAL):
            raise SettlementRefused(_("%(document)s was written off as a bad debt; a late payment is "
                                      "recorded as exceptional income, not on the invoice."), document=str(document))
        if date < document.issue_date:
            raise SettlementRefused(_("The payment date %(date)s is before the issue date %(issue)s."),
                                    date=date, issue=document.issue_date)
        _confirm_excess(document, amount, confirmed=confirm_overpayment)
        before = _snapshot(document)
        payment = Payment.objects.create(organisation=by.organisation, document=document, date=date, amount=amount,
                                         method=method, reference=reference, recorded_by=by.user)
        document.paid_amount += amount
        settle(document)
        from facturier.platforms.sending import payment_recorded

        payment_recorded(payment)  # the status 212 "Encaissée" a seller owes its buyer's PA, when it does
        audit_record(actor=by, subject=document, action="payment.record", before=before,
                     after={**_snapshot(document), "payment": payment.pk, "amount": str(amount),
                            "date": date.isoformat(), "method": method, "reference": reference,
                            **({"owed_to_customer": str(document.owed_to_customer)}
                               if document.owed_to_customer else {})})
    return payment


def _confirm_excess(document: Document, amount: Decimal, *, confirmed: bool) -> None:
    """Refuse, unless confirmed, a payment that would leave money owed to the customer."""
    still_due = max(Decimal(0), document.amount_due)
    if amount <= still_due or confirmed:
        return
    params = {"document": str(document), "amount": money_text(amount), "currency": document.currency,
              "excess": money_text(amount - still_due), "due": money_text(still_due)}
    if still_due == 0:
        raise OverpaymentUnconfirmed(
            _("%(document)s is already settled: this payment of %(amount)s %(currency)s would be owed to the "
              "customer, as a credit to refund or to use. Confirm the over-payment to record it."), **params)
    raise OverpaymentUnconfirmed(
        _("This payment of %(amount)s %(currency)s exceeds the %(due)s %(currency)s still due on %(document)s: "
          "%(excess)s %(currency)s would be owed to the customer, as a credit to refund or to use. "
          "Confirm the over-payment to record it."), **params)


def payment_cancel(*, by: Membership, payment_id: int, reason: str) -> Payment:
    """Cancel a payment recorded by mistake; it stays in the list, struck out, with its reason."""
    require_right(by, Right.RECORD_PAYMENTS)
    if not reason.strip():
        raise SettlementRefused(_("Say why the payment is cancelled."))
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id, organisation=by.organisation)
        if payment.cancelled_at is not None:
            raise SettlementRefused(_("This payment is already cancelled."))
        document = _locked(by, payment.document_id)
        if document.state in (State.BAD_DEBT, State.BAD_DEBT_PARTIAL):
            raise SettlementRefused(_("%(document)s was written off: its payments can no longer change."),
                                    document=str(document))
        before = _snapshot(document)
        payment.cancelled_at, payment.cancelled_by, payment.cancel_reason = timezone.now(), by.user, reason.strip()
        payment.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason"])
        document.paid_amount -= payment.amount
        settle(document)
        audit_record(actor=by, subject=document, action="payment.cancel", before=before,
                     after={**_snapshot(document), "payment": payment.pk, "reason": payment.cancel_reason})
    return payment


def write_off(*, by: Membership, document_id: int, date: dt.date, reason: str) -> WriteOff:
    """Write off what remains due as a bad debt: a special settlement, with its date and reason."""
    require_right(by, Right.WRITE_OFF)
    if not reason.strip():
        raise SettlementRefused(_("Say why the debt is written off (e.g. liquidation of the customer)."))
    with transaction.atomic():
        document = _locked(by, document_id)
        if document.state not in (State.ISSUED, State.PARTIALLY_PAID) or document.amount_due <= 0:
            raise SettlementRefused(_("Only an issued document with an amount still due can be written off "
                                      "(%(document)s is “%(state)s”)."),
                                    document=str(document), state=State(document.state).label)
        before = _snapshot(document)
        entry = WriteOff.objects.create(organisation=by.organisation, document=document, date=date,
                                        amount=document.amount_due, reason=reason.strip(), recorded_by=by.user)
        document.written_off_amount = entry.amount
        settle(document)
        audit_record(actor=by, subject=document, action="document.write_off", before=before,
                     after={**_snapshot(document), "amount": str(entry.amount), "reason": entry.reason,
                            "date": date.isoformat()})
    return entry
