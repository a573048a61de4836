"""Documents: drafts (create, change, delete), issue, credit note, the dashboard's list, one document, files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpResponse
from django.urls import reverse
from ninja import Query, Router, Schema, Status

from facturier.api.context import acting, file_response
from facturier.api.models import Scope
from facturier.api.schemas import CreditNoteIn, DocumentOut, DocumentPage, DraftIn, DraftPatch, IssueIn
from facturier.documents.services import document_facturx, document_pdf, document_xml
from facturier.invoicing.models import Document
from facturier.invoicing.selectors import document_get
from facturier.invoicing.services import credit_note_create, document_issue, draft_create, draft_delete, draft_update
from facturier.web.extensions import delivery_states
from facturier.web.selectors import Sort, dashboard_filter, dashboard_page

router = Router(tags=["documents"])
MAX_PAGE = 200


class DocumentQuery(Schema):
    status: str = ""
    kind: str = ""
    customer: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    sort: str = "-date"
    cursor: str = ""
    limit: int = 50


def _money(value) -> str:
    return str(value if value is not None else "0.00")


def summary_out(d: Document) -> dict:
    return {"id": d.pk, "kind": d.kind, "state": d.state, "number": d.number, "issue_date": d.issue_date,
            "due_date": d.due_date, "customer": {"id": d.customer.pk, "code": d.customer.code,
                                                  "name": d.customer.name},
            "payable": _money(d.payable), "amount_due": _money(d.amount_due), "currency": d.currency}


def document_out(d: Document, *, delivered: bool = True) -> dict:
    """A document as the API shows it; `delivered=False` for one just created or issued (no delivery yet)."""
    base = f"/api/v1/documents/{d.pk}"
    delivery = delivery_states(d.organisation, [d.pk]).get(d.pk) if delivered else None
    return {
        **summary_out(d), "state_label": d.get_state_display(), "language": d.language,
        "delivery_date": d.delivery_date, "buyer_reference": d.buyer_reference, "purchase_order": d.purchase_order,
        "note": d.note,
        "totals": {name: _money(getattr(d, name)) for name in (
            "line_total", "allowance_total", "charge_total", "tax_exclusive", "tax_total", "tax_inclusive",
            "prepaid", "rounding", "payable")},
        "vat_breakdown": [{k: str(v) if v is not None and not isinstance(v, str) else v for k, v in row.items()}
                          for row in d.vat_breakdown or []],
        "lines": [{"id": line.pk, "position": line.position, "name": line.name, "description": line.description,
                   "quantity": str(line.quantity.normalize()), "unit": line.unit,
                   "unit_price": str(line.unit_price.normalize()), "discount_percent": str(line.discount_percent),
                   "vat_category": line.vat_category,
                   "vat_rate": None if line.vat_rate is None else str(line.vat_rate),
                   "net_amount": str(line.net_amount)} for line in d.lines.order_by("position")],
        "payment": {"paid": _money(d.paid_amount), "credited": _money(d.credited_amount),
                    "written_off": _money(d.written_off_amount), "amount_due": _money(d.amount_due)},
        "delivery": None if delivery is None else {"state": delivery[0], "label": str(delivery[1])},
        "links": {"self": base, "pdf": f"{base}/pdf", "facturx": f"{base}/facturx", "cii": f"{base}/cii",
                  "ubl": f"{base}/ubl", "archive": f"{base}/archive", "payments": f"{base}/payments",
                  "delivery": f"{base}/delivery", "web": reverse("web:document", args=[d.pk])},
    }


def _get(by, document_id: int) -> Document:
    return document_get(organisation=by.organisation, pk=document_id)


@router.get("", response=DocumentPage, summary="List documents (the dashboard's filters, keyset pages)",
            description="Filters: `status` (draft, issued, unpaid, paid, bad_debt), `kind`, `customer` (code "
                        "prefix), `date_from`/`date_to` (issue date), `amount_min`/`amount_max` (signed: a credit "
                        "note counts negative). `sort`: date, number, customer, amount, due, with `-` for "
                        "descending. Pages are cut by a cursor: pass `next_cursor` back as `cursor`.")
def list_documents(request, query: Query[DocumentQuery]):
    by = acting(request, Scope.READ)
    period = None
    if query.date_from or query.date_to:
        period = (query.date_from or dt.date(1900, 1, 1), query.date_to or dt.date(9999, 12, 31))
    f = dashboard_filter(period=period, status=query.status, kind=query.kind, customer=query.customer,
                         amount_min=query.amount_min, amount_max=query.amount_max)
    page = dashboard_page(organisation=by.organisation, f=f, sort=Sort.parse(query.sort),
                          after=query.cursor or None, size=max(1, min(query.limit, MAX_PAGE)))
    return {"items": [summary_out(d) for d in page.rows], "next_cursor": page.next_cursor}


@router.post("", response={201: DocumentOut}, summary="Create a draft with its lines")
def create_draft(request, payload: DraftIn):
    by = acting(request, Scope.DOCUMENTS_WRITE)
    data = payload.dict(exclude_unset=True)
    header = {k: v for k, v in data.items() if k not in ("kind", "customer_id", "lines", "allowances_charges")
              and v is not None}
    document = draft_create(by=by, kind=payload.kind, customer_id=payload.customer_id,
                            lines=[line.dict() for line in payload.lines],
                            allowances_charges=[ac.dict() for ac in payload.allowances_charges], **header)
    return Status(201, document_out(document, delivered=False))


@router.get("/{int:document_id}", response=DocumentOut, summary="Get a document with its lines, totals and states")
def get_document(request, document_id: int):
    by = acting(request, Scope.READ)
    return document_out(_get(by, document_id))


@router.patch("/{int:document_id}", response=DocumentOut, summary="Change a draft",
              description="Only the fields sent change; `lines`, when sent, replace every line.")
def update_draft(request, document_id: int, payload: DraftPatch):
    by = acting(request, Scope.DOCUMENTS_WRITE)
    data = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    if "lines" in data:
        data["lines"] = [line.dict() for line in payload.lines]
    if "allowances_charges" in data:
        data["allowances_charges"] = [ac.dict() for ac in payload.allowances_charges]
    draft_update(by=by, document_id=document_id, **data)
    return document_out(_get(by, document_id))


@router.delete("/{int:document_id}", response={204: None}, summary="Delete a draft")
def delete_draft(request, document_id: int):
    by = acting(request, Scope.DOCUMENTS_WRITE)
    draft_delete(by=by, document_id=document_id)
    return Status(204, None)


@router.post("/{int:document_id}/issue", response=DocumentOut, summary="Issue a draft",
             description="Gives the draft its number and freezes it. Refused with the rule ids and messages when "
                         "the document breaks EN 16931 or French rules (422, `errors`).")
def issue(request, document_id: int, payload: IssueIn | None = None):
    by = acting(request, Scope.ISSUE)
    payload = payload or IssueIn()
    document = document_issue(by=by, document_id=document_id, issue_date=payload.issue_date,
                              confirm_overcredit=payload.confirm_overcredit)
    return document_out(document, delivered=False)


@router.post("/{int:document_id}/credit-note", response={201: DocumentOut},
             summary="Create a draft credit note for an issued invoice (all lines, or some)")
def credit_note(request, document_id: int, payload: CreditNoteIn | None = None):
    by = acting(request, Scope.DOCUMENTS_WRITE)
    payload = payload or CreditNoteIn()
    note = credit_note_create(by=by, invoice_id=document_id, line_ids=payload.line_ids, note=payload.note)
    return Status(201, document_out(_get(by, note.pk)))


@router.get("/{int:document_id}/pdf", response={200: bytes}, summary="The visual PDF",
            description="A draft needs the member's “print drafts” right and carries a DRAFT watermark.")
def pdf(request, document_id: int) -> HttpResponse:
    by = acting(request, Scope.READ)
    produced = document_pdf(by=by, document_id=document_id)
    return file_response(produced.data, filename=produced.filename, content_type="application/pdf")


@router.get("/{int:document_id}/facturx", response={200: bytes}, summary="The Factur-X PDF (issued documents)")
def facturx(request, document_id: int) -> HttpResponse:
    by = acting(request, Scope.READ)
    produced = document_facturx(by=by, document_id=document_id)
    return file_response(produced.data, filename=produced.filename, content_type="application/pdf")


def _xml(request, document_id: int, syntax: str) -> HttpResponse:
    by = acting(request, Scope.READ)
    document = Document.objects.select_related("organisation", "customer", "series").get(
        pk=document_id, organisation=by.organisation)
    data = document_xml(document, syntax)
    return file_response(data, filename=f"{document.number}.{syntax}.xml", content_type="application/xml")


@router.get("/{int:document_id}/cii", response={200: bytes}, summary="The CII XML (UN/CEFACT, issued documents)")
def cii(request, document_id: int) -> HttpResponse:
    return _xml(request, document_id, "cii")


@router.get("/{int:document_id}/ubl", response={200: bytes}, summary="The UBL XML (issued documents)")
def ubl(request, document_id: int) -> HttpResponse:
    return _xml(request, document_id, "ubl")


class PlatformEventOut(Schema):
    code: str
    label: str
    reason: str
    at: dt.datetime | None = None


class PlatformStatusOut(Schema):
    channel: str
    routing_reason: str
    address: str
    code: str
    label: str
    reason: str
    status_at: dt.datetime | None = None
    history: list[PlatformEventOut]


@router.get("/{int:document_id}/platform-status", response={200: PlatformStatusOut, 404: dict},
            summary="The document's routing and life-cycle statuses at its platform (the PA, or Chorus Pro)",
            description="`channel` says where it went. Through a PA: codes 200–228 and 501 of the 2026 reform. "
                        "Through Chorus Pro (`channel` \"chorus\"): its statuses (DEPOSEE, MISE_A_DISPOSITION, "
                        "SUSPENDUE, A_RECYCLER, REJETEE, SERVICE_FAIT, MANDATEE, MISE_EN_PAIEMENT, and IRRECEVABLE "
                        "for a flow rejected before any invoice came out of it). Names and reasons in the language "
                        "of `Accept-Language`; 404 when the document never went to a platform.")
def platform_status(request, document_id: int):
    from facturier.platforms.status_selectors import document_platform_status

    by = acting(request, Scope.READ)
    document = _get(by, document_id)
    found = document_platform_status(organisation=by.organisation, document_id=document.pk)
    if found is None:
        return Status(404, {"detail": "This document has not been handed to a platform (PA or Chorus Pro)."})
    return found
