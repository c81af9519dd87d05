"""Trigram indexes for accent-insensitive name search on PostgreSQL (SQLite scans; same answers)."""

from django.db import migrations

FORWARD = [
    "CREATE INDEX IF NOT EXISTS registry_prac_given_trgm ON registry_practitioner "
    "USING gin (core_fold(given_names) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS registry_prac_family_trgm ON registry_practitioner "
    "USING gin (core_fold(family_name) gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS registry_prac_given_trgm", "DROP INDEX IF EXISTS registry_prac_family_trgm"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial"), ("core", "0002_search_and_audit_guards")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
