"""Reads of imports, always scoped by organisation, and the JSON-able report of a batch (screen and API)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import translation

from facturier.accounts.models import Organisation
from facturier.imports.models import ImportBatch, ImportItem


def batches_of(organisation: Organisation) -> QuerySet[ImportBatch]:
    """The organisation's imports, latest first."""
    return ImportBatch.objects.filter(organisation=organisation).select_related("created_by")


def batch_get(*, organisation: Organisation, pk: int) -> ImportBatch:
    """One import of the organisation (ImportBatch.DoesNotExist for another's)."""
    return ImportBatch.objects.select_related("created_by").get(organisation=organisation, pk=pk)


def items_of(batch: ImportBatch) -> QuerySet[ImportItem]:
    return (ImportItem.objects.filter(batch=batch, organisation_id=batch.organisation_id)
            .select_related("document", "customer").order_by("position"))


def message_text(message: dict, language: str | None = None) -> str:
    """A stored message in the language asked (the active one by default), French when unsure."""
    language = (language or translation.get_language() or "fr")[:2]
    return message.get("en" if language == "en" else "fr") or message.get("fr") or message.get("en") or ""


def report_of(batch: ImportBatch, *, language: str | None = None) -> dict:
    """What happened to every file of the batch, JSON-able: the import report of the screen and the API."""
    items = []
    for item in items_of(batch):
        items.append({
            "position": item.position, "file": item.name, "sha256": item.sha256, "size": item.size,
            "outcome": item.outcome, "syntax": item.syntax, "specification": item.guideline,
            "number": item.number, "rules": list(item.rules),
            "messages": [{"rule": m.get("rule", ""), "severity": m.get("severity", ""),
                          "message": message_text(m, language), **({"where": m["where"]} if m.get("where") else {})}
                         for m in item.messages],
            "document_id": item.document_id, "customer_id": item.customer_id,
            "customer_created": item.customer_created,
        })
    return {
        "id": batch.pk, "source": batch.source, "sender": batch.sender,
        "created_at": batch.created_at.isoformat(),
        "imported": batch.imported_count, "refused": batch.refused_count, "duplicates": batch.duplicate_count,
        "files": items,
    }
