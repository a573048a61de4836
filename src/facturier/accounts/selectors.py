"""Reads on organisations and memberships."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import LegalProfile, Membership, Organisation, User
from facturier.accounts.services import NoLegalProfile


def legal_profile_at(*, organisation: Organisation, on: dt.date) -> LegalProfile:
    """The legal data in force on a date: the latest profile whose effective date is not after it."""
    profile = (LegalProfile.objects.filter(organisation=organisation, effective_from__lte=on)
               .order_by("-effective_from").first())
    if profile is None:
        raise NoLegalProfile(
            _("%(org)s has no legal data in force on %(date)s. Add its legal profile in the settings first."),
            org=organisation.name, date=on)  # written the reader's way
    return profile


def memberships_of(*, user: User) -> QuerySet[Membership]:
    return (Membership.objects.filter(user=user, is_active=True, organisation__isnull=False)
            .select_related("organisation").order_by("organisation__name"))


def membership_for(*, user: User, organisation_slug: str) -> Membership | None:
    return memberships_of(user=user).filter(organisation__slug=organisation_slug).first()


def organisation_by_slug(slug: str) -> Organisation:
    return Organisation.objects.get(slug=slug)
