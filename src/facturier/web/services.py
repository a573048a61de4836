"""Writes the settings screens need and no other app offers yet; each checks the right and is audited."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from facturier.accounts.models import Membership, Organisation, Right, Role
from facturier.accounts.services import require_right
from facturier.audit.services import audit_record
from facturier.billing.models import Capability
from facturier.billing.services import capability_require
from facturier.invoicing.models import IMPORTED_SERIES_CODE, Document, Series, State
from facturier.web.models import OrganisationPreferences, OrganisationSecurity

ORGANISATION_FIELDS = {"name", "default_language", "payment_terms_days", "due_date_rule", "late_penalty_rate",
                       "facturx_profile", "sealing_enabled", "sealing_level", "tsa_url", "document_template",
                       "custom_template"}


def organisation_update(*, by: Membership, logo=None, **fields) -> Organisation:
    """Change the organisation's working settings (its legal data are dated profiles, not edited here)."""
    require_right(by, Right.MANAGE_SETTINGS)
    unknown = set(fields) - ORGANISATION_FIELDS
    if unknown:
        raise TypeError(f"unknown organisation fields: {sorted(unknown)}")
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=by.organisation_id)
        if fields.get("custom_template") and fields["custom_template"] != organisation.custom_template:
            from facturier.documents.services import custom_template_check

            custom_template_check(organisation=organisation, source=fields["custom_template"])  # TemplateFailed
        if fields.get("sealing_enabled") and not organisation.sealing_enabled:
            capability_require(organisation, Capability.SEALING)  # the plan's gate (billing)
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
        if code.upper() == IMPORTED_SERIES_CODE:
            raise ValidationError({"code": [ValidationError(_("This code is kept for imported documents."))]})
        series = Series(organisation=by.organisation, code=code, name=name, prefix=prefix, padding=padding)
        series.full_clean()
        series.save()
        audit_record(actor=by, subject=series, action="series.create",
                     after={"code": code, "name": name, "prefix": prefix, "padding": padding})
    return series


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


def time_zone_set(*, by: Membership, time_zone: str) -> OrganisationPreferences:
    """The time zone the organisation's screens show every moment in."""
    require_right(by, Right.MANAGE_SETTINGS)
    with transaction.atomic():
        preferences, _created = OrganisationPreferences.objects.select_for_update().get_or_create(
            organisation=by.organisation)
        if preferences.time_zone == time_zone:
            return preferences
        before = {"time_zone": preferences.time_zone}
        preferences.time_zone = time_zone
        preferences.full_clean()
        preferences.save()
        audit_record(actor=by, subject=by.organisation, action="preferences.update", before=before,
                     after={"time_zone": time_zone})
    return preferences


# --- archive policy -------------------------------------------------------------------------------


def archive_policy_save(*, by: Membership, retention_years: int, subscription_anniversary=None):
    """Change how long the archive keeps documents (never below the legal 6 years) and the subscription start.

    The archive app's `policy_set` has no actor; this adds the right check and the audit line."""
    from facturier.archive.models import ArchivePolicy
    from facturier.archive.services import NotArchivable, policy_set

    require_right(by, Right.MANAGE_SETTINGS)
    with transaction.atomic():
        current = ArchivePolicy.objects.select_for_update().filter(organisation=by.organisation).first()
        before = ({"retention_years": current.retention_years,
                   "subscription_anniversary": str(current.subscription_anniversary or "")} if current else None)
        try:
            policy = policy_set(organisation=by.organisation, retention_years=retention_years,
                                subscription_anniversary=subscription_anniversary)
        except NotArchivable as e:
            raise ValidationError(e.message)
        if subscription_anniversary is None and policy.subscription_anniversary is not None:
            policy.subscription_anniversary = None  # policy_set keeps the old date when given none: clear it
            policy.save(update_fields=["subscription_anniversary"])
        audit_record(actor=by, subject=by.organisation, action="archive_policy.update", before=before,
                     after={"retention_years": policy.retention_years,
                            "subscription_anniversary": str(policy.subscription_anniversary or "")})
    return policy


# --- printing a selection -------------------------------------------------------------------------


def documents_print(*, by: Membership, document_ids: list[int]) -> tuple[bytes | None, list[Document]]:
    """One PDF of the selected documents, in the order given, each rendered by the documents app.

    Drafts are printed (watermarked) only with the "print drafts" right; the others are returned
    as skipped. Returns (PDF or None when nothing is printable, skipped drafts)."""
    import io

    from pypdf import PdfWriter

    from facturier.documents.services import document_pdf

    found = {d.pk: d for d in Document.objects.filter(organisation=by.organisation, pk__in=document_ids)}
    documents = [found[pk] for pk in dict.fromkeys(document_ids) if pk in found]
    may_print_drafts = by.has_right(Right.PRINT_DRAFTS)
    skipped = [d for d in documents if d.state == State.DRAFT and not may_print_drafts]
    printable = [d for d in documents if d not in skipped]
    if not printable:
        return None, skipped
    writer = PdfWriter()
    for document in printable:
        writer.append(io.BytesIO(document_pdf(by=by, document_id=document.pk).data))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), skipped


# --- consent letters kept for download ------------------------------------------------------------


def _letters_dir(organisation) -> Path:
    return Path(settings.DATA_DIR) / "web" / "consent-letters" / str(organisation.pk)


def letters_keep(*, organisation, pdf: bytes) -> str:
    """Keep a campaign's printable letters for their download; returns the token that names them."""
    folder = _letters_dir(organisation)
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    (folder / f"{token}.pdf").write_bytes(pdf)
    return token


def letters_path(*, organisation, token: str) -> Path | None:
    """The kept letters of this organisation under `token`, or None (another organisation's are never found)."""
    if len(token) != 32 or any(c not in "0123456789abcdef" for c in token):
        return None
    path = _letters_dir(organisation) / f"{token}.pdf"
    return path if path.is_file() else None
