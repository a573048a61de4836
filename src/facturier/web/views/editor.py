"""The draft editor: customer search, lines, totals recomputed by the server, the rule check."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from facturier.accounts.models import Right
from facturier.errors import FacturierError
from facturier.invoicing.content import InvalidDocument, as_lines, totals_of, validate_content
from facturier.invoicing.gate import new_line_defaults
from facturier.invoicing.models import Kind
from facturier.invoicing.selectors import document_get
from facturier.invoicing.services import draft_create, draft_update
from facturier.parties.selectors import customer_list
from facturier.web.forms import VAT_CATEGORIES, DocumentHeaderForm, line_inputs, lines_from_post
from facturier.web.views.base import get_or_404, member_required
from facturier.web.views.documents import rule_findings

EMPTY_LINE = {"name": "", "quantity": "1", "unit": "C62", "unit_price": "", "vat_category": "S", "vat_rate": "20",
              "discount_percent": "0", "exemption_reason": "", "description": "", "family": ""}
UNITS = [("C62", gettext_lazy("unit")), ("HUR", gettext_lazy("hour")), ("DAY", gettext_lazy("day")),
         ("MON", gettext_lazy("month")), ("ANN", gettext_lazy("year")), ("KGM", gettext_lazy("kilogram")),
         ("MTR", gettext_lazy("metre")), ("LTR", gettext_lazy("litre")), ("SET", gettext_lazy("set"))]


def empty_line(organisation) -> dict:
    """A new line as the organisation's VAT regime proposes it (exempt under the franchise en base)."""
    defaults = new_line_defaults(organisation)
    return {**EMPTY_LINE, **{key: defaults[key] for key in ("vat_category", "vat_rate", "exemption_reason")}}


def _number(value) -> str:
    if value is None:
        return ""
    text = format(value.normalize(), "f") if hasattr(value, "normalize") else str(value)
    return text


def _rows_of_document(document) -> list[dict]:
    return [{"name": line.name, "quantity": _number(line.quantity), "unit": line.unit,
             "unit_price": _number(line.unit_price), "vat_category": line.vat_category,
             "vat_rate": _number(line.vat_rate), "discount_percent": _number(line.discount_percent),
             "exemption_reason": line.exemption_reason, "description": line.description, "family": line.family}
            for line in document.lines.order_by("position")]


def _decorate(rows: list[dict], errors: dict[str, list[str]] | None = None) -> list[dict]:
    """Rows for the template, with the errors of each field (`lines[2].quantity` is row 2)."""
    errors = errors or {}
    out = []
    for i, row in enumerate(rows):
        prefix = f"lines[{i + 1}]."
        out.append({"i": i, "values": row, "errors": {key[len(prefix):]: messages for key, messages in errors.items()
                                                      if key.startswith(prefix)}})
    return out


FIELD_LABELS = {"name": gettext_lazy("Item"), "quantity": gettext_lazy("Quantity"), "unit": gettext_lazy("Unit"),
                "unit_price": gettext_lazy("Unit price excl. VAT"), "vat_rate": gettext_lazy("VAT rate %"),
                "vat_category": pgettext_lazy("column", "VAT category"), "discount_percent": gettext_lazy("Discount %"),
                "exemption_reason": gettext_lazy("Exemption reason"), "gross_price": gettext_lazy("Gross price")}


def readable(errors: dict[str, list[str]]) -> list[tuple[str, str]]:
    """("Line 2 — Quantity", message) for each error of the lines; other paths as they are."""
    out = []
    for key, messages_ in errors.items():
        label = key
        if key.startswith("lines[") and "]" in key:
            number, _sep, field = key[len("lines["):].partition("].")
            label = _("Line %(n)s") % {"n": number}
            if field:
                label = f"{label} — {FIELD_LABELS.get(field, field)}"
        out.extend((label, m) for m in messages_)
    return out


