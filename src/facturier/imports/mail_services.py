"""Writes and reads of the import-by-e-mail settings: the address (its token), the allowed senders,
and the automatic delivery of imported documents."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Membership, Right
from facturier.accounts.services import require_right
from facturier.audit.services import audit_record
from facturier.errors import FacturierError
from facturier.imports.models import MailImportMessage, MailImportSender, MailImportSettings

RECENT = 30


class SenderRefused(FacturierError):
    code = "sender_refused"


def new_token() -> str:
    """128 random bits, lower-case hexadecimal (a local part survives case changes on the way)."""
    return secrets.token_hex(16)


def mail_import_settings(organisation) -> MailImportSettings:
    """The organisation's settings, created with a fresh token the first time they are needed."""
    found = MailImportSettings.objects.filter(organisation=organisation).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return MailImportSettings.objects.create(organisation=organisation, token=new_token())
    except IntegrityError:  # created meanwhile by another request
        return MailImportSettings.objects.get(organisation=organisation)


def mail_import_address_regenerate(*, by: Membership) -> MailImportSettings:
    """A new token: the old address stops working at once."""
    require_right(by, Right.MANAGE_SETTINGS)
    with transaction.atomic():
        setup = mail_import_settings(by.organisation)
        setup = MailImportSettings.objects.select_for_update().get(pk=setup.pk)
        setup.token, setup.token_changed_at = new_token(), timezone.now()
        setup.save(update_fields=["token", "token_changed_at"])
        audit_record(actor=by, subject=setup, action="mail_import.address_regenerate", after={"address": "(new)"})
    return setup


def mail_import_sender_add(*, by: Membership, email: str) -> MailImportSender:
    require_right(by, Right.MANAGE_SETTINGS)
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as e:
        raise SenderRefused(_("“%(email)s” is not an e-mail address."), email=email) from e
    from facturier.imports.mail import domain

    if email.rsplit("@", 1)[1] == domain():
        raise SenderRefused(_("An import address cannot be an allowed sender."))
    try:
        with transaction.atomic():
            sender = MailImportSender.objects.create(organisation=by.organisation, email=email)
            audit_record(actor=by, subject=sender, action="mail_import.sender_add", after={"email": email})
    except IntegrityError as e:
        raise SenderRefused(_("%(email)s is already an allowed sender."), email=email) from e
    return sender


def mail_import_sender_remove(*, by: Membership, sender_id: int) -> None:
    require_right(by, Right.MANAGE_SETTINGS)
    with transaction.atomic():
        sender = MailImportSender.objects.filter(organisation=by.organisation, pk=sender_id).first()
        if sender is None:
            return
        audit_record(actor=by, subject=sender, action="mail_import.sender_remove", before={"email": sender.email})
        sender.delete()


def auto_deliver_set(*, by: Membership, enabled: bool) -> MailImportSettings:
    """Switch the automatic delivery of imported documents; documents then go in the name of the member
    who switched it on, with that member's right to send (checked again at each sending)."""
    require_right(by, Right.MANAGE_SETTINGS)
    if enabled:
        require_right(by, Right.SEND)
    with transaction.atomic():
        setup = mail_import_settings(by.organisation)
        setup = MailImportSettings.objects.select_for_update().get(pk=setup.pk)
        before = {"auto_deliver": setup.auto_deliver}
        setup.auto_deliver = enabled
        setup.auto_deliver_by = by if enabled else None
        setup.save(update_fields=["auto_deliver", "auto_deliver_by"])
        audit_record(actor=by, subject=setup, action="mail_import.auto_deliver", before=before,
                     after={"auto_deliver": enabled})
    return setup


# --- reads ----------------------------------------------------------------------------------------


def allowed_senders(*, organisation):
    return MailImportSender.objects.filter(organisation=organisation).order_by("email")


def recent_messages(*, organisation, limit: int = RECENT):
    return MailImportMessage.objects.filter(organisation=organisation).order_by("-received_at", "-id")[:limit]
