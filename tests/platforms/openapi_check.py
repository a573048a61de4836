"""Check every request the platform client sends and every answer it accepts against the two AFNOR OpenAPI
files (Flow Service and Directory Service 1.3.0), with openapi-core.

The files are read in place from <checkout>/../shared/specs/afnor-xp-z12-013 (never copied into the
repository); without them `specs_or_skip()` skips the test, saying so.

Usage (a fixture does it): `with OpenApiCheck(flow_url=..., directory_url=..., token_url=...) as check: ...`
then `check.checked` counts the exchanges checked; an exchange that breaks a file fails the test on the spot
(AssertionError from inside the client call) and is listed in `check.failures`.

Two things of the files are adapted, nothing else: their `servers` (templated https://{sub-domain}.{domain}…)
are replaced by the base URL under test, so paths resolve; and the Flow file's `ReasonCode`, written
`oneOf: [ReasonCodeEnum, {type: string}]`, is read as the `anyOf` it means (with `oneOf` every predefined code
matches both branches and is refused — a defect of the file, like those listed in ../shared/specs/README.md). The
OAuth2 token endpoint is not part of either file (RFC 6749): those exchanges are counted apart.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

SPECS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "specs" / "afnor-xp-z12-013").resolve()
FLOW_FILE = SPECS / "flow-service-1.3.0.openapi.json"
DIRECTORY_FILE = SPECS / "directory-service-1.3.0.openapi.json"


def specs_or_skip() -> Path:
    if not (FLOW_FILE.is_file() and DIRECTORY_FILE.is_file()):
        pytest.skip(f"the AFNOR OpenAPI files are not beside the checkout ({SPECS}): the OpenAPI checks cannot run")
    return SPECS


_loaded: dict[Path, dict] = {}


def _spec(path: Path, base_url: str):
    from openapi_core import OpenAPI

    if path not in _loaded:
        _loaded[path] = json.loads(path.read_text())
    data = copy.deepcopy(_loaded[path])
    data["servers"] = [{"url": base_url.rstrip("/")}]
    reason = data.get("components", {}).get("schemas", {}).get("ReasonCode")
    if reason and "oneOf" in reason:
        reason["anyOf"] = reason.pop("oneOf")
    return OpenAPI.from_dict(data)


def check_webhook_event(payload: dict) -> None:
    """A webhook event's body against the Flow file's callback (`WebhookCallback`: a `Flow`)."""
    from openapi_schema_validator import OAS30Validator

    specs_or_skip()
    data = json.loads(FLOW_FILE.read_text())
    components = data["components"]
    reason = components["schemas"]["ReasonCode"]
    if "oneOf" in reason:  # the defect described above
        reason["anyOf"] = reason.pop("oneOf")
    callback = components["callbacks"]["WebhookCallback"]
    (operation,) = callback.values()
    schema = operation["post"]["requestBody"]["content"]["application/json"]["schema"]
    OAS30Validator({**schema, "components": components}).validate(payload)


class _Request:
    def __init__(self, request):
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        url = urlsplit(str(request.url))
        self.host_url = f"{url.scheme}://{url.netloc}"
        self.path = url.path
        self.method = request.method.lower()
        self.body = request.read() or None
        self.content_type = request.headers.get("content-type", "")
        self.parameters = RequestParameters(query=ImmutableMultiDict(parse_qsl(url.query, keep_blank_values=True)),
                                            header=Headers(list(request.headers.items())),
                                            cookie=ImmutableMultiDict())


class _Response:
    def __init__(self, response):
        from werkzeug.datastructures import Headers

        self.status_code = response.status_code
        self.headers = Headers(list(response.headers.items()))
        self.content_type = response.headers.get("content-type", "")
        self.data = response.content or b""


class OpenApiCheck:
    def __init__(self, *, flow_url: str, directory_url: str, token_url: str = ""):
        specs_or_skip()
        self.bases = [(flow_url.rstrip("/"), _spec(FLOW_FILE, flow_url)),
                      (directory_url.rstrip("/"), _spec(DIRECTORY_FILE, directory_url))]
        self.token_url = token_url
        self.checked = 0
        self.token_exchanges = 0
        self.failures: list[str] = []
        self._observing = None

    def _api(self, url: str):
        for base, api in self.bases:
            if url.startswith(base + "/"):
                return api
        return None

    def _fail(self, what: str, error: Exception) -> None:
        detail = f"{what}: {error}"
        cause = getattr(error, "__cause__", None)
        if cause is not None:
            detail += f" ({cause})"
            for sub in getattr(cause, "schema_errors", ()) or ():
                detail += f"; {sub.message}"
        self.failures.append(detail)
        raise AssertionError(detail)

    def request(self, request) -> None:
        url = str(request.url)
        if self.token_url and url.split("?")[0] == self.token_url:
            self.token_exchanges += 1
            return
        api = self._api(url)
        if api is None:
            self._fail(f"{request.method} {url}", AssertionError("not a path of either OpenAPI file"))
        try:
            api.validate_request(_Request(request))
        except Exception as e:  # noqa: BLE001 — reported as the test's failure
            self._fail(f"request {request.method} {url}", e)

    def response(self, response) -> None:
        request = response.request
        url = str(request.url)
        if self.token_url and url.split("?")[0] == self.token_url:
            return
        api = self._api(url)
        try:
            api.validate_response(_Request(request), _Response(response))
        except Exception as e:  # noqa: BLE001
            self._fail(f"answer {response.status_code} to {request.method} {url}", e)
        self.checked += 1

    def __enter__(self) -> OpenApiCheck:
        from facturier.platforms.client import observe

        self._observing = observe(request=self.request, response=self.response)
        self._observing.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._observing.__exit__(*exc)
