"""The current organisation and language of a signed-in user, and the two-factor gate."""

from __future__ import annotations

import zoneinfo

from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.http import urlencode

from facturier.accounts.selectors import memberships_of
from facturier.web import security
from facturier.web.selectors import time_zone_of

SESSION_KEY = "web.organisation"
# Pages a signed-in but not yet verified user may still reach.
OPEN_PREFIXES = ("/static/", "/media/", "/admin/", "/tsa/", "/i18n/")
OPEN_NAMES = {"login", "logout", "otp_verify", "otp_enrol", "language", "password_reset", "password_reset_done",
              "password_reset_confirm", "password_reset_complete"}


class CurrentMemberMiddleware:
    """Sets `request.member` (the membership in the organisation chosen in the session, or the first one),
    activates the user's language and the organisation's time zone, and sends users who must confirm a
    second factor to that step."""

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
            gate = self._second_factor_gate(request)
            if gate is not None:
                timezone.deactivate()
                return gate
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()  # the next request on this thread starts from the platform's zone

    def _second_factor_gate(self, request):
        if request.path.startswith(OPEN_PREFIXES):
            return None
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None
        if match.namespace != "web" or match.url_name in OPEN_NAMES:
            return None
        user = request.user
        if user.is_verified():
            return None
        if security.confirmed_device(user) is not None:
            return redirect(f"{reverse('web:otp_verify')}?{urlencode({'next': request.get_full_path()})}")
        if security.requires_2fa(request.member):
            return redirect(reverse("web:otp_enrol"))
        return None
