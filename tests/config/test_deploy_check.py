"""`facturier check --deploy` names what a production deployment lacks, and passes on the README's."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

FACTURIER = Path(sys.executable).with_name("facturier")


def check_deploy(tmp_path, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("FACTURIER_", "DATABASE_URL"))}
    return subprocess.run([str(FACTURIER), "check", "--deploy", "--fail-level", "WARNING"],
                          env={**base, "FACTURIER_DATA_DIR": str(tmp_path), **env}, capture_output=True, text=True,
                          timeout=180, check=False)


def test_an_embedded_install_is_told_what_production_still_needs(tmp_path):
    run = check_deploy(tmp_path)
    assert run.returncode != 0
    for code in ("facturier.W001", "facturier.W002", "facturier.W010"):  # SQLite, generated keys, no TLS
        assert code in run.stderr


@pytest.mark.postgres
def test_the_readme_deployment_passes(transactional_db, tmp_path):
    """The application connects as a role that does not own the tables (the test database's tables belong
    to the suite's superuser, as they would to the migration role), over HTTPS, with explicit keys."""
    from django.db import connection

    name = f"facturier_app_{uuid.uuid4().hex[:10]}"
    settings_dict = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} LOGIN")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {name}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {name}")
    try:
        run = check_deploy(
            tmp_path,
            DATABASE_URL=f"postgres://{name}@{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/"
                         f"{settings_dict['NAME']}",
            FACTURIER_BASE_URL="https://factures.example.fr", FACTURIER_ALLOWED_HOSTS="factures.example.fr",
            FACTURIER_HSTS_INCLUDE_SUBDOMAINS="true", FACTURIER_HSTS_PRELOAD="true",
            FACTURIER_TRUSTED_PROXY_HEADER="X-Forwarded-For",
            FACTURIER_SECRET_KEY=secrets.token_urlsafe(50),
            FACTURIER_MASTER_KEY=base64.b64encode(secrets.token_bytes(32)).decode())
        assert run.returncode == 0, run.stderr
        assert "no issues" in run.stdout
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {name}")
            cursor.execute(f"DROP ROLE {name}")