def compute(kind: str, currency: str, rows: list[dict]) -> tuple[object | None, dict[str, list[str]]]:
    """Totals of the typed lines, or the errors that prevent them; nothing is saved."""
    lines = line_inputs(rows)
    try:
        data = as_lines(lines)
        validate_content(kind=kind, currency=currency, lines=data, allowances_charges=[])
        return totals_of(currency=currency, lines=data, allowances_charges=[]), {}
    except InvalidDocument as e:
        return None, e.errors


def _editor(request, *, document=None, form=None, rows=None, errors=None, status=200):
    member = request.member
    if form is None:
        if document is not None:
            form = DocumentHeaderForm(document=document, initial={
                "kind": document.kind, "customer_id": document.customer_id, "due_date": document.due_date,
                "delivery_date": document.delivery_date, "operation_category": document.operation_category,
                "language": document.language, "purchase_order": document.purchase_order,
                "buyer_reference": document.buyer_reference, "note": document.note})
        else:
            form = DocumentHeaderForm(initial={"kind": Kind.INVOICE, "operation_category": "services",
                                               "customer_id": request.GET.get("customer") or None})
    if rows is None:
        rows = _rows_of_document(document) if document is not None else [empty_line(member.organisation)]
    typed = [row for row in rows if row["name"] or row["unit_price"]]
    customer_id = form.data.get("customer_id") if form.is_bound else form.initial.get("customer_id")
    customer = None
    if customer_id and str(customer_id).isdigit():
        customer = customer_list(organisation=member.organisation).filter(pk=int(customer_id)).first()
    if customer is not None:
        _buyer_reference_for(form, customer, new=document is None)
    kind = document.kind if document is not None else (
        (form.data.get("kind") if form.is_bound else form.initial.get("kind")) or Kind.INVOICE)
    totals, compute_errors = compute(kind if kind in Kind.values else Kind.INVOICE,
                                     document.currency if document else "EUR", typed)
    findings, check_problem = [], None
    if document is not None and not errors:
        try:
            findings = rule_findings(document, request.LANGUAGE_CODE)
        except FacturierError as e:
            check_problem = e.message
    decorated = _decorate(rows, errors)
    if totals is not None:
        nets = iter(totals.line_net_amounts)
        for row in decorated:
            if row["values"]["name"] or row["values"]["unit_price"]:
                row["net"] = next(nets, None)
    errors = errors or {}
    general = [m for key, messages_ in errors.items() if not key.startswith("lines[") and key not in form.fields
               for m in messages_]
    return render(request, "web/documents/editor.html", {
        "doc": document, "form": form, "rows": decorated, "customer": customer, "totals": totals,
        "next_index": len(rows), "vat_categories": VAT_CATEGORIES, "units": UNITS, "general_errors": general,
        "findings": findings, "check_problem": check_problem, "line_errors": [] if errors else readable(compute_errors),
        "can_issue": member.has_right(Right.ISSUE),
    }, status=status)


def _buyer_reference_for(form, customer, *, new: bool) -> None:
    """A new draft proposes the customer's default buyer reference; for a customer who receives XRechnung
    the field is required (the issuing gate refuses without it: BR-DE-15), and says why."""
    if new and not form.is_bound and customer.buyer_reference:
        form.initial["buyer_reference"] = customer.buyer_reference
    if customer.receives_xrechnung:
        field = form.fields["buyer_reference"]
        field.required = True
        field.help_text = _("Required: %(customer)s receives its invoices as XRechnung, which needs the buyer "
                            "reference (e.g. its Leitweg-ID).") % {"customer": customer.name}


def _apply_errors(form, errors: dict[str, list[str]]) -> None:
    for key, messages_ in errors.items():
        field = "customer_id" if key == "customer" else key
        if field in form.fields:
            for message in messages_:
                form.add_error(field, message)


