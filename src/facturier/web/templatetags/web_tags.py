"""Template helpers of the screens."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def url_if_exists(name: str, *args) -> str:
    """The URL of `name`, or "" when no installed app serves it (a page that other work is adding)."""
    try:
        return reverse(name, args=args or None)
    except NoReverseMatch:
        return ""
