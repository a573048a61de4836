"""Payments: record one on an issued document, list them, cancel one (with a reason)."""

from __future__ import annotations

from ninja import Router, Status

from facturier.api.context import acting
from facturier.api.models import Scope
from facturier.api.schemas import PaymentCancelIn, PaymentIn, PaymentOut
from facturier.invoicing.models import Payment
from facturier.invoicing.selectors import document_get, payments_of
from facturier.invoicing.settlement import payment_cancel, payment_record

router = Router(tags=["payments"])


def payment_out(p: Payment) -> dict:
    return {"id": p.pk, "document_id": p.document_id, "date": p.date, "amount": str(p.amount), "method": p.method,
            "reference": p.reference, "cancelled_at": p.cancelled_at, "cancel_reason": p.cancel_reason}


@router.get("/documents/{int:document_id}/payments", response=list[PaymentOut], summary="A document's payments")
def list_payments(request, document_id: int):
    by = acting(request, Scope.READ)
    document_get(organisation=by.organisation, pk=document_id)  # 404 outside the organisation
    return [payment_out(p) for p in payments_of(organisation=by.organisation, document_id=document_id)]


@router.post("/documents/{int:document_id}/payments", response={201: PaymentOut}, summary="Record a payment",
             description="More than what is still due is refused unless `confirm_overpayment` (the excess is "
                         "then owed to the customer).")
def record_payment(request, document_id: int, payload: PaymentIn):
    by = acting(request, Scope.DOCUMENTS_WRITE)
    payment = payment_record(by=by, document_id=document_id, date=payload.date, amount=payload.amount,
                             method=payload.method, reference=payload.reference,
                             confirm_overpayment=payload.confirm_overpayment)
    return Status(201, payment_out(payment))


@router.post("/payments/{int:payment_id}/cancel", response=PaymentOut, summary="Cancel a payment")
def cancel_payment(request, payment_id: int, payload: PaymentCancelIn):
    by = acting(request, Scope.DOCUMENTS_WRITE)
    return payment_out(payment_cancel(by=by, payment_id=payment_id, reason=payload.reason))
