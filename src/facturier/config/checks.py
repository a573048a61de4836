"""System checks run by `facturier check` (and before every command)."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def data_dir_writable(app_configs, **kwargs):
    if not os.access(settings.DATA_DIR, os.W_OK):
        return [Error(
            f"The data directory {settings.DATA_DIR} is not writable.",
            hint="Set FACTURIER_DATA_DIR to a directory the Facturier user can write.",
            id="facturier.E001",
        )]
    return []


@register(deploy=True)
def production_database(app_configs, **kwargs):
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return [Warning(
            "SQLite is the embedded default; use PostgreSQL (DATABASE_URL) for several users or workers.",
            id="facturier.W001",
        )]
    return []


@register(deploy=True)
def explicit_keys(app_configs, **kwargs):
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
