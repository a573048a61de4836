"""Every error of the API in one format: RFC 9457 problem details (`application/problem+json`).

    {"type": "urn:facturier:problem:not_found", "title": "Not found", "status": 404,
     "detail": "…", "code": "not_found", "errors": [{"field": "lines.0.quantity", "message": "…"}]}

Messages are French unless the request's Accept-Language prefers English. Nothing under /api/ ever
answers an HTML page: `ProblemMiddleware` turns what Django itself answers there (unknown path, wrong
method, body too large, a crash) into a problem too.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation.trans_real import parse_accept_lang_header

from facturier.accounts.services import RightMissing
from facturier.engine.errors import EngineError
from facturier.errors import FacturierError

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"
PREFIX = "/api/"

TITLES = {
    400: _("Bad request"), 401: _("Authentication required"), 403: _("Forbidden"), 404: _("Not found"),
    405: _("Method not allowed"), 409: _("Conflict"), 413: _("Request too large"),
    415: _("Unsupported media type"), 422: _("Invalid request"), 428: _("Idempotency-Key required"),
    429: _("Too many requests"), 500: _("Server error"),
}
DETAILS = {
    404: _("Nothing here: check the address and the identifier (only your organisation's records are found)."),
    405: _("This method is not allowed on this address."),
    413: _("The request body is too large."),
    500: _("Something went wrong on our side. Try again later; the error was logged."),
}
# pydantic error types → a message in the user's language (pydantic's own messages are English only)
FIELD_MESSAGES = {
    "missing": _("This field is required."),
    "extra_forbidden": _("Unknown field."),
    "string_type": _("A text is expected."),
    "string_too_long": _("Too long (at most %(max_length)s characters)."),
    "string_too_short": _("Too short (at least %(min_length)s characters)."),
    "int_type": _("A whole number is expected."), "int_parsing": _("A whole number is expected."),
    "bool_type": _("true or false is expected."), "bool_parsing": _("true or false is expected."),
    "decimal_type": _("A decimal number as a string is expected, e.g. \"12.50\"."),
    "decimal_parsing": _("A decimal number as a string is expected, e.g. \"12.50\"."),
    "date_type": _("A date YYYY-MM-DD is expected."), "date_parsing": _("A date YYYY-MM-DD is expected."),
    "date_from_datetime_parsing": _("A date YYYY-MM-DD is expected."),
    "datetime_type": _("A date and time (ISO 8601) is expected."),
    "datetime_parsing": _("A date and time (ISO 8601) is expected."),
    "datetime_from_date_parsing": _("A date and time (ISO 8601) is expected."),
    "list_type": _("A list is expected."), "dict_type": _("An object is expected."),
    "model_type": _("An object is expected."), "model_attributes_type": _("An object is expected."),
    "literal_error": _("Not one of the allowed values: %(expected)s."),
    "enum": _("Not one of the allowed values: %(expected)s."),
    "greater_than": _("Must be greater than %(gt)s."), "greater_than_equal": _("Must be at least %(ge)s."),
    "less_than_equal": _("Must be at most %(le)s."), "too_short": _("Too few items."),
    "too_long": _("Too many items."), "json_invalid": _("The body is not valid JSON."),
    "value_error": _("Invalid value."), "float_type": _("A decimal number as a string is expected, e.g. \"12.50\"."),
}
STATE_CONFLICTS = {"illegal_transition", "document_immutable", "billing_address_frozen", "not_printable",
                   "proof_pending", "archive_purged"}


def language_of(request: HttpRequest) -> str:
    """French unless Accept-Language prefers English (the API ignores cookies and sessions)."""
    for tag, _q in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        code = tag.lower()
        if code.startswith("fr"):
            return "fr"
        if code.startswith("en"):
            return "en"
    return "fr"


def problem(request: HttpRequest, status: int, *, code: str, detail: Any = "", errors: list[dict] | None = None,
            headers: dict[str, str] | None = None, title: Any = None) -> HttpResponse:
    with translation.override(language_of(request)):
        body = {"type": f"urn:facturier:problem:{code}", "title": str(title or TITLES.get(status, TITLES[400])),
                "status": status, "detail": str(detail or DETAILS.get(status, "")), "code": code,
                "errors": [{k: str(v) if k == "message" else v for k, v in e.items()} for e in errors or []]}
    response = HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=MEDIA_TYPE)
    response["Content-Language"] = language_of(request)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _field(loc) -> str:
    parts = list(loc)
    if parts[:1] in (["body"], ["query"], ["path"], ["header"]):
        parts = parts[1:]
        if parts and parts[0] == "payload":  # the body's parameter name
            parts = parts[1:]
    return ".".join(str(p) for p in parts)


def validation_errors(errors: list[dict]) -> list[dict]:
    out = []
    for e in errors:
        kind = e.get("type", "")
        template = FIELD_MESSAGES.get(kind)
        if template is not None:
            ctx = {k: (", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
                   for k, v in (e.get("ctx") or {}).items()}
            try:
                message: Any = str(template) % ctx if "%(" in str(template) else template
            except (KeyError, TypeError, ValueError):
                message = template
        else:
            message = e.get("msg", "")
        out.append({"field": _field(e.get("loc", ())), "message": message, "code": kind or "invalid"})
    return out


def _message(error: FacturierError, request) -> str:
    with translation.override(language_of(request)):
        return error.message


def from_exception(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The problem answer of an exception raised by an endpoint or a service."""
    from ninja.errors import AuthenticationError, HttpError, Throttled
    from ninja.errors import ValidationError as NinjaValidationError

    from facturier.api.keys import KeyRefused, ScopeMissing
    from facturier.billing.services import CapabilityMissing
    from facturier.invoicing.content import InvalidDocument
    from facturier.invoicing.gate import RulesRefused

    if isinstance(exc, NinjaValidationError):
        return problem(request, 422, code="invalid_request", detail=_("Some fields are missing or invalid."),
                       errors=validation_errors(exc.errors))
    if isinstance(exc, (KeyRefused, AuthenticationError)):
        detail = _message(exc, request) if isinstance(exc, KeyRefused) else _(
            "Authenticate with an API key: “Authorization: Bearer <key>” (create one in the settings).")
        return problem(request, 401, code="invalid_key" if isinstance(exc, KeyRefused) else "unauthenticated",
                       detail=detail, headers={"WWW-Authenticate": 'Bearer realm="facturier"'})
    if isinstance(exc, (ScopeMissing, RightMissing, CapabilityMissing)):
        return problem(request, 403, code=exc.code, detail=_message(exc, request))
    if isinstance(exc, PermissionDenied):
        return problem(request, 403, code="forbidden")
    if isinstance(exc, (ObjectDoesNotExist, Http404)):
        return problem(request, 404, code="not_found")
    if isinstance(exc, Throttled):
        return problem(request, 429, code="rate_limited")
    if isinstance(exc, HttpError):
        return problem(request, exc.status_code, code="http_error", detail=str(exc))
    if isinstance(exc, InvalidDocument):
        return problem(request, 422, code=exc.code, detail=_message(exc, request),
                       errors=[{"field": f, "message": m} for f, ms in exc.errors.items() for m in ms])
    if isinstance(exc, RulesRefused):
        language = language_of(request)
        return problem(request, 422, code=exc.code, detail=_message(exc, request), errors=[
            {"field": f.path, "rule": f.rule, "message": f.message.in_language(language)} for f in exc.report.fatal])
    if isinstance(exc, DjangoValidationError):
        with translation.override(language_of(request)):
            if hasattr(exc, "error_dict"):
                errors = [{"field": f, "message": m} for f, ms in exc.message_dict.items() for m in ms]
            else:
                errors = [{"field": "", "message": m} for m in exc.messages]
        return problem(request, 422, code="invalid", detail=errors[0]["message"] if errors else "", errors=errors)
    if isinstance(exc, FacturierError):
        status = 409 if exc.code in STATE_CONFLICTS else 422
        return problem(request, status, code=exc.code, detail=_message(exc, request))
    if isinstance(exc, EngineError):
        return problem(request, 422, code="engine", detail=exc.message.in_language(language_of(request)))
    log.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return problem(request, 500, code="server_error")


class ProblemMiddleware:
    """Under /api/, whatever Django itself answers with an error (unknown path, wrong method, a body
    over the limit, an exception outside an endpoint) becomes a problem, never an HTML page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (request.path_info.startswith(PREFIX) and response.status_code >= 400
                and not response.get("Content-Type", "").startswith((MEDIA_TYPE, "application/json"))):
            status = response.status_code
            codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}
            headers = {k: response[k] for k in ("Allow", "Retry-After") if response.has_header(k)}
            return problem(request, status, code=codes.get(status, "error" if status < 500 else "server_error"),
                           headers=headers)
        return response

    def process_exception(self, request, exception):
        if request.path_info.startswith(PREFIX):
            return from_exception(request, exception)
        return None
