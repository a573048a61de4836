"""Database triggers that keep the legal content of an issued document as it was issued.

The model refuses too (Document.save, FrozenWithDocument); these make a queryset update,
raw SQL or a future bug fail as well, as the audit log's triggers do. Once a document has
left the draft state:
- its legal columns (number, dates, parties and their snapshots, amounts, totals, VAT
  breakdown...) never change, it never goes back to draft and it is never deleted;
- its lines and its allowances/charges are never inserted, updated or deleted.
What still changes, through the settlement services: state (never back to draft), paid,
credited and written-off amounts, amount due, updated_at. Delivery and archive states live in
their own tables. The column list is frozen here on purpose: a column added later is mutable
until a migration of its own says otherwise.
"""

from django.db import migrations

FROZEN_COLUMNS = (
    "id", "organisation_id", "kind", "series_id", "number_value", "number", "issue_date", "due_date",
    "delivery_date", "customer_id", "billing_address_id", "delivery_address_id", "language", "currency",
    "tax_currency", "tax_exchange_rate", "buyer_reference", "purchase_order", "contract_reference",
    "operation_category", "vat_on_debits", "payment_terms_text", "late_penalty_text", "indemnity_text",
    "discount_terms_text", "note", "line_total", "allowance_total", "charge_total", "tax_exclusive", "tax_total",
    "tax_total_accounting", "tax_inclusive", "prepaid", "rounding", "payable", "vat_breakdown", "seller_snapshot",
    "buyer_snapshot", "issued_at", "issued_by_id", "created_by_id", "created_at",
)
CONTENT_TABLES = ("invoicing_line", "invoicing_allowancecharge")
DOCUMENT_MESSAGE = "invoicing_document: an issued document is frozen (legal content cannot change)"
CONTENT_MESSAGE = "{table}: the content of an issued document is frozen"


def _pg_forward() -> str:
    new = ", ".join(f"NEW.{c}" for c in FROZEN_COLUMNS)
    old = ", ".join(f"OLD.{c}" for c in FROZEN_COLUMNS)
    statements = [f"""
CREATE OR REPLACE FUNCTION invoicing_document_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.state <> 'draft' AND (TG_OP = 'DELETE' OR NEW.state = 'draft' OR ROW({new}) IS DISTINCT FROM ROW({old})) THEN
        RAISE EXCEPTION '{DOCUMENT_MESSAGE} (id %)', OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER invoicing_document_frozen BEFORE UPDATE OR DELETE ON invoicing_document
    FOR EACH ROW EXECUTE FUNCTION invoicing_document_frozen();
CREATE OR REPLACE FUNCTION invoicing_content_frozen() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
            SELECT 1 FROM invoicing_document WHERE id = OLD.document_id AND state <> 'draft') THEN
        RAISE EXCEPTION '% (document %)', TG_ARGV[0], OLD.document_id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND EXISTS (
            SELECT 1 FROM invoicing_document WHERE id = NEW.document_id AND state <> 'draft') THEN
        RAISE EXCEPTION '% (document %)', TG_ARGV[0], NEW.document_id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""]
    for table in CONTENT_TABLES:
        statements.append(f"""
CREATE TRIGGER {table}_frozen BEFORE INSERT OR UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION invoicing_content_frozen('{CONTENT_MESSAGE.format(table=table)}');
""")
    return "".join(statements)


PG_BACKWARD = """
DROP TRIGGER IF EXISTS invoicing_document_frozen ON invoicing_document;
DROP TRIGGER IF EXISTS invoicing_line_frozen ON invoicing_line;
DROP TRIGGER IF EXISTS invoicing_allowancecharge_frozen ON invoicing_allowancecharge;
DROP FUNCTION IF EXISTS invoicing_document_frozen();
DROP FUNCTION IF EXISTS invoicing_content_frozen();
"""


def _sqlite_forward() -> list[str]:
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN_COLUMNS)
    statements = [
        f"""CREATE TRIGGER invoicing_document_frozen_update BEFORE UPDATE ON invoicing_document
            WHEN OLD.state <> 'draft' AND (NEW.state = 'draft' OR {changed})
            BEGIN SELECT RAISE(ABORT, '{DOCUMENT_MESSAGE}'); END;""",
        f"""CREATE TRIGGER invoicing_document_frozen_delete BEFORE DELETE ON invoicing_document
            WHEN OLD.state <> 'draft'
            BEGIN SELECT RAISE(ABORT, '{DOCUMENT_MESSAGE}'); END;""",
    ]
    issued = "EXISTS (SELECT 1 FROM invoicing_document WHERE id = {row}.document_id AND state <> 'draft')"
    for table in CONTENT_TABLES:
        message = CONTENT_MESSAGE.format(table=table)
        for event, condition in (("INSERT", issued.format(row="NEW")), ("DELETE", issued.format(row="OLD")),
                                 ("UPDATE", f"{issued.format(row='OLD')} OR {issued.format(row='NEW')}")):
            statements.append(f"""CREATE TRIGGER {table}_frozen_{event.lower()} BEFORE {event} ON {table}
                WHEN {condition}
                BEGIN SELECT RAISE(ABORT, '{message}'); END;""")
    return statements


SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS invoicing_document_frozen_update;",
    "DROP TRIGGER IF EXISTS invoicing_document_frozen_delete;",
    *(f"DROP TRIGGER IF EXISTS {table}_frozen_{event};" for table in CONTENT_TABLES
      for event in ("insert", "update", "delete")),
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(_pg_forward(), None)  # no parameters: the % are PL/pgSQL's own
    elif vendor == "sqlite":
        for statement in _sqlite_forward():
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("invoicing", "0002_dashboard_sort_indexes")]
    operations = [migrations.RunPython(forward, backward)]
