"""The REST API, assembled: one NinjaAPI under /api/v1/, its gate, its error format, its routers.

Every operation goes through `gate` first: the Bearer key is checked (401), the key's rate is
counted (429 with Retry-After), the language is chosen from Accept-Language (French by default),
and a write runs under its Idempotency-Key (see `idempotency`). Endpoints then take the member the
key acts for with the scope they need (`context.acting`) and call the services, which check the
member's rights and scope every read to the organisation.

A new resource is one router module in `routers/` and one line in `ROUTERS`.
"""

from __future__ import annotations

from functools import wraps

from django.shortcuts import render
from django.utils import translation
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.openapi.docs import Swagger
from ninja.security import HttpBearer

from facturier.api import problems
from facturier.api.idempotency import WRITES, run_once
from facturier.api.keys import KeyRefused, authenticate
from facturier.api.ratelimit import wait_for
from facturier.api.routers import accounting, archive, contracts, customers, deliveries, documents, imports, payments
from facturier.api.schemas import Problem

ROUTERS = [
    ("/customers", customers.router),
    ("/documents", documents.router),
    ("", payments.router),
    ("", deliveries.router),
    ("", archive.router),
    ("/imports", imports.router),
    ("/accounting", accounting.router),
    ("/contracts", contracts.router),
]

DESCRIPTION = """Facturier's REST API. Authenticate with an API key created in the settings
(**Settings → API keys**): `Authorization: Bearer fk_…`. Every write needs an `Idempotency-Key`
header (a UUID): the same key and body return the first answer again, another body with the same
key is refused. Amounts are decimal strings. Errors are RFC 9457 problems
(`application/problem+json`) in French, or English with `Accept-Language: en`."""


class KeyBearer(HttpBearer):
    """The OpenAPI face of the key check; the check itself ran in `gate`, before the operation."""

    def authenticate(self, request, token):
        return getattr(request, "api_key", None)


class LocalSwagger(Swagger):
    """The interactive page with the Swagger UI files this site serves itself (no CDN, no inline code)."""

    def render_page(self, request, api, **kwargs):
        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs), "dom_id": "#swagger-ui"}
        return render(request, "api/docs.html", {"api": api, "swagger_settings": settings})


IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key", "in": "header", "required": True, "schema": {"type": "string", "maxLength": 255},
    "description": "Any unique string (a UUID). The same key with the same request returns the first answer; "
                   "with another request it is refused (422). Kept 24 hours.",
}
PROBLEM_RESPONSE = {"description": "An RFC 9457 problem", "content": {
    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


class FacturierApi(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """ninja's schema, plus what the gate adds to every operation: the Idempotency-Key of writes and
        the problem answers (401, 403, 404, 422, 429)."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("Problem", Problem.model_json_schema())
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                if method.upper() in WRITES:
                    operation.setdefault("parameters", []).append(dict(IDEMPOTENCY_PARAMETER))
                responses = operation.setdefault("responses", {})
                for status in (401, 403, 404, 422, 429):  # ninja keys them by int: never both 422 and "422"
                    if status not in responses and str(status) not in responses:
                        responses[status] = PROBLEM_RESPONSE
        return schema


def gate(run):
    @wraps(run)
    def checked(request, *args, **kwargs):
        with translation.override(problems.language_of(request)):
            return _checked(run, request, *args, **kwargs)

    return checked


def _checked(run, request, *args, **kwargs):
    scheme, _sep, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return problems.from_exception(request, AuthenticationError())
    try:
        key = authenticate(token.strip())
    except KeyRefused as e:
        return problems.from_exception(request, e)
    wait = wait_for(key.prefix)
    if wait is not None:
        return problems.problem(request, 429, code="rate_limited", headers={"Retry-After": str(wait)},
                                detail=translation.gettext("Too many requests with this key. Retry in %(seconds)d s.")
                                % {"seconds": wait})
    request.api_key = key
    if request.method in WRITES:
        return run_once(request, key.organisation_id, lambda: run(request, *args, **kwargs), principal=key.prefix)
    return run(request, *args, **kwargs)


def build() -> NinjaAPI:
    api = FacturierApi(title="Facturier API", version="1", description=DESCRIPTION, urls_namespace="api",
                   auth=KeyBearer(), docs=LocalSwagger(settings={"persistAuthorization": False}),
                   docs_url="/docs", openapi_url="/openapi.json")
    api.add_decorator(gate, mode="view")

    # ninja's own handlers (validation, auth, HTTP errors) are replaced too: one format for every error
    for exc_class in (Exception, *list(api._exception_handlers)):
        api.add_exception_handler(exc_class, problems.from_exception)

    for prefix, router in ROUTERS:
        api.add_router(prefix, router)
    return api


api = build()
