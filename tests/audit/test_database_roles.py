"""PostgreSQL roles: the application's role cannot empty or unguard the audit log and the archive, the
suite's flush (a superuser) still can, and `facturier check --deploy` tells a role that owns the tables."""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, connection, transaction

from facturier.config.checks import database_role_findings

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def role():
    """A role created in the test's transaction (rolled back with it), granted what the README grants."""

    def make(*, owner_of: tuple[str, ...] = ()) -> str:
        name = f"facturier_test_{uuid.uuid4().hex[:10]}"
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE ROLE {name} NOLOGIN")
            cursor.execute(f"GRANT USAGE ON SCHEMA public TO {name}")
            cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO {name}")
            for table in owner_of:
                cursor.execute(f"ALTER TABLE {table} OWNER TO {name}")
        return name

    return make


def truncate_as(role_name: str, table: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # this test's own pending FK checks first
        cursor.execute(f"SET LOCAL ROLE {role_name}")
        cursor.execute("SET LOCAL facturier.audit_truncate = 'allowed'")
        cursor.execute("SET LOCAL facturier.archive_truncate = 'allowed'")
        cursor.execute(f"TRUNCATE {table}")


@pytest.mark.parametrize("table", ["audit_event", "archive_checkpoint"])
def test_the_test_suites_truncate_setting_gives_the_application_role_nothing(role, table):
    application = role()
    with pytest.raises(DatabaseError, match="append-only"):
        truncate_as(application, table)


def test_the_application_role_that_does_not_own_the_tables_passes_the_role_check(role):
    application = role()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {application}")
        assert database_role_findings() == []


def test_a_superuser_or_an_owner_of_the_tables_is_named_by_the_role_check(role):
    assert [w.id for w in database_role_findings()] == ["facturier.W011"]  # the suite connects as postgres
    owner = role(owner_of=("audit_event",))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {owner}")
        [warning] = database_role_findings()
    assert warning.id == "facturier.W012" and owner in warning.msg and "FACTURIER_MIGRATE_DATABASE_URL" in warning.hint
