"""The database refuses to change or delete a published exam result, whatever path the write takes.

Publishing is the one UPDATE a result row gets (DRAFT to PUBLISHED); after that the row is frozen.
Corrections insert a new version instead. Both PostgreSQL and SQLite raise an integrity error.
"""

from django.db import migrations

POSTGRESQL_FORWARD = """
CREATE OR REPLACE FUNCTION exams_result_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'PUBLISHED' THEN
        RAISE EXCEPTION 'exam result % is published and cannot be changed', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER exams_result_frozen BEFORE UPDATE OR DELETE ON exams_result
    FOR EACH ROW EXECUTE FUNCTION exams_result_frozen();
"""
POSTGRESQL_BACKWARD = """
DROP TRIGGER IF EXISTS exams_result_frozen ON exams_result;
DROP FUNCTION IF EXISTS exams_result_frozen();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER exams_result_frozen_update BEFORE UPDATE ON exams_result
    WHEN OLD.status = 'PUBLISHED'
    BEGIN SELECT RAISE(ABORT, 'exam result is published and cannot be changed'); END""",
    """CREATE TRIGGER exams_result_frozen_delete BEFORE DELETE ON exams_result
    WHEN OLD.status = 'PUBLISHED'
    BEGIN SELECT RAISE(ABORT, 'exam result is published and cannot be changed'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS exams_result_frozen_update",
    "DROP TRIGGER IF EXISTS exams_result_frozen_delete",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_FORWARD, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_BACKWARD)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("exams", "0001_initial")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
