"""The dashboard of invoices and credit notes, a document's page and the actions its state allows."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from facturier.accounts.models import Right
from facturier.audit.selectors import events_of
from facturier.documents.batch import batch_start
from facturier.documents.models import GenerationJob, JobState
from facturier.documents.services import document_facturx, document_list_pdf, document_pdf
from facturier.errors import FacturierError
from facturier.invoicing.gate import issue_report
from facturier.invoicing.models import Kind, State
from facturier.invoicing.selectors import document_get, document_list, history_of, payments_of
from facturier.invoicing.services import (
    CreditExceedsDue,
    credit_note_create,
    document_issue,
    documents_issue,
    draft_delete,
)
from facturier.invoicing.settlement import OverpaymentUnconfirmed, money_text, payment_cancel, payment_record, write_off
from facturier.parties.models import Channel
from facturier.web import extensions, selectors, services
from facturier.web.audit_labels import shown
from facturier.web.forms import CancelPaymentForm, DashboardFilterForm, PaymentForm, WriteOffForm
from facturier.web.views.base import get_or_404, is_htmx, member_required

FILTER_KEYS = ("period", "date_from", "date_to", "customer", "amount_min", "amount_max", "status", "kind", "archive",
               "accounted", "platform", "sort")
PRINT_LIMIT = 500
LIST_LIMIT = 20000
STATE_LEGEND = [(s.value, s.label) for s in State]
SETTLED = (State.PAID, State.BAD_DEBT, State.BAD_DEBT_PARTIAL)


def delivery_installed() -> bool:
    return extensions.delivery_installed()


def _filters(request, *, period: bool = False):
    """The dashboard's filter form, filter, sort and query string (and, with `period`, the dates it covers)."""
    form = DashboardFilterForm(request.GET or None, archive=extensions.archive_installed(),
                               accounting=extensions.accounting_installed())
    archive, accounted, platform, dates = "", "", "", None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        dates = form.period_range(timezone.localdate())
        f = selectors.dashboard_filter(period=dates, status=data.get("status") or "",
                                       kind=data.get("kind") or "", customer=data.get("customer") or "",
                                       amount_min=data.get("amount_min"), amount_max=data.get("amount_max"))
        sort = selectors.Sort.parse(data.get("sort"))
        archive = data.get("archive") or ""
        accounted = data.get("accounted") or ""
        platform = data.get("platform") or ""
    else:
        f, sort = selectors.dashboard_filter(), selectors.Sort.parse(None)
    f = selectors.DashboardFilter.of(f, archive=archive, accounted=accounted, platform=platform)
    query = urlencode([(k, v) for k in FILTER_KEYS for v in request.GET.getlist(k) if v])
    if period:
        return form, f, sort, query, dates
    return form, f, sort, query


@member_required()
def dashboard(request):
    form, f, sort, query = _filters(request)
    page = selectors.dashboard_page(organisation=request.member.organisation, f=f, sort=sort,
                                    after=request.GET.get("after"), before=request.GET.get("before"))
    organisation = request.member.organisation
    ids = [d.pk for d in page.rows]
    delivered = extensions.delivery_states(organisation, ids)
    archived = extensions.archive_states(organisation, ids)
    accounted = extensions.accounted_states(organisation, ids)
    contracts = extensions.contract_names(organisation, ids)
    platform = extensions.platform_states(organisation, ids)
    urls = _row_urls()
    rows = [{"doc": d, "amount": selectors.signed_amount(d), "delivery": delivered.get(d.pk),
             "archived": archived.get(d.pk), "accounted": accounted.get(d.pk), "contract": contracts.get(d.pk),
             "platform": platform.get(d.pk), "actions": _actions(request.member, d), "label": str(d),
             "urls": {name: pattern % d.pk for name, pattern in urls.items()}} for d in page.rows]
    context = {"form": form, "page": page, "rows": rows, "query": query, "legend": STATE_LEGEND,
               "archive_installed": extensions.archive_installed(),
               "accounting_installed": extensions.accounting_installed(),
               "platform_column": bool(platform) or extensions.platform_in_use(organisation),
               "sort": sort, "delivery_installed": delivery_installed(), "member": request.member,
               "labels": _menu_labels(), "list_url": reverse("web:document_list_print")}
    if is_htmx(request) and request.htmx.target == "results":
        return render(request, "web/partials/dashboard_results.html", context)
    return render(request, "web/dashboard.html", context)


