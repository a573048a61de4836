"""The platform operator's view: every organisation's usage and archive size (platform operators only)."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils.translation import gettext as _

from facturier.web import selectors


def operator(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.is_platform_operator:
        return render(request, "web/forbidden.html", {
            "message": _("This page is for the platform's operators only.")}, status=403)
    search = request.GET.get("q", "").strip()[:100]
    rows = selectors.operator_usage(search=search)
    totals = {
        "issued_in_period": sum(r.issued_in_period for r in rows),
        "archived_in_period": sum(r.archived_in_period or 0 for r in rows),
        "archive_bytes": sum(r.archive_bytes or 0 for r in rows),
    }
    return render(request, "web/operator.html", {"rows": rows, "search": search, "totals": totals,
                                                 "limit_reached": len(rows) >= 200})
