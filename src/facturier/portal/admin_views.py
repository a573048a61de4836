"""The company's side of the portal: a customer's contacts and their access, invitations, the portal's look.

Mounted under /portal-admin/; every view needs a signed-in member of the organisation the
records belong to (the same two-factor rules as the company screens), and writes are POST with CSRF.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from facturier.accounts.models import Right
from facturier.errors import FacturierError, localized
from facturier.parties.models import Contact, Customer
from facturier.portal import services
from facturier.portal.forms import BrandingForm
from facturier.portal.models import PortalBranding, PortalLink
from facturier.portal.selectors import accounts_of_customer
from facturier.web import security


def company_member_required(view):
    """A member of the current organisation, past the second factor when it has one or it is mandatory."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        member = getattr(request, "member", None)
        if member is None:
            return render(request, "web/no_organisation.html", status=403)
        if not request.user.is_verified():
            if security.confirmed_device(request.user) is not None:
                return redirect(f"{reverse('web:otp_verify')}?{urlencode({'next': request.get_full_path()})}")
            if security.requires_2fa(member):
                return redirect("web:otp_enrol")
        return view(request, *args, **kwargs)

    return wrapper


def _customer(request, customer_id: int) -> Customer:
    customer = Customer.objects.filter(organisation=request.member.organisation, pk=customer_id).first()
    if customer is None:
        raise Http404
    return customer


@company_member_required
def customer_access(request, customer_id: int):
    """The contacts of a customer and their portal access, with the buttons to invite or close."""
    customer = _customer(request, customer_id)
    accounts = {a.contact_id: a for a in accounts_of_customer(organisation=request.member.organisation,
                                                              customer_id=customer.pk)}
    now = timezone.now()
    pending = {link.account_id: link for link in PortalLink.objects.filter(
        account__in=accounts.values(), used_at__isnull=True, expires_at__gt=now)}
    rows = []
    for contact in Contact.objects.filter(customer=customer).order_by("name", "email", "id"):
        account = accounts.get(contact.pk)
        link = pending.get(account.pk) if account else None
        if account is None:
            status = _("Not invited")
        elif not account.is_active:
            status = _("Access closed")
        elif account.activated_at is None:
            status = _("Invited, until %(date)s") % {
                "date": localized(timezone.localtime(link.expires_at).date())} if link else _("Invitation expired")
        else:
            status = _("Active") + (" · " + _("two-factor authentication on") if account.totp_confirmed else "")
        rows.append({"contact": contact, "account": account, "status": status})
    return render(request, "portal/admin/customer.html", {
        "customer": customer, "rows": rows, "nav": "customers",
        "can_invite": request.member.has_right(Right.SEND),
        "portal_url": settings.FACTURIER_BASE_URL + reverse("portal:home", args=[request.member.organisation.slug])})


@require_POST
@company_member_required
def invite(request, contact_id: int):
    """Invite a contact (or send a new link): POST only, CSRF-checked, by a member with the right to send."""
    contact = Contact.objects.filter(pk=contact_id, customer__organisation=request.member.organisation).first()
    if contact is None:
        raise Http404
    try:
        invitation = services.portal_invite(by=request.member, contact_id=contact.pk)
    except FacturierError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Invitation sent to %(email)s; its link works once, until %(date)s.") % {
            "email": invitation.account.email,
            "date": localized(invitation.expires_at)})
    return redirect("portal_admin:customer", contact.customer_id)


@require_POST
@company_member_required
def revoke(request, contact_id: int):
    contact = Contact.objects.filter(pk=contact_id, customer__organisation=request.member.organisation).first()
    if contact is None:
        raise Http404
    try:
        account = services.portal_revoke(by=request.member, contact_id=contact.pk)
    except FacturierError as e:
        messages.error(request, e.message)
    else:
        if account is not None:
            messages.success(request, _("%(email)s can no longer sign in to the portal.") % {"email": account.email})
    return redirect("portal_admin:customer", contact.customer_id)


@require_http_methods(["GET", "POST"])
@company_member_required
def branding(request):
    """The portal's accent colour and welcome line (the logo is the organisation's, set in the settings)."""
    member = request.member
    if not member.has_right(Right.MANAGE_SETTINGS):
        from facturier.web.views.base import forbidden

        return forbidden(request, Right.MANAGE_SETTINGS)
    instance = PortalBranding.objects.filter(organisation=member.organisation).first() or PortalBranding(
        organisation=member.organisation)
    form = BrandingForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The portal's look is saved."))
        return redirect("portal_admin:branding")
    return render(request, "portal/admin/branding.html", {
        "form": form, "nav": "settings",
        "portal_url": settings.FACTURIER_BASE_URL + reverse("portal:home", args=[member.organisation.slug])})
