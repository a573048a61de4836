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
  `step_s` seconds (or at each `advance()` when `step_s` is None) — or is rejected the way Chorus Pro
  does it, reading where Chorus Pro reads (the Factur-X mapping of its external specifications): the
  buyer's SIRET in BT-46 (`BuyerTradeParty/GlobalID` with schemeID 0009), the service code in BT-10
  (`BuyerReference`), the engagement number in BT-13 (`BuyerOrderReferencedDocument/IssuerAssignedID`).
  A SIRET no structure has: the flow is rejected (IN_REJETE, nothing comes out of it). A service code
  the structure requires but missing, unknown or inactive, or an engagement number required but missing:
  the invoice goes DEPOSEE → REJETEE with the reason.
- The structures are a seeded directory (`structures.json` beside this module, or `--structures FILE`):
  `POST /cpro/structures/v1/rechercher`, `/consulter` and `/rechercher/services` answer from it.
- `consulterCRDetaille`, `rechercher/fournisseur` and `consulter/fournisseur` read that state.
- The buyer's side: `suspend(number, comment)` (SUSPENDUE, or A_RECYCLER) stops an invoice's course.
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
from pathlib import Path
from urllib.parse import parse_qs

CLIENT_ID = "facturier-demo"
CLIENT_SECRET = "demo-secret"
LOGIN = "TECH_facturier@cpro.test"
PASSWORD = "demo-password"

PROGRESSION = ("DEPOSEE", "MISE_A_DISPOSITION", "MANDATEE", "MISE_EN_PAIEMENT")


@dataclass
class Buyer:
    """A public structure of the seeded directory: its SIRET, its idStructureCPP, its parameters, its services
    ({code: (name, active)})."""

    siret: str
    name: str
    structure_id: int
    services: dict[str, tuple[str, bool]] = field(default_factory=dict)
    service_code_required: bool = False
    engagement_required: bool = False
    service_or_engagement: bool = False

    @property
    def service_codes(self) -> frozenset[str]:
        return frozenset(code for code, (_name, active) in self.services.items() if active)


STRUCTURES_FILE = Path(__file__).with_name("structures.json")


