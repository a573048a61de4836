"""Reads of the platforms app; every one scoped by organisation."""

from __future__ import annotations

from facturier.platforms.models import Platform, PlatformConnection


def platforms_offered():
    return Platform.objects.filter(enabled=True).order_by("name")


def connections_of(organisation):
    return (PlatformConnection.objects.filter(organisation=organisation).select_related("platform")
            .order_by("siren", "siret"))


def connection_of(organisation, pk: int) -> PlatformConnection | None:
    return connections_of(organisation).filter(pk=pk).first()


def connection_for(organisation, *, siret: str | None = None) -> PlatformConnection | None:
    """The enabled connection that acts for `organisation` (for one of its establishments when `siret` is
    given): the SIRET's own connection, else its SIREN's, else the organisation's default; None when the
    organisation has no enabled connection covering it."""
    candidates = [c for c in connections_of(organisation).filter(enabled=True, platform__enabled=True)]
    siret = (siret or "").replace(" ", "")
    if siret:
        for c in candidates:
            if c.siret == siret:
                return c
        for c in candidates:
            if c.siren and not c.siret and c.siren == siret[:9]:
                return c
    for c in candidates:
        if not c.siren and not c.siret:
            return c
    return None
