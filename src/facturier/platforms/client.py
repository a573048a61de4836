"""A client of an approved platform's two services (AFNOR XP Z12-013 annexes A and B, version 1.3.0):
the Flow Service (submit, search, download flows; webhooks; health) and the Directory Service (SIREN,
SIRET, routing codes, directory lines), on httpx.

No maintained Python library implements these APIs (the OpenAPI files are recent and PA-specific SDKs
are proprietary); generating one from the files would carry their defects (below) into code we cannot
fix, so this is a small hand-written client, checked request by request and answer by answer against
the two OpenAPI files in the tests (tests/platforms/openapi_check.py).

Known defects of the Flow OpenAPI this client codes around (see ../shared/specs/README.md):
- the description speaks of webhook "update" and "get" and of a `/flows/webhooks` path: only
  `GET/POST /v1/webhooks` and `DELETE /v1/webhooks/{webhookUid}` exist, so only those are called;
- the callback expression names `callback.url` while the property is `callbackUrl`: `callbackUrl` is
  sent;
- `WebhookListResponse` requires a `webhookIds` property it does not define (it defines `webhooks`):
  both are read, whichever the platform sends;
- `ReasonCode` is `oneOf: [ReasonCodeEnum, string]`: every predefined code matches both branches, so a strict
  validator refuses exactly the codes the file defines (it means `anyOf`); the client reads any string;
- `FlowInfo` has no `flowType`: the platform computes it, so `submit(flow_type=...)` is not sent and only
  kept on the returned `SubmittedFlow` for the caller.

Every outbound connection goes through the installation's private-address policy
(`facturier.engine.net`): a platform URL resolving to a private or loopback address is refused unless the
operator allows private hosts (FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS) or it is the PA simulator that
`facturier run` started (FACTURIER_PA_SIMULATOR_ADDRESS), and the connection goes to the address checked.

Tokens (OAuth2 client credentials) are cached in memory per connection and credentials, refreshed shortly
before they expire and once more when the platform answers 401 to a request made with one.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import ipaddress
import json
import os
import socket
import ssl
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from facturier.engine import net
from facturier.errors import FacturierError
from facturier.platforms.models import AuthKind, PlatformConnection, secret_of
from facturier.platforms.selectors import connection_for

__all__ = [
    "Company", "DirectoryClient", "DirectoryLine", "Flow", "FlowClient", "FlowPage", "PlatformError", "Refused",
    "Step", "SubmittedFlow", "TokenRejected", "Unreachable", "Webhook", "connection_for", "forget_tokens",
    "observe",
]

DEFAULT_TIMEOUT = 15.0
TOKEN_MARGIN_SECONDS = 30  # a token this close to its expiry is renewed before use


class Step:
    """The steps a call to a platform goes through, named in errors and in the connection test."""

    TOKEN = "token"
    HEALTH = "health"
    FLOW_SUBMIT = "flow_submit"
    FLOW_SEARCH = "flow_search"
    FLOW_DOWNLOAD = "flow_download"
    WEBHOOK = "webhook"
    DIRECTORY_HEALTH = "directory_health"
    DIRECTORY = "directory"

    LABELS = {
        TOKEN: _("Sign-in (access token)"),
        HEALTH: _("Flow Service health check"),
        FLOW_SUBMIT: _("Flow submission"),
        FLOW_SEARCH: _("Flow search (authenticated call)"),
        FLOW_DOWNLOAD: _("Flow download"),
        WEBHOOK: _("Webhook subscription"),
        DIRECTORY_HEALTH: _("Directory Service health check"),
        DIRECTORY: _("Directory lookup"),
    }


# -- errors -------------------------------------------------------------------------------------------------


class PlatformError(FacturierError):
    """A call to the platform failed at `step`. `temporary`: trying again later may succeed."""

    code = "platform"

    def __init__(self, step: str, message: Any, *, temporary: bool = False, **params: Any):
        self.step = step
        self.temporary = temporary
        self.detail = str(params.get("detail", ""))
        super().__init__(message, **params)

    @property
    def step_label(self) -> str:
        return str(Step.LABELS.get(self.step, self.step))

    @property
    def reason(self) -> str:
        """The message without the step's name."""
        return FacturierError.message.fget(self)

    @property
    def message(self) -> str:
        return f"{self.step_label}: {self.reason}"


