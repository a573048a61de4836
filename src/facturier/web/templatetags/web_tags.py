"""Template helpers of the screens."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from facturier.engine.en16931.codes import unit_label

register = template.Library()


@register.simple_tag
def url_if_exists(name: str, *args) -> str:
    """The URL of `name`, or "" when no installed app serves it (a page that other work is adding)."""
    try:
        return reverse(name, args=args or None)
    except NoReverseMatch:
        return ""


@register.filter
def unit_name(code: str) -> str:
    """A unit code (UN/ECE Rec. 20) as a reader says it, in the screen's language: "heure" for HUR."""
    return unit_label(code, translation.get_language() or "fr")


MAIL_HEADERS = {
    "From": _("From"), "To": _("To"), "Cc": _("Cc"), "Reply-To": _("Reply to"), "Subject": _("Subject"),
    "Date": _("Date"), "Message-ID": _("Message identifier"), "Return-Path": _("Return path (bounces)"),
    "X-Original-To": _("Original recipient"), "Disposition-Notification-To": _("Read receipt to"),
}


@register.filter
def mail_header(name: str) -> str:
    """An e-mail header's name in the screen's language ("Objet" for Subject); unknown ones as they are."""
    return str(MAIL_HEADERS.get(name, name))


@register.filter
def mail_header_value(value: str, name: str) -> str:
    """A header's value as shown: the Date in the organisation's time zone and the screen's language."""
    if name == "Date":
        from email.utils import parsedate_to_datetime

        from facturier.errors import localized

        try:
            return localized(parsedate_to_datetime(value))
        except (TypeError, ValueError):
            return value
    return value


@register.filter
def signed_total(document):
    """A document's total incl. VAT as the screens count it: a credit note's is negative, as on the dashboard."""
    from facturier.invoicing.models import Kind

    return -document.tax_inclusive if document.kind == Kind.CREDIT_NOTE else document.tax_inclusive
