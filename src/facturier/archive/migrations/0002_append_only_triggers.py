"""Database triggers that keep the archive append-only, whatever code path tries.

- journal records and checkpoints: no UPDATE, no DELETE (and no TRUNCATE on PostgreSQL);
- archived files: no DELETE, and an UPDATE may only touch the content key and its version
  (purge, key rotation), the purge date and the legal hold;
- journal heads: never deleted, never moved backwards.

On PostgreSQL, TRUNCATE is refused unless the session allows it on purpose: the test
suite's flush sets `facturier.audit_truncate` (the audit log's guard, tests/conftest.py) or
`facturier.archive_truncate` (tests/archive/conftest.py) to 'allowed'.
"""

from django.db import migrations

APPEND_ONLY = ["archive_journalrecord", "archive_checkpoint"]
IMMUTABLE_ENTRY_COLUMNS = [
    "organisation_id", "document_id", "kind", "filename", "media_type", "size", "fingerprint", "blob_sha256",
    "storage_key", "reference", "timestamp_token", "timestamped_at", "journal_seq", "owner_user_id", "customer_id",
    "document_number", "document_date", "archived_at", "retention_until",
]
TRUNCATE_GUARDED = [*APPEND_ONLY, "archive_archiveentry", "archive_journalhead"]

_entry_check = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in IMMUTABLE_ENTRY_COLUMNS)

PG_FORWARD = f"""
CREATE OR REPLACE FUNCTION archive_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION archive_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('facturier.archive_truncate', true) = 'allowed'
       OR current_setting('facturier.audit_truncate', true) = 'allowed' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION archive_entry_guard() RETURNS trigger AS $$
BEGIN
    IF {_entry_check} THEN
        RAISE EXCEPTION 'archive_archiveentry: the proven data of an archived file cannot change';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION archive_head_guard() RETURNS trigger AS $$
BEGIN
    IF NEW.seq < OLD.seq OR NEW.organisation_id IS DISTINCT FROM OLD.organisation_id THEN
        RAISE EXCEPTION 'archive_journalhead never moves backwards';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
""" + "".join(f"""
CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION archive_append_only();
CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION archive_append_only();
""" for t in APPEND_ONLY) + """
CREATE TRIGGER archive_archiveentry_guard BEFORE UPDATE ON archive_archiveentry
    FOR EACH ROW EXECUTE FUNCTION archive_entry_guard();
CREATE TRIGGER archive_archiveentry_no_delete BEFORE DELETE ON archive_archiveentry
    FOR EACH ROW EXECUTE FUNCTION archive_append_only();
CREATE TRIGGER archive_journalhead_guard BEFORE UPDATE ON archive_journalhead
    FOR EACH ROW EXECUTE FUNCTION archive_head_guard();
CREATE TRIGGER archive_journalhead_no_delete BEFORE DELETE ON archive_journalhead
    FOR EACH ROW EXECUTE FUNCTION archive_append_only();
""" + "".join(f"""
CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} FOR EACH STATEMENT EXECUTE FUNCTION archive_no_truncate();
""" for t in TRUNCATE_GUARDED)

PG_BACKWARD = "".join(f"""
DROP TRIGGER IF EXISTS {t}_no_update ON {t};
DROP TRIGGER IF EXISTS {t}_no_delete ON {t};
""" for t in APPEND_ONLY) + """
DROP TRIGGER IF EXISTS archive_archiveentry_guard ON archive_archiveentry;
DROP TRIGGER IF EXISTS archive_archiveentry_no_delete ON archive_archiveentry;
DROP TRIGGER IF EXISTS archive_journalhead_guard ON archive_journalhead;
DROP TRIGGER IF EXISTS archive_journalhead_no_delete ON archive_journalhead;
""" + "".join(f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t};\n" for t in TRUNCATE_GUARDED) + """
DROP FUNCTION IF EXISTS archive_append_only();
DROP FUNCTION IF EXISTS archive_no_truncate();
DROP FUNCTION IF EXISTS archive_entry_guard();
DROP FUNCTION IF EXISTS archive_head_guard();
"""

SQLITE_FORWARD = [
    *(f"""CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t}
          BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END;""" for t in APPEND_ONLY),
    *(f"""CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t}
          BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END;""" for t in APPEND_ONLY),
    f"""CREATE TRIGGER archive_archiveentry_guard BEFORE UPDATE OF {", ".join(IMMUTABLE_ENTRY_COLUMNS)}
        ON archive_archiveentry
        WHEN {_entry_check.replace("IS DISTINCT FROM", "IS NOT")}
        BEGIN SELECT RAISE(ABORT, 'archive_archiveentry: the proven data of an archived file cannot change'); END;""",
    """CREATE TRIGGER archive_archiveentry_no_delete BEFORE DELETE ON archive_archiveentry
       BEGIN SELECT RAISE(ABORT, 'archive_archiveentry is append-only'); END;""",
    """CREATE TRIGGER archive_journalhead_guard BEFORE UPDATE ON archive_journalhead
       WHEN NEW.seq < OLD.seq OR NEW.organisation_id IS NOT OLD.organisation_id
       BEGIN SELECT RAISE(ABORT, 'archive_journalhead never moves backwards'); END;""",
    """CREATE TRIGGER archive_journalhead_no_delete BEFORE DELETE ON archive_journalhead
       BEGIN SELECT RAISE(ABORT, 'archive_journalhead is append-only'); END;""",
]
SQLITE_TRIGGERS = [
    *(f"{t}_no_update" for t in APPEND_ONLY), *(f"{t}_no_delete" for t in APPEND_ONLY),
    "archive_archiveentry_guard", "archive_archiveentry_no_delete", "archive_journalhead_guard",
    "archive_journalhead_no_delete",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name};")


class Migration(migrations.Migration):
    dependencies = [("archive", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
