"""Reads of the accounting, every one scoped by organisation."""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from facturier.accounting.models import (
    AccountingSettings,
    ClosedPeriod,
    JobState,
    JournalEntry,
    Origin,
    Transfer,
    TransferJob,
)


def accounted_documents(*, organisation, document_ids: list[int]) -> dict[int, tuple[int, object]]:
    """{document id: (transfer id, transfer date)} of the documents among `document_ids` that are accounted."""
    return {doc: (transfer, created.date()) for doc, transfer, created in JournalEntry.objects.filter(
        organisation=organisation, document_id__in=document_ids, origin=Origin.DOCUMENT).values_list(
        "document_id", "transfer_id", "transfer__created_at")}


def accounted_filter(qs, organisation, which: str):
    entries = JournalEntry.objects.filter(organisation=organisation, document=OuterRef("pk"), origin=Origin.DOCUMENT)
    if which == "accounted":
        return qs.filter(Exists(entries))
    return qs.exclude(state="draft").filter(~Exists(entries))


def transfers(*, organisation, limit: int = 100):
    return Transfer.objects.filter(organisation=organisation).order_by("-id")[:limit]


def unfinished_jobs(*, organisation):
    """Transfers queued for the worker or running, newest first."""
    return TransferJob.objects.filter(organisation=organisation, state__in=(JobState.QUEUED, JobState.RUNNING)
                                      ).order_by("-id")[:10]


def settings_of(organisation) -> AccountingSettings | None:
    return AccountingSettings.objects.filter(organisation=organisation).first()


def closed_periods(*, organisation):
    return ClosedPeriod.objects.filter(organisation=organisation).order_by("start")