LIST_MODELS = ("by_date", "by_payment_method")


@member_required()
def document_list_print(request):
    """The printed list of the documents the dashboard's filters select (by date, or grouped by payment
    method), with their net amounts, as one PDF."""
    _form, f, sort, query, dates = _filters(request, period=True)
    model = request.GET.get("model") if request.GET.get("model") in LIST_MODELS else "by_date"
    documents = selectors.dashboard_queryset(organisation=request.member.organisation, f=f)
    count = documents.count()
    if count > LIST_LIMIT:
        messages.error(request, _("The list holds at most %(n)d documents (%(m)d match): narrow the filters, for "
                                  "example to one month.") % {"n": LIST_LIMIT, "m": count})
        return redirect(reverse("web:dashboard") + (f"?{query}" if query else ""))
    pdf = document_list_pdf(by=request.member, documents=documents.order_by(*sort.order_by()), model=model,
                            language=request.LANGUAGE_CODE, period=_printed_period(dates))
    response = HttpResponse(pdf, content_type="application/pdf")
    name = "liste" if request.LANGUAGE_CODE == "fr" else "list"
    response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.localdate():%Y%m%d}.pdf"'
    return response


def _printed_period(dates):
    """The period the list's heading names: only a bounded one (an open end is no period to print)."""
    if dates is None or dates[0].year == 1900 or dates[1].year == 9999:
        return None
    return dates


ROW_URLS = ("document", "document_edit", "document_issue", "document_pdf", "document_facturx", "document_payments",
            "document_credit_note", "document_write_off", "document_send", "document_history", "document_delete")


def _row_urls() -> dict[str, str]:
    """The per-document URLs as %-patterns, reversed once per page instead of a dozen times per row."""
    marker = 987654321
    return {name: reverse(f"web:{name}", args=[marker]).replace("%", "%%").replace(str(marker), "%d")
            for name in ROW_URLS}


def _menu_labels() -> dict[str, str]:
    """The row menu's words, translated once per page rather than once per row."""
    return {"open": _("Open"), "edit": _("Edit"), "issue": _("Issue…"), "payment": _("Record a payment"),
            "credit_note": _("Credit note…"), "write_off": _("Write off"), "send": _("Send"),
            "history": _("History"), "delete": _("Delete"), "confirm_delete": _("Delete this draft?")}


def _actions(member, document) -> dict[str, bool]:
    state, draft = document.state, document.is_draft
    return {
        "edit": draft and member.has_right(Right.EDIT),
        "delete": draft and member.has_right(Right.EDIT),
        "issue": draft and member.has_right(Right.ISSUE),
        # A draft prints as a watermarked copy (print-drafts right) or, with the issue right, after being issued.
        "pdf": not draft or member.has_right(Right.PRINT_DRAFTS) or member.has_right(Right.ISSUE),
        "facturx": not draft,
        "payment": state in (State.ISSUED, State.PARTIALLY_PAID, State.PAID) and member.has_right(
            Right.RECORD_PAYMENTS),
        "credit_note": not draft and document.kind != Kind.CREDIT_NOTE and member.has_right(Right.EDIT),
        "write_off": state in (State.ISSUED, State.PARTIALLY_PAID) and document.amount_due > 0
        and member.has_right(Right.WRITE_OFF),
        "send": member.has_right(Right.SEND) and (not draft or member.has_right(Right.ISSUE)),
    }


def _document(request, pk):
    return get_or_404(document_get, organisation=request.member.organisation, pk=pk)


def _back(document, query: str = "") -> str:
    url = reverse("web:document", args=[document.pk])
    return f"{url}?{query}" if query else url


