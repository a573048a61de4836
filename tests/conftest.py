"""Suite-wide test configuration.

The suite runs twice under `make test`: on SQLite (everything), then on PostgreSQL when a
server is reachable (only the tests that touch the database, with FACTURIER_TEST_DB_ONLY=1).
Tests marked `postgres` need PostgreSQL's row locks and run in that second pass only.
"""

from __future__ import annotations

import os

import pytest

DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback"}


def _uses_db(item: pytest.Item) -> bool:
    return bool(DB_FIXTURES & set(getattr(item, "fixturenames", ()))) or item.get_closest_marker("django_db")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.db import connection

    on_postgres = connection.vendor == "postgresql"
    if os.environ.get("FACTURIER_TEST_DB_ONLY") == "1":
        kept = [i for i in items if _uses_db(i)]
        config.hook.pytest_deselected(items=[i for i in items if not _uses_db(i)])
        items[:] = kept
    if not on_postgres:
        skip = pytest.mark.skip(reason="needs PostgreSQL (runs in the PostgreSQL pass of `make test`)")
        for item in items:
            if item.get_closest_marker("postgres"):
                item.add_marker(skip)
