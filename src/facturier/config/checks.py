"""System checks run by `facturier check` (and before every command).

`facturier check --deploy` adds what a production deployment still lacks, each named with what
to set. A new requirement is one function registered with `@deployment` returning the issues it
finds; one that needs the database reads it through `_database` (the check then says so when the
database cannot be reached, instead of failing).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.db import DatabaseError, connection


def deployment(check: Callable[[], list[CheckMessage]]):
    """Register a production requirement: run by `facturier check --deploy` only."""

    def run(app_configs, **kwargs):
        return check()

    run.__name__ = check.__name__
    run.__doc__ = check.__doc__
    register(run, deploy=True)
    return check


@register()
def data_dir_writable(app_configs, **kwargs):
    if not os.access(settings.DATA_DIR, os.W_OK):
        return [Error(
            f"The data directory {settings.DATA_DIR} is not writable.",
            hint="Set FACTURIER_DATA_DIR to a directory the Facturier user can write.",
            id="facturier.E001",
        )]
    return []


@deployment
def production_database() -> list[CheckMessage]:
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return [Warning(
            "SQLite is the embedded default; use PostgreSQL (DATABASE_URL) for several users or workers.",
            id="facturier.W001",
        )]
    return []


@deployment
def explicit_keys() -> list[CheckMessage]:
    missing = [name for name in ("FACTURIER_SECRET_KEY", "FACTURIER_MASTER_KEY")
               if not (os.environ.get(name) or os.environ.get(f"{name}_FILE"))]
    if missing:
        return [Warning(
            f"{', '.join(missing)} generated under the data directory; set them explicitly in production "
            "and back the master key up: without it the archive cannot be decrypted.",
            id="facturier.W002",
        )]
    return []


@register()
def conformance_material(app_configs, **kwargs):
    if not (settings.CONFORMANCE_DIR / "MANIFEST.sha256").is_file():
        return [Warning(
            f"The official validation rules are not at {settings.CONFORMANCE_DIR}: every e-invoice "
            "validation will fail with 'rules unavailable'.",
            hint="Install Facturier from its repository (editable install), or set FACTURIER_CONFORMANCE_DIR "
                 "to the repository's conformance/ folder.",
            id="facturier.W003",
        )]
    return []


@register(deploy=True)
def shared_cache(app_configs, **kwargs):
    backend = settings.CACHES["default"]["BACKEND"]
    if not backend.endswith(("db.DatabaseCache", "redis.RedisCache")):
        return [Warning(
            f"The cache ({backend}) is not shared between processes: the sign-in throttle would count per process.",
            hint="Leave FACTURIER_CACHE_URL empty (database cache) or point it at Redis.",
            id="facturier.W014",
        )]
    return []


@register(deploy=True)
def trusted_proxy_header(app_configs, **kwargs):
    if settings.FACTURIER_BASE_URL.startswith("https://") and not settings.FACTURIER_TRUSTED_PROXY_HEADER:
        return [Warning(
            "FACTURIER_TRUSTED_PROXY_HEADER is not set: behind a TLS reverse proxy every request seems to come "
            "from the proxy, and the sign-in throttle counts all users as one address.",
            hint="Set it to the header your proxy writes (e.g. X-Forwarded-For); leave it unset only when "
                 "clients reach Facturier directly.",
            id="facturier.W015",
        )]
    return []


@deployment
def tls() -> list[CheckMessage]:
    """Served over HTTPS: secure cookies, HSTS and the redirection follow from the public address."""
    if not settings.FACTURIER_BASE_URL.startswith("https://"):
        return [Warning(
            f"The public address {settings.FACTURIER_BASE_URL} is not HTTPS: sessions, passwords and invoices "
            "travel in clear, and cookies are not marked secure.",
            hint="Serve Facturier behind a TLS reverse proxy and set FACTURIER_BASE_URL=https://your.host "
                 "(secure cookies, HSTS and the redirection to HTTPS follow).",
            id="facturier.W010",
        )]
    return []


def _database(sql: str, params: tuple = ()) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


ROLE_SQL = """
SELECT current_user, r.rolsuper, t.tableowner, pg_has_role(current_user, t.tableowner, 'USAGE')
FROM pg_roles r, pg_tables t
WHERE r.rolname = current_user AND t.schemaname = current_schema() AND t.tablename = 'audit_event'
"""


def database_role_findings() -> list[CheckMessage]:
    """What the application's PostgreSQL role can do that it must not: be a superuser, or own the tables
    (an owner can drop the triggers that keep the audit log and the archive append-only)."""
    try:
        row = _database(ROLE_SQL)
    except DatabaseError as e:
        return [Warning(f"The database role could not be checked: {e}".strip(), id="facturier.W013")]
    if row is None:
        return [Warning("The database role could not be checked: the tables are not there yet (run the "
                        "migrations first).", id="facturier.W013")]
    role, superuser, owner, acts_as_owner = row
    hint = ("Run the migrations as a separate role that owns the tables (FACTURIER_MIGRATE_DATABASE_URL, used "
            "by `facturier migrate`), and connect the application (DATABASE_URL) as a role that is granted "
            "SELECT, INSERT, UPDATE, DELETE only: see README, \"Deployment: database roles\".")
    if superuser:
        return [Warning(f"The application connects to PostgreSQL as {role}, a superuser: it can drop the triggers "
                        "that keep the audit log and the archive append-only.", hint=hint, id="facturier.W011")]
    if acts_as_owner:
        return [Warning(f"The application's database role {role} owns the tables (owner: {owner}): it can drop the "
                        "triggers that keep the audit log and the archive append-only.", hint=hint,
                        id="facturier.W012")]
    return []


@deployment
def database_role() -> list[CheckMessage]:
    if connection.vendor != "postgresql":
        return []  # SQLite has no roles: W001 already asks for PostgreSQL
    return database_role_findings()