@member_required()
def document_detail(request, pk):
    document = _document(request, pk)
    _form, f, sort, query = _filters(request)
    prev_id, next_id = selectors.neighbours(organisation=request.member.organisation, f=f, sort=sort,
                                            document=document)
    actions = _actions(request.member, document)
    # Issued from "PDF" on the draft: the page starts the download it was asked for.
    download = (reverse("web:document_pdf", args=[document.pk])
                if request.GET.get("download") == "pdf" and not document.is_draft else None)
    return render(request, "web/documents/detail.html", {
        "download": download,
        "doc": document, "lines": document.lines.order_by("position"), "amount": selectors.signed_amount(document),
        "actions": actions, "query": query, "prev_id": prev_id, "next_id": next_id,
        "payments": payments_of(organisation=request.member.organisation, document_id=document.pk),
        "delivery_installed": delivery_installed(),
        "duplicate_reasons": extensions.duplicate_block(document) if actions.get("send") else [],
        "send": send_button(document.customer, document) if actions.get("send") else None,
        "undecided": extensions.undecided_message(request.member.organisation, document.pk),
        "platform": extensions.platform_panel(request.member.organisation, document),
    })


def send_button(customer, document=None) -> dict[str, str | bool] | None:
    """The send button names the way the customer's documents leave: e-mail, the portal, its connector; a
    customer who receives them by post or another channel gets a disabled button saying why, and so does a
    document the approved platform already has (a platform takes an invoice once: sending is not repeated)."""
    route = extensions.send_route(customer)
    if route is None:
        return None
    if route.channel == Channel.CHORUS or customer.is_public_sector:  # the chorus branch: B2G goes to Chorus Pro
        label = _("Send to Chorus Pro")
    elif route.channel == Channel.CONNECTOR and route.connector:
        label = _("Send via %(connector)s") % {"connector": route.connector}
    elif route.channel == Channel.CONNECTOR:
        return {"label": _("Send"), "enabled": False,
                "reason": _("%(customer)s receives its invoices through an export connector, but none is chosen "
                            "on its page.") % {"customer": customer.name}}
    elif route.channel == Channel.PORTAL:
        label = _("Send via the customer portal")
    elif route.channel == Channel.EMAIL:
        label = _("Send by e-mail")
    elif route.channel == Channel.PLATFORM:
        label = _("Send to the approved platform")
        refusal = extensions.platform_already_has(document) if document is not None else None
        if refusal:
            return {"label": label, "enabled": False, "reason": refusal}
    elif route.channel == Channel.POST:
        return {"label": _("Send by post"), "enabled": False,
                "reason": _("%(customer)s receives its invoices by post: print the PDF and post it.") % {
                    "customer": customer.name}}
    else:
        return {"label": _("Send"), "enabled": False,
                "reason": _("%(customer)s receives its invoices by “%(channel)s”, which Facturier does not send "
                            "to.") % {"customer": customer.name, "channel": Channel(route.channel).label}}
    return {"label": label, "enabled": True, "reason": ""}


def next_number_of(document) -> str:
    series = document.series
    return series.format_number(series.next_number, timezone.localdate().year)


def rule_findings(document, language: str):
    """The issue gate's rules (EN 16931, French, VAT regime) on the document as it would be issued today.

    A draft has no number yet: it is checked with the number it would take, so only real
    problems show. The service that issues runs the same check and refuses what it finds."""
    report = issue_report(document, number=next_number_of(document) if document.is_draft else None)
    return [{"rule": x.rule, "fatal": x.severity.value == "fatal", "path": x.path,
             "message": x.message.in_language(language)} for x in report.findings]


def _findings_or_error(request, document):
    try:
        return rule_findings(document, request.LANGUAGE_CODE), None
    except FacturierError as e:
        return [], e.message


THEN = ("pdf", "send")
"""What the issue confirmation goes on to once the draft is issued: print it, or send it."""


