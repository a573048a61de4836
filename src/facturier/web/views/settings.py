"""Settings (manage-settings right): organisation, legal data by date, numbering, seal, users, sign-in policy."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from facturier.accounts.invitations import invitation_send
from facturier.accounts.models import LegalProfile, Membership, Right
from facturier.accounts.services import legal_profile_add
from facturier.documents.models import Certificate
from facturier.documents.services import certificate_upload
from facturier.engine.errors import EngineError
from facturier.errors import FacturierError, localized
from facturier.invoicing.models import Series
from facturier.web import extensions, selectors, services
from facturier.web.forms import (
    ArchivePolicyForm,
    CertificateForm,
    LegalProfileForm,
    MemberForm,
    OrganisationForm,
    RightsForm,
    SecurityForm,
    SeriesForm,
)
from facturier.web.models import OrganisationSecurity
from facturier.web.views.base import member_required

EXPIRY_WARNING_DAYS = 30


def _errors_into(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for e in errors:
                form.add_error(field if field in form.fields else None, e)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _context(request, **forms):
    organisation = request.member.organisation
    certificate = Certificate.objects.filter(organisation=organisation, is_active=True).first()
    expires_in = None
    if certificate is not None:
        expires_in = (certificate.not_after - timezone.now()).days
    security = OrganisationSecurity.objects.filter(organisation=organisation).first()
    defaults = {
        "org_form": OrganisationForm(initial={**{name: getattr(organisation, name) for name in OrganisationForm.FIELDS},
                                              "time_zone": selectors.time_zone_of(organisation.pk)}),
        "legal_form": LegalProfileForm(initial={"effective_from": timezone.localdate(), "country": "FR"}),
        "series_form": SeriesForm(),
        "cert_form": CertificateForm(),
        "member_form": MemberForm(),
        "security_form": SecurityForm(initial={"require_2fa": bool(security and security.require_2fa)}),
    }
    archive = _archive(organisation)
    if archive:
        defaults["archive_form"] = ArchivePolicyForm(initial={
            "retention_years": archive["retention_years"],
            "subscription_anniversary": archive["policy"].subscription_anniversary if archive["policy"] else None})
    defaults.update(forms)
    memberships = Membership.objects.filter(organisation=organisation).select_related("user").order_by(
        "user__email")
    return {
        **defaults, "organisation": organisation,
        "profiles": LegalProfile.objects.filter(organisation=organisation).order_by("-effective_from"),
        "series": [{"s": s, "next": s.format_number(s.next_number, timezone.localdate().year)}
                   for s in Series.objects.filter(organisation=organisation).order_by("code")],
        "certificate": certificate, "expires_in": expires_in,
        "expiry_warning": expires_in is not None and expires_in <= EXPIRY_WARNING_DAYS,
        "old_certificates": Certificate.objects.filter(organisation=organisation, is_active=False)[:5],
        "members": [{"m": m, "form": RightsForm(prefix=f"m{m.pk}", form_id=f"member-{m.pk}", initial={
            "role": m.role, "is_active": m.is_active, **{r.value: getattr(m, r.value) for r in Right}})}
            for m in memberships],
        "rights": list(Right), "archive": archive,
    }


def _archive(organisation) -> dict | None:
    """The retention in force and the archive's counters (None when the archive app is not deployed)."""
    if not extensions.archive_installed():
        return None
    from facturier.archive.models import ArchivePolicy
    from facturier.archive.selectors import archive_counters
    from facturier.archive.services import retention_years

    return {"policy": ArchivePolicy.objects.filter(organisation=organisation).first(),
            "retention_years": retention_years(organisation), "counters": archive_counters(organisation=organisation)}


def _render(request, status=200, **forms):
    return render(request, "web/settings/index.html", _context(request, **forms), status=status)


