"""What a portal account may read: its own customer's issued documents and their archived files, nothing else.

Every query here is filtered by the account's organisation *and* customer, and excludes drafts;
a document of another customer, of another organisation or still a draft is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from facturier.accounts.models import Organisation
from facturier.archive.models import ArchiveEntry, ArtefactKind
from facturier.archive.selectors import archived_content, archived_document_file, document_archive
from facturier.invoicing.models import Document, State
from facturier.portal.models import DEFAULT_ACCENT, PortalAccount, PortalBranding

PORTAL_FILES = (ArtefactKind.FACTURX_PDF, ArtefactKind.XML)


def portal_documents(*, account: PortalAccount) -> QuerySet[Document]:
    return (Document.objects.filter(organisation_id=account.organisation_id, customer_id=account.customer_id)
            .exclude(state=State.DRAFT).order_by("-issue_date", "-number_value", "-id"))


def portal_document(*, account: PortalAccount, pk: int) -> Document:
    """The document if the account may see it; Document.DoesNotExist otherwise."""
    return portal_documents(account=account).get(pk=pk)


def portal_files(*, account: PortalAccount, document: Document) -> list[ArchiveEntry]:
    """The archived files of one of the account's documents (Factur-X PDF, then the XML), purged ones left out."""
    entries = [document_archive(organisation=account.organisation, document_id=document.pk, kind=kind)
               for kind in PORTAL_FILES if document.customer_id == account.customer_id]
    return [e for e in entries if e is not None and not e.is_purged]


def portal_file(*, account: PortalAccount, document_id: int, kind: str) -> tuple[ArchiveEntry, bytes] | None:
    """An archived file of one of the account's documents, byte for byte as archived; None when there is none."""
    document = portal_document(account=account, pk=document_id)
    if kind == ArtefactKind.FACTURX_PDF:
        served = archived_document_file(organisation=account.organisation, document_id=document.pk)
        if served is None:
            return None
        entry = document_archive(organisation=account.organisation, document_id=document.pk, kind=kind)
        return entry, served[1]
    if kind not in PORTAL_FILES:
        return None
    entry = document_archive(organisation=account.organisation, document_id=document.pk, kind=kind)
    if entry is None or entry.is_purged:
        return None
    return entry, archived_content(entry)


def branding_of(organisation: Organisation) -> dict[str, str]:
    branding = PortalBranding.objects.filter(organisation=organisation).first()
    return {"accent": branding.accent_colour if branding else DEFAULT_ACCENT,
            "welcome": branding.welcome if branding else ""}


def accounts_of_customer(*, organisation: Organisation, customer_id: int) -> QuerySet[PortalAccount]:
    return PortalAccount.objects.filter(organisation=organisation, customer_id=customer_id)


@dataclass(frozen=True, slots=True)
class ContactAccess:
    """A contact of a customer and where it stands with the portal (for the company's screen)."""

    contact: object
    account: PortalAccount | None
    pending_until: object
