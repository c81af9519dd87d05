"""A trigram index for searching previous names, where the council publishes them (PostgreSQL only)."""

from django.db import migrations

FORWARD = [
    "CREATE INDEX IF NOT EXISTS registry_prac_previous_trgm ON registry_practitioner "
    "USING gin (core_fold(previous_names) gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS registry_prac_previous_trgm"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_search_indexes")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
