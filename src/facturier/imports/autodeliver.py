"""Automatic delivery of imported documents (S2.8): when the organisation asks for it, each document
imported (by upload, API or e-mail) goes to its customer right after the import, through the one send
entry point (`delivery.services.send_documents`), so the same gates apply: consent, channel, duplicates.

The document is sent in the name of the member who switched the setting on, with that member's right
to send, checked at each sending. A refusal or failure never touches the import: it is written in the
document's delivery state ("Not delivered", with the reason) and in a notification.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from facturier.imports.models import MailImportSettings

log = logging.getLogger(__name__)


def on_document_imported(sender=None, *, document_id: int, organisation_id: int, batch_id=None, **kwargs) -> None:
    """Receiver of `imports.signals.document_imported` (sent once the import is committed)."""
    if not MailImportSettings.objects.filter(organisation_id=organisation_id, auto_deliver=True).exists():
        return
    from facturier.imports.mail_tasks import auto_deliver_task

    transaction.on_commit(lambda: auto_deliver_task.enqueue(document_id=document_id))


def auto_deliver(*, document_id: int) -> str:
    """Send one imported document to its customer; returns what happened ("queued", "skipped", a refusal code).

    Idempotent: a document that already has a delivery (queued, sent, refused before…) is left alone.
    """
    from facturier.accounts.models import Right
    from facturier.delivery.models import Delivery, OutboxMessage
    from facturier.delivery.services import send_documents
    from facturier.errors import FacturierError
    from facturier.invoicing.models import Document

    document = Document.objects.select_related("organisation", "customer").filter(pk=document_id).first()
    if document is None:
        return "skipped"
    setup = (MailImportSettings.objects.filter(organisation_id=document.organisation_id)
             .select_related("auto_deliver_by__organisation", "auto_deliver_by__user").first())
    if setup is None or not setup.auto_deliver:
        return "skipped"
    if (Delivery.objects.filter(document_id=document.pk).exists()
            or OutboxMessage.objects.filter(document_id=document.pk).exists()):
        return "skipped"
    by = setup.auto_deliver_by
    with translation.override(document.organisation.default_language):
        if by is None or by.organisation_id != document.organisation_id or not by.has_right(Right.SEND):
            _not_delivered(document, "no_sender", _("Not sent automatically: the member who switched on automatic "
                                                    "delivery may no longer send documents. Switch it on again."))
            return "no_sender"
        try:
            result = send_documents(by=by, document_ids=[document.pk])
        except FacturierError as e:
            _not_delivered(document, e.code, _("Not sent automatically: %(reason)s") % {"reason": e.message})
            return e.code
    if result.refused:
        refusal = result.refused[0]
        with translation.override(document.organisation.default_language):
            _not_delivered(document, refusal.code, _("Not sent automatically: %(reason)s") % {"reason": refusal.reason})
        return refusal.code
    if not result.queued:
        return "skipped"
    log.info("imported document %s queued for automatic delivery", document.pk)
    return "queued"


def _not_delivered(document, code: str, reason: str) -> None:
    from facturier.delivery.history import delivery_mark
    from facturier.delivery.models import DeliveryState, Notification

    with transaction.atomic():
        delivery_mark(document=document, state=DeliveryState.FAILED, detail=reason)
        Notification.objects.create(organisation_id=document.organisation_id, kind="import.auto_deliver",
                                    document=document, text=str(reason)[:500])
    log.warning("imported document %s not sent automatically (%s)", document.pk, code)
