"""The e-reporting calendar the dashboard shows: the next due dates and what is late."""

from django import template
from django.utils import timezone

register = template.Library()

DONE = ("submitted", "accepted")


@register.inclusion_tag("ereporting/_calendar.html")
def ereporting_calendar(member, limit: int = 6):
    from facturier.platforms.ereporting import selectors
    from facturier.platforms.ereporting.services import profile_of

    organisation = member.organisation
    rows = selectors.calendar_rows(organisation=organisation, profile=profile_of(organisation, create=False),
                                   today=timezone.localdate())
    waiting = [r for r in rows if r.report is None or r.report.state not in DONE]
    waiting.sort(key=lambda r: (r.due, r.flow))
    return {"rows": waiting[:limit]}


@register.filter
def platform_status(code: str) -> str:
    """A life-cycle status code with its name in the screen's language: "213 Rejetée"."""
    from django.utils import translation

    from facturier.engine.cdar import STATUSES

    info = STATUSES.get(str(code or ""))
    if info is None:
        return str(code or "")
    name = info.name_fr if (translation.get_language() or "fr").startswith("fr") else info.name_en
    return f"{info.code} {name}"
