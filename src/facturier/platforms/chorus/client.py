"""A small Chorus Pro client on httpx: the PISTE token, the deposit of a flow and the reading of its
statuses. Django-free apart from gettext for its messages; the caller passes an `Endpoint`.

What it follows (public material; no official SDK is used):
- PISTE (https://piste.gouv.fr, API catalogue): OAuth2 client credentials at
  `https://[sandbox-]oauth.piste.gouv.fr/api/oauth/token` (`grant_type=client_credentials`,
  `client_id`, `client_secret`, `scope=openid`), the answer's `access_token` / `expires_in`; the API
  gateway at `https://[sandbox-]api.piste.gouv.fr`.
- The Chorus Pro technical account in the `cpro-account` header: base64 of "login:password".
- API "Factures" v1: `POST /cpro/factures/v1/deposer/flux` (deposerFluxFacture) with
  `fichierFlux` (base64), `nomFichier`, `syntaxeFlux`, `avecSignature`; answer
  `WsRetourDeposerFluxFacture`: `codeRetour`, `libelle`, `numeroFluxDepot`, `dateDepot`,
  `syntaxeFlux`. A Factur-X PDF is a mixed flow (E2): syntax `IN_DP_E2_CII_FACTURX` (community
  page "Flow examples", https://communaute.chorus-pro.gouv.fr/documentation/flow-examples/).
- API "Transverses" v1: `POST /cpro/transverses/v1/consulterCRDetaille` (`numeroFluxDepot`), answer
  `etatCourantDepotFlux` (IN_RECU, IN_EN_COURS_TRAITEMENT_CPP, IN_INTEGRE, IN_REJETE, …; the pypi
  package chorus-api lists these codes), `listeErreurTechnique` / `listeErreurDP` for rejections.
- `POST /cpro/factures/v1/rechercher/fournisseur` (rechercherFactureParFournisseur): `listeFactures`
  of `identifiantFactureCPP`, `numeroFacture`, `statut`; `POST /cpro/factures/v1/consulter/fournisseur`
  (consulterFactureParFournisseur, `identifiantFactureCPP`): `statutFacture` and the history
  `historiqueDesStatuts.listeStatutsHistorique` (`statut`, `dateStatut`, `commentaire`). Invoice statuses:
  DEPOSEE, EN_COURS_ACHEMINEMENT, MISE_A_DISPOSITION, SUSPENDUE, REJETEE, MANDATEE, MISE_EN_PAIEMENT,
  COMPLETEE, SERVICE_FAIT, A_RECYCLER (portail.chorus-pro.gouv.fr documentation; collectivites-locales.gouv.fr
  "Le suivi (statut) des factures dans Chorus Pro").
  The search and consult request shapes come from third-party clients, not from the Swagger itself:
  they are the part to check first against a real qualification account.
- API "Structures" v1 (the public buyers' parameters), as the OCA module l10n_fr_chorus_account calls it:
  `POST /cpro/structures/v1/rechercher` (`structure.identifiantStructure` = the SIRET,
  `typeIdentifiantStructure` = "SIRET"): `listeStructures` of `idStructureCPP`, `designationStructure`;
  `POST /cpro/structures/v1/consulter` (`idStructureCPP`): `parametres.codeServiceDoitEtreRenseigne`,
  `parametres.numeroEJDoitEtreRenseigne` (engagement number), `parametres.gestionNumeroEJOuCodeService`
  (one of the two); `POST /cpro/structures/v1/rechercher/services` (`idStructure`): `listeServices` of
  `idService`, `codeService`, `libelleService`, `estActif`.

Outbound connections go only to public addresses unless `allow_private` (the operator's choice,
FACTURIER_OUTBOUND_ALLOW_PRIVATE_HOSTS): the name is resolved once by `facturier.engine.net` and the
request goes to the address checked (TLS still verifies the name).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.utils.translation import gettext_lazy as _

from facturier.engine.net import HostNotFound, HostRefused, resolve_public
from facturier.errors import FacturierError

FACTURX_SYNTAX = "IN_DP_E2_CII_FACTURX"
DEPOSER_FLUX = "/cpro/factures/v1/deposer/flux"
CONSULTER_CR = "/cpro/transverses/v1/consulterCRDetaille"
RECHERCHER_FOURNISSEUR = "/cpro/factures/v1/rechercher/fournisseur"
CONSULTER_FOURNISSEUR = "/cpro/factures/v1/consulter/fournisseur"
RECHERCHER_STRUCTURE = "/cpro/structures/v1/rechercher"
CONSULTER_STRUCTURE = "/cpro/structures/v1/consulter"
RECHERCHER_SERVICES = "/cpro/structures/v1/rechercher/services"
SERVICES_PAGE = 1000
TIMEOUT_S = 30.0
TOKEN_MARGIN_S = 30


class Step:
    """The steps of a connection test, named in its report."""

    TOKEN = "token"
    ACCOUNT = "account"
    API = "api"
    LABELS = {TOKEN: _("PISTE token"), ACCOUNT: _("Technical account"), API: _("API call")}


class ChorusError(FacturierError):
    """A Chorus Pro call failed; `step` names where, `temporary` whether trying later may work."""

    code = "chorus"
    step = Step.API
    temporary = False

    def __init__(self, message, *, step: str | None = None, temporary: bool | None = None, **params):
        super().__init__(message, **params)
        if step is not None:
            self.step = step
        if temporary is not None:
            self.temporary = temporary


class TokenRejected(ChorusError):
    code = "chorus_token"
    step = Step.TOKEN


class AccountRejected(ChorusError):
    code = "chorus_account"
    step = Step.ACCOUNT


class Unreachable(ChorusError):
    """Nothing reached Chorus Pro (or it answered 5xx): safe to try again later."""

    code = "chorus_unreachable"
    temporary = True


class Refused(ChorusError):
    """Chorus Pro answered and refused the request (4xx, or a codeRetour other than 0)."""

    code = "chorus_refused"


class OutcomeUnknown(ChorusError):
    """The request left and no answer came: Chorus Pro may have it. Never repeated blindly."""

    code = "chorus_unknown"


@dataclass(frozen=True, slots=True)
class Endpoint:
    token_url: str
    api_url: str
    client_id: str
    client_secret: str
    login: str
    password: str
    allow_private: bool = False
    timeout: float = TIMEOUT_S
    ca_file: str = ""


@dataclass(frozen=True, slots=True)
class Deposit:
    flow_number: str
    deposited_at: str
    syntax: str


@dataclass(frozen=True, slots=True)
class FlowReport:
    state: str
    errors: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return self.state in ("IN_REJETE", "IN_INCIDENTE")

    @property
    def integrated(self) -> bool:
        return self.state in ("IN_INTEGRE", "IN_INTEGRE_PARTIEL")


@dataclass(frozen=True, slots=True)
class StatusEntry:
    status: str
    at: str
    comment: str = ""


@dataclass(frozen=True, slots=True)
class InvoiceFound:
    chorus_id: str
    number: str
    status: str


@dataclass(frozen=True, slots=True)
class InvoiceDetail:
    chorus_id: str
    status: str
    history: list[StatusEntry]


@dataclass(frozen=True, slots=True)
class Service:
    code: str
    name: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class StructureRules:
    """What a public buyer's structure requires of the invoices addressed to it, as Chorus Pro says."""

    structure_id: str
    name: str
    service_code_required: bool
    engagement_required: bool
    service_or_engagement: bool
    """One of the two at least (gestionNumeroEJOuCodeService)."""
    services: list[Service] = field(default_factory=list)