@member_required(Right.ISSUE)
def document_issue_view(request, pk):
    """Confirmation (with the number it will take and the rule check), then issue, and then print or send
    when the member came from "PDF" or "Send" on a draft."""
    document = _document(request, pk)
    then = request.POST.get("then") or request.GET.get("then") or ""
    then = then if then in THEN else ""
    if then == "send" and not (delivery_installed() and request.member.has_right(Right.SEND)):
        then = ""
    if not document.is_draft:
        messages.info(request, _("%(document)s is already issued.") % {"document": document})
        return redirect(_back(document))
    findings, problem = _findings_or_error(request, document)
    blocking = problem or any(x["fatal"] for x in findings)
    confirm_excess = None
    if request.method == "POST" and not blocking:
        try:
            issued = document_issue(by=request.member, document_id=document.pk,
                                    confirm_overcredit=request.POST.get("confirm_overcredit") == "1")
        except CreditExceedsDue as e:
            confirm_excess = e.message
        except FacturierError as e:
            problem = e.message
        else:
            messages.success(request, _("Issued under number %(number)s.") % {"number": issued.number})
            if then == "send":
                _send_and_say(request, [issued.pk])
            elif then == "pdf":
                return redirect(f"{_back(issued)}?download=pdf")
            return redirect(_back(issued))
    return render(request, "web/documents/issue.html", {
        "doc": document, "findings": findings, "problem": problem, "blocking": bool(blocking or problem),
        "next_number": next_number_of(document), "today": timezone.localdate(), "then": then,
        "draft_copy": then == "pdf" and request.member.has_right(Right.PRINT_DRAFTS), "confirm_excess": confirm_excess,
    }, status=422 if request.method == "POST" else 200)


def _issue_first(document) -> str:
    return reverse("web:document_issue", args=[document.pk])


@require_POST
@member_required(Right.EDIT)
def document_delete_view(request, pk):
    document = _document(request, pk)
    try:
        draft_delete(by=request.member, document_id=document.pk)
    except FacturierError as e:
        messages.error(request, e.message)
        return redirect(_back(document))
    messages.success(request, _("The draft was deleted."))
    return redirect("web:dashboard")


def _file(produced, content_type="application/pdf"):
    response = HttpResponse(produced.data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{produced.filename}"'
    return response


@member_required()
def document_pdf_view(request, pk):
    """The PDF. A draft, for a member who may issue, goes to the issue confirmation first (which then
    prints); `?copy=1` asks for the watermarked draft copy instead (print-drafts right)."""
    document = _document(request, pk)
    if document.is_draft and request.member.has_right(Right.ISSUE) and not (
            request.GET.get("copy") and request.member.has_right(Right.PRINT_DRAFTS)):
        return redirect(f"{_issue_first(document)}?then=pdf")
    try:
        return _file(document_pdf(by=request.member, document_id=document.pk))
    except FacturierError as e:
        messages.error(request, e.message)
        return redirect(_back(document))


@member_required()
def document_facturx_view(request, pk):
    document = _document(request, pk)
    try:
        produced = document_facturx(by=request.member, document_id=document.pk)
    except FacturierError as e:
        messages.error(request, e.message)
        return redirect(_back(document))
    produced = type(produced)(filename=produced.filename.replace(".pdf", "-facturx.pdf"), data=produced.data,
                              signed=produced.signed)
    return _file(produced)


@member_required()
def document_payments(request, pk):
    """Payments of a document, and the form to record one."""
    document = _document(request, pk)
    member = request.member
    form = PaymentForm(request.POST or None, initial={
        "date": timezone.localdate(), "amount": document.amount_due if document.amount_due > 0 else None})
    if request.method == "POST":
        if not member.has_right(Right.RECORD_PAYMENTS):
            raise Http404
        if form.is_valid():
            try:
                payment_record(by=member, document_id=document.pk, **form.cleaned_data)
            except OverpaymentUnconfirmed as e:
                form.add_error(None, e.message)
                form.ask_confirmation()
            except FacturierError as e:
                form.add_error(None, e.message)
            else:
                messages.success(request, _("Payment recorded."))
                document.refresh_from_db()
                if document.owed_to_customer:
                    messages.warning(request, _("%(amount)s %(currency)s are now owed to the customer: refund them "
                                                "or use them against another invoice.") % {
                        "amount": money_text(document.owed_to_customer), "currency": document.currency})
                return redirect(reverse("web:document_payments", args=[document.pk]))
    return render(request, "web/documents/payments.html", {
        "doc": document, "form": form, "cancel_form": CancelPaymentForm(),
        "payments": payments_of(organisation=member.organisation, document_id=document.pk),
        "can_record": _actions(member, document)["payment"],
    }, status=422 if request.method == "POST" else 200)


@require_POST
@member_required(Right.RECORD_PAYMENTS)
def payment_cancel_view(request, pk, payment_id):
    document = _document(request, pk)
    if not payments_of(organisation=request.member.organisation, document_id=document.pk).filter(
            pk=payment_id).exists():
        raise Http404
    form = CancelPaymentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the payment is cancelled."))
    else:
        try:
            payment_cancel(by=request.member, payment_id=payment_id, reason=form.cleaned_data["reason"])
        except FacturierError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, _("Payment cancelled."))
    return redirect(reverse("web:document_payments", args=[document.pk]))


