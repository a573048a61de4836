"""Writes of the platforms app: connections (save, test, enable), the demo's simulated platform."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier import identifiers
from facturier.accounts.models import Membership, Right
from facturier.accounts.services import require_right
from facturier.audit.services import audit_record
from facturier.errors import FacturierError
from facturier.platforms.models import SECRET_FIELDS, AuthKind, Platform, PlatformConnection, sealed_for, secret_of

FIELDS = ("platform_id", "siren", "siret", "organization_id", "client_id", "flow_syntax", "issuer_category",
          "handles_b2g", "enabled")
CREDENTIALS = {"platform_id", "organization_id", "client_id", "client_secret", "bearer_token"}


class ConnectionError_(FacturierError):  # noqa: N801 — not the builtin ConnectionError
    code = "platform_connection"


def _get(by: Membership, connection_id: int, *, lock: bool = False) -> PlatformConnection:
    qs = PlatformConnection.objects.filter(organisation=by.organisation, pk=connection_id)
    if lock:
        qs = qs.select_for_update()
    connection = qs.select_related("platform").first()
    if connection is None:
        raise ConnectionError_(_("This platform connection does not exist."))
    return connection


def _check(connection: PlatformConnection) -> None:
    errors: dict[str, list[str]] = {}
    siren, siret = connection.siren, connection.siret
    if siren:
        try:
            identifiers.validate_siren(siren)
        except ValidationError as e:
            errors.setdefault("siren", []).extend(e.messages)
    if siret:
        try:
            identifiers.validate_siret(siret)
        except ValidationError as e:
            errors.setdefault("siret", []).extend(e.messages)
        if not siren:
            connection.siren = siret[:9]
        elif siret[:9] != siren:
            errors.setdefault("siret", []).append(_("This SIRET does not belong to the SIREN given."))
    platform = Platform.objects.filter(pk=connection.platform_id).first()
    if platform is None or (not platform.enabled and "platform_id" in getattr(connection, "_changed", ())):
        errors.setdefault("platform_id", []).append(_("Choose one of the platforms offered."))
    if errors:
        raise ValidationError(errors)


def connection_save(*, by: Membership, connection_id: int | None = None, **values) -> PlatformConnection:
    """Create or change a connection. Secrets given replace the stored ones ("" removes; absent keeps).
    A change of platform or credentials marks the connection untested."""
    require_right(by, Right.MANAGE_SETTINGS)
    secrets_given = {name: values.pop(name) for name in SECRET_FIELDS if name in values}
    values = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items() if k in FIELDS}
    for key in ("siren", "siret"):
        if key in values:
            values[key] = (values[key] or "").replace(" ", "")
    with transaction.atomic():
        connection = _get(by, connection_id, lock=True) if connection_id else PlatformConnection(
            organisation=by.organisation)
        before = {k: getattr(connection, k) for k in FIELDS} if connection.pk else None
        credentials_changed = connection.pk is None
        connection._changed = set()
        for key, value in values.items():
            if getattr(connection, key) != value:
                credentials_changed = credentials_changed or key in CREDENTIALS
                connection._changed.add(key)
                setattr(connection, key, value)
        _check(connection)
        try:
            with transaction.atomic():
                connection.save()
        except IntegrityError:
            raise ValidationError({"siret": [_("Another connection already covers this scope (SIREN/SIRET).")]})
        for name, given in secrets_given.items():
            raw = (given or "").encode() if isinstance(given, str) else (given or b"")
            setattr(connection, name, sealed_for(connection, name, raw))
            credentials_changed = credentials_changed or name in CREDENTIALS
        if credentials_changed:
            connection.test_ok = False
        connection.save()
        audit_record(actor=by, subject=connection, action="platform_connection.save", before=before,
                     after={k: getattr(connection, k) for k in FIELDS}
                     | {"secrets_changed": sorted(secrets_given)})
    from facturier.platforms.client import forget_tokens

    forget_tokens(connection.pk)
    return connection


def connection_delete(*, by: Membership, connection_id: int) -> None:
    require_right(by, Right.MANAGE_SETTINGS)
    with transaction.atomic():
        connection = _get(by, connection_id, lock=True)
        audit_record(actor=by, subject=connection, action="platform_connection.delete",
                     before={k: getattr(connection, k) for k in FIELDS})
        connection.delete()


@dataclass
class TestReport:
    ok: bool = True
    steps: list[dict] = field(default_factory=list)

    def passed(self, step: str, message: str) -> None:
        self.steps.append({"step": step, "ok": True, "message": message})

    def failed(self, step: str, message: str) -> None:
        self.ok = False
        self.steps.append({"step": step, "ok": False, "message": message})

    @property
    def message(self) -> str:
        failed = [s for s in self.steps if not s["ok"]]
        return failed[0]["message"] if failed else _("The connection works.")


def run_test(connection: PlatformConnection) -> TestReport:
    """Sign in (OAuth2), the Flow Service's health check, an authenticated flow search, the Directory
    Service's health check, and the lookup of the organisation's own SIREN: the first failure stops."""
    from facturier.platforms.client import DirectoryClient, FlowClient, PlatformError, Step, forget_tokens

    report = TestReport()
    forget_tokens(connection.pk)
    siren = connection.siren or _own_siren(connection.organisation)
    try:
        with FlowClient(connection) as flows:
            if connection.platform.auth_kind == AuthKind.OAUTH2:
                flows.token()
                report.passed(Step.TOKEN, _("The platform accepted the client id and secret."))
            flows.health()
            report.passed(Step.HEALTH, _("The Flow Service answers."))
            flows.search(updated_after=timezone.now(), limit=1)
            report.passed(Step.FLOW_SEARCH, _("An authenticated call succeeded."))
        with DirectoryClient(connection) as directory:
            directory.health()
            report.passed(Step.DIRECTORY_HEALTH, _("The Directory Service answers."))
            if siren:
                lines = directory.lines_for_siren(siren)
                if lines:
                    report.passed(Step.DIRECTORY, _("The directory has %(n)d line(s) for your SIREN %(siren)s.")
                                  % {"n": len(lines), "siren": siren})
                else:
                    report.failed(Step.DIRECTORY, _("The directory has no line for your SIREN %(siren)s: your "
                                                    "company cannot receive invoices through this platform yet. "
                                                    "Ask the platform to register it.") % {"siren": siren})
    except PlatformError as e:
        report.failed(e.step, e.reason)
    return report


def _own_siren(organisation) -> str:
    profile = organisation.legal_profiles.order_by("-effective_from").first()
    return profile.siren if profile else ""


def connection_test(*, by: Membership, connection_id: int) -> TestReport:
    """Run the connection test and record its outcome (the steps, in the user's language, and the time)."""
    require_right(by, Right.MANAGE_SETTINGS)
    connection = _get(by, connection_id)
    report = run_test(connection)
    with transaction.atomic():
        PlatformConnection.objects.filter(pk=connection.pk).update(
            tested_at=timezone.now(), test_ok=report.ok, test_message=report.message, test_steps=report.steps)
        audit_record(actor=by, subject=connection, action="platform_connection.test",
                     after={"ok": report.ok, "steps": report.steps})
    return report


def webhook_subscribe(connection: PlatformConnection, callback_url: str, *,
                      flow_types: list[str] | None = None) -> PlatformConnection:
    """Subscribe the connection to the platform's events at `callback_url` (POST /v1/webhooks), keep the signing
    key encrypted and the webhook id; a previous subscription of the connection is deleted at the platform
    first (a failure to delete it is not fatal: it stops on its own when its key no longer verifies)."""
    from facturier.platforms.client import FlowClient, PlatformError

    with FlowClient(connection) as flows:
        if connection.webhook_id:
            with contextlib.suppress(PlatformError):
                flows.webhook_delete(connection.webhook_id)
        hook = flows.webhook_create(callback_url=callback_url, flow_types=flow_types)
    PlatformConnection.objects.filter(pk=connection.pk).update(
        webhook_id=hook.webhook_id, webhook_secret=sealed_for(connection, "webhook_secret", hook.signing_key))
    connection.refresh_from_db()
    return connection


def webhook_callback_url(connection: PlatformConnection, base_url: str | None = None) -> str:
    """Where the platform calls this connection: its webhook endpoint at the installation's public address."""
    from django.conf import settings
    from django.urls import reverse

    base = (base_url or settings.FACTURIER_BASE_URL).rstrip("/")
    return base + reverse("platform_status:webhook", args=[connection.pk])


def _register(connection: PlatformConnection, callback_url: str) -> PlatformConnection:
    """Subscribe the connection's webhook for the life-cycle flows (invoices' and e-reporting files') and check
    the platform lists it at that address (the Flow Service has no ping: its list is the proof it is held)."""
    from facturier.platforms.client import FlowClient
    from facturier.platforms.statuses import LIFECYCLE_FLOW_TYPES

    connection = webhook_subscribe(connection, callback_url, flow_types=list(LIFECYCLE_FLOW_TYPES))
    with FlowClient(connection) as flows:
        held = [h for h in flows.webhooks() if h.webhook_id == connection.webhook_id]
    if not held or (held[0].callback_url and held[0].callback_url != callback_url):
        raise ConnectionError_(gettext_lazy("The platform does not list the webhook just registered at %(url)s: "
                                            "statuses will come by polling only. Try again, or ask the platform."),
                               url=callback_url)
    return connection


def webhook_register(*, by: Membership, connection_id: int) -> PlatformConnection:
    """Register (or register again) the connection's webhook with its platform, so statuses arrive as soon as
    the platform emits them (the search of incoming flows stays as the fallback)."""
    from facturier.platforms.client import PlatformError

    require_right(by, Right.MANAGE_SETTINGS)
    connection = _get(by, connection_id)
    url = webhook_callback_url(connection)
    try:
        connection = _register(connection, url)
    except PlatformError as e:
        raise ConnectionError_(gettext_lazy("The platform did not register the webhook (%(step)s): %(reason)s"),
                               step=e.step_label, reason=e.reason) from None
    audit_record(actor=by, subject=connection, action="platform_connection.webhook",
                 after={"webhook_id": connection.webhook_id, "callback_url": url})
    return connection


def webhook_key(connection: PlatformConnection) -> bytes:
    """The signing key of the connection's webhook (b"" when none): what `webhooks.verify` checks with."""
    return secret_of(connection, "webhook_secret")


# -- the demo's simulated platform ----------------------------------------------------------------------------

SIMULATOR_NAME = "PA simulator (demo)"
DEMO_CLIENT_ID = "demo"
DEMO_CLIENT_SECRET = "demo-secret"  # noqa: S105 — the local simulator's demo account, printed by `facturier run`


def simulator_platform(base_url: str) -> Platform:
    """The installation's Platform row for a local simulator at `base_url` (created or pointed there)."""
    base_url = base_url.rstrip("/")
    platform, _created = Platform.objects.update_or_create(name=SIMULATOR_NAME, defaults={
        "flow_url": f"{base_url}/flow-service", "directory_url": f"{base_url}/directory-service",
        "auth_kind": AuthKind.OAUTH2, "token_url": f"{base_url}/auth/token", "scope": "", "enabled": True})
    return platform


def simulator_connect(organisation, base_url: str, *, client_id: str = DEMO_CLIENT_ID,
                      client_secret: str = DEMO_CLIENT_SECRET) -> PlatformConnection:
    """Connect `organisation` (its default scope) to the simulator with the demo credentials, unless it already
    has a default connection (kept as its settings managers left it). No audit: the system sets up the demo."""
    platform = simulator_platform(base_url)
    with transaction.atomic():
        connection, created = PlatformConnection.objects.get_or_create(
            organisation=organisation, siren="", siret="",
            defaults={"platform": platform, "client_id": client_id, "organization_id": organisation.slug})
        if created:
            connection.client_secret = sealed_for(connection, "client_secret", client_secret.encode())
            connection.save(update_fields=["client_secret"])
    return connection


def simulator_webhook(connection: PlatformConnection, base_url: str | None = None) -> PlatformConnection:
    """The demo's subscription, made at start-up as a real connection's would be (no member, no audit: the system
    sets up the demo); None-safe for the caller: a platform error is raised as it is."""
    return _register(connection, webhook_callback_url(connection, base_url))


__all__ = ["TestReport", "connection_delete", "connection_save", "connection_test", "run_test", "secret_of",
           "simulator_connect", "simulator_platform", "simulator_webhook", "webhook_callback_url", "webhook_key",
           "webhook_register", "webhook_subscribe"]
