"""The audit log's TRUNCATE guard: its escape hatch only for a superuser session.

0002 let any session that sets `facturier.audit_truncate = 'allowed'` empty the audit log —
the application's own role included. Only the test suite needs it (Django's flush between
tests that commit), and it connects as a superuser; a superuser can drop the trigger anyway,
so the hatch gives nothing away. The application's role in production is not a superuser and
does not own the tables (README, "Deployment: database roles"; `facturier check --deploy`).
"""

from django.db import migrations

SUPERUSER_ONLY = """
CREATE OR REPLACE FUNCTION audit_event_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('facturier.audit_truncate', true) = 'allowed'
       AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_event is append-only';
END;
$$ LANGUAGE plpgsql;
"""
ANY_SESSION = """
CREATE OR REPLACE FUNCTION audit_event_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('facturier.audit_truncate', true) = 'allowed' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_event is append-only';
END;
$$ LANGUAGE plpgsql;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SUPERUSER_ONLY)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ANY_SESSION)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]
    operations = [migrations.RunPython(forward, backward)]
