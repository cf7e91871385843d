"""A whole number typed in the search box is also looked for as a case or 110 number that is it
or ends with it (cases.filters.ends_with): on PostgreSQL a btree over the reversed number answers
that as a prefix. The trigram indexes of migration 0023 spent 10 ms a search on digits, whose
trigrams are in every number. SQLite keeps working without them, more slowly."""

from django.db import migrations

SUFFIX = [("case_number_suffix", "number"), ("case_incident_number_suffix", "incident_number")]


def add(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in SUFFIX:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON cases_case "
                              f"((REVERSE(UPPER({column}::text))) text_pattern_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column in SUFFIX:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [("cases", "0027_grid_updated_index")]

    operations = [migrations.RunPython(add, drop)]
