"""Writes the settings screens need and no other app offers yet; each checks the right and is audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Membership, Organisation, Right, Role, User
from facturier.accounts.services import membership_add, require_right
from facturier.audit.services import audit_record
from facturier.invoicing.models import Series
from facturier.web.models import OrganisationSecurity

ORGANISATION_FIELDS = {"name", "default_language", "payment_terms_days", "due_date_rule", "late_penalty_rate",
                       "facturx_profile", "sealing_enabled", "sealing_level", "tsa_url"}


def organisation_update(*, by: Membership, logo=None, **fields) -> Organisation:
    """Change the organisation's working settings (its legal data are dated profiles, not edited here)."""
    require_right(by, Right.MANAGE_SETTINGS)
    unknown = set(fields) - ORGANISATION_FIELDS
    if unknown:
        raise TypeError(f"unknown organisation fields: {sorted(unknown)}")
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=by.organisation_id)
        before = {name: str(getattr(organisation, name)) for name in fields}
        for name, value in fields.items():
            setattr(organisation, name, value)
        if logo is not None:
            organisation.logo.save(f"{organisation.slug}-{logo.name}", logo, save=False)
        organisation.full_clean()
        organisation.save()
        audit_record(actor=by, subject=organisation, action="organisation.update", before=before,
                     after={**{name: str(getattr(organisation, name)) for name in fields},
                            **({"logo": organisation.logo.name} if logo is not None else {})})
    return organisation


def series_create(*, by: Membership, code: str, name: str, prefix: str = "", padding: int = 6) -> Series:
    require_right(by, Right.MANAGE_SETTINGS)
    with transaction.atomic():
        if Series.objects.filter(organisation=by.organisation, code=code).exists():
            raise ValidationError({"code": [ValidationError(_("A series with this code exists already."))]})
        series = Series(organisation=by.organisation, code=code, name=name, prefix=prefix, padding=padding)
        series.full_clean()
        series.save()
        audit_record(actor=by, subject=series, action="series.create",
                     after={"code": code, "name": name, "prefix": prefix, "padding": padding})
    return series


def member_invite(*, by: Membership, email: str, full_name: str, role: Role) -> Membership:
    """Add a person to the organisation with a role; a new user resets the password to sign in."""
    require_right(by, Right.MANAGE_SETTINGS)
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email, None, full_name=full_name)
        membership = membership_add(organisation=by.organisation, user=user, role=role)
        audit_record(actor=by, subject=membership, action="membership.add", after={"email": email, "role": role})
    return membership


def member_update(*, by: Membership, membership_id: int, role: str, is_active: bool, rights: dict[str, bool]) \
        -> Membership:
    """Change a member's role and explicit rights; an owner cannot remove the last active owner."""
    require_right(by, Right.MANAGE_SETTINGS)
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership_id, organisation=by.organisation)
        before = {"role": membership.role, "active": membership.is_active,
                  **{r: getattr(membership, r) for r in Right.values}}
        losing_owner = membership.role == Role.OWNER and (role != Role.OWNER or not is_active)
        if losing_owner and not Membership.objects.filter(organisation=by.organisation, role=Role.OWNER,
                                                          is_active=True).exclude(pk=membership.pk).exists():
            raise ValidationError(_("The organisation must keep at least one active owner."))
        membership.role, membership.is_active = role, is_active
        for right in Right.values:
            setattr(membership, right, bool(rights.get(right)))
        if membership.pk == by.pk and not membership.can_manage_settings:
            raise ValidationError(_("You cannot remove your own right to manage the settings."))
        membership.save()
        audit_record(actor=by, subject=membership, action="membership.update", before=before,
                     after={"role": role, "active": is_active, **{r: getattr(membership, r) for r in Right.values}})
    return membership


def security_set(*, by: Membership, require_2fa: bool) -> OrganisationSecurity:
    require_right(by, Right.MANAGE_SETTINGS)
    with transaction.atomic():
        policy, _created = OrganisationSecurity.objects.select_for_update().get_or_create(
            organisation=by.organisation)
        before = {"require_2fa": policy.require_2fa}
        policy.require_2fa = require_2fa
        policy.save()
        audit_record(actor=by, subject=by.organisation, action="security.update", before=before,
                     after={"require_2fa": require_2fa})
    return policy
