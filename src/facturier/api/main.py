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
from facturier.api.routers import archive, customers, deliveries, documents, payments

ROUTERS = [
    ("/customers", customers.router),
    ("/documents", documents.router),
    ("", payments.router),
    ("", deliveries.router),
    ("", archive.router),
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


def gate(run):
    @wraps(run)
    def checked(request, *args, **kwargs):
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
                                    detail=translation.gettext_lazy(
                                        "Too many requests with this key. Retry in %(seconds)d s.") % {"seconds": wait})
        request.api_key = key
        with translation.override(problems.language_of(request)):
            if request.method in WRITES:
                return run_once(request, key.organisation_id, lambda: run(request, *args, **kwargs))
            return run(request, *args, **kwargs)

    return checked


def build() -> NinjaAPI:
    api = NinjaAPI(title="Facturier API", version="1", description=DESCRIPTION, urls_namespace="api",
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