class TokenRejected(PlatformError):
    """The platform refused the credentials (wrong client id or secret, revoked bearer token)."""

    code = "platform_token"


class Unreachable(PlatformError):
    """The platform could not be reached or did not answer in time. `maybe_received`: the request was sent
    whole before the failure, so the platform may have acted on it (a submission must not be repeated
    blindly)."""

    code = "platform_unreachable"

    def __init__(self, step: str, message: Any, *, maybe_received: bool = False, **kwargs: Any):
        kwargs.setdefault("temporary", True)
        super().__init__(step, message, **kwargs)
        self.maybe_received = maybe_received


class Refused(PlatformError):
    """The platform answered with an error status; `problem` is its Error body (errorCode, errorMessage…)."""

    code = "platform_refused"

    def __init__(self, step: str, message: Any, *, status: int, problem: dict | None = None, **kwargs: Any):
        kwargs.setdefault("temporary", status >= 500 or status in (408, 429))
        super().__init__(step, message, status=status, **kwargs)
        self.status = status
        self.problem = problem or {}


class _PlainHttp(Exception):
    """Raised inside the transport for an http:// platform URL the policy refuses."""


class _Blocked(Exception):
    """Raised inside the transport when the policy refuses an address; turned into a PlatformError."""

    def __init__(self, error: net.HostNotFound | net.HostRefused):
        super().__init__(str(error))
        self.error = error


# -- observation (the tests check every request and answer against the OpenAPI files) ------------------------

_observers: list[tuple[Callable[[httpx.Request], None] | None, Callable[[httpx.Response], None] | None]] = []


@contextlib.contextmanager
def observe(*, request: Callable[[httpx.Request], None] | None = None,
            response: Callable[[httpx.Response], None] | None = None) -> Iterator[None]:
    """Call `request(req)` before each request and `response(resp)` (body read) after each answer of every
    client made while the block runs (tests: OpenAPI checks)."""
    pair = (request, response)
    _observers.append(pair)
    try:
        yield
    finally:
        _observers.remove(pair)


def _on_request(req: httpx.Request) -> None:
    for hook, _r in list(_observers):
        if hook:
            hook(req)


def _on_response(resp: httpx.Response) -> None:
    hooks = [h for _q, h in list(_observers) if h]
    if hooks:
        resp.read()
        for hook in hooks:
            hook(resp)


# -- transport: the private-address policy -----------------------------------------------------------------


def _simulator_exception(addresses: list[str], port: int) -> bool:
    """The PA simulator `facturier run` started is the one loopback server allowed without the operator's leave."""
    published = os.environ.get("FACTURIER_PA_SIMULATOR_ADDRESS", "")
    host, _sep, sim_port = published.rpartition(":")
    if not host or not sim_port.isdigit() or int(sim_port) != port:
        return False
    try:
        return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)
    except ValueError:
        return False


class _CheckedBackend(httpcore.SyncBackend):
    def __init__(self, allow_private: bool):
        self.allow_private = allow_private

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            resolved = net.resolve_public(host, port, allow_private=self.allow_private,
                                          exception=_simulator_exception)
        except (net.HostNotFound, net.HostRefused) as e:
            raise _Blocked(e) from None
        try:
            sock = net.pinned_connection(resolved, timeout or DEFAULT_TIMEOUT,
                                         (local_address, 0) if local_address else None)
        except TimeoutError as e:
            raise httpcore.ConnectTimeout(str(e)) from e
        except OSError as e:
            raise httpcore.ConnectError(str(e)) from e
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for option in socket_options or ():
            sock.setsockopt(*option)
        from httpcore._backends.sync import SyncStream

        return SyncStream(sock)


