"""Fixtures of the import tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def archive_truncate_guard(request):
    """Imports archive what they receive: tests that commit let Django's flush empty the archive tables at
    teardown on PostgreSQL (they refuse TRUNCATE otherwise), as the archive's own tests do."""
    transactional = "transactional_db" in request.fixturenames or any(
        m.kwargs.get("transaction") for m in request.node.iter_markers("django_db"))
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")
    from django.db import connection

    yield
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET facturier.archive_truncate = 'allowed'")