@member_required(Right.WRITE_OFF)
def document_write_off(request, pk):
    document = _document(request, pk)
    form = WriteOffForm(request.POST or None, initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            write_off(by=request.member, document_id=document.pk, **form.cleaned_data)
        except FacturierError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, _("%(document)s written off as a bad debt.") % {"document": document})
            return redirect(_back(document))
    return render(request, "web/documents/write_off.html", {"doc": document, "form": form},
                  status=422 if request.method == "POST" else 200)


@member_required(Right.EDIT)
def document_credit_note(request, pk):
    """The lines to credit (all ticked), then the draft credit note in the editor. A POST without the
    choice (the dashboard's row menu) credits the whole invoice."""
    document = _document(request, pk)
    lines = document.lines.order_by("position")
    if request.method != "POST":
        if document.is_draft or document.kind == Kind.CREDIT_NOTE:
            messages.error(request, _("Only an issued invoice can be credited."))
            return redirect(_back(document))
        return render(request, "web/documents/credit_note.html", {"doc": document, "lines": lines})
    line_ids = None
    if request.POST.get("choose"):
        line_ids = [int(v) for v in request.POST.getlist("line") if v.isdigit()]
    try:
        credit = credit_note_create(by=request.member, invoice_id=document.pk, line_ids=line_ids)
    except FacturierError as e:
        if line_ids is not None:
            return render(request, "web/documents/credit_note.html", {
                "doc": document, "lines": lines, "problem": e.message, "chosen": set(line_ids)}, status=422)
        messages.error(request, e.message)
        return redirect(_back(document))
    messages.success(request, _("Draft credit note created: check it, then issue it."))
    return redirect(reverse("web:document_edit", args=[credit.pk]))


@member_required()
def document_history(request, pk):
    document = _document(request, pk)
    organisation = request.member.organisation
    links = history_of(organisation=organisation, document=document)
    return render(request, "web/documents/history.html", {
        "doc": document, "events": [shown(e) for e in events_of(organisation=organisation, subject=document)],
        "origins": links["origins"], "derived": links["derived"],
        "panels": extensions.history_panels(organisation, document)})


# --- batch actions --------------------------------------------------------------------------------


def _selected_ids(request) -> list[int]:
    ids = []
    for value in request.POST.getlist("ids"):
        if value.isdigit():
            ids.append(int(value))
    return ids[:5000]


