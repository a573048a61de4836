"""Helpers of the archive tests: tampering with the database on purpose."""

from __future__ import annotations

import contextlib
import importlib

TRIGGERS = importlib.import_module("facturier.archive.migrations.0002_append_only_triggers")


@contextlib.contextmanager
def untriggered(*tables: str):
    """Lift the append-only triggers of `tables` inside the test's transaction (rolled back with it)."""
    from django.db import connection

    SQLITE_FORWARD, SQLITE_TRIGGERS = TRIGGERS.SQLITE_FORWARD, TRIGGERS.SQLITE_TRIGGERS  # noqa: N806

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks: ALTER may run
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            for name in SQLITE_TRIGGERS:
                if any(name.startswith(t) for t in tables):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
    try:
        yield connection
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for table in tables:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                for name, statement in zip(SQLITE_TRIGGERS, SQLITE_FORWARD, strict=True):
                    if any(name.startswith(t) for t in tables):
                        cursor.execute(statement)
