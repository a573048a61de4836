"""A Chorus Pro simulator for the demo and the tests: the PISTE token endpoint and the calls the client
makes (`client.py`), with asynchronous statuses and fault injection. Django-free (stdlib http.server,
threaded), so `facturier chorus-simulator --port N` and the tests start the same thing.

- `POST /api/oauth/token`: client credentials; a wrong id or secret answers 401 `invalid_client`.
- Every API call needs a live bearer token (else 401) and the technical account in `cpro-account`
  (else 401).
- `POST /cpro/factures/v1/deposer/flux`: checks the base64, that the file is a PDF carrying Factur-X
  XML (read with `facturier.engine`), and answers `numeroFluxDepot`. A file that is not one is
  deposited but its flow is rejected (`IN_REJETE`, `listeErreurTechnique`).
- The invoice then moves DEPOSEE → MISE_A_DISPOSITION → MANDATEE → MISE_EN_PAIEMENT, one step every
  `step_s` seconds (or at each `advance()` when `step_s` is None) — or DEPOSEE → REJETEE when its
  buyer's SIRET is unknown, or its service code (BT-10) or engagement number (BT-13) missing where the
  buyer requires one.
- `consulterCRDetaille`, `rechercher/fournisseur` and `consulter/fournisseur` read that state.
- Faults: `fail_next(n, status=500)` (the next n API calls answer `status`), `hang_next(n)` (the next n
  deposits are recorded, then the connection is held `hang_s` and closed without an answer),
  `expire_tokens()` (every token issued so far stops working).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

CLIENT_ID = "facturier-demo"
CLIENT_SECRET = "demo-secret"
LOGIN = "TECH_facturier@cpro.test"
PASSWORD = "demo-password"

PROGRESSION = ("DEPOSEE", "MISE_A_DISPOSITION", "MANDATEE", "MISE_EN_PAIEMENT")


@dataclass
class Buyer:
    siret: str
    name: str
    service_codes: frozenset[str] = frozenset()
    service_code_required: bool = False
    engagement_required: bool = False


DEFAULT_BUYERS = (
    Buyer("61234567800017", "Mairie de Caluire-et-Cuire", frozenset({"SERV-FIN-01"}), service_code_required=True),
    Buyer("11000201100044", "Ministère de démonstration", frozenset({"DAF-01"}), service_code_required=True,
          engagement_required=True),
)


@dataclass
class Invoice:
    chorus_id: str
    number: str
    buyer_siret: str
    statuses: list[tuple[str, str, str]] = field(default_factory=list)  # (statut, dateStatut, commentaire)
    rejection: str = ""
    deposited: float = 0.0


@dataclass
class Flow:
    number: str
    file_name: str
    syntax: str
    date: str
    state: str = "IN_INTEGRE"
    errors: list[str] = field(default_factory=list)
    invoice: Invoice | None = None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class State:
    def __init__(self, *, client_id: str, client_secret: str, login: str, password: str, step_s: float | None,
                 token_lifetime_s: int, buyers) -> None:
        self.client_id, self.client_secret, self.login, self.password = client_id, client_secret, login, password
        self.step_s, self.token_lifetime_s = step_s, token_lifetime_s
        self.buyers = {b.siret: b for b in buyers}
        self.tokens: dict[str, float] = {}
        self.flows: dict[str, Flow] = {}
        self.invoices: dict[str, Invoice] = {}
        self.deposits: list[dict] = []  # every deposit received, in order (the tests count them)
        self.token_requests = 0
        self.fail: list[int] = []
        self.hang = 0
        self.hang_s = 2.0
        self.lock = threading.RLock()
        self._ids = itertools.count(1)

    # --- the statuses -------------------------------------------------------------------------

    def _target(self, invoice: Invoice) -> tuple[str, ...]:
        return ("DEPOSEE", "REJETEE") if invoice.rejection else PROGRESSION

    def move(self, invoice: Invoice, steps: int = 1) -> None:
        target = self._target(invoice)
        for _ in range(steps):
            if len(invoice.statuses) >= len(target):
                return
            status = target[len(invoice.statuses)]
            invoice.statuses.append((status, _now(), invoice.rejection if status == "REJETEE" else ""))

    def catch_up(self, invoice: Invoice) -> None:
        """With a timed progression: the steps whose time has come."""
        if self.step_s is None:
            return
        due = 1 + int((time.monotonic() - invoice.deposited) / self.step_s) if self.step_s > 0 else 99
        self.move(invoice, due - len(invoice.statuses))

    # --- deposit --------------------------------------------------------------------------------

    def deposit(self, body: dict) -> tuple[int, dict]:
        name, syntax = str(body.get("nomFichier") or ""), str(body.get("syntaxeFlux") or "")
        if not name or not syntax or not body.get("fichierFlux"):
            return 400, {"codeRetour": 1, "libelle": "GCU_MSG_01_001 : fichierFlux, nomFichier et syntaxeFlux "
                                                     "sont obligatoires"}
        try:
            data = base64.b64decode(str(body["fichierFlux"]), validate=True)
        except (binascii.Error, ValueError):
            return 400, {"codeRetour": 1, "libelle": "Le fichier n'est pas encodé en base 64."}
        with self.lock:
            number = f"CPP{dt.date.today():%Y%m%d}{next(self._ids):08d}"
            flow = Flow(number=number, file_name=name, syntax=syntax, date=_now())
            self.deposits.append({"flow": number, "file_name": name, "syntax": syntax, "size": len(data)})
            self.flows[number] = flow
        facts, error = _read_facturx(data) if syntax.endswith("FACTURX") else (None, "syntaxe non simulée")
        with self.lock:
            if error:
                flow.state, flow.errors = "IN_REJETE", [error]
            else:
                invoice = Invoice(chorus_id=str(100000 + next(self._ids)), number=facts["number"],
                                  buyer_siret=facts["siret"], deposited=time.monotonic())
                invoice.rejection = self._rejection(facts)
                self.invoices[invoice.chorus_id] = invoice
                flow.invoice = invoice
                self.move(invoice)
        return 200, {"codeRetour": 0, "libelle": "GCU_MSG_01_000", "numeroFluxDepot": number,
                     "dateDepot": flow.date[:10], "syntaxeFlux": syntax}

    def _rejection(self, facts: dict) -> str:
        buyer = self.buyers.get(facts["siret"]) or next(
            (b for b in self.buyers.values() if facts["siren"] and b.siret.startswith(facts["siren"])), None)
        if buyer is None:
            return "Destinataire inconnu : aucune structure publique active pour ce SIRET dans Chorus Pro."
        facts["siret"] = buyer.siret
        if buyer.service_code_required and not facts["service"]:
            return "Code service obligatoire pour cette structure : la facture n'en porte pas."
        if facts["service"] and buyer.service_codes and facts["service"] not in buyer.service_codes:
            return f"Code service {facts['service']} inconnu pour cette structure."
        if buyer.engagement_required and not facts["engagement"]:
            return "Numéro d'engagement obligatoire pour cette structure : la facture n'en porte pas."
        return ""


def _read_facturx(data: bytes) -> tuple[dict | None, str]:
    if not data.startswith(b"%PDF-"):
        return None, "Le fichier n'est pas un PDF."
    from facturier.engine.cii.read import read_cii
    from facturier.engine.errors import EngineError
    from facturier.engine.facturx.unpack import unpack_facturx

    try:
        invoice = read_cii(unpack_facturx(data).xml)
    except (EngineError, ValueError) as e:
        return None, f"Le PDF ne porte pas de XML Factur-X lisible : {e}"
    buyer = invoice.buyer
    siret = next((i.value for i in buyer.identifiers if len(i.value or "") == 14 and i.value.isdigit()), "")
    siren = buyer.legal_registration.value if buyer.legal_registration else siret[:9]
    return {"number": invoice.number, "siret": siret, "siren": siren or "",
            "service": invoice.buyer_reference or "", "engagement": invoice.purchase_order_reference or ""}, ""


class Handler(BaseHTTPRequestHandler):
    server_version = "ChorusProSimulator/1"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once (no delayed-ACK stall of ~40 ms)

    @property
    def state(self) -> State:
        return self.server.state  # type: ignore[attr-defined]

    def log_message(self, format, *args) -> None:  # noqa: A002 - the stdlib's signature
        pass

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        raw = self._body()
        if self.path == "/api/oauth/token":
            return self._token(raw)
        state = self.state
        with state.lock:
            expiry = state.tokens.get((self.headers.get("Authorization") or "").removeprefix("Bearer "))
            account = base64.b64encode(f"{state.login}:{state.password}".encode()).decode()
            failing = state.fail.pop(0) if state.fail else None
        if expiry is None or expiry < time.monotonic():
            return self._answer(401, {"error": "invalid_token", "error_description": "Jeton absent ou expiré"})
        if self.headers.get("cpro-account") != account:
            return self._answer(401, {"codeRetour": 20001, "libelle": "Compte technique inconnu ou mot de passe "
                                                                     "erroné"})
        if failing is not None:
            return self._answer(failing, {"codeRetour": 99, "libelle": "Erreur technique simulée"})
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self._answer(400, {"codeRetour": 1, "libelle": "Corps JSON illisible"})
        if self.path == "/cpro/factures/v1/deposer/flux":
            status, answer = state.deposit(body)
            with state.lock:
                hang, state.hang = state.hang > 0, max(state.hang - 1, 0)
            if hang and status == 200:
                time.sleep(state.hang_s)
                self.close_connection = True
                return
            return self._answer(status, answer)
        if self.path == "/cpro/transverses/v1/consulterCRDetaille":
            with state.lock:
                flow = state.flows.get(str(body.get("numeroFluxDepot", "")))
                if flow is None:
                    return self._answer(404, {"codeRetour": 2, "libelle": "Flux inconnu"})
                return self._answer(200, {"codeRetour": 0, "libelle": "", "etatCourantDepotFlux": flow.state,
                                          "listeErreurTechnique": [{"codeErreur": "REJ", "libelleErreur": e,
                                                                    "natureErreur": "FICHIER"} for e in flow.errors],
                                          "listeErreurDP": []})
        if self.path == "/cpro/factures/v1/rechercher/fournisseur":
            number = str(body.get("numeroFacture") or "")
            with state.lock:
                found = []
                for invoice in state.invoices.values():
                    if number and invoice.number != number:
                        continue
                    state.catch_up(invoice)
                    found.append({"identifiantFactureCPP": invoice.chorus_id, "numeroFacture": invoice.number,
                                  "statut": invoice.statuses[-1][0],
                                  "destinataire": {"identifiantDestinataire": invoice.buyer_siret}})
            return self._answer(200, {"codeRetour": 0, "libelle": "", "listeFactures": found,
                                      "parametresRetour": {"total": len(found)}})
        if self.path == "/cpro/factures/v1/consulter/fournisseur":
            with state.lock:
                invoice = state.invoices.get(str(body.get("identifiantFactureCPP", "")))
                if invoice is None:
                    return self._answer(404, {"codeRetour": 2, "libelle": "Facture inconnue"})
                state.catch_up(invoice)
                return self._answer(200, {
                    "codeRetour": 0, "libelle": "", "identifiantFactureCPP": invoice.chorus_id,
                    "numeroFacture": invoice.number, "statutFacture": invoice.statuses[-1][0],
                    "historiqueDesStatuts": {"listeStatutsHistorique": [
                        {"statut": s, "dateStatut": at, "commentaire": c} for s, at, c in invoice.statuses]}})
        return self._answer(404, {"codeRetour": 404, "libelle": f"Ressource inconnue : {self.path}"})

    def _token(self, raw: bytes) -> None:
        form = {k: v[0] for k, v in parse_qs(raw.decode("ascii", "replace")).items()}
        state = self.state
        with state.lock:
            state.token_requests += 1
            if (form.get("grant_type") != "client_credentials" or form.get("client_id") != state.client_id
                    or form.get("client_secret") != state.client_secret):
                return self._answer(401, {"error": "invalid_client", "error_description": "Client authentication "
                                                                                          "failed"})
            token = secrets.token_urlsafe(24)
            state.tokens[token] = time.monotonic() + state.token_lifetime_s
        return self._answer(200, {"access_token": token, "token_type": "Bearer",
                                  "expires_in": state.token_lifetime_s, "scope": "openid"})


class Simulator:
    """A running simulator; `url` is its base (token URL: url + /api/oauth/token, API base: url)."""

    def __init__(self, server: ThreadingHTTPServer, thread: threading.Thread) -> None:
        self._server, self._thread = server, thread
        self.state: State = server.state  # type: ignore[attr-defined]
        host, port = server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self.token_url = f"{self.url}/api/oauth/token"
        self.api_url = self.url

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- controls ---------------------------------------------------------------------------------

    def fail_next(self, n: int = 1, *, status: int = 500) -> None:
        with self.state.lock:
            self.state.fail.extend([status] * n)

    def hang_next(self, n: int = 1, *, seconds: float = 2.0) -> None:
        with self.state.lock:
            self.state.hang, self.state.hang_s = n, seconds

    def expire_tokens(self) -> None:
        with self.state.lock:
            self.state.tokens = dict.fromkeys(self.state.tokens, 0.0)

    def advance(self, steps: int = 1) -> None:
        with self.state.lock:
            for invoice in self.state.invoices.values():
                self.state.move(invoice, steps)

    @property
    def deposits(self) -> list[dict]:
        with self.state.lock:
            return list(self.state.deposits)


def start_simulator(*, host: str = "127.0.0.1", port: int = 0, client_id: str = CLIENT_ID,
                    client_secret: str = CLIENT_SECRET, login: str = LOGIN, password: str = PASSWORD,
                    step_s: float | None = None, token_lifetime_s: int = 3600, buyers=DEFAULT_BUYERS) -> Simulator:
    """Start a simulator in a daemon thread (port 0: any free port)."""
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    server.state = State(client_id=client_id, client_secret=client_secret, login=login,  # type: ignore[attr-defined]
                         password=password, step_s=step_s, token_lifetime_s=token_lifetime_s, buyers=buyers)
    thread = threading.Thread(target=server.serve_forever, name="chorus-simulator", daemon=True)
    thread.start()
    return Simulator(server, thread)


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Chorus Pro simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--step", type=float, default=20.0, help="seconds between two statuses")
    args = parser.parse_args(argv)
    sim = start_simulator(host=args.host, port=args.port, step_s=args.step)
    print(f"Chorus Pro simulator at {sim.url} (token: {sim.token_url}); client {CLIENT_ID} / {CLIENT_SECRET}, "
          f"technical account {LOGIN} / {PASSWORD}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        sim.stop()


if __name__ == "__main__":
    main()
