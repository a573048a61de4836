"""Import screens: the upload (a plain multipart form; drag and drop when scripts run), the list of past
imports, and the report of one. Views only translate: the service decides."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from facturier.accounts.models import Right
from facturier.errors import FacturierError
from facturier.imports import selectors
from facturier.imports.models import ImportBatch, ImportSource, Outcome
from facturier.imports.services import IncomingFile, import_files, max_file_bytes, max_upload_bytes
from facturier.web.views.base import member_required

PAGE = 50


def _limits() -> dict:
    return {"max_file_mb": max_file_bytes() // (1024 * 1024), "max_upload_mb": max_upload_bytes() // (1024 * 1024)}


@member_required()
@require_http_methods(["GET"])
def import_list(request):
    page = Paginator(selectors.batches_of(request.member.organisation), PAGE).get_page(request.GET.get("page"))
    return render(request, "imports/list.html", {"page": page, "member": request.member, **_limits()})


@member_required(Right.ISSUE)
@require_POST
def import_upload(request):
    uploaded = request.FILES.getlist("files")
    if not uploaded:
        messages.error(request, _("Choose one or more files (Factur-X PDF, XML or ZIP) to import."))
        return redirect("imports:list")
    try:
        files = [IncomingFile(name=f.name, data=f.read()) for f in uploaded]
        batch = import_files(organisation=request.member.organisation, files=files, source=ImportSource.UPLOAD,
                             by=request.member)
    except FacturierError as e:
        messages.error(request, e.message)
        return redirect("imports:list")
    return redirect("imports:report", pk=batch.pk)


@member_required()
@require_http_methods(["GET"])
def import_report(request, pk):
    try:
        batch = selectors.batch_get(organisation=request.member.organisation, pk=pk)
    except ImportBatch.DoesNotExist:
        raise Http404 from None
    items = [{"item": item, "messages": [{"rule": m.get("rule", ""), "severity": m.get("severity", ""),
                                          "text": selectors.message_text(m), "where": m.get("where", "")}
                                         for m in item.messages]}
             for item in selectors.items_of(batch)]
    return render(request, "imports/report.html", {"batch": batch, "items": items, "Outcome": Outcome,
                                                   "member": request.member})