@require_POST
@member_required()
def batch(request):
    """Apply an action to the documents ticked on the dashboard."""
    ids, action, member = _selected_ids(request), request.POST.get("action"), request.member
    back = reverse("web:dashboard") + (f"?{request.POST.get('query')}" if request.POST.get("query") else "")
    if not ids:
        messages.error(request, _("Tick at least one document first."))
        return redirect(back)
    if action == "issue":
        if not member.has_right(Right.ISSUE):
            messages.error(request, _("You do not have the right to issue documents."))
            return redirect(back)
        drafts = _drafts_among(member, ids)
        if drafts:
            _issue_all(request, drafts)
        else:
            messages.info(request, _("None of the selected documents is a draft."))
        return redirect(back)
    if action == "accounting" and extensions.accounting_installed():
        from facturier.accounting.views import transfer_selection

        return transfer_selection(request, ids, back)
    if action == "facturx":
        try:
            job = batch_start(by=member, document_ids=ids, signed=member.organisation.sealing_enabled)
        except FacturierError as e:
            messages.error(request, e.message)
            return redirect(back)
        return redirect(reverse("web:job", args=[job.pk]))
    issue_first = request.POST.get("issue_drafts") == "1" and member.has_right(Right.ISSUE)
    if action == "print":
        drafts = _drafts_among(member, ids) if not member.has_right(Right.PRINT_DRAFTS) else []
        if drafts and member.has_right(Right.ISSUE):
            if not issue_first:
                return _offer_issue_first(request, action, ids, drafts)
            if not _issue_all(request, drafts, then=action):
                return redirect(back)
        return _print(request, ids, back)
    if action == "send" and delivery_installed():
        if not member.has_right(Right.SEND):
            messages.error(request, _("You do not have the right to send documents."))
            return redirect(back)
        drafts = _drafts_among(member, ids)
        if drafts and member.has_right(Right.ISSUE) and not issue_first:
            return _offer_issue_first(request, action, ids, drafts)
        if issue_first and drafts and not _issue_all(request, drafts, then=action):
            return redirect(back)
        _send_and_say(request, ids)
        return redirect(back)
    messages.error(request, _("Unknown action."))
    return redirect(back)


def _drafts_among(member, ids) -> list:
    return list(document_list(organisation=member.organisation).filter(pk__in=ids, state=State.DRAFT)
                .select_related("customer").order_by("id"))


def _offer_issue_first(request, action: str, ids: list[int], drafts: list):
    """Drafts cannot be printed (without the print-drafts right) nor sent: offer to issue them first."""
    return render(request, "web/documents/issue_first.html", {
        "action": action, "ids": ids, "drafts": drafts, "query": request.POST.get("query", ""),
        "others": len(ids) - len(drafts)})


def _issue_all(request, drafts, *, then: str = "") -> bool:
    """Issue the drafts through the issuing service (its rule gate applies); False, with the reasons, when
    one could not be issued (and, before printing or sending, nothing is printed or sent)."""
    try:
        outcome = documents_issue(by=request.member, document_ids=[document.pk for document in drafts])
    except FacturierError as e:  # the member may not issue at all (its right, a terminated organisation)
        issued, failed = [], [e.message]
    else:
        issued = [document.number for document in outcome.issued]
        label = {document.pk: str(document) for document in drafts}
        failed = [f"{label[pk]}: {e.message}" for pk, e in outcome.refused]
    if issued:
        messages.success(request, _("%(n)d documents issued: %(numbers)s.") % {
            "n": len(issued), "numbers": ", ".join(issued)})
    for problem in failed:
        messages.error(request, problem)
    if failed and then:
        messages.error(request, _("Nothing was printed or sent: correct the drafts that could not be issued."))
    return not failed


def _print(request, ids, back):
    """One PDF of the ticked documents, in the dashboard's order (drafts only with the print-drafts right)."""
    if len(ids) > PRINT_LIMIT:
        messages.error(request, _("Print at most %(n)d documents at once (%(m)d ticked); for more, use the "
                                  "Factur-X ZIP.") % {"n": PRINT_LIMIT, "m": len(ids)})
        return redirect(back)
    try:
        pdf, skipped = services.documents_print(by=request.member, document_ids=ids)
    except FacturierError as e:
        messages.error(request, e.message)
        return redirect(back)
    for document in skipped:
        messages.warning(request, _("%(document)s was not printed: printing a draft needs the “print drafts” "
                                    "right.") % {"document": document})
    if pdf is None:
        if not skipped:
            messages.error(request, _("None of the ticked documents can be printed."))
        return redirect(back)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="documents-{timezone.localdate():%Y%m%d}.pdf"'
    return response


