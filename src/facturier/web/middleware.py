"""The current organisation and language of a signed-in user, and the two-factor gate."""

from __future__ import annotations

import secrets
import zoneinfo

from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.http import urlencode

from facturier.accounts.selectors import memberships_of
from facturier.web import security
from facturier.web.selectors import time_zone_of

SESSION_KEY = "web.organisation"
OPEN_ROUTES = frozenset({
    # signing in and out, the second factor itself, a forgotten password
    "web:login", "web:logout", "web:otp_verify", "web:otp_enrol", "web:language",
    "web:password_reset", "web:password_reset_done", "web:password_reset_confirm", "web:password_reset_complete",
    "admin:login", "admin:logout",
    # public pages: the consent letter's answers and the time-stamp authority
    "consent_accept", "consent_refuse", "consent_address", "tsa",
})
"""The routes a signed-in user who has not confirmed the second factor may reach; every other one is closed."""
OPEN_NAMESPACES = frozenset({"portal", "api"})
"""The customer portal has its own accounts, sessions and second factor: a company session opens nothing there.
The REST API (/api/v1/, every route of its namespace) authenticates each call by its API key alone: no
session, no CSRF, and a session cookie opens nothing there either."""


def is_open(path_info: str) -> bool:
    try:
        match = resolve(path_info)
    except Resolver404:
        return False
    return match.view_name in OPEN_ROUTES or bool(match.namespaces and match.namespaces[0] in OPEN_NAMESPACES)


class ContentSecurityPolicyMiddleware:
    """A Content-Security-Policy on every page: scripts and styles from this site only, no inline code.

    A page that needs one inline style block (the portal's accent colour) marks it with `request.csp_nonce`.
    Only HTML gets the header: a PDF shown by the browser's own viewer must not be restricted by it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html") and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy(request.csp_nonce)
        return response


def policy(nonce: str) -> str:
    return ("default-src 'self'; script-src 'self'; "
            f"style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class SecondFactorMiddleware:
    """Every route of a signed-in user waits for the second factor when one is due, unless listed as open.

    Due: the user has a confirmed authenticator, or an organisation of theirs makes one mandatory
    (then the user is sent to set one up). Static files never reach this point (WhiteNoise serves them).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_verified() and not is_open(request.path_info):
            if security.confirmed_device(user) is not None:
                return redirect(f"{reverse('web:otp_verify')}?{urlencode({'next': request.get_full_path()})}")
            if security.any_organisation_requires_2fa(user):
                return redirect(reverse("web:otp_enrol"))
        return self.get_response(request)


class CurrentMemberMiddleware:
    """Sets `request.member` (the membership in the organisation chosen in the session, or the first one)
    and activates the user's language and the organisation's time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.member = None
        request.memberships = []
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            memberships = list(memberships_of(user=user))
            request.memberships = memberships
            chosen = request.session.get(SESSION_KEY)
            request.member = next((m for m in memberships if m.organisation_id == chosen),
                                  memberships[0] if memberships else None)
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            if request.member is not None:
                timezone.activate(zoneinfo.ZoneInfo(time_zone_of(request.member.organisation_id)))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()  # the next request on this thread starts from the platform's zone
