"""The simulated approved platform: an HTTP server implementing the AFNOR XP Z12-013 Flow Service and
Directory Service (1.3.0), an OAuth2 token endpoint, webhook deliveries, asynchronous life-cycle statuses,
and fault injection. Django-free (stdlib http.server + sqlite3; the engine checks the files).

Paths: /auth/token (OAuth2 client credentials), /flow-service/v1/... , /directory-service/v1/... ,
/_admin/... (fault injection and scripted statuses; no authentication: the simulator serves loopback).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import email.parser
import email.policy
import hashlib
import html
import json
import logging
import os
import queue
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from facturier.platforms.signature import sign
from facturier.platforms.simulator import seed
from facturier.platforms.simulator.cdar import StatusEvent
from facturier.platforms.simulator.cdar import build as build_cdar
from facturier.platforms.simulator.inspect import IRRECEVABLE, REJECTED, ROUTING_ERROR, Verdict, inspect
from facturier.platforms.simulator.store import Store, now_iso

log = logging.getLogger("facturier.pa_simulator")

FLOW = "/flow-service"
DIRECTORY = "/directory-service"
TOKEN = "/auth/token"
ADMIN = "/_admin"

INVOICE_SYNTAXES = {"CII", "UBL", "Factur-X"}
PROFILES = {"Basic", "CIUS", "Extended-CTC-FR", "Undefined"}
RULES = {"B2B", "B2BInt", "B2C", "B2G", "B2GInt", "OutOfScope", "B2GOutOfScope", "ArchiveOnly", "NotApplicable",
         "Undefined"}
HAPPY_PATH = ("200", "202", "204", "205")
MAX_FILE = 100 * 1024 * 1024


# -- faults -------------------------------------------------------------------------------------------------


@dataclass
class Faults:
    """What the simulator should get wrong, for tests and the demo (also settable over POST /_admin/faults)."""

    fail_remaining: int = 0
    fail_status: int = 500
    fail_prefix: str = ""
    delay_remaining: int = 0
    delay_seconds: float = 0.0
    rejected_tracking_ids: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def fail_next(self, count: int = 1, *, status: int = 500, path_prefix: str = "") -> None:
        """The next `count` requests (under `path_prefix`, e.g. "/flow-service/v1/flows") answer `status`."""
        with self.lock:
            self.fail_remaining, self.fail_status, self.fail_prefix = count, status, path_prefix

    def delay_next(self, count: int, seconds: float) -> None:
        """The next `count` requests wait `seconds` before answering (longer than the client's timeout: a
        timeout). count=-1: every request until reset."""
        with self.lock:
            self.delay_remaining, self.delay_seconds = count, seconds

    def reject_tracking_id(self, tracking_id: str, *, status: str = REJECTED, reason_code: str = "REJ_SEMAN",
                           reason: str = "Rejected on request (fault injection).") -> None:
        with self.lock:
            self.rejected_tracking_ids[str(tracking_id)] = (status, reason_code, reason)

    def reset(self) -> None:
        with self.lock:
            self.fail_remaining = self.delay_remaining = 0
            self.delay_seconds = 0.0
            self.rejected_tracking_ids.clear()

    def take(self, path: str) -> tuple[int | None, float]:
        """For one incoming request: (status to fail with or None, seconds to wait)."""
        with self.lock:
            status = None
            if self.fail_remaining and path.startswith(self.fail_prefix):
                self.fail_remaining -= 1
                status = self.fail_status
            wait = 0.0
            if self.delay_remaining:
                if self.delay_remaining > 0:
                    self.delay_remaining -= 1
                wait = self.delay_seconds
            return status, wait


# -- the platform -------------------------------------------------------------------------------------------


class Platform:
    """The simulated PA's behaviour, independent of HTTP (the handler translates)."""

    def __init__(self, *, store: Store, clients: dict[str, str], bearer_tokens: dict[str, str], token_ttl: int,
                 status_delay: float, validation: str, directory: list[seed.Company]):
        self.store = store
        self.clients = dict(clients)
        self.bearer_tokens = dict(bearer_tokens)
        self.token_ttl = token_ttl
        self.status_delay = status_delay
        self.validation = validation
        self.directory = {c.siren: c for c in directory}
        self.faults = Faults()
        self.tokens: dict[str, tuple[str, float]] = {}
        self.tokens_lock = threading.Lock()
        self.deliveries: queue.Queue = queue.Queue()
        self.delivered: list[dict] = []  # what was delivered (tests read it)
        self.token_requests = 0

    # tokens
    def issue_token(self, client_id: str, secret: str) -> dict | None:
        self.token_requests += 1
        expected = self.clients.get(client_id)
        if expected is None or not secrets.compare_digest(expected.encode(), secret.encode()):
            return None
        token = secrets.token_urlsafe(32)
        with self.tokens_lock:
            self.tokens[token] = (client_id, time.time() + self.token_ttl)
        return {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl}

    def client_of(self, token: str) -> str | None:
        if token in self.bearer_tokens:
            return self.bearer_tokens[token]
        with self.tokens_lock:
            known = self.tokens.get(token)
        if known is None or known[1] <= time.time():
            return None
        return known[0]

    def expire_tokens(self) -> None:
        with self.tokens_lock:
            self.tokens = {t: (c, 0.0) for t, (c, _e) in self.tokens.items()}

    # flows
    def submit(self, owner: str, info: dict, file_name: str, data: bytes) -> dict:
        syntax = info["flowSyntax"]
        rule = info.get("processingRule")
        flow_type = _flow_type(syntax, rule)
        flow = self.store.flow_add(
            owner=owner, name=info["name"], syntax=syntax, profile=info.get("flowProfile") or "Undefined",
            processing_rule=rule or ("B2B" if syntax in INVOICE_SYNTAXES else "NotApplicable"),
            rule_source="Input" if rule else "Computed", flow_type=flow_type, direction="Out",
            tracking_id=info.get("trackingId"), sha256=info.get("sha256") or hashlib.sha256(data).hexdigest(),
            original=data)
        self.store.schedule(flow["flow_id"], "check", delay=self.status_delay)
        return flow

    def check(self, flow_id: str) -> None:
        """The platform's reception checks, then the life-cycle statuses to come."""
        flow = self.store.flow(flow_id)
        if flow is None:
            return
        earlier = [f for f in self.store.flows(flow["owner"], tracking_id=flow["tracking_id"], sha256=flow["sha256"])
                   if f["flow_id"] != flow_id and f["direction"] == "Out" and f["ack_status"] != "Error"
                   and f["seq"] < flow["seq"]] if flow["tracking_id"] else []
        if earlier:
            self._ack(flow, "Error", "AlreadyExistingFlow", "This flow was already received: " + earlier[0]["flow_id"])
            return
        if flow["syntax"] == "CDAR":  # a status the seller sends (212…): checked with the project's CDAR reader
            problem = _cdar_problem(bytes(flow["original"]))
            if problem:
                self._ack(flow, "Error", "InvoiceLCRuleError", problem)
            else:
                self._ack(flow, "Ok")
            return
        if flow["syntax"] not in INVOICE_SYNTAXES:
            self._ack(flow, "Ok")  # e-reporting: received
            return
        verdict = inspect(bytes(flow["original"]), mode=self.validation)
        forced = self.faults.rejected_tracking_ids.get(flow["tracking_id"] or "")
        if verdict.ok and forced:
            verdict.ok, verdict.status, verdict.reason_code, verdict.reason = False, forced[0], forced[1], forced[2]
        if verdict.ok and flow["processing_rule"] in ("B2B", "B2G"):
            company = self.directory.get(verdict.buyer_siren)
            lines = [ln for ln in (company.lines if company else []) if ln.get("status", "Enabled") == "Enabled"]
            if not lines:
                verdict.ok, verdict.status, verdict.reason_code = False, ROUTING_ERROR, "ROUTAGE_ERR"
                verdict.reason = (f"No directory line for the buyer {verdict.buyer_siren or '(no SIREN)'}: the "
                                  f"platform cannot route the invoice.")
        self.store.flow_note(flow_id, verdict=json.dumps(verdict.__dict__))
        if not verdict.ok and verdict.status == IRRECEVABLE:
            self._ack(flow, "Error", verdict.ack_reason or "InvalidSchema", verdict.reason)
            self.emit_status(flow_id, IRRECEVABLE, reason_code=verdict.reason_code, reason=verdict.reason)
            return
        self._ack(flow, "Ok")
        if not verdict.ok:
            self.emit_status(flow_id, "200")
            self.emit_status(flow_id, verdict.status, reason_code=verdict.reason_code, reason=verdict.reason)
            return
        self.emit_status(flow_id, "200")
        for step, status in enumerate(HAPPY_PATH[1:], start=1):
            self.store.schedule(flow_id, "status", delay=self.status_delay * step, payload={"status": status})

    def _ack(self, flow: dict, status: str, reason_code: str = "", message: str = "") -> None:
        details = json.dumps([{"level": "Error", "item": flow["name"], "reasonCode": reason_code,
                               "reasonMessage": message[:1000]}]) if reason_code else None
        updated = self.store.flow_update(flow["flow_id"], ack_status=status, ack_details=details)
        self.notify(updated)

    def emit_status(self, invoice_flow_id: str, status: str, *, reason_code: str = "", reason: str = "") -> dict | None:
        """A life-cycle message (CDAR) about an invoice flow, as a new incoming flow (search, webhook)."""
        invoice = self.store.flow(invoice_flow_id)
        if invoice is None:
            return None
        verdict = Verdict(**json.loads(invoice["verdict"])) if invoice.get("verdict") else Verdict(False)
        event = StatusEvent(status=status, invoice_number=verdict.number or invoice["name"],
                            invoice_issue_date=verdict.issue_date, invoice_type_code=verdict.type_code or "380",
                            seller_siren=verdict.seller_siren, seller_name=verdict.seller_name,
                            buyer_siren=verdict.buyer_siren, buyer_name=verdict.buyer_name, reason_code=reason_code,
                            reason=reason, received_at=_parse(invoice["submitted_at"]))
        data = build_cdar(event)
        lc_type = "SupplierInvoiceLC" if invoice["flow_type"] == "SupplierInvoice" else "CustomerInvoiceLC"
        flow = self.store.flow_add(
            owner=invoice["owner"], name=f"CDV-{status}-{verdict.number or invoice['flow_id']}.xml", syntax="CDAR",
            profile="Undefined", processing_rule=invoice["processing_rule"], rule_source="Computed",
            flow_type=lc_type, direction="In", tracking_id=invoice["tracking_id"],
            sha256=hashlib.sha256(data).hexdigest(), original=data, ack_status="Ok",
            invoice_flow_id=invoice_flow_id, status=status)
        self.store.flow_note(invoice_flow_id, status=status)
        self.notify(flow)
        return flow

    def run_due(self) -> int:
        done = 0
        for item in self.store.due():
            try:
                if item["action"] == "check":
                    self.check(item["flow_id"])
                elif item["action"] == "status":
                    self.emit_status(item["flow_id"], json.loads(item["payload"])["status"])
            except Exception:  # noqa: BLE001 — one broken item must not stop the platform
                log.exception("PA simulator: scheduled %s of %s failed", item["action"], item["flow_id"])
            done += 1
        return done

    # webhooks
    def notify(self, flow: dict) -> None:
        for hook in self.store.webhooks(flow["owner"]):
            types = json.loads(hook["flow_types"] or "[]")
            if types and flow["flow_type"] not in types:
                continue
            if hook["direction"] and hook["direction"] != flow["direction"]:
                continue
            if hook["ack_status"] and hook["ack_status"] != flow["ack_status"]:
                continue
            self.deliveries.put((hook, flow_json(flow)))

    def deliver(self, hook: dict, payload: dict, *, attempts: int = 3) -> None:
        body = json.dumps(payload).encode()
        for attempt in range(attempts):
            headers = {"Content-Type": "application/json", **sign(body, bytes(hook["signing_key"]))}
            request = urllib.request.Request(hook["callback_url"], data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 — the subscriber's URL
                    status = response.status
            except urllib.error.HTTPError as e:
                status = e.code
            except (OSError, ValueError) as e:
                status = 0
                log.info("PA simulator: webhook %s unreachable: %s", hook["callback_url"], e)
            self.delivered.append({"webhook_id": hook["id"], "flow_id": payload["flowId"], "status": status,
                                   "attempt": attempt + 1})
            if 200 <= status < 300:
                return
            time.sleep(min(0.2 * 2 ** attempt, 2))

    # directory
    def line_payloads(self, company: seed.Company, *, include_legal: bool = True) -> list[dict]:
        lines = []
        for line in company.lines:
            data: dict[str, Any] = {"addressingIdentifier": seed.addressing_identifier(company.siren, line),
                                    "platformType": line.get("platform_type", "WK"),
                                    "directoryLineStatus": line.get("status", "Enabled"), "siren": company.siren}
            if line.get("siret"):
                data["siret"] = line["siret"]
            if line.get("routing"):
                data["routingIdentifier"] = line["routing"]
                data["routingCode"] = {"routingIdentifier": line["routing"], "administrativeStatus": "A"}
            if line.get("suffix"):
                data["addressingSuffix"] = line["suffix"]
            if include_legal:
                data["legalUnit"] = legal_unit(company)
            lines.append(data)
        return lines


def _cdar_problem(data: bytes) -> str:
    """Why a submitted life-cycle message is refused ("" when it passes the BR-FR-CDV rules)."""
    try:
        from facturier.engine import cdar
    except ImportError:
        return ""
    try:
        report = cdar.validate(data)
    except cdar.CdarError as e:
        return str(e)[:500]
    except Exception as e:  # noqa: BLE001 — a message the checks cannot run on is refused, not accepted
        return f"The message cannot be checked: {e}"[:500]
    if not report.ok:
        return "; ".join(sorted(set(report.error_rule_ids)))[:500] or "BR-FR-CDV"
    return ""


def legal_unit(company: seed.Company) -> dict:
    return {"siren": company.siren, "businessName": company.name[:150], "entityType": company.entity_type,
            "administrativeStatus": "C" if all(ln.get("status") == "Disabled" for ln in company.lines)
            and company.lines else "A"}


def _parse(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None


def _flow_type(syntax: str, rule: str | None) -> str:
    if syntax in INVOICE_SYNTAXES:
        return "CustomerInvoice"
    if syntax == "CDAR":
        return "CustomerInvoiceLC"
    if syntax == "FRR":
        return "AggregatedCustomerTransactionReport" if rule == "B2C" else "UnitaryCustomerTransactionReport"
    return "Undefined"


def flow_json(flow: dict) -> dict:
    """The Flow schema of the Flow Service for a stored flow."""
    data: dict[str, Any] = {
        "flowId": flow["flow_id"], "name": flow["name"], "flowSyntax": flow["syntax"], "flowProfile": flow["profile"],
        "processingRule": flow["processing_rule"], "processingRuleSource": flow["rule_source"],
        "flowType": flow["flow_type"], "flowDirection": flow["direction"], "submittedAt": flow["submitted_at"],
        "updatedAt": flow["updated_at"], "acknowledgement": {"status": flow["ack_status"]},
    }
    if flow.get("tracking_id"):
        data["trackingId"] = flow["tracking_id"]
    if flow.get("ack_details"):
        data["acknowledgement"]["details"] = json.loads(flow["ack_details"])
    return data


def _cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"u": seq}).encode()).decode()


