"""Names stored folded, for name search on PostgreSQL (SQLite computes the fold; the same answers).

Each of given_names, family_name and previous_names gets `<column>_folded`, GENERATED ALWAYS AS
(core_fold(column)) STORED, and the trigram index moves from the expression core_fold(column) to that
column. core_fold wraps unaccent, which PostgreSQL does not inline: with the expression indexes, every
row the index returned was folded again to recheck the match, which for a common name is tens of
thousands of calls a search. The columns are unknown to the ORM (registry.selectors.NameFold reads them);
PostgreSQL fills them on every write, including bulk loads with COPY.
"""

from django.db import migrations

COLUMNS = ("given_names", "family_name", "previous_names")
OLD_INDEXES = {
    "given_names": "registry_prac_given_trgm",
    "family_name": "registry_prac_family_trgm",
    "previous_names": "registry_prac_previous_trgm",
}
NEW_INDEXES = {
    "given_names": "registry_prac_given_fold_trgm",
    "family_name": "registry_prac_family_fold_trgm",
    "previous_names": "registry_prac_prev_fold_trgm",
}

FORWARD = [
    "ALTER TABLE registry_practitioner "
    + ", ".join(f"ADD COLUMN {c}_folded text GENERATED ALWAYS AS (core_fold({c})) STORED" for c in COLUMNS),
    *(f"DROP INDEX IF EXISTS {OLD_INDEXES[c]}" for c in COLUMNS),
    *(
        f"CREATE INDEX {NEW_INDEXES[c]} ON registry_practitioner USING gin ({c}_folded gin_trgm_ops)"
        for c in COLUMNS
    ),
    # The new columns have no statistics until the table is analysed, and without them the planner
    # guesses how common a name is (at a million rows, badly: common names ran at twice the time).
    "ANALYZE registry_practitioner",
]
BACKWARD = [
    *(f"DROP INDEX IF EXISTS {NEW_INDEXES[c]}" for c in COLUMNS),
    "ALTER TABLE registry_practitioner " + ", ".join(f"DROP COLUMN {c}_folded" for c in COLUMNS),
    *(
        f"CREATE INDEX IF NOT EXISTS {OLD_INDEXES[c]} ON registry_practitioner "
        f"USING gin (core_fold({c}) gin_trgm_ops)"
        for c in COLUMNS
    ),
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_previous_names_index")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
