"""Template helpers of the screens."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import translation

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
