"""The simulated approved platform's behaviour, independent of HTTP: tokens, flows and their checks, the
life-cycle statuses to come, webhook deliveries, the directory's payloads, and the faults it is told to make.
Django-free (`server` serves it)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import logging
import queue
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from facturier.platforms.signature import sign
from facturier.platforms.simulator import seed
from facturier.platforms.simulator.cdar import StatusEvent
from facturier.platforms.simulator.cdar import build as build_cdar
from facturier.platforms.simulator.inspect import IRRECEVABLE, REJECTED, ROUTING_ERROR, Verdict, inspect
from facturier.platforms.simulator.store import Store

log = logging.getLogger("facturier.pa_simulator")

INVOICE_SYNTAXES = {"CII", "UBL", "Factur-X"}
HAPPY_PATH = ("200", "202", "204", "205")
REPORT_PASSED_ON = "203"
"""The status of an e-reporting file that passed the platform's checks: made available (to the administration)."""
LIFECYCLE_TYPE_OF = {
    "SupplierInvoice": "SupplierInvoiceLC",
    # the spec's life-cycle types of e-reporting flows (a report's statuses)
    "AggregatedCustomerTransactionReport": "StateTransactionReportLC",
    "UnitaryCustomerTransactionReport": "StateTransactionReportLC",
    "UnitarySupplierTransactionReport": "StateTransactionReportLC",
    "MultiFlowReport": "StateTransactionReportLC",
    "AggregatedCustomerPaymentReport": "StatePaymentReportLC",
    "UnitaryCustomerPaymentReport": "StatePaymentReportLC",
}


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
        self.in_flight = 0

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
        flow_type = _flow_type(syntax, rule, data)
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
        if flow["syntax"] == "FRR":
            self._check_report(flow)
            return
        if flow["syntax"] not in INVOICE_SYNTAXES:
            self._ack(flow, "Ok")
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

    def _check_report(self, flow: dict) -> None:
        """An e-reporting file (FRR): read and checked with the engine's e-reporting rules, then answered like an
        invoice — 501 Irrecevable when it cannot be read; otherwise 200 Déposée at once, and after the delay
        213 Rejetée (REJ_SEMAN, the rules it breaks) or 203 Mise à disposition (passed on to the
        administration). ASSUMPTION: the Flow Service publishes no status list of its own for e-reporting;
        these are the CDV codes a PA uses for the files it takes."""
        verdict = report_verdict(bytes(flow["original"]), fallback_number=flow["tracking_id"] or flow["name"])
        forced = self.faults.rejected_tracking_ids.get(flow["tracking_id"] or "")
        if verdict.ok and forced:
            verdict.ok, verdict.status, verdict.reason_code, verdict.reason = False, forced[0], forced[1], forced[2]
        self.store.flow_note(flow["flow_id"], verdict=json.dumps(verdict.__dict__))
        if not verdict.ok and verdict.status == IRRECEVABLE:
            self._ack(flow, "Error", verdict.ack_reason or "InvalidSchema", verdict.reason)
            self.emit_status(flow["flow_id"], IRRECEVABLE, reason_code=verdict.reason_code, reason=verdict.reason)
            return
        self._ack(flow, "Ok")
        self.emit_status(flow["flow_id"], "200")
        final = {"status": verdict.status, "reason_code": verdict.reason_code, "reason": verdict.reason} \
            if not verdict.ok else {"status": REPORT_PASSED_ON}
        self.store.schedule(flow["flow_id"], "status", delay=self.status_delay, payload=final)

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
        lc_type = LIFECYCLE_TYPE_OF.get(invoice["flow_type"], "CustomerInvoiceLC")
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
        with self.store.lock:  # taken and counted at once: `idle` never sees work neither pending nor in flight
            items = self.store.due()
            self.in_flight = len(items)
        for item in items:
            try:
                if item["action"] == "check":
                    self.check(item["flow_id"])
                elif item["action"] == "status":
                    payload = json.loads(item["payload"])
                    self.emit_status(item["flow_id"], payload["status"], reason_code=payload.get("reason_code", ""),
                                     reason=payload.get("reason", ""))
            except Exception:  # noqa: BLE001 — one broken item must not stop the platform
                log.exception("PA simulator: scheduled %s of %s failed", item["action"], item["flow_id"])
            done += 1
        self.in_flight = 0
        return done

    def idle(self) -> bool:
        with self.store.lock:
            return not self.store.pending() and not self.in_flight and not self.deliveries.unfinished_tasks

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


def report_verdict(data: bytes, *, fallback_number: str) -> Verdict:
    """The platform's verdict on an e-reporting file: unreadable (501), breaking rules (213, the rule ids and
    the first messages), or ok; the report's id and declarant fill the statuses' references."""
    from facturier.engine import ereporting

    report, findings = ereporting.validate(data)
    if report is None:
        reason = "; ".join(f.message.en for f in findings.findings)[:500] or "The e-reporting file cannot be read."
        return Verdict(False, status=IRRECEVABLE, ack_reason="InvalidSchema", reason_code="IRR_SYNTAX",
                       reason=reason, number=fallback_number)
    verdict = Verdict(True, number=report.report_id, issue_date=f"{report.end:%Y%m%d}",
                      seller_siren=report.declarant.siren, seller_name=report.declarant.name)
    fatal = findings.fatal
    if fatal:
        verdict.ok, verdict.status, verdict.reason_code = False, REJECTED, "REJ_SEMAN"
        verdict.reason = "; ".join(f"{f.rule}: {f.message.fr}" for f in fatal)[:500]
        verdict.findings = [{"rule": f.rule, "message": f.message.en} for f in fatal]
    return verdict


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


def _flow_type(syntax: str, rule: str | None, data: bytes = b"") -> str:
    """The flow type the platform computes (FlowInfo carries none): an e-reporting file's from its sections."""
    if syntax in INVOICE_SYNTAXES:
        return "CustomerInvoice"
    if syntax == "CDAR":
        return "CustomerInvoiceLC"
    if syntax == "FRR":
        from facturier.engine.ereporting import format as frr

        try:
            return frr.flow_type(frr.parse(data))
        except frr.FormatError:
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
