"""What every endpoint starts with: the member acting through the request's key, for one scope."""

from __future__ import annotations

import base64
import hashlib

from django.http import HttpResponse

from facturier.accounts.models import Membership
from facturier.api.keys import require_scope
from facturier.api.models import Scope
from facturier.billing.models import Capability
from facturier.billing.services import capability_require


def acting(request, scope: Scope) -> Membership:
    """The member the key acts for, if the key has `scope` (ScopeMissing otherwise, 403)."""
    member = require_scope(request.api_key, scope)
    capability_require(member.organisation, Capability.API)  # the plan's gate (billing): CapabilityMissing, 403
    return member


def file_response(data: bytes, *, filename: str, content_type: str) -> HttpResponse:
    """A download, with its SHA-256 in Content-Digest (RFC 9530) so a client can check what it received."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Content-Digest"] = f"sha-256=:{base64.b64encode(hashlib.sha256(data).digest()).decode()}:"
    return response
