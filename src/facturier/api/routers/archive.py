"""The archive of a document: its archived files with their SHA-256 fingerprints, their content, its proof."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from ninja import Router

from facturier.api.context import acting, file_response
from facturier.api.models import Scope
from facturier.api.schemas import ArchivedFile
from facturier.archive.export import document_proof
from facturier.archive.models import ArchiveEntry
from facturier.archive.selectors import archive_entries, archived_content
from facturier.errors import FacturierError
from facturier.invoicing.selectors import document_get

router = Router(tags=["archive"])


class ProofPending(FacturierError):
    code = "proof_pending"


class ArchivePurged(FacturierError):
    code = "archive_purged"


def file_out(e: ArchiveEntry) -> dict:
    return {"id": e.pk, "kind": e.kind, "filename": e.filename, "media_type": e.media_type, "size": e.size,
            "sha256": e.fingerprint, "archived_at": e.archived_at, "timestamped_at": e.timestamped_at,
            "retention_until": e.retention_until, "purged": e.is_purged, "legal_hold": e.legal_hold,
            "download": None if e.is_purged else f"/api/v1/documents/{e.document_id}/archive/{e.pk}"}


@router.get("/documents/{int:document_id}/archive", response=list[ArchivedFile],
            summary="A document's archived files and their SHA-256 fingerprints")
def archived_files(request, document_id: int):
    by = acting(request, Scope.READ)
    document_get(organisation=by.organisation, pk=document_id)
    return [file_out(e) for e in archive_entries(organisation=by.organisation).filter(document_id=document_id)]


@router.get("/documents/{int:document_id}/archive/proof", response=dict,
            summary="The proof bundle of the archived Factur-X",
            description="The offline proof (journal entry, Merkle inclusion path, sealed checkpoint, RFC 3161 "
                        "token) that the file was archived unchanged. Available once a checkpoint covers the "
                        "file (sealed daily): 409 `proof_pending` before.")
def proof(request, document_id: int):
    by = acting(request, Scope.READ)
    document_get(organisation=by.organisation, pk=document_id)
    bundle = document_proof(organisation=by.organisation, document_id=document_id, seal=False)
    if bundle is None:
        raise ProofPending(_("No proof yet: the document is not archived, or its archive entry is not yet covered "
                             "by a sealed checkpoint (sealed daily). Retry later."))
    return bundle.to_dict()


@router.get("/documents/{int:document_id}/archive/{int:entry_id}", response={200: bytes},
            summary="An archived file, byte for byte (Content-Digest carries its SHA-256)")
def archived_file(request, document_id: int, entry_id: int):
    by = acting(request, Scope.READ)
    entry = archive_entries(organisation=by.organisation).get(document_id=document_id, pk=entry_id)
    if entry.is_purged:
        raise ArchivePurged(_("This file was purged after its retention period; only its proof of existence "
                              "remains in the journal."))
    return file_response(archived_content(entry), filename=entry.filename, content_type=entry.media_type)
