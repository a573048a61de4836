"""Accounting: transfer a period, list transfers, cancel one, download the FEC (checked) or a CSV export."""

from __future__ import annotations

import datetime as dt

from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema, Status

from facturier.accounting.exports import export
from facturier.accounting.models import Transfer
from facturier.accounting.services import transfer_cancel, transfer_run
from facturier.api.context import acting
from facturier.api.models import Scope
from facturier.errors import FacturierError

router = Router(tags=["accounting"])


class FecRefused(FacturierError):
    code = "fec_check_failed"


class TransferIn(Schema):
    start: dt.date
    end: dt.date


class TransferOut(Schema):
    id: int
    state: str
    created_at: dt.datetime
    period_start: dt.date | None
    period_end: dt.date | None
    documents: int
    payments: int
    entries: int
    total_debit: str
    total_credit: str


def transfer_out(t: Transfer) -> dict:
    return {"id": t.pk, "state": t.state, "created_at": t.created_at, "period_start": t.period_start,
            "period_end": t.period_end, "documents": t.documents_count, "payments": t.payments_count,
            "entries": t.entries_count, "total_debit": str(t.total_debit), "total_credit": str(t.total_credit)}


@router.post("/transfers", response={201: TransferOut}, summary="Transfer a period to accounting",
             description="Every issued document, payment, payment cancellation and write-off dated in the period and "
                         "not yet accounted becomes balanced journal entries; all or nothing.")
def create_transfer(request, payload: TransferIn):
    by = acting(request, Scope.DOCUMENTS_WRITE)
    return Status(201, transfer_out(transfer_run(by=by, start=payload.start, end=payload.end)))


@router.get("/transfers", response=list[TransferOut], summary="Transfers to accounting, latest first")
def list_transfers(request):
    by = acting(request, Scope.READ)
    return [transfer_out(t) for t in Transfer.objects.filter(organisation=by.organisation).order_by("-id")[:200]]


@router.post("/transfers/{int:transfer_id}/cancel", response=TransferOut, summary="Cancel a whole open transfer")
def cancel_transfer(request, transfer_id: int):
    by = acting(request, Scope.DOCUMENTS_WRITE)
    return transfer_out(transfer_cancel(by=by, transfer_id=transfer_id))


@router.get("/fec", summary="Download the FEC of a period (of one fiscal year), or a CSV export",
            description="`format`: fec (default), sage, ebp or journal. A FEC that fails our checker is refused "
                        "(422, with the problems).")
def download(request, start: dt.date, end: dt.date, format: str = "fec"):
    by = acting(request, Scope.READ)
    out = export(by.organisation, start=start, end=end, fmt=format)
    if out.problems:
        raise FecRefused(_("The FEC fails the checks: %(problems)s"), problems="; ".join(out.problems[:10]))
    response = StreamingHttpResponse(out.chunks(), content_type=out.content_type)
    response["Content-Disposition"] = f'attachment; filename="{out.name}"'
    return response
