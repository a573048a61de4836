"""Request bodies are bounded per route, while they are read, before anything else runs.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE leaves file data out, and Django's ASGI handler reads a whole
body into a spooled file before the first middleware: a 150 MiB POST to the sign-in page was
received, spooled and parsed before anyone looked at it. The ASGI wrapper sits outside Django: a
declared length over the route's limit is answered 413 at once, unread; a body without a declared
length (chunked) is counted as it arrives and cut at the limit. Under WSGI Django reads bodies
lazily, so the same rule as the first middleware refuses before anything reads.

Limits: the sign-in and password pages take a few kilobytes; everything else
FACTURIER_REQUEST_MAX_BYTES (2 MiB by default: the largest form, a logo or a certificate, is well
under it). A route that needs more (imports, the API) gets its own entry in `ROUTE_LIMITS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpResponse

SIGN_IN_MAX_BYTES = 16 * 1024

# (path pattern, limit in bytes or the name of a setting); the first match wins.
ROUTE_LIMITS: list[tuple[re.Pattern, int | str]] = [
    (re.compile(r"^/(?:login|password/reset|2fa|admin/login|invitation)/"), SIGN_IN_MAX_BYTES),
    (re.compile(r"^/portal/[^/]+/(?:login|password|2fa|welcome)/"), SIGN_IN_MAX_BYTES),
    (re.compile(r"^/consent/"), SIGN_IN_MAX_BYTES),
    (re.compile(r"^/tsa/"), SIGN_IN_MAX_BYTES),
    (re.compile(r"^/imports/upload/"), "FACTURIER_IMPORT_MAX_UPLOAD_BYTES"),
    (re.compile(r"^/api/v1/imports/?$"), "FACTURIER_IMPORT_MAX_UPLOAD_BYTES"),
]


def limit_for(path: str) -> int:
    for pattern, limit in ROUTE_LIMITS:
        if pattern.match(path):
            return limit if isinstance(limit, int) else getattr(settings, limit)
    return settings.FACTURIER_REQUEST_MAX_BYTES


class RequestTooLarge(Exception):
    pass


def _refusal(limit: int, accept_language: str) -> tuple[bytes, bytes]:
    kib = max(1, limit // 1024)
    english = accept_language.lower().startswith("en")
    if kib >= 10 * 1024:  # an upload route: said in megabytes
        size = f"{kib // 1024} MB" if english else f"{kib // 1024} Mo"
    else:
        size = f"{kib} KB" if english else f"{kib} Ko"
    if english:
        text = f"The request is too large for this page ({size} at most)."
    else:
        text = f"La requête est trop volumineuse pour cette page ({size} au plus)."
    return text.encode("utf-8"), b"text/plain; charset=utf-8"


def _declared_length(value: str | None) -> int | None:
    """The Content-Length, or -1 when it is not a plain number (refused like a body too large)."""
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isdigit() else -1


class LimitRequestBodyASGI:
    """ASGI wrapper: 413 for a declared length over the limit; a chunked body cut at the limit."""

    def __init__(self, app, limit: Callable[[str], int] = limit_for):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.limit(scope.get("path", "/"))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        declared = _declared_length(headers.get("content-length"))
        language = headers.get("accept-language", "")
        if declared is not None and (declared < 0 or declared > limit):
            return await self._refuse(send, limit, language)
        received = 0
        started = False

        async def counted_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestTooLarge
            return message

        async def watched_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except RequestTooLarge:
            if not started:
                await self._refuse(send, limit, language)

    @staticmethod
    async def _refuse(send, limit: int, language: str) -> None:
        body, content_type = _refusal(limit, language)
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


class RequestSizeLimitMiddleware:
    """The same rule inside Django, first of the middleware: under WSGI (and the test client) the body
    is read lazily, so a declared length over the limit is refused here before anything reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = limit_for(request.path_info)
        declared = _declared_length(request.META.get("CONTENT_LENGTH") or None)
        if declared is not None and (declared < 0 or declared > limit):
            body, content_type = _refusal(limit, request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
            response = HttpResponse(body, status=413, content_type=content_type.decode())
            response["Connection"] = "close"
            return response
        return self.get_response(request)
