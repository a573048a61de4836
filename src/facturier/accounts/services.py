"""Writes on organisations, legal profiles and memberships."""

from __future__ import annotations

import datetime as dt
import os

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Authenticator, LegalProfile, Membership, Organisation, Right, Role, User
from facturier.errors import FacturierError


class RightMissing(FacturierError):
    code = "right_missing"


class OrganisationReadOnly(RightMissing):
    """The organisation is terminated: everything stays readable, nothing can change."""

    code = "organisation_read_only"


class NoLegalProfile(FacturierError):
    code = "no_legal_profile"


def require_writable(organisation: Organisation) -> None:
    """Refuse any change to a terminated organisation; what the system does without a member (an
    e-mailed import) asks here, what a member does asks through `require_right`."""
    termination = organisation.terminated
    if termination is not None:
        raise OrganisationReadOnly(
            _("%(org)s has been terminated: its account is read-only (documents and the archive export stay "
              "available until %(date)s). Nothing can be issued, sent, imported or changed any more."),
            org=organisation.name, date=termination.grace_until.date())


def require_right(member: Membership, right: Right) -> None:
    """Refuse the action unless the member holds the right (rights are explicit, per membership).

    The one gate of a terminated organisation's read-only period too: every write service asks
    for a right here (issuing, sending, editing, payments, settings, connectors, API keys…).
    """
    require_writable(member.organisation)
    if not member.has_right(right):
        raise RightMissing(_("You do not have the right to do this: “%(right)s”. Ask an owner of %(org)s."),
                           right=right.label, org=member.organisation.name)


def organisation_create(*, slug: str, name: str, legal: dict, effective_from: dt.date,
                        owner: User | None = None, **settings) -> Organisation:
    """A new tenant with its first legal profile and, optionally, its owner."""
    with transaction.atomic():
        organisation = Organisation(slug=slug, name=name, **settings)
        organisation.full_clean()
        organisation.save()
        legal_profile_add(organisation=organisation, effective_from=effective_from, **legal)
        if owner is not None:
            membership_add(organisation=organisation, user=owner, role=Role.OWNER)
    return organisation


def legal_profile_add(*, organisation: Organisation, effective_from: dt.date, **fields) -> LegalProfile:
    """Legal data valid from a date on; earlier invoices keep showing the earlier data."""
    profile = LegalProfile(organisation=organisation, effective_from=effective_from, **fields)
    profile.full_clean()
    profile.save()
    return profile


def membership_add(*, organisation: Organisation, user: User, role: Role, **rights: bool) -> Membership:
    """Give a user a role in an organisation, with the role's default rights unless told otherwise."""
    unknown = set(rights) - set(Right.values)
    if unknown:
        raise ValidationError(f"Unknown rights: {sorted(unknown)}")
    membership, _created = Membership.objects.get_or_create(user=user, organisation=organisation)
    membership.role = role
    membership.apply_role_defaults()
    for right, granted in rights.items():
        setattr(membership, right, granted)
    membership.is_active = True
    membership.save()
    return membership


def platform_operator_set(*, user: User, on: bool) -> User:
    """Give or take the platform-operator role; a platform decision, never an organisation's (audited)."""
    from facturier.audit.services import audit_record

    with transaction.atomic():
        before = user.is_platform_operator
        user.is_platform_operator = on
        user.save(update_fields=["is_platform_operator"])
        audit_record(actor=None, subject=user, action="platform.operator", before={"operator": before},
                     after={"operator": on})
    return user


def authenticator_start(*, user: User) -> Authenticator:
    """The user's authenticator being set up (a new random key, sealed), until a code from it confirms it."""
    with transaction.atomic():
        device = Authenticator.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = Authenticator.objects.create(user=user, name="Facturier", confirmed=False)
            device.set_key(os.urandom(20))
            device.save(update_fields=["sealed_key"])
    return device


def authenticator_confirm(*, device: Authenticator) -> Authenticator:
    """A code from the new authenticator was right: it replaces the user's previous one."""
    with transaction.atomic():
        Authenticator.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    return device
