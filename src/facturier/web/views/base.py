"""What every screen shares: the member guard, error translation, small helpers."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from facturier.accounts.models import Right


def member_required(right: Right | None = None):
    """Signed in, with a membership in the current organisation (and the right, when one is named)."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.member is None:
                return render(request, "web/no_organisation.html", status=403)
            if right is not None and not request.member.has_right(right):
                return forbidden(request, right)
            if right is not None and request.method not in ("GET", "HEAD", "OPTIONS"):
                refused = read_only(request, right)
                if refused is not None:
                    return refused
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def read_only(request, right: Right):
    """A write screen asks the one gate (`require_right`): a terminated organisation is refused with its message."""
    from facturier.accounts.services import RightMissing, require_right

    try:
        require_right(request.member, right)
    except RightMissing as error:
        return render(request, "web/forbidden.html", {"message": error.message}, status=403)
    return None


def forbidden(request, right: Right):
    message = _("You do not have the right to do this: “%(right)s”. Ask an owner of %(org)s.") % {
        "right": right.label, "org": request.member.organisation.name}
    return render(request, "web/forbidden.html", {"message": message}, status=403)


def get_or_404(getter, **kwargs):
    """Call a scoped selector; anything outside the organisation is simply not found."""
    from django.core.exceptions import ObjectDoesNotExist

    try:
        return getter(**kwargs)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404


def is_htmx(request) -> bool:
    return bool(getattr(request, "htmx", False))
