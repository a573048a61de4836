"""What the screens show of the apps that may or may not be installed: delivery and archive.

Each function answers something neutral (empty, None) when its app is absent, so the screens
work with only the core apps and grow when the others are deployed.
"""

from __future__ import annotations

from django.apps import apps

from facturier.errors import localized


def delivery_installed() -> bool:
    return apps.is_installed("facturier.delivery")


def archive_installed() -> bool:
    return apps.is_installed("facturier.archive")


def accounting_installed() -> bool:
    return apps.is_installed("facturier.accounting")


def accounted_states(organisation, document_ids: list[int]) -> dict:
    """{document id: (transfer id, transfer date)} for the documents transferred to accounting."""
    if not accounting_installed() or not document_ids:
        return {}
    from facturier.accounting.selectors import accounted_documents

    return accounted_documents(organisation=organisation, document_ids=document_ids)


def accounting_filter(qs, organisation, which: str):
    """Narrow a document queryset to the accounted ones, or the issued ones not accounted yet."""
    if not accounting_installed() or which not in ("accounted", "not_accounted"):
        return qs
    from facturier.accounting.selectors import accounted_filter

    return accounted_filter(qs, organisation, which)


def delivery_states(organisation, document_ids: list[int]) -> dict[int, tuple[str, str]]:
    """{document id: (state, label)} for the documents that have a delivery."""
    if not delivery_installed() or not document_ids:
        return {}
    from facturier.delivery.selectors import deliveries

    return {d.document_id: (d.state, d.get_state_display())
            for d in deliveries(organisation=organisation).filter(document_id__in=document_ids).only(
                "document_id", "state")}


def contract_names(organisation, document_ids: list[int]) -> dict[int, str]:
    """{document id: contract name} for the documents a subscription contract generated."""
    if not apps.is_installed("facturier.contracts") or not document_ids:
        return {}
    from facturier.contracts.selectors import contract_of_documents

    return contract_of_documents(organisation=organisation, document_ids=document_ids)


def archived_document_ids(organisation, document_ids: list[int]) -> set[int]:
    if not archive_installed() or not document_ids:
        return set()
    from facturier.archive.selectors import archive_entries

    return set(archive_entries(organisation=organisation).filter(document_id__in=document_ids)
               .values_list("document_id", flat=True))


def archive_states(organisation, document_ids: list[int]) -> dict[int, str]:
    """{document id: "archived" or "purged"}: purged when every file of the document was shredded after its
    retention (the tombstones stay in the journal)."""
    if not archive_installed() or not document_ids:
        return {}
    from facturier.archive.selectors import archive_entries

    states: dict[int, str] = {}
    for document_id, purged_at in archive_entries(organisation=organisation).filter(
            document_id__in=document_ids).values_list("document_id", "purged_at"):
        if purged_at is None or states.get(document_id) == "archived":
            states[document_id] = "archived"
        else:
            states[document_id] = "purged"
    return states


def archive_filter(qs, organisation, which: str):
    """Narrow a document queryset to those not archived yet, or those whose archived files were purged."""
    if not archive_installed() or which not in ("not_archived", "purged"):
        return qs
    from django.db.models import Exists, OuterRef

    from facturier.archive.selectors import archive_entries

    entries = archive_entries(organisation=organisation).filter(document_id=OuterRef("pk"))
    if which == "not_archived":
        return qs.exclude(state="draft").filter(~Exists(entries))
    return qs.filter(Exists(entries.filter(purged_at__isnull=False)))


def history_panels(organisation, document) -> list[dict]:
    """Extra sections of a document's history: its deliveries, its platform statuses (PA or Chorus Pro) and
    its archived files."""
    from django.utils.translation import gettext as _

    panels = []
    if delivery_installed():
        from facturier.delivery.selectors import delivery_history

        panels.append({"title": _("Deliveries"), "items": [
            f"{localized(e.at)} — {e.get_state_display()}" + (f" — {e.detail}" if e.detail else "")
            for e in delivery_history(organisation=organisation, document_id=document.pk)]})
    if platforms_installed():
        from facturier.platforms.status_selectors import document_platform_status

        found = document_platform_status(organisation=organisation, document_id=document.pk)
        if found is not None:
            panels.append({"title": _("Platform statuses"), "items": [
                f"{localized(e['at'])} — {e['label']}" + (f" — {e['reason']}" if e["reason"] else "")
                for e in found["history"]]})
    if archive_installed():
        from facturier.archive.selectors import archive_entries

        panels.append({"title": _("Archive"), "items": [
            f"{e.get_kind_display()} — {e.filename} — SHA-256 {e.fingerprint} — "
            f"{localized(e.timestamped_at)}"
            for e in archive_entries(organisation=organisation).filter(document_id=document.pk)]})
    return panels


def send(by, document_ids: list[int], *, allow_duplicates: bool = False):
    """Queue documents for sending through each customer's channel (delivery app); returns its result, or None
    when absent."""
    if not delivery_installed():
        return None
    from facturier.delivery.services import send_documents

    return send_documents(by=by, document_ids=document_ids, allow_duplicates=allow_duplicates)


def send_route(customer):
    """How the customer's documents leave (`delivery.services.Route`), or None without the delivery app."""
    if not delivery_installed():
        return None
    from facturier.delivery.services import route_of

    return route_of(customer)


def undecided_message(organisation, document_id: int):
    """The document's message whose outcome is unknown, waiting for a decision (None without delivery)."""
    if not delivery_installed():
        return None
    from facturier.delivery.selectors import undecided_message as undecided

    return undecided(organisation=organisation, document_id=document_id)


def delivery_decide(by, message_id: int, *, resend: bool):
    """A member's decision on a message whose outcome is unknown: send it again, or mark it sent."""
    from facturier.delivery.outbox import outbox_decide

    return outbox_decide(by=by, message_id=message_id, resend=resend)


def duplicate_block(document) -> list[str]:
    """Why sending the document would be refused as a duplicate ([] when it would not, or without delivery)."""
    if not delivery_installed():
        return []
    from facturier.delivery.services import duplicate_block as reasons

    return reasons(document)


def platforms_installed() -> bool:
    return apps.is_installed("facturier.platforms")


def platform_in_use(organisation) -> bool:
    """Whether the dashboard shows the platform column: a document of the organisation went to a platform."""
    if not platforms_installed():
        return False
    from facturier.platforms.status_selectors import platform_in_use as in_use

    return in_use(organisation)


def platform_states(organisation, document_ids: list[int]) -> dict[int, tuple[str, str, str]]:
    """{document id: (status code, label, reason)} of the documents handed to a platform."""
    if not platforms_installed() or not document_ids:
        return {}
    from facturier.platforms.status_selectors import platform_states as states

    return states(organisation=organisation, document_ids=document_ids)


def platform_filter(qs, organisation, which: str):
    if not platforms_installed():
        return qs
    from facturier.platforms.status_selectors import platform_filter as narrow

    return narrow(qs, organisation, which)


def platform_already_has(document) -> str:
    """Why the document cannot be handed to the platform again ("" when it can): it is there, or on its way."""
    if not platforms_installed():
        return ""
    from facturier.platforms.sending import platform_refusal

    refusal = platform_refusal(document)
    return str(refusal[1]) if refusal and refusal[0] in ("already_submitted", "in_progress") else ""


def platform_panel(organisation, document) -> dict | None:
    """The document's routing decision and life-cycle statuses (None when it never met a platform)."""
    if not platforms_installed():
        return None
    from facturier.platforms.status_selectors import platform_panel as panel

    return panel(organisation=organisation, document=document)