def load_structures(path: Path = STRUCTURES_FILE) -> tuple[Buyer, ...]:
    """The seeded directory: a JSON list of {siret, name, idStructureCPP, codeServiceDoitEtreRenseigne,
    numeroEJDoitEtreRenseigne, gestionNumeroEJOuCodeService, services: [{code, name, active}]}."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    return tuple(Buyer(
        siret=str(r["siret"]), name=str(r["name"]), structure_id=int(r["idStructureCPP"]),
        services={str(v["code"]): (str(v.get("name", "")), bool(v.get("active", True))) for v in r.get("services", [])},
        service_code_required=bool(r.get("codeServiceDoitEtreRenseigne")),
        engagement_required=bool(r.get("numeroEJDoitEtreRenseigne")),
        service_or_engagement=bool(r.get("gestionNumeroEJOuCodeService"))) for r in rows)


DEFAULT_BUYERS = load_structures()


@dataclass
class Invoice:
    chorus_id: str
    number: str
    buyer_siret: str
    statuses: list[tuple[str, str, str]] = field(default_factory=list)  # (statut, dateStatut, commentaire)
    rejection: str = ""
    deposited: float = 0.0
    held: bool = False


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
        for _ in range(steps if not invoice.held else 0):
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
        if facts is not None and facts["siret"] not in self.buyers:
            error = (f"Destinataire inconnu : aucune structure publique active pour le SIRET "
                     f"{facts['siret'] or '(absent : BT-46 avec schemeID 0009)'} dans Chorus Pro.")
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
        buyer = self.buyers[facts["siret"]]
        service, engagement = facts["service"], facts["engagement"]
        if buyer.service_or_engagement and not service and not engagement:
            return ("Code service ou numéro d'engagement obligatoire pour cette structure : la facture ne porte "
                    "ni l'un (BT-10) ni l'autre (BT-13).")
        if buyer.service_code_required and not service:
            return "Code service obligatoire pour cette structure : la facture n'en porte pas (BT-10)."
        if service and service not in buyer.service_codes:
            return f"Code service {service} inconnu ou inactif pour cette structure."
        if buyer.engagement_required and not engagement:
            return "Numéro d'engagement obligatoire pour cette structure : la facture n'en porte pas (BT-13)."
        return ""

    # --- structures -----------------------------------------------------------------------------

    def structure(self, structure_id) -> Buyer | None:
        return next((b for b in self.buyers.values() if str(b.structure_id) == str(structure_id)), None)


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
    siret = next((i.value for i in buyer.identifiers if i.scheme == "0009"), "")  # BT-46, the SIRET scheme
    return {"number": invoice.number, "siret": siret or "", "service": invoice.buyer_reference or "",
            "engagement": invoice.purchase_order_reference or ""}, ""


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
        if self.path.startswith("/cpro/structures/v1/"):
            return self._structures(body)
        return self._answer(404, {"codeRetour": 404, "libelle": f"Ressource inconnue : {self.path}"})

    def _structures(self, body: dict) -> None:
        state = self.state
        if self.path == "/cpro/structures/v1/rechercher":
            wanted = body.get("structure") or {}
            siret = str(wanted.get("identifiantStructure") or "")
            buyer = state.buyers.get(siret) if wanted.get("typeIdentifiantStructure", "SIRET") == "SIRET" else None
            found = [{"idStructureCPP": buyer.structure_id, "identifiantStructure": buyer.siret,
                      "typeIdentifiantStructure": "SIRET", "designationStructure": buyer.name,
                      "statut": "ACTIF"}] if buyer else []
            return self._answer(200, {"codeRetour": 0, "libelle": "", "listeStructures": found,
                                      "parametresRetour": {"total": len(found)}})
        if self.path == "/cpro/structures/v1/consulter":
            buyer = state.structure(body.get("idStructureCPP"))
            if buyer is None:
                return self._answer(404, {"codeRetour": 2, "libelle": "Structure inconnue"})
            return self._answer(200, {
                "codeRetour": 0, "libelle": "", "idStructureCPP": buyer.structure_id,
                "identifiantStructure": buyer.siret, "designationStructure": buyer.name,
                "parametres": {"codeServiceDoitEtreRenseigne": buyer.service_code_required,
                               "numeroEJDoitEtreRenseigne": buyer.engagement_required,
                               "gestionNumeroEJOuCodeService": buyer.service_or_engagement}})
        if self.path == "/cpro/structures/v1/rechercher/services":
            buyer = state.structure(body.get("idStructure"))
            if buyer is None:
                return self._answer(404, {"codeRetour": 2, "libelle": "Structure inconnue"})
            services = [{"idService": buyer.structure_id * 100 + i, "codeService": code, "libelleService": name,
                         "estActif": active} for i, (code, (name, active)) in enumerate(sorted(buyer.services.items()))]
            return self._answer(200, {"codeRetour": 0, "libelle": "", "listeServices": services,
                                      "parametresRetour": {"total": len(services)}})
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

    def suspend(self, number: str, comment: str, status: str = "SUSPENDUE") -> None:
        """The buyer suspends the invoice `number` (or asks to recycle it: status "A_RECYCLER") with a comment."""
        with self.state.lock:
            for invoice in self.state.invoices.values():
                if invoice.number == number:
                    invoice.statuses.append((status, _now(), comment))
                    invoice.held = True  # its course stops there

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
    parser.add_argument("--structures", type=Path, default=STRUCTURES_FILE, help="the seeded structures (JSON)")
    args = parser.parse_args(argv)
    sim = start_simulator(host=args.host, port=args.port, step_s=args.step, buyers=load_structures(args.structures))
    print(f"Chorus Pro simulator at {sim.url} (token: {sim.token_url}); client {CLIENT_ID} / {CLIENT_SECRET}, "
          f"technical account {LOGIN} / {PASSWORD}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        sim.stop()


if __name__ == "__main__":
    main()