def _save(request, document=None):
    member = request.member
    form = DocumentHeaderForm(request.POST, document=document)
    rows = lines_from_post(request.POST)
    if not rows:
        errors = {"lines": [_("Add at least one line.")]}
        form.is_valid()
        return _editor(request, document=document, form=form, rows=[empty_line(member.organisation)], errors=errors,
                       status=422)
    if not form.is_valid():
        return _editor(request, document=document, form=form, rows=rows, errors={"form": []}, status=422)
    lines = line_inputs(rows)
    header = form.header()
    try:
        if document is None:
            document = draft_create(by=member, kind=form.cleaned_data["kind"],
                                    customer_id=form.cleaned_data["customer_id"], lines=lines, **header)
            messages.success(request, _("Draft saved."))
        else:
            changes = dict(header)
            if form.cleaned_data["customer_id"] != document.customer_id:
                changes["customer_id"] = form.cleaned_data["customer_id"]
            document = draft_update(by=member, document_id=document.pk, lines=lines, **changes)
            messages.success(request, _("Draft saved."))
    except InvalidDocument as e:
        _apply_errors(form, e.errors)
        return _editor(request, document=document, form=form, rows=rows, errors=e.errors, status=422)
    except FacturierError as e:
        form.add_error(None, e.message)
        return _editor(request, document=document, form=form, rows=rows, errors={"form": []}, status=422)
    except Exception as e:  # the customer may belong to another organisation: DoesNotExist
        if type(e).__name__ != "DoesNotExist":
            raise
        form.add_error("customer_id", _("Choose a customer from the list."))
        return _editor(request, document=document, form=form, rows=rows, errors={"form": []}, status=422)
    if request.POST.get("then") == "issue":
        return redirect(reverse("web:document_issue", args=[document.pk]))
    return redirect(reverse("web:document_edit", args=[document.pk]))


@member_required(Right.EDIT)
def document_new(request):
    if request.method == "POST":
        return _save(request)
    return _editor(request)


@member_required(Right.EDIT)
def document_edit(request, pk):
    document = get_or_404(document_get, organisation=request.member.organisation, pk=pk)
    if not document.is_draft:
        messages.info(request, _("%(document)s is issued and can no longer be edited. Issue a credit note to "
                                 "correct it.") % {"document": document})
        return redirect(reverse("web:document", args=[document.pk]))
    if request.method == "POST":
        return _save(request, document)
    return _editor(request, document=document)


@require_POST
@member_required()
def recompute(request):
    """Totals of what is typed, as htmx fragments (totals panel, and each line's net amount out of band)."""
    rows = lines_from_post(request.POST)
    kind = request.POST.get("kind") or Kind.INVOICE
    totals, errors = compute(kind if kind in Kind.values else Kind.INVOICE, "EUR", rows)
    indexes = sorted({int(k.split("-")[1]) for k in request.POST if k.startswith("line-") and k.count("-") == 2
                      and k.split("-")[1].isdigit() and any(request.POST.get(f"line-{k.split('-')[1]}-{f}", "").strip()
                                                            for f in ("name", "unit_price"))})
    nets = []
    if totals is not None:
        nets = list(zip(indexes, totals.line_net_amounts, strict=False))
    return render(request, "web/partials/totals.html", {"totals": totals, "line_errors": readable(errors), "nets": nets,
                                                        "oob": True})


@member_required(Right.EDIT)
def line_row(request):
    """A new empty line for the editor."""
    try:
        index = max(0, int(request.GET.get("i", "0")))
    except ValueError:
        index = 0
    return render(request, "web/partials/line_row.html", {
        "row": {"i": index, "values": empty_line(request.member.organisation), "errors": {}},
        "vat_categories": VAT_CATEGORIES, "units": UNITS, "next_index": index + 1})


@member_required()
def customer_search(request):
    """Customers matching what is typed (code, name or SIREN), for the editor's picker."""
    q = request.GET.get("q", "").strip()
    results = []
    if q:
        results = list(customer_list(organisation=request.member.organisation, search=q)
                       .filter(is_archived=False)[:10])
    return render(request, "web/partials/customer_options.html", {"results": results, "q": q})