def _ssl_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca_file = getattr(settings, "FACTURIER_OUTBOUND_CA_FILE", "")
    if ca_file:
        context.load_verify_locations(ca_file)
    return context


def _plain_http_allowed(url: httpx.URL, allow_private: bool) -> bool:
    """Credentials and invoices travel over https only, unless the operator allows private hosts (tests, a
    platform on the operator's network) or the host is the simulator `facturier run` started."""
    if url.scheme == "https" or allow_private:
        return True
    published = os.environ.get("FACTURIER_PA_SIMULATOR_ADDRESS", "")
    return bool(published) and published.rsplit(":", 1)[-1] == str(url.port) and url.host in (
        "127.0.0.1", "localhost", "::1")


class CheckedTransport(httpx.HTTPTransport):
    """httpx's transport, with every TCP connection resolved once, checked by the policy and pinned."""

    def __init__(self, *, allow_private: bool | None = None):
        context = _ssl_context()
        super().__init__(verify=context, retries=0)
        if allow_private is None:
            allow_private = bool(getattr(settings, "FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS", False))
        self.allow_private = allow_private
        self._pool = httpcore.ConnectionPool(ssl_context=context, network_backend=_CheckedBackend(allow_private),
                                             max_connections=20, max_keepalive_connections=10,
                                             keepalive_expiry=30.0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not _plain_http_allowed(request.url, self.allow_private):
            raise _PlainHttp(str(request.url.host))
        return super().handle_request(request)


def http_client(*, timeout: float = DEFAULT_TIMEOUT, allow_private: bool | None = None) -> httpx.Client:
    return httpx.Client(transport=CheckedTransport(allow_private=allow_private), timeout=timeout,
                        follow_redirects=False, event_hooks={"request": [_on_request], "response": [_on_response]},
                        headers={"User-Agent": "Facturier"})


# -- tokens -----------------------------------------------------------------------------------------------

_tokens: dict[tuple, tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def forget_tokens(connection_id: int | None = None) -> None:
    """Drop cached tokens (of one connection, or all): the next call asks for a new one."""
    with _tokens_lock:
        for key in [k for k in _tokens if connection_id is None or k[0] == connection_id]:
            del _tokens[key]


@dataclass(frozen=True, slots=True)
class _Credentials:
    connection_id: int | None
    auth_kind: str
    token_url: str
    scope: str
    client_id: str
    client_secret: str
    bearer_token: str
    organization_id: str

    @property
    def cache_key(self) -> tuple:
        digest = hashlib.sha256(f"{self.token_url}\0{self.client_id}\0{self.client_secret}\0{self.scope}"
                                .encode()).hexdigest()
        return (self.connection_id, digest)

    @classmethod
    def of(cls, connection: PlatformConnection) -> _Credentials:
        platform = connection.platform
        return cls(connection.pk, platform.auth_kind, platform.token_url, platform.scope, connection.client_id,
                   secret_of(connection, "client_secret").decode(), secret_of(connection, "bearer_token").decode(),
                   connection.organization_id)


# -- result types -----------------------------------------------------------------------------------------


def _when(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class SubmittedFlow:
    flow_id: str
    tracking_id: str | None
    name: str
    flow_syntax: str
    processing_rule: str | None
    sha256: str | None
    submitted_at: dt.datetime | None
    flow_type: str | None = None
    raw: dict = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class Flow:
    """A flow as the platform describes it (search results, Metadata, webhook events)."""

    flow_id: str
    name: str
    flow_syntax: str
    flow_type: str
    flow_direction: str
    processing_rule: str
    flow_profile: str | None
    tracking_id: str | None
    submitted_at: dt.datetime | None
    updated_at: dt.datetime | None
    ack_status: str
    ack_details: tuple[dict, ...]
    raw: dict = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, data: dict) -> Flow:
        ack = data.get("acknowledgement") or {}
        return cls(
            flow_id=str(data.get("flowId", "")), name=data.get("name", ""), flow_syntax=data.get("flowSyntax", ""),
            flow_type=data.get("flowType", ""), flow_direction=data.get("flowDirection", ""),
            processing_rule=data.get("processingRule", ""), flow_profile=data.get("flowProfile"),
            tracking_id=data.get("trackingId"), submitted_at=_when(data.get("submittedAt")),
            updated_at=_when(data.get("updatedAt")), ack_status=ack.get("status", ""),
            ack_details=tuple(ack.get("details") or ()), raw=data)


@dataclass(frozen=True, slots=True)
class FlowPage:
    flows: list[Flow]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Webhook:
    webhook_id: str
    callback_url: str = ""
    signing_key: bytes = b""
    """The raw key (the platform sends it base64-encoded); empty in listings."""
    flow_types: tuple[str, ...] = ()
    created_at: dt.datetime | None = None


SCHEME_0225 = "0225"


@dataclass(frozen=True, slots=True)
class DirectoryLine:
    """One line of the directory: an addressing identifier (scheme 0225) and the recipient it reaches."""

    addressing_identifier: str
    siren: str
    siret: str = ""
    routing_identifier: str = ""
    suffix: str = ""
    platform_type: str = ""
    """"WK" (a PA) or "DFH" (the public portal), as the directory says."""
    status: str = ""
    name: str = ""
    raw: dict = field(default_factory=dict, repr=False)

    scheme = SCHEME_0225

    @property
    def kind(self) -> str:
        """SIREN, SIREN_SIRET, SIREN_SIRET_ROUTINGCODE or SIREN_SUFFIX."""
        if self.suffix:
            return "SIREN_SUFFIX"
        if self.siret and self.routing_identifier:
            return "SIREN_SIRET_ROUTINGCODE"
        if self.siret:
            return "SIREN_SIRET"
        return "SIREN"

    @property
    def platform(self) -> str:
        return self.platform_type

    @classmethod
    def of(cls, data: dict) -> DirectoryLine:
        routing = data.get("routingCode") or {}
        legal = data.get("legalUnit") or {}
        return cls(addressing_identifier=data.get("addressingIdentifier", ""), siren=data.get("siren", ""),
                   siret=data.get("siret") or "", routing_identifier=data.get("routingIdentifier")
                   or routing.get("routingIdentifier") or "", suffix=data.get("addressingSuffix") or "",
                   platform_type=data.get("platformType") or "", status=data.get("directoryLineStatus") or "",
                   name=legal.get("businessName") or "", raw=data)


@dataclass(frozen=True, slots=True)
class Company:
    siren: str
    name: str
    entity_type: str
    administrative_status: str
    raw: dict = field(default_factory=dict, repr=False)


# -- the base client ---------------------------------------------------------------------------------------

_UNREACHABLE = _("The platform could not be reached (%(detail)s). Facturier will try again.")
_TIMEOUT = _("The platform did not answer in time.")
_DNS = _("The platform's server name %(host)s cannot be found (DNS). Check the platform's URLs.")
_PRIVATE = _("The platform's server %(host)s resolves to a private or local address (%(address)s), which this "
             "installation does not connect to. Ask the operator to check the platform's URLs or to allow "
             "private hosts.")
_PLAIN = _("The platform's address %(host)s is not https: Facturier sends credentials and invoices over "
           "encrypted connections only. Ask the operator to give the platform's https:// URLs.")
_TOKEN_REFUSED = _("The platform refused the client id or secret. Check them in Settings → Approved platform.")
_BEARER_REFUSED = _("The platform refused the access token. Check it in Settings → Approved platform.")
_TOKEN_ANSWER = _("The platform's sign-in service gave an answer Facturier cannot read (HTTP %(status)s).")
_NO_CREDENTIALS = _("No client id and secret (or token) are set for this connection.")
_NO_TOKEN_URL = _("The platform has no token URL: ask the operator to set it.")
_REFUSED = _("The platform answered HTTP %(status)s: %(problem_text)s")
_UNREADABLE = _("The platform's answer cannot be read (%(detail)s).")


def _problem_text(problem: dict, response: httpx.Response) -> str:
    text = " — ".join(str(problem[k]) for k in ("errorCode", "errorMessage", "details") if problem.get(k))
    return text or response.reason_phrase or str(response.status_code)


class _Client:
    base_attr = ""

    def __init__(self, connection: PlatformConnection, *, timeout: float = DEFAULT_TIMEOUT,
                 allow_private: bool | None = None, http: httpx.Client | None = None):
        self.connection = connection
        self.base_url = getattr(connection.platform, self.base_attr).rstrip("/")
        self.credentials = _Credentials.of(connection)
        self._http = http or http_client(timeout=timeout, allow_private=allow_private)
        self._owns_http = http is None

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # tokens
    def token(self, *, renew: bool = False) -> str:
        """The bearer to send: the connection's token, or an OAuth2 access token (cached until it expires)."""
        creds = self.credentials
        if creds.auth_kind == AuthKind.BEARER:
            if not creds.bearer_token:
                raise TokenRejected(Step.TOKEN, _NO_CREDENTIALS)
            return creds.bearer_token
        key = creds.cache_key
        now = time.monotonic()
        with _tokens_lock:
            cached = _tokens.get(key)
            if cached and not renew and cached[1] - TOKEN_MARGIN_SECONDS > now:
                return cached[0]
        token, lifetime = self._fetch_token()
        with _tokens_lock:
            _tokens[key] = (token, now + lifetime)
        return token

    def _fetch_token(self) -> tuple[str, float]:
        creds = self.credentials
        if not creds.client_id or not creds.client_secret:
            raise TokenRejected(Step.TOKEN, _NO_CREDENTIALS)
        if not creds.token_url:
            raise TokenRejected(Step.TOKEN, _NO_TOKEN_URL)
        form = {"grant_type": "client_credentials"}
        if creds.scope:
            form["scope"] = creds.scope
        # client_secret_basic (RFC 6749 §2.3.1): id and secret form-urlencoded, then base64
        pair = f"{urllib.parse.quote_plus(creds.client_id)}:{urllib.parse.quote_plus(creds.client_secret)}"
        response = self._send(Step.TOKEN, "POST", creds.token_url, data=form, authenticated=False,
                              headers={"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()})
        if response.status_code in (400, 401, 403):
            try:
                problem = response.json()
            except ValueError:
                problem = {}
            raise TokenRejected(Step.TOKEN, _TOKEN_REFUSED, status=response.status_code,
                                error=problem.get("error", "") if isinstance(problem, dict) else "")
        if response.status_code != 200:
            self._raise(Step.TOKEN, response)
        try:
            body = response.json()
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in") or 300)
        except (ValueError, KeyError, TypeError):
            raise PlatformError(Step.TOKEN, _TOKEN_ANSWER, temporary=True, status=response.status_code) from None
        return token, lifetime

    # requests
    def _headers(self) -> dict[str, str]:
        headers = {"Request-Id": str(uuid.uuid4())}
        if self.credentials.organization_id:
            headers["Organization-Id"] = self.credentials.organization_id
        return headers

    def _send(self, step: str, method: str, url: str, *, authenticated: bool = True, token: str | None = None,
              **kwargs: Any) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        if authenticated:
            headers["Authorization"] = f"Bearer {token}"
        sent = False
        try:
            request = self._http.build_request(method, url, headers=headers, **kwargs)
            sent = True  # from here a read timeout means the request may have arrived
            return self._http.send(request)
        except _PlainHttp as e:
            raise Unreachable(step, _PLAIN, temporary=False, host=str(e)) from None
        except _Blocked as e:
            if isinstance(e.error, net.HostRefused):
                raise Unreachable(step, _PRIVATE, temporary=False, host=e.error.host, address=e.error.address,
                                  detail=str(e)) from None
            raise Unreachable(step, _DNS, host=httpx.URL(url).host, detail=str(e)) from None
        except httpx.ConnectTimeout as e:
            raise Unreachable(step, _UNREACHABLE, detail=str(e) or "connect timeout") from None
        except httpx.ConnectError as e:
            raise Unreachable(step, _UNREACHABLE, detail=str(e) or "connection refused") from None
        except httpx.TimeoutException as e:
            raise Unreachable(step, _TIMEOUT, maybe_received=sent, detail=str(e) or type(e).__name__) from None
        except (httpx.TransportError, httpx.UnsupportedProtocol, httpx.InvalidURL) as e:
            raise Unreachable(step, _UNREACHABLE, maybe_received=sent, detail=str(e) or type(e).__name__) from None

    def _call(self, step: str, method: str, path: str, *, ok: tuple[int, ...] = (200,),
              **kwargs: Any) -> httpx.Response:
        """An authenticated call; a 401 renews the token once and tries again."""
        url = f"{self.base_url}{path}"
        headers = self._headers()
        token = self._token_for(step)
        response = self._send(step, method, url, token=token, headers=dict(headers), **kwargs)
        if response.status_code == 401:
            if self.credentials.auth_kind == AuthKind.BEARER:
                raise TokenRejected(step, _BEARER_REFUSED)
            token = self._token_for(step, renew=True)
            response = self._send(step, method, url, token=token, headers=dict(headers), **kwargs)
            if response.status_code == 401:
                raise TokenRejected(step, _TOKEN_REFUSED)
        if response.status_code not in ok:
            self._raise(step, response)
        return response

    def _token_for(self, step: str, *, renew: bool = False) -> str:
        return self.token(renew=renew)

    @staticmethod
    def _raise(step: str, response: httpx.Response):
        try:
            problem = response.json()
            if not isinstance(problem, dict):
                problem = {}
        except ValueError:
            problem = {}
        raise Refused(step, _REFUSED, status=response.status_code, problem=problem,
                      problem_text=_problem_text(problem, response))

    @staticmethod
    def _json(step: str, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as e:
            raise PlatformError(step, _UNREADABLE, temporary=True, detail=str(e)) from None


# -- Flow Service ------------------------------------------------------------------------------------------


class FlowClient(_Client):
    """The Flow Service of the connection's platform."""

    base_attr = "flow_url"

    def health(self) -> None:
        """GET /v1/healthcheck (authenticated: the file's global security applies to it)."""
        self._call(Step.HEALTH, "GET", "/v1/healthcheck")

    def submit(self, *, file_name: str, data: bytes, flow_syntax: str, processing_rule: str | None = None,
               tracking_id: str | None = None, flow_profile: str | None = None,
               flow_type: str | None = None) -> SubmittedFlow:
        """POST /v1/flows: multipart `flowInfo` (JSON) + `file`, with the file's SHA-256 for the platform to
        check. `flow_type` is not sent (FlowInfo has no such property; the platform computes it)."""
        info: dict[str, Any] = {"name": file_name, "flowSyntax": flow_syntax,
                                "sha256": hashlib.sha256(data).hexdigest()}
        if tracking_id:
            info["trackingId"] = str(tracking_id)
        if processing_rule:
            info["processingRule"] = processing_rule
        if flow_profile:
            info["flowProfile"] = flow_profile
        content_type = "application/pdf" if data[:5] == b"%PDF-" else "application/xml"
        files = {"flowInfo": (None, json.dumps(info).encode(), "application/json"),
                 "file": (file_name, data, content_type)}
        response = self._call(Step.FLOW_SUBMIT, "POST", "/v1/flows", ok=(200, 201, 202), files=files)
        body = self._json(Step.FLOW_SUBMIT, response)
        if not isinstance(body, dict) or not body.get("flowId"):
            raise PlatformError(Step.FLOW_SUBMIT, _UNREADABLE, temporary=False, detail="no flowId")
        return SubmittedFlow(flow_id=str(body["flowId"]), tracking_id=body.get("trackingId"),
                             name=body.get("name", file_name), flow_syntax=body.get("flowSyntax", flow_syntax),
                             processing_rule=body.get("processingRule"), sha256=body.get("sha256"),
                             submitted_at=_when(body.get("submittedAt")), flow_type=flow_type, raw=body)

    def search(self, *, cursor: str | None = None, limit: int | None = None,
               updated_after: dt.datetime | None = None, updated_before: dt.datetime | None = None,
               flow_types: list[str] | None = None, directions: list[str] | None = None,
               processing_rules: list[str] | None = None, tracking_id: str | None = None,
               ack_status: str | None = None) -> FlowPage:
        """POST /v1/flows/search. The spec wants at least one criterion: with none, `updatedAfter` is the
        epoch. Pass `cursor` = the previous page's `next_cursor` (with the same criteria) to go on."""
        where: dict[str, Any] = {}
        if updated_after:
            where["updatedAfter"] = _iso(updated_after)
        if updated_before:
            where["updatedBefore"] = _iso(updated_before)
        if flow_types:
            where["flowType"] = list(flow_types)
        if directions:
            where["flowDirection"] = list(directions)
        if processing_rules:
            where["processingRule"] = list(processing_rules)
        if tracking_id:
            where["trackingId"] = str(tracking_id)
        if ack_status:
            where["ackStatus"] = ack_status
        if not where:
            where["updatedAfter"] = "1970-01-01T00:00:00.000Z"
        body: dict[str, Any] = {"where": where}
        if cursor:
            body["cursor"] = cursor
        if limit:
            body["limit"] = min(int(limit), 100)
        response = self._call(Step.FLOW_SEARCH, "POST", "/v1/flows/search", json=body)
        data = self._json(Step.FLOW_SEARCH, response)
        return FlowPage(flows=[Flow.of(f) for f in data.get("results") or []], next_cursor=data.get("nextCursor"))

    def search_all(self, **criteria: Any) -> Iterator[Flow]:
        """Every flow matching, page after page."""
        cursor = None
        while True:
            page = self.search(cursor=cursor, **criteria)
            yield from page.flows
            if not page.next_cursor or not page.flows:
                return
            cursor = page.next_cursor

    def get(self, flow_id: str) -> Flow:
        """GET /v1/flows/{flowId} (docType Metadata)."""
        response = self._call(Step.FLOW_DOWNLOAD, "GET", f"/v1/flows/{flow_id}", params={"docType": "Metadata"})
        return Flow.of(self._json(Step.FLOW_DOWNLOAD, response))

    def download(self, flow_id: str, doc_type: str = "Original") -> bytes:
        """GET /v1/flows/{flowId}?docType=Original|Converted|ReadableView: the file's bytes (Metadata: its JSON)."""
        response = self._call(Step.FLOW_DOWNLOAD, "GET", f"/v1/flows/{flow_id}", params={"docType": doc_type})
        return response.content

    # webhooks (only the three operations the paths define; see the module's note on the spec's defects)
    def webhooks(self) -> list[Webhook]:
        data = self._json(Step.WEBHOOK, self._call(Step.WEBHOOK, "GET", "/v1/webhooks"))
        items = data.get("webhooks")
        if items is None:  # the schema's `required: [webhookIds]`: a platform may send ids only
            items = [{"webhookId": i} for i in data.get("webhookIds") or []]
        return [Webhook(webhook_id=str(w.get("webhookId", "")), callback_url=w.get("callbackUrl", ""),
                        flow_types=tuple(w.get("flowTypes") or ()), created_at=_when(w.get("createdAt")))
                for w in items]

    def webhook_create(self, *, callback_url: str, flow_types: list[str] | None = None,
                       direction: str | None = None) -> Webhook:
        body: dict[str, Any] = {"callbackUrl": callback_url}  # not "callback.url": see the module's note
        if flow_types:
            body["flowTypes"] = list(flow_types)
        if direction:
            body["flowDirection"] = direction
        data = self._json(Step.WEBHOOK, self._call(Step.WEBHOOK, "POST", "/v1/webhooks", ok=(200, 201), json=body))
        try:
            key = base64.b64decode(data.get("signingKey") or "", validate=True)
        except ValueError:
            key = str(data.get("signingKey") or "").encode()
        return Webhook(webhook_id=str(data.get("webhookId", "")), callback_url=callback_url, signing_key=key,
                       flow_types=tuple(flow_types or ()), created_at=_when(data.get("createdAt")))

    def webhook_delete(self, webhook_id: str) -> None:
        self._call(Step.WEBHOOK, "DELETE", f"/v1/webhooks/{webhook_id}", ok=(200, 204))


# -- Directory Service -------------------------------------------------------------------------------------


class DirectoryClient(_Client):
    """The Directory Service of the connection's platform."""

    base_attr = "directory_url"

    def health(self) -> None:
        self._call(Step.DIRECTORY_HEALTH, "GET", "/v1/healthcheck")

    def _search(self, path: str, body: dict) -> list[dict]:
        response = self._call(Step.DIRECTORY, "POST", path, ok=(200, 404), json=body)
        if response.status_code == 404:
            return []
        return list(self._json(Step.DIRECTORY, response).get("results") or [])

    def lines_for_siren(self, siren: str, *, limit: int = 100) -> list[DirectoryLine]:
        """Every directory line of a SIREN (its own, its establishments', routing codes', suffixes')."""
        body = {"filters": {"siren": {"op": "strict", "value": siren}}, "include": ["siren"], "limit": limit}
        return [DirectoryLine.of(d) for d in self._search("/v1/directory-line/search", body)]

    def lines_for_siret(self, siret: str, *, limit: int = 100) -> list[DirectoryLine]:
        body = {"filters": {"siret": {"op": "strict", "value": siret}}, "include": ["siren"], "limit": limit}
        return [DirectoryLine.of(d) for d in self._search("/v1/directory-line/search", body)]

    def line(self, addressing_identifier: str) -> DirectoryLine | None:
        response = self._call(Step.DIRECTORY, "GET", f"/v1/directory-line/code:{addressing_identifier}",
                              ok=(200, 404))
        return None if response.status_code == 404 else DirectoryLine.of(self._json(Step.DIRECTORY, response))

    def company(self, siren: str) -> Company | None:
        response = self._call(Step.DIRECTORY, "GET", f"/v1/siren/code-insee:{siren}", ok=(200, 404))
        if response.status_code == 404:
            return None
        data = self._json(Step.DIRECTORY, response)
        return Company(siren=data.get("siren", siren), name=data.get("businessName", ""),
                       entity_type=data.get("entityType", ""),
                       administrative_status=data.get("administrativeStatus", ""), raw=data)

    def companies(self, siren: str) -> list[Company]:
        body = {"filters": {"siren": {"op": "strict", "value": siren}}}
        return [Company(siren=d.get("siren", ""), name=d.get("businessName", ""),
                        entity_type=d.get("entityType", ""), administrative_status=d.get("administrativeStatus", ""),
                        raw=d) for d in self._search("/v1/siren/search", body)]

    def facility(self, siret: str) -> dict | None:
        response = self._call(Step.DIRECTORY, "GET", f"/v1/siret/code-insee:{siret}", ok=(200, 404))
        return None if response.status_code == 404 else self._json(Step.DIRECTORY, response)

    def routing_codes(self, siret: str) -> list[dict]:
        body = {"filters": {"siret": {"op": "strict", "value": siret}}}
        return self._search("/v1/routing-code/search", body)
