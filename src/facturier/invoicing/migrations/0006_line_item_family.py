"""The item family of a line (a free code the accounting maps to a revenue account).

On SQLite, adding a column with a default rebuilds the table, and the triggers of 0003 that freeze an
issued document's lines go with the old table: they are made again here. On PostgreSQL the column is
added in place and the triggers stay (they freeze every column of a line, this one included)."""

import importlib

from django.db import migrations, models

frozen = importlib.import_module("facturier.invoicing.migrations.0003_issued_documents_frozen_triggers")


def _line_triggers(schema_editor, *, drop_only: bool = False) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for event in ("insert", "update", "delete"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS invoicing_line_frozen_{event};")
    if not drop_only:
        for statement in frozen._sqlite_forward():
            if " ON invoicing_line\n" in statement or " ON invoicing_line " in statement:
                schema_editor.execute(statement)


def forward(apps, schema_editor):
    _line_triggers(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("invoicing", "0005_frozen_invoicing_period"),
    ]

    operations = [
        migrations.AddField(
            model_name="line",
            name="family",
            field=models.CharField(blank=True, max_length=30, verbose_name="item family"),
        ),
        migrations.RunPython(forward, forward),
    ]
