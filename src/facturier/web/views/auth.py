"""Sign-in, sign-out, password reset, two-factor enrolment and verification, organisation and language."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from facturier.delivery.platform_mail import PlatformMailError
from facturier.web import security
from facturier.web.forms import EmailLoginForm, PlatformPasswordResetForm, TokenForm
from facturier.web.middleware import SESSION_KEY
from facturier.web.views.base import member_required


class LoginView(auth_views.LoginView):
    template_name = "web/auth/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # A user with an authenticator confirms the second factor before anything else.
        if security.confirmed_device(self.request.user) is not None:
            return HttpResponseRedirect(f"{reverse('web:otp_verify')}?{urlencode({'next': self.get_success_url()})}")
        return response


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("web:login")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "web/auth/password_reset.html"
    email_template_name = "web/auth/password_reset_email.txt"
    subject_template_name = "web/auth/password_reset_subject.txt"
    success_url = reverse_lazy("web:password_reset_done")
    form_class = PlatformPasswordResetForm

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except PlatformMailError as e:  # logged where it happened; the person asking is told, not sent on
            form.add_error(None, e.message)
            response = self.form_invalid(form)
            response.status_code = 503
            return response


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "web/auth/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "web/auth/password_reset_confirm.html"
    success_url = reverse_lazy("web:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "web/auth/password_reset_complete.html"


def _check(device, token: str, form) -> bool:
    """Verify a code, saying so when django-otp's throttle refuses to try (too many wrong codes)."""
    allowed, _data = device.verify_is_allowed()
    if not allowed:
        form.add_error("token", _("Too many wrong codes: wait a few seconds, then type the current code."))
        return False
    return device.verify_token(token)


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return default


def otp_verify(request):
    """Second step of sign-in: a six-digit code from the authenticator app."""
    if not request.user.is_authenticated:
        return redirect("web:login")
    device = security.confirmed_device(request.user)
    if device is None:
        return redirect("web:otp_enrol")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _check(device, form.cleaned_data["token"], form):
            otp_login(request, device)
            return redirect(_safe_next(request, reverse("web:dashboard")))
        if not form.errors:
            form.add_error("token", _("This code is not valid. Check the time on your phone and type the current "
                                      "code."))
    return render(request, "web/auth/otp_verify.html", {"form": form, "next": _safe_next(request, "")})


def _qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg"):]


def otp_enrol(request):
    """Set up an authenticator: scan the QR code, type one code to confirm."""
    if not request.user.is_authenticated:
        return redirect("web:login")
    user = request.user
    if security.confirmed_device(user) is not None and not user.is_verified():
        return redirect("web:otp_verify")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Facturier", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _check(device, form.cleaned_data["token"], form):
            TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, _("Two-factor authentication is on. You will type a code at each sign-in."))
            return redirect("web:dashboard")
        if not form.errors:
            form.add_error("token", _("This code is not valid. Scan the QR code again and type the current code."))
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(request, "web/auth/otp_enrol.html", {
        "form": form, "qr_svg": _qr_svg(device.config_url), "secret": secret,
        "required": security.requires_2fa(request.member),
        "has_confirmed": security.confirmed_device(user) is not None})


@require_POST
@member_required()
def organisation_switch(request):
    wanted = request.POST.get("organisation")
    member = next((m for m in request.memberships if str(m.organisation_id) == wanted), None)
    if member is None:
        messages.error(request, _("You are not a member of that organisation."))
    else:
        request.session[SESSION_KEY] = member.organisation_id
        messages.success(request, _("You are now working in %(org)s.") % {"org": member.organisation.name})
    return redirect("web:dashboard")


@require_POST
def language_switch(request):
    """Switch the interface language: stored on the user when signed in, in a cookie otherwise."""
    from django.conf import settings
    from django.utils import translation

    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    if request.user.is_authenticated:
        request.user.language = language
        request.user.save(update_fields=["language"])
    translation.activate(language)
    response = redirect(_safe_next(request, reverse("web:dashboard")))
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", max_age=365 * 24 * 3600,
                        secure=settings.SESSION_COOKIE_SECURE, httponly=True)
    return response