def _queued_message(route, n: int) -> str:
    """What happened to `n` queued documents, naming the way they go."""
    if route.channel == Channel.CONNECTOR:
        return ngettext("%(n)d document queued for export via %(connector)s.",
                        "%(n)d documents queued for export via %(connector)s.", n) % {
            "n": n, "connector": route.connector}
    if route.channel == Channel.PLATFORM:
        return ngettext("%(n)d document queued for the approved platform.",
                        "%(n)d documents queued for the approved platform.", n) % {"n": n}
    if route.channel == Channel.PORTAL:
        return ngettext("%(n)d document queued for the customer portal, announced by e-mail.",
                        "%(n)d documents queued for the customer portal, announced by e-mail.", n) % {"n": n}
    return ngettext("%(n)d document queued for sending by e-mail.",
                    "%(n)d documents queued for sending by e-mail.", n) % {"n": n}


def _send_and_say(request, ids, *, allow_duplicates: bool = False):
    """Hand documents to the delivery app and say what happened to each."""
    try:
        result = extensions.send(request.member, ids, allow_duplicates=allow_duplicates)
    except FacturierError as e:
        messages.error(request, e.message)
        return
    if result is None:
        messages.error(request, _("Sending is not available yet."))
        return
    for route, queued in result.queued_by_route().items():
        messages.success(request, _queued_message(route, len(queued)))
    concerned = [*result.refused, *result.warnings]
    names = {d.pk: str(d) for d in document_list(organisation=request.member.organisation).filter(
        pk__in=[r.document_id for r in concerned])} if concerned else {}
    for refusal in concerned:
        messages.warning(request, f"{names.get(refusal.document_id, refusal.document_id)} : {refusal.reason}")


@require_POST
@member_required(Right.SEND)
def document_send(request, pk):
    document = _document(request, pk)
    if document.is_draft and request.member.has_right(Right.ISSUE):
        return redirect(f"{_issue_first(document)}?then=send")
    # "Send anyway" on the document page: the member saw why it looks like a duplicate and confirms.
    _send_and_say(request, [document.pk], allow_duplicates=request.POST.get("allow_duplicates") == "1")
    return redirect(_back(document))


@require_POST
@member_required(Right.SEND)
def document_delivery_decide(request, pk):
    """The member checked with the customer a message whose outcome was unknown: send again, or sent."""
    document = _document(request, pk)
    undecided = extensions.undecided_message(request.member.organisation, document.pk)
    resend = request.POST.get("decision") == "resend"
    if undecided is None or request.POST.get("decision") not in ("resend", "sent"):
        messages.error(request, _("This document has no message waiting for a decision."))
        return redirect(_back(document))
    try:
        extensions.delivery_decide(request.member, undecided.pk, resend=resend)
    except FacturierError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("The message will be sent again.") if resend
                         else _("The message is recorded as sent."))
    return redirect(_back(document))


def _job(request, pk) -> GenerationJob:
    job = GenerationJob.objects.filter(organisation=request.member.organisation, pk=pk).first()
    if job is None:
        raise Http404
    return job


@member_required()
def job_view(request, pk):
    job = _job(request, pk)
    template = "web/partials/job_progress.html" if is_htmx(request) else "web/documents/job.html"
    return render(request, template, {"job": job, "finished": job.state in (JobState.DONE, JobState.FAILED)})


@member_required()
def job_zip(request, pk):
    job = _job(request, pk)
    if not job.zip_path or not Path(job.zip_path).is_file():
        raise Http404
    return FileResponse(open(job.zip_path, "rb"), as_attachment=True,
                        filename=f"facturx-{job.pk}.zip", content_type="application/zip")
