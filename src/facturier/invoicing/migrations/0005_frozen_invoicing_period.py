"""The invoicing period (BT-73/BT-74, added for subscription contracts by 0004) joins the columns the
database freezes once a document is issued: 0003 froze its list on purpose, so a column added later
is mutable until a migration of its own says otherwise — this one."""

import importlib

from django.db import migrations

frozen = importlib.import_module("facturier.invoicing.migrations.0003_issued_documents_frozen_triggers")
PERIOD_COLUMNS = ("period_start", "period_end")


def _pg_function(columns) -> str:
    new = ", ".join(f"NEW.{c}" for c in columns)
    old = ", ".join(f"OLD.{c}" for c in columns)
    return f"""
CREATE OR REPLACE FUNCTION invoicing_document_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.state <> 'draft' AND (TG_OP = 'DELETE' OR NEW.state = 'draft' OR ROW({new}) IS DISTINCT FROM ROW({old})) THEN
        RAISE EXCEPTION '{frozen.DOCUMENT_MESSAGE} (id %)', OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def _sqlite_update_trigger(columns) -> list[str]:
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
    return [
        "DROP TRIGGER IF EXISTS invoicing_document_frozen_update;",
        f"""CREATE TRIGGER invoicing_document_frozen_update BEFORE UPDATE ON invoicing_document
            WHEN OLD.state <> 'draft' AND (NEW.state = 'draft' OR {changed})
            BEGIN SELECT RAISE(ABORT, '{frozen.DOCUMENT_MESSAGE}'); END;""",
    ]


def _apply(schema_editor, columns) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(_pg_function(columns), None)  # no parameters: the % are PL/pgSQL's own
    elif vendor == "sqlite":
        for statement in _sqlite_update_trigger(columns):
            schema_editor.execute(statement)


def forward(apps, schema_editor):
    _apply(schema_editor, frozen.FROZEN_COLUMNS + PERIOD_COLUMNS)


def backward(apps, schema_editor):
    _apply(schema_editor, frozen.FROZEN_COLUMNS)


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0004_document_invoicing_period")]
    operations = [migrations.RunPython(forward, backward)]
