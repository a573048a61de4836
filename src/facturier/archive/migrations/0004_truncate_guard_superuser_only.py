"""The archive's TRUNCATE guard: its escape hatch only for a superuser session (as the audit log's,
audit 0003): the test suite's flush connects as a superuser; the application's role never does."""

from django.db import migrations

TEMPLATE = """
CREATE OR REPLACE FUNCTION archive_no_truncate() RETURNS trigger AS $$
BEGIN
    IF (current_setting('facturier.archive_truncate', true) = 'allowed'
        OR current_setting('facturier.audit_truncate', true) = 'allowed'){condition} THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only';
END;
$$ LANGUAGE plpgsql;
"""
SUPERUSER_ONLY = TEMPLATE.format(condition="\n       AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)")
ANY_SESSION = TEMPLATE.format(condition="")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SUPERUSER_ONLY)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ANY_SESSION)


class Migration(migrations.Migration):
    dependencies = [("archive", "0003_retention_legal_reference")]
    operations = [migrations.RunPython(forward, backward)]
