"""Settings of the import by e-mail: the organisation's import address (shown, regenerated), the allowed
senders, the automatic delivery of imported documents, and the messages received lately."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from facturier.accounts.models import Right
from facturier.errors import FacturierError
from facturier.imports.mail import address_of
from facturier.imports.mail_services import (
    allowed_senders,
    auto_deliver_set,
    mail_import_address_regenerate,
    mail_import_sender_add,
    mail_import_sender_remove,
    mail_import_settings,
    recent_messages,
)
from facturier.web.views.base import member_required


def _render(request, status=200, *, sender_error="", sender_value=""):
    organisation = request.member.organisation
    setup = mail_import_settings(organisation)
    return render(request, "web/settings/mail_import.html", {
        "setup": setup, "address": address_of(setup.token),
        "senders": allowed_senders(organisation=organisation),
        "received": recent_messages(organisation=organisation),
        "sender_error": sender_error, "sender_value": sender_value,
        "auto_deliver_by": setup.auto_deliver_by.user if setup.auto_deliver_by_id else None,
        "intake": bool(settings.FACTURIER_IMPORT_IMAP_HOST or settings.FACTURIER_IMPORT_SMTP_LISTEN),
    }, status=status)


@member_required(Right.MANAGE_SETTINGS)
def mail_import_settings_view(request):
    return _render(request)


def _back(anchor: str):
    return redirect(reverse("web:settings_mail_import") + f"#{anchor}")


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def mail_import_regenerate(request):
    mail_import_address_regenerate(by=request.member)
    messages.success(request, _("New import address made: the old one no longer works."))
    return _back("address")


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def mail_import_sender(request):
    if request.POST.get("action") == "remove":
        try:
            sender_id = int(request.POST.get("sender", ""))
        except ValueError:
            return _back("senders")
        mail_import_sender_remove(by=request.member, sender_id=sender_id)
        messages.success(request, _("Sender removed."))
        return _back("senders")
    value = request.POST.get("email", "")
    try:
        sender = mail_import_sender_add(by=request.member, email=value)
    except FacturierError as e:
        return _render(request, 422, sender_error=e.message, sender_value=value)
    messages.success(request, _("%(email)s added: its messages are imported.") % {"email": sender.email})
    return _back("senders")


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def mail_import_auto_deliver(request):
    enabled = request.POST.get("auto_deliver") == "on"
    try:
        auto_deliver_set(by=request.member, enabled=enabled)
    except FacturierError as e:
        messages.error(request, e.message)
        return _back("auto-deliver")
    messages.success(request, _("Imported documents are now sent to their customers automatically.") if enabled
                     else _("Imported documents are no longer sent automatically."))
    return _back("auto-deliver")
