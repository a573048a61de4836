"""Imports: invoices made elsewhere (Factur-X or ZUGFeRD PDFs, CII, UBL, XRechnung, or a ZIP of them),
sent as files and answered with the import report — the same service and report as the upload screen."""

from __future__ import annotations

from ninja import File, Router, Status
from ninja.files import UploadedFile

from facturier.api.context import acting
from facturier.api.models import Scope
from facturier.api.schemas import ImportReportOut
from facturier.imports.models import ImportSource
from facturier.imports.selectors import batch_get, batches_of, report_of
from facturier.imports.services import IncomingFile, import_files

router = Router(tags=["imports"])

MAX_LISTED = 100


@router.post("", response={201: ImportReportOut}, summary="Import invoices made elsewhere",
             description="`multipart/form-data` with one or more `files`. Each file is read, validated with "
                         "the official rules, matched to the organisation (the seller must be it) and to a "
                         "customer, and kept as an issued document with its own number; the answer says, per "
                         "file, what happened (imported, refused with its rule ids, duplicate). Imported "
                         "documents are issued: the key needs the `issue` scope.")
def import_invoices(request, files: File[list[UploadedFile]]):
    by = acting(request, Scope.ISSUE)
    batch = import_files(organisation=by.organisation, files=[IncomingFile(f.name or "", f.read()) for f in files],
                         source=ImportSource.API, by=by)
    return Status(201, report_of(batch))


@router.get("", response=list[ImportReportOut], summary="The latest imports, newest first")
def list_imports(request, source: str | None = None):
    by = acting(request, Scope.READ)
    batches = batches_of(by.organisation)
    if source:
        batches = batches.filter(source=source)
    return [report_of(b) for b in batches[:MAX_LISTED]]


@router.get("/{int:batch_id}", response=ImportReportOut, summary="One import's report")
def get_import(request, batch_id: int):
    by = acting(request, Scope.READ)
    return report_of(batch_get(organisation=by.organisation, pk=batch_id))  # another organisation's: 404