def _submit(request, form, *, form_key: str, anchor: str, save):
    """The flow of every settings form: a valid form goes to its service (`save(cleaned_data)`, which
    returns the success message); a refusal lands on the form, shown again with what was typed (422)."""
    if form.is_valid():
        try:
            done = save(form.cleaned_data)
        except ValidationError as e:
            _errors_into(form, e)
        except FacturierError as e:
            form.add_error(None, e.message)
        except EngineError as e:
            form.add_error(None, e.message.in_language(request.LANGUAGE_CODE))
        else:
            messages.success(request, done)
            return redirect(reverse("web:settings") + f"#{anchor}")
    return _render(request, 422, **{form_key: form})


@member_required(Right.MANAGE_SETTINGS)
def settings_index(request):
    return _render(request)


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def settings_organisation(request):
    def save(data):
        services.organisation_update(by=request.member, logo=data.get("logo"),
                                     **{name: data[name] for name in OrganisationForm.FIELDS})
        if data.get("time_zone"):
            services.time_zone_set(by=request.member, time_zone=data["time_zone"])
        return _("Settings saved.")

    return _submit(request, OrganisationForm(request.POST, request.FILES), form_key="org_form",
                   anchor="organisation", save=save)


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def settings_legal(request):
    form = LegalProfileForm(request.POST)

    def save(_data):
        values = form.values()
        effective_from: dt.date = values.pop("effective_from")
        legal_profile_add(organisation=request.member.organisation, effective_from=effective_from, **values)
        return _("Legal data saved, in force from %(date)s.") % {"date": localized(effective_from)}

    return _submit(request, form, form_key="legal_form", anchor="legal", save=save)


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def settings_series(request):
    def save(data):
        services.series_create(by=request.member, **data)
        return _("Numbering series created.")

    return _submit(request, SeriesForm(request.POST), form_key="series_form", anchor="series", save=save)


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def settings_certificate(request):
    def save(data):
        certificate_upload(by=request.member, data=data["file"].read(), password=data["password"],
                           label=data["label"])
        return _("Certificate installed; new seals use it.")

    return _submit(request, CertificateForm(request.POST, request.FILES), form_key="cert_form",
                   anchor="certificate", save=save)


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def settings_member_add(request):
    def save(data):
        invitation = invitation_send(by=request.member, **data)
        return _("Invitation sent to %(email)s: they join once they accept it (the link works for 7 days).") % {
            "email": invitation.email}

    return _submit(request, MemberForm(request.POST), form_key="member_form", anchor="users", save=save)


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def settings_member_update(request, pk):
    membership = Membership.objects.filter(organisation=request.member.organisation, pk=pk).first()
    if membership is None:
        raise Http404
    form = RightsForm(request.POST, prefix=f"m{pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.member_update(by=request.member, membership_id=pk, role=data["role"],
                                   is_active=data["is_active"], rights={r.value: data[r.value] for r in Right})
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
        else:
            messages.success(request, _("Rights of %(user)s saved.") % {"user": membership.user})
    return redirect(reverse("web:settings") + "#users")


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def settings_security(request):
    form = SecurityForm(request.POST)
    if form.is_valid():
        services.security_set(by=request.member, require_2fa=form.cleaned_data["require_2fa"])
        messages.success(request, _("Sign-in policy saved."))
    return redirect(reverse("web:settings") + "#security")


@require_POST
@member_required(Right.MANAGE_SETTINGS)
def settings_archive(request):
    if not extensions.archive_installed():
        raise Http404

    def save(data):
        services.archive_policy_save(by=request.member, **data)
        return _("Archive settings saved: documents are kept %(years)d years.") % {"years": data["retention_years"]}

    return _submit(request, ArchivePolicyForm(request.POST), form_key="archive_form", anchor="archive", save=save)


@member_required()
def settings_logo(request):
    """The organisation's logo, for its own members (media files are not served publicly)."""
    logo = request.member.organisation.logo
    if not logo:
        raise Http404
    return FileResponse(logo.open("rb"), content_type="image/png" if logo.name.lower().endswith(".png")
                        else "image/jpeg")