class StructureNotFound(ChorusError):
    """No active public structure has this SIRET on Chorus Pro."""

    code = "chorus_structure_not_found"


_tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def forget_tokens() -> None:
    with _tokens_lock:
        _tokens.clear()


def _detail(e: BaseException) -> str:
    return str(e) or e.__class__.__name__


class ChorusClient:
    """One organisation's client. Thread-safe; its token is shared by every client of the same
    application (cached until shortly before it expires, fetched again on a 401)."""

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint
        self._http = httpx.Client(timeout=endpoint.timeout, verify=endpoint.ca_file or True,
                                  follow_redirects=False)
        secret_digest = hashlib.sha256(endpoint.client_secret.encode()).hexdigest()
        self._token_key = (endpoint.token_url, endpoint.client_id, secret_digest)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ChorusClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- transport ------------------------------------------------------------------------

    def _pinned(self, url: str, step: str) -> tuple[str, dict, dict]:
        """The URL to the checked address, the Host header and the TLS name (see the module docstring)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ChorusError(_("The address %(url)s is not an http(s) URL."), step=step, url=url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            resolved = resolve_public(parts.hostname, port, allow_private=self.endpoint.allow_private)
        except HostRefused as e:
            raise ChorusError(_("The address %(host)s is refused: it is not a public address (%(detail)s)."),
                              step=step, host=parts.hostname, detail=e.address)
        except HostNotFound:
            raise Unreachable(_("The name %(host)s does not resolve."), step=step, host=parts.hostname)
        address = resolved.address
        shown = f"[{address}]" if ":" in address else address
        pinned = urlunsplit((parts.scheme, f"{shown}:{port}", parts.path or "/", parts.query, ""))
        host_header = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
        return pinned, {"Host": host_header}, extensions

    def _send(self, url: str, *, step: str, reversible: bool, **kwargs) -> httpx.Response:
        pinned, headers, extensions = self._pinned(url, step)
        headers.update(kwargs.pop("headers", {}))
        try:
            return self._http.post(pinned, headers=headers, extensions=extensions, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as e:  # nothing left
            raise Unreachable(_("Chorus Pro cannot be reached: %(reason)s."), step=step, reason=_detail(e))
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as e:
            if reversible:
                raise Unreachable(_("Chorus Pro did not answer: %(reason)s."), step=step, reason=_detail(e))
            raise OutcomeUnknown(_("The connection was lost while the invoice was being deposited (%(reason)s): "
                                   "Chorus Pro may have it."), step=step, reason=_detail(e))

    # --- token ----------------------------------------------------------------------------

    def token(self, *, fresh: bool = False) -> str:
        now = time.monotonic()
        with _tokens_lock:
            cached = _tokens.get(self._token_key)
            if cached and not fresh and cached[1] > now:
                return cached[0]
        answer = self._send(self.endpoint.token_url, step=Step.TOKEN, reversible=True, data={
            "grant_type": "client_credentials", "client_id": self.endpoint.client_id,
            "client_secret": self.endpoint.client_secret, "scope": "openid"})
        if answer.status_code in (400, 401, 403):
            raise TokenRejected(_("PISTE refused the application's credentials (HTTP %(status)s): check the client "
                                  "id and secret."), status=answer.status_code)
        if answer.status_code >= 500:
            raise Unreachable(_("PISTE answered HTTP %(status)s: try again later."), step=Step.TOKEN,
                              status=answer.status_code)
        try:
            body = answer.json()
            token, expires_in = body["access_token"], int(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise TokenRejected(_("PISTE's answer carries no token (HTTP %(status)s)."), status=answer.status_code)
        with _tokens_lock:
            _tokens[self._token_key] = (token, now + max(expires_in - TOKEN_MARGIN_S, 1))
        return token

    def _account(self) -> str:
        return base64.b64encode(f"{self.endpoint.login}:{self.endpoint.password}".encode()).decode()

    def call(self, path: str, body: dict, *, reversible: bool = True) -> dict:
        """POST `body` to the API; a 401 fetches a new token and tries once more (the gateway refused the
        request before Chorus Pro saw it, so even a deposit may be repeated); a second 401 is the account."""
        url = self.endpoint.api_url.rstrip("/") + path
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.token(fresh=attempt == 2)}", "cpro-account": self._account(),
                       "Accept": "application/json"}
            answer = self._send(url, step=Step.API, reversible=reversible, json=body, headers=headers)
            if answer.status_code != 401:
                break
        if answer.status_code in (401, 403):
            raise AccountRejected(_("Chorus Pro refused the technical account (HTTP %(status)s): check its login "
                                    "and password, and that it may use this API."), status=answer.status_code)
        if answer.status_code >= 500 or answer.status_code in (408, 429):
            raise Unreachable(_("Chorus Pro answered HTTP %(status)s: it will be tried again later."),
                              status=answer.status_code)
        try:
            data = answer.json()
        except ValueError:
            data = {}
        if answer.status_code >= 400 or (isinstance(data, dict) and data.get("codeRetour") not in (None, 0, "0")):
            libelle = data.get("libelle", "") if isinstance(data, dict) else ""
            raise Refused(_("Chorus Pro refused the request (HTTP %(status)s): %(reason)s"),
                          status=answer.status_code, reason=libelle or answer.text[:300])
        return data if isinstance(data, dict) else {}

    # --- operations -----------------------------------------------------------------------

    def deposer_flux(self, *, file_name: str, data: bytes, syntax: str = FACTURX_SYNTAX) -> Deposit:
        body = {"fichierFlux": base64.b64encode(data).decode(), "nomFichier": file_name, "syntaxeFlux": syntax,
                "avecSignature": False}
        answer = self.call(DEPOSER_FLUX, body, reversible=False)
        if not answer.get("numeroFluxDepot"):
            raise Refused(_("Chorus Pro's answer carries no flow number: %(reason)s"),
                          reason=answer.get("libelle", ""), status=200)
        return Deposit(flow_number=str(answer["numeroFluxDepot"]), deposited_at=str(answer.get("dateDepot", "")),
                       syntax=str(answer.get("syntaxeFlux", syntax)))

    def consulter_cr(self, flow_number: str) -> FlowReport:
        answer = self.call(CONSULTER_CR, {"numeroFluxDepot": flow_number})
        errors = [str(e.get("libelleErreur", "")) for e in answer.get("listeErreurTechnique") or []]
        errors += [str(e.get("libelleErreurDP", "")) for e in answer.get("listeErreurDP") or []]
        return FlowReport(state=str(answer.get("etatCourantDepotFlux", "")), errors=[e for e in errors if e])

    def rechercher_factures(self, *, invoice_number: str) -> list[InvoiceFound]:
        answer = self.call(RECHERCHER_FOURNISSEUR, {"numeroFacture": invoice_number,
                                                    "pagination": {"pageResultatDemandee": 1,
                                                                   "nbResultatsParPage": 10}})
        return [InvoiceFound(chorus_id=str(f.get("identifiantFactureCPP", "")), number=str(f.get("numeroFacture", "")),
                             status=str(f.get("statut", ""))) for f in answer.get("listeFactures") or []]

    def consulter_facture(self, chorus_id: str) -> InvoiceDetail:
        answer = self.call(CONSULTER_FOURNISSEUR, {"identifiantFactureCPP": chorus_id})
        history = (answer.get("historiqueDesStatuts") or {}).get("listeStatutsHistorique") or []
        return InvoiceDetail(chorus_id=chorus_id, status=str(answer.get("statutFacture", "")), history=[
            StatusEntry(status=str(h.get("statut", "")), at=str(h.get("dateStatut", "")),
                        comment=str(h.get("commentaire") or "")) for h in history])

    def structure_rules(self, siret: str) -> StructureRules:
        """The structure whose SIRET is `siret`, its parameters and its active services (three calls)."""
        found = self.call(RECHERCHER_STRUCTURE, {"structure": {"identifiantStructure": siret,
                                                               "typeIdentifiantStructure": "SIRET"}})
        structures = [s for s in found.get("listeStructures") or [] if s.get("idStructureCPP")]
        if not structures:
            raise StructureNotFound(_("Chorus Pro knows no public structure with the SIRET %(siret)s: check the "
                                      "customer's SIRET with the buyer."), siret=siret)
        structure_id = str(structures[0]["idStructureCPP"])
        detail = self.call(CONSULTER_STRUCTURE, {"idStructureCPP": structures[0]["idStructureCPP"],
                                                 "codeLangue": "fr"})
        parameters = detail.get("parametres") or {}
        listed = self.call(RECHERCHER_SERVICES, {"idStructure": structures[0]["idStructureCPP"],
                                                 "parametresRechercherServicesStructure": {
                                                     "nbResultatsParPage": SERVICES_PAGE, "pageResultatDemandee": 1}})
        services = [Service(code=str(s.get("codeService") or ""), name=str(s.get("libelleService") or ""),
                            active=s.get("estActif") is not False)
                    for s in listed.get("listeServices") or [] if s.get("codeService")]
        return StructureRules(
            structure_id=structure_id,
            name=str(detail.get("designationStructure") or structures[0].get("designationStructure") or ""),
            service_code_required=bool(parameters.get("codeServiceDoitEtreRenseigne")),
            engagement_required=bool(parameters.get("numeroEJDoitEtreRenseigne")),
            service_or_engagement=bool(parameters.get("gestionNumeroEJOuCodeService")), services=services)

    def test(self) -> list[dict]:
        """The connection test: token, technical account and an API call (a search), step by step."""
        steps: list[dict] = []

        def ok(step: str, message) -> None:
            steps.append({"step": step, "ok": True, "message": str(message)})

        try:
            self.token(fresh=True)
            ok(Step.TOKEN, _("PISTE gave a token."))
            self.rechercher_factures(invoice_number="FACTURIER-TEST")
            ok(Step.ACCOUNT, _("Chorus Pro accepted the technical account."))
            ok(Step.API, _("The invoice search answered."))
        except ChorusError as e:
            if e.step == Step.API and not steps[1:]:
                ok(Step.ACCOUNT, _("Chorus Pro accepted the technical account."))
            steps.append({"step": e.step, "ok": False, "message": e.message})
        return steps


def parse_when(value: str) -> dt.datetime | None:
    """A Chorus Pro date or date-time (ISO 8601, with or without zone; UTC assumed)."""
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
