"""Database-level pieces the ORM can't declare: the fold function for search, and append-only audit rows."""

from django.db import migrations

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # IMMUTABLE wrapper (unaccent itself is only STABLE), so expression indexes can use it.
    """
    CREATE OR REPLACE FUNCTION core_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, lower($1)) $$
    """,
    """
    CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit events are append-only (%% refused)', TG_OP;
    END
    $$
    """,
    """
    CREATE TRIGGER core_auditevent_append_only
    BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only()
    """,
]
PG_BACKWARD = [
    "DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent",
    "DROP FUNCTION IF EXISTS core_auditevent_append_only()",
    "DROP FUNCTION IF EXISTS core_fold(text)",
]
SQLITE_FORWARD = [
    """
    CREATE TRIGGER IF NOT EXISTS core_auditevent_no_update
    BEFORE UPDATE ON core_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only (UPDATE refused)'); END
    """,
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS core_auditevent_no_update"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]