def _uncursor(text: str) -> int | None:
    try:
        return int(json.loads(base64.urlsafe_b64decode(text.encode()))["u"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None


# -- HTTP ---------------------------------------------------------------------------------------------------


class _Answer(Exception):  # noqa: N818 — control flow: an answer to send
    def __init__(self, status: int, body: Any = None, *, headers: dict | None = None, content_type: str = ""):
        self.status, self.body, self.headers, self.content_type = status, body, headers or {}, content_type


def _error(status: int, code: str, message: str = "") -> _Answer:
    body = {"errorCode": code}
    if message:
        body["errorMessage"] = message
    return _Answer(status, body)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FacturierPASimulator/1.0"
    disable_nagle_algorithm = True  # headers and body leave at once: no 40 ms delayed-ACK stall per answer
    platform: Platform  # set on the subclass made per server

    def log_message(self, format, *args):  # noqa: A002 — http.server's signature
        log.debug("PA simulator: " + format, *args)

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_DELETE(self):
        self._handle("DELETE")

    # plumbing
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_FILE + 1024 * 1024:
            raise _error(413, "FILE_SIZE_EXCEEDED", "Provided file is too big")
        return self.rfile.read(length) if length else b""

    def _json_body(self) -> dict:
        try:
            data = json.loads(self._body() or b"{}")
        except ValueError:
            raise _error(400, "INVALID_JSON", "The body is not JSON") from None
        if not isinstance(data, dict):
            raise _error(400, "INVALID_REQUEST", "The body must be a JSON object")
        return data

    def _send(self, answer: _Answer) -> None:
        body = answer.body
        content_type = answer.content_type
        if body is None:
            payload = b""
        elif isinstance(body, bytes | bytearray):
            payload = bytes(body)
            content_type = content_type or "application/octet-stream"
        else:
            payload = json.dumps(body).encode()
            content_type = content_type or "application/json"
        self.send_response(answer.status)
        if payload or content_type:
            self.send_header("Content-Type", content_type or "application/json")
        for k, v in answer.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    def _handle(self, method: str) -> None:
        parts = urllib.parse.urlsplit(self.path)
        path, query = parts.path, urllib.parse.parse_qs(parts.query)
        try:
            if not path.startswith(ADMIN):
                status, wait = self.platform.faults.take(path)
                if wait:
                    time.sleep(wait)
                if status:
                    self._body()
                    raise _error(status, "INTERNAL_ERROR" if status >= 500 else "FAULT", "Injected fault")
            self._route(method, path, query)
            raise _error(404, "MISSING_RESOURCE", "Requested resource is Not Found")
        except _Answer as answer:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._send(answer)
        except Exception as e:  # noqa: BLE001 — a bug in the simulator answers 500, as a PA would
            log.exception("PA simulator: %s %s failed", method, path)
            self._send(_error(500, "INTERNAL_ERROR", str(e)[:200]))

    def _owner(self) -> str:
        auth = self.headers.get("Authorization") or ""
        if not auth.lower().startswith("bearer "):
            self._body()
            raise _error(401, "MISSING_TOKEN", "No bearer token")
        client = self.platform.client_of(auth[7:].strip())
        if client is None:
            self._body()
            raise _error(401, "INVALID_TOKEN", "The token is unknown or expired")
        return f"{client}|{self.headers.get('Organization-Id') or ''}"

    def _route(self, method: str, path: str, query: dict) -> None:
        if path == TOKEN and method == "POST":
            self._token()
        if path.startswith(ADMIN):
            self._admin(method, path[len(ADMIN):])
        if path.startswith(FLOW + "/v1/"):
            self._flow(method, path[len(FLOW + "/v1/"):], query)
        if path.startswith(DIRECTORY + "/v1/"):
            self._directory(method, path[len(DIRECTORY + "/v1/"):], query)

    # OAuth2
    def _token(self) -> None:
        form = urllib.parse.parse_qs(self._body().decode("utf-8", "replace"))
        client_id = (form.get("client_id") or [""])[0]
        secret = (form.get("client_secret") or [""])[0]
        auth = self.headers.get("Authorization") or ""
        if auth.lower().startswith("basic "):
            try:
                pair = base64.b64decode(auth[6:].strip()).decode()
                client_id, _sep, secret = pair.partition(":")
                client_id, secret = urllib.parse.unquote_plus(client_id), urllib.parse.unquote_plus(secret)
            except (ValueError, binascii.Error):
                raise _Answer(401, {"error": "invalid_client"}) from None
        if (form.get("grant_type") or [""])[0] != "client_credentials":
            raise _Answer(400, {"error": "unsupported_grant_type"})
        issued = self.platform.issue_token(client_id, secret)
        if issued is None:
            raise _Answer(401, {"error": "invalid_client", "error_description": "Unknown client or wrong secret"},
                          headers={"WWW-Authenticate": 'Basic realm="pa-simulator"'})
        raise _Answer(200, issued, headers={"Cache-Control": "no-store"})

    # Flow Service
    def _flow(self, method: str, rest: str, query: dict) -> None:
        p = self.platform
        if rest == "healthcheck" and method == "GET":
            raise _Answer(200)  # the file lists 200/500/503 only for it: no 401, whatever the token
        owner = self._owner()
        if rest == "flows" and method == "POST":
            info, file_name, data = self._multipart()
            flow = p.submit(owner, info, file_name, data)
            body = {"flowId": flow["flow_id"], "submittedAt": flow["submitted_at"], "name": flow["name"],
                    "flowSyntax": flow["syntax"], "processingRule": flow["processing_rule"], "sha256": flow["sha256"]}
            if flow["tracking_id"]:
                body["trackingId"] = flow["tracking_id"]
            if info.get("flowProfile"):
                body["flowProfile"] = info["flowProfile"]
            raise _Answer(202, body)
        if rest == "flows/search" and method == "POST":
            self._search(owner)
        if rest.startswith("flows/") and method == "GET":
            self._download(owner, urllib.parse.unquote(rest[6:]), (query.get("docType") or ["Metadata"])[0])
        if rest == "webhooks" and method == "GET":
            hooks = p.store.webhooks(owner)
            # The schema requires `webhookIds` (undefined) beside `webhooks`: both are sent (a known defect).
            raise _Answer(200, {"count": len(hooks), "webhookIds": [h["id"] for h in hooks], "webhooks": [
                {"webhookId": h["id"], "callbackUrl": h["callback_url"], "createdAt": h["created_at"],
                 **({"flowTypes": json.loads(h["flow_types"])} if json.loads(h["flow_types"] or "[]") else {}),
                 **({"flowDirection": h["direction"]} if h["direction"] else {})} for h in hooks]})
        if rest == "webhooks" and method == "POST":
            data = self._json_body()
            url = data.get("callbackUrl")
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise _error(400, "MISSING_REQUIRED_FIELD", "callbackUrl is required (an http(s) URL)")
            key = secrets.token_bytes(32)
            hook = p.store.webhook_add(owner=owner, callback_url=url, signing_key=key,
                                       flow_types=data.get("flowTypes"), direction=data.get("flowDirection"),
                                       ack_status=data.get("ackStatus"))
            raise _Answer(201, {"webhookId": hook["id"], "signingKey": base64.b64encode(key).decode(),
                                "createdAt": hook["created_at"]})
        if rest.startswith("webhooks/") and method == "DELETE":
            if not p.store.webhook_delete(owner, rest[9:]):
                raise _error(404, "MISSING_RESOURCE", "No such webhook")
            raise _Answer(204)

    def _multipart(self) -> tuple[dict, str, bytes]:
        content_type = self.headers.get("Content-Type") or ""
        if not content_type.startswith("multipart/form-data"):
            self._body()
            raise _error(400, "INVALID_REQUEST", "multipart/form-data expected (flowInfo + file)")
        raw = self._body()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
        info, file_name, data = None, "", None
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "flowInfo":
                try:
                    info = json.loads(part.get_payload(decode=True) or b"")
                except ValueError:
                    raise _error(400, "INVALID_REQUEST", "flowInfo is not JSON") from None
            elif name == "file":
                file_name = part.get_filename() or ""
                data = part.get_payload(decode=True) or b""
        if not isinstance(info, dict) or data is None:
            raise _error(400, "MISSING_REQUIRED_FIELD", "flowInfo and file are both required")
        if not info.get("name") or info.get("flowSyntax") not in (*INVOICE_SYNTAXES, "CDAR", "FRR"):
            raise _error(400, "MISSING_REQUIRED_FIELD", "flowInfo.name and a known flowInfo.flowSyntax are required")
        if info.get("processingRule") and info["processingRule"] not in RULES:
            raise _error(400, "INVALID_FIELD", "Unknown processingRule")
        if info.get("flowProfile") and info["flowProfile"] not in PROFILES:
            raise _error(400, "INVALID_FIELD", "Unknown flowProfile")
        if len(data) > MAX_FILE:
            raise _error(413, "FILE_SIZE_EXCEEDED", "Provided file is too big")
        if info.get("sha256") and info["sha256"] != hashlib.sha256(data).hexdigest():
            raise _error(422, "CHECKSUM_MISMATCH", "The sha256 given does not match the file")
        return info, file_name or info["name"], data

    def _search(self, owner: str) -> None:
        body = self._json_body()
        where = body.get("where")
        if not isinstance(where, dict) or not where:
            raise _error(400, "MISSING_REQUIRED_FIELD", "where: at least one criterion is required")
        limit = body.get("limit") or 25
        if not isinstance(limit, int) or not 1 <= limit <= 100:
            raise _error(400, "INVALID_FIELD", "limit: 1 to 100")
        after = 0
        if body.get("cursor"):
            after = _uncursor(body["cursor"])
            if after is None:
                raise _error(400, "INVALID_FIELD", "Unknown cursor")
        rows, more = self.platform.store.search(owner, where, after_seq=after, limit=limit)
        answer: dict[str, Any] = {"limit": limit, "filters": where, "results": [flow_json(r) for r in rows]}
        if more and rows:
            answer["nextCursor"] = _cursor(rows[-1]["update_seq"])
        raise _Answer(200, answer)

    def _download(self, owner: str, flow_id: str, doc_type: str) -> None:
        flow = self.platform.store.flow(flow_id, owner)
        if flow is None:
            raise _error(404, "MISSING_RESOURCE", "No such flow")
        if doc_type == "Metadata":
            raise _Answer(200, flow_json(flow))
        original = bytes(flow["original"] or b"")
        name = flow["name"]
        if doc_type == "Original":
            data = original
        elif doc_type == "Converted":
            data, name = _converted(flow, original)
        elif doc_type == "ReadableView":
            data, name = _readable(flow, original)
        else:
            raise _error(400, "INVALID_FIELD", "docType: Metadata, Original, Converted or ReadableView")
        if data is None:
            raise _error(404, "MISSING_RESOURCE", f"No {doc_type} document for this flow")
        raise _Answer(200, data, headers={"Content-Disposition": f"attachment;filename={name}"})

    # Directory Service
    def _directory(self, method: str, rest: str, query: dict) -> None:
        p = self.platform
        if rest == "healthcheck" and method == "GET":
            raise _Answer(200)  # as the Flow Service's: 200 only in the file
        self._owner()
        if rest == "directory-line/search" and method == "POST":
            body = self._json_body()
            filters = body.get("filters") or {}
            results = []
            for company in p.directory.values():
                for data in p.line_payloads(company):
                    if _matches(data, filters, ("siren", "siret", "routingIdentifier", "addressingIdentifier",
                                                "addressingSuffix")):
                        results.append(data)
            self._results(body, results)
        if rest.startswith("directory-line/code:") and method == "GET":
            wanted = urllib.parse.unquote(rest[len("directory-line/code:"):])
            for company in p.directory.values():
                for data in p.line_payloads(company):
                    if data["addressingIdentifier"] == wanted:
                        raise _Answer(200, data)
            raise _error(404, "MISSING_RESOURCE", "No such directory line")
        if rest == "siren/search" and method == "POST":
            body = self._json_body()
            filters = body.get("filters") or {}
            results = [legal_unit(c) for c in p.directory.values()]
            results = [r for r in results if _matches(r, filters, ("siren", "businessName", "entityType",
                                                                   "administrativeStatus"))]
            self._results(body, results)
        if rest.startswith("siren/code-insee:") and method == "GET":
            company = p.directory.get(rest[len("siren/code-insee:"):])
            if company is None:
                raise _error(404, "MISSING_RESOURCE", "Unknown SIREN")
            raise _Answer(200, legal_unit(company))
        if rest == "siret/search" and method == "POST":
            body = self._json_body()
            filters = body.get("filters") or {}
            results = [_facility(c, s) for c in p.directory.values() for s in c.sirets]
            self._results(body, [r for r in results if _matches(r, filters, ("siret", "siren", "name"))])
        if rest.startswith("siret/code-insee:") and method == "GET":
            siret = rest[len("siret/code-insee:"):]
            for company in p.directory.values():
                if siret in company.sirets:
                    raise _Answer(200, _facility(company, siret))
            raise _error(404, "MISSING_RESOURCE", "Unknown SIRET")
        if rest == "routing-code/search" and method == "POST":
            body = self._json_body()
            filters = body.get("filters") or {}
            results = [_routing(c, s, r, n) for c in p.directory.values() for s, r, n in c.routing_codes]
            self._results(body, [r for r in results if _matches(r, filters, ("siret", "routingIdentifier"))])
        if rest.startswith("routing-code/siret:") and method == "GET":
            siret, _sep, code = rest[len("routing-code/siret:"):].partition("/code:")
            for company in p.directory.values():
                for s, r, n in company.routing_codes:
                    if s == siret and r == urllib.parse.unquote(code):
                        raise _Answer(200, _routing(company, s, r, n))
            raise _error(404, "MISSING_RESOURCE", "Unknown routing code")

    def _results(self, body: dict, results: list[dict]) -> None:
        ignore = body.get("ignore") or 0
        limit = body.get("limit") or 100
        if not isinstance(ignore, int) or not isinstance(limit, int) or ignore < 0 or limit < 1:
            raise _error(400, "INVALID_FIELD", "limit and ignore are positive integers")
        raise _Answer(200, {"search": body, "totalNumberOfResults": len(results),
                            "results": results[ignore:ignore + limit]})

    # administration (fault injection, scripted statuses)
    def _admin(self, method: str, rest: str) -> None:
        p = self.platform
        if rest == "/faults" and method == "POST":
            data = self._json_body()
            if data.get("reset"):
                p.faults.reset()
            if data.get("fail_next"):
                p.faults.fail_next(int(data["fail_next"]), status=int(data.get("status", 500)),
                                   path_prefix=str(data.get("path_prefix", "")))
            if data.get("delay_next"):
                p.faults.delay_next(int(data["delay_next"]), float(data.get("delay_seconds", 30)))
            if data.get("expire_tokens"):
                p.expire_tokens()
            if data.get("reject_tracking_id"):
                p.faults.reject_tracking_id(str(data["reject_tracking_id"]),
                                            status=str(data.get("reject_status", REJECTED)),
                                            reason_code=str(data.get("reason_code", "REJ_SEMAN")),
                                            reason=str(data.get("reason", "Rejected on request (fault injection).")))
            raise _Answer(200, {"ok": True})
        if rest == "/statuses" and method == "POST":
            data = self._json_body()
            flow = p.emit_status(str(data.get("flowId", "")), str(data.get("status", "")),
                                 reason_code=str(data.get("reasonCode", "")), reason=str(data.get("reason", "")))
            if flow is None:
                raise _error(404, "MISSING_RESOURCE", "No such flow")
            raise _Answer(200, flow_json(flow))
        if rest == "/state" and method == "GET":
            raise _Answer(200, {"flows": len(p.store.flows()), "pending": p.store.pending(),
                                "token_requests": p.token_requests, "delivered": len(p.delivered)})
        if rest == "/flows" and method == "GET":
            raise _Answer(200, {"flows": [{**flow_json(f), "status": f["status"]} for f in p.store.flows()]})


def _matches(data: dict, filters: dict, keys: tuple[str, ...]) -> bool:
    for key in keys:
        wanted = filters.get(key)
        if not isinstance(wanted, dict) or wanted.get("value") in (None, ""):
            continue
        value, op = str(data.get(key, "")), wanted.get("op", "strict")
        target = str(wanted["value"])
        if op == "contains" and target.lower() not in value.lower():
            return False
        if op == "startWith" and not value.startswith(target):
            return False
        if op not in ("contains", "startWith") and value != target:
            return False
    return True


def _facility(company: seed.Company, siret: str) -> dict:
    return {"siret": siret, "siren": company.siren, "name": company.name[:100], "administrativeStatus": "A",
            "legalUnit": legal_unit(company)}


def _routing(company: seed.Company, siret: str, routing: str, name: str) -> dict:
    return {"siret": siret, "routingIdentifier": routing, "routingCodeName": name, "administrativeStatus": "A"}


def _converted(flow: dict, original: bytes) -> tuple[bytes | None, str]:
    if flow["syntax"] == "Factur-X":
        from facturier.engine.facturx.unpack import unpack_facturx

        try:
            return unpack_facturx(original).xml, flow["name"].rsplit(".", 1)[0] + ".xml"
        except Exception:  # noqa: BLE001 — an unreadable file has no converted form
            return None, ""
    if flow["syntax"] in ("CII", "UBL"):
        from facturier.engine.convert import convert

        try:
            target = "ubl" if flow["syntax"] == "CII" else "cii"
            return convert(original, to=target, force=True), flow["name"].rsplit(".", 1)[0] + f"-{target}.xml"
        except Exception:  # noqa: BLE001
            return None, ""
    return None, ""


def _readable(flow: dict, original: bytes) -> tuple[bytes | None, str]:
    if flow["syntax"] == "Factur-X":
        return original, flow["name"]
    verdict = json.loads(flow.get("verdict") or "{}")
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in (("Flow", flow["flow_id"]), ("Name", flow["name"]), ("Syntax", flow["syntax"]),
                                ("Number", verdict.get("number", "")), ("Seller", verdict.get("seller_name", "")),
                                ("Buyer", verdict.get("buyer_name", "")), ("Status", flow.get("status") or "")))
    page = f"<!doctype html><meta charset=utf-8><title>{html.escape(flow['name'])}</title><table>{rows}</table>"
    return page.encode(), flow["name"].rsplit(".", 1)[0] + ".html"


# -- running ------------------------------------------------------------------------------------------------


class Simulator:
    """A running simulator: its URLs, its faults, and the platform behind it (tests read and steer it)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, db_path: str = ":memory:",
                 clients: dict[str, str] | None = None, bearer_tokens: dict[str, str] | None = None,
                 token_ttl: int = 3600, status_delay: float = 1.0, validation: str = "schema",
                 directory: list[seed.Company] | None = None):
        self.store = Store(db_path)
        self.platform = Platform(store=self.store, clients=clients or {}, bearer_tokens=bearer_tokens or {},
                                 token_ttl=token_ttl, status_delay=status_delay, validation=validation,
                                 directory=seed.DIRECTORY if directory is None else directory)
        handler = type("BoundHandler", (Handler,), {"platform": self.platform})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.host, self.port = self.httpd.server_address[:2]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def flow_url(self) -> str:
        return self.url + FLOW

    @property
    def directory_url(self) -> str:
        return self.url + DIRECTORY

    @property
    def token_url(self) -> str:
        return self.url + TOKEN

    @property
    def faults(self) -> Faults:
        return self.platform.faults

    def add_client(self, client_id: str, secret: str) -> None:
        self.platform.clients[client_id] = secret

    def add_bearer(self, token: str, client_id: str) -> None:
        self.platform.bearer_tokens[token] = client_id

    def expire_tokens(self) -> None:
        self.platform.expire_tokens()

    def emit_status(self, flow_id: str, status: str, *, reason_code: str = "", reason: str = "") -> dict | None:
        return self.platform.emit_status(flow_id, status, reason_code=reason_code, reason=reason)

    def flows(self, **equal: Any) -> list[dict]:
        return self.store.flows(**equal)

    def run_due(self) -> int:
        return self.platform.run_due()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until nothing is scheduled any more and every webhook was delivered (tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.store.pending() and self.platform.deliveries.unfinished_tasks == 0:
                return True
            time.sleep(0.02)
        return False

    def start(self) -> Simulator:
        for target in (self.httpd.serve_forever, self._scheduler, self._deliverer):
            thread = threading.Thread(target=target, name=f"pa-simulator-{target.__name__}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _scheduler(self) -> None:
        while not self._stop.is_set():
            if not self.platform.run_due():
                self._stop.wait(0.02)

    def _deliverer(self) -> None:
        while not self._stop.is_set():
            try:
                hook, payload = self.platform.deliveries.get(timeout=0.1)
            except queue.Empty:
                continue
            try:
                self.platform.deliver(hook, payload)
            except Exception:  # noqa: BLE001
                log.exception("PA simulator: webhook delivery failed")
            finally:
                self.platform.deliveries.task_done()

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self.store.close()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_simulator(**options: Any) -> Simulator:
    """Start a simulator in this process (threads) and return its handle: `.url`, `.flow_url`,
    `.directory_url`, `.token_url`, `.faults`, `.stop()`. Options: host, port (0: any free), db_path,
    clients {client_id: secret}, bearer_tokens {token: client_id}, token_ttl (s), status_delay (s between
    statuses), validation ("rules", "schema", "off"), directory (list of seed.Company)."""
    return Simulator(**options).start()


def env_clients() -> dict[str, str]:
    """Clients from FACTURIER_PA_SIMULATOR_CLIENTS ("id:secret,id2:secret2"), for the command."""
    clients = {}
    for pair in (os.environ.get("FACTURIER_PA_SIMULATOR_CLIENTS") or "").split(","):
        client_id, sep, secret = pair.strip().partition(":")
        if sep and client_id:
            clients[client_id] = secret
    return clients


__all__ = ["Faults", "Platform", "Simulator", "env_clients", "now_iso", "start_simulator"]
