"""Fixtures of the archive tests: archived documents, and tampering with the database on purpose."""

from __future__ import annotations

import datetime as dt

import pytest


@pytest.fixture(autouse=True)
def archive_truncate_guard(request):
    """The archive tables refuse TRUNCATE on PostgreSQL unless the session allows it on purpose.

    Like the audit log's guard (tests/conftest.py): tests in a transaction start with the
    guard on; tests that commit allow it at teardown so Django's flush can empty the tables.
    """
    transactional = "transactional_db" in request.fixturenames or any(
        m.kwargs.get("transaction") for m in request.node.iter_markers("django_db"))
    uses_db = transactional or "db" in request.fixturenames or request.node.get_closest_marker("django_db")
    if not uses_db:
        yield
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("RESET facturier.archive_truncate")
    yield
    if transactional:
        with connection.cursor() as cursor:
            cursor.execute("SET facturier.archive_truncate = 'allowed'")


@pytest.fixture
def archived(owner, draft, django_capture_on_commit_callbacks):
    """An invoice issued and archived as in production: the task runs when the issue commits."""
    from facturier.invoicing.services import document_issue

    with django_capture_on_commit_callbacks(execute=True):
        document = document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))
    return document


@pytest.fixture
def issue_another(owner, org, lines, django_capture_on_commit_callbacks):
    """Issue (and archive) one more invoice of the organisation."""
    from facturier.invoicing.services import document_issue, draft_create

    def issue(**extra):
        draft = draft_create(by=owner, customer_id=org.customer.pk, lines=lines, **extra)
        with django_capture_on_commit_callbacks(execute=True):
            return document_issue(by=owner, document_id=draft.pk, issue_date=dt.date(2026, 3, 2))

    return issue
