"""Bigram indexes for 2-character searches (a Chinese given name such as 郭华) on PostgreSQL.

pg_trgm extracts no trigram from a 2-character LIKE pattern, so for one the trigram indexes of
0023 are read whole (or the table is). Here fq_bigrams(text) gives the 2-character substrings of
a text, and a GIN index over fq_bigrams(UPPER(column::text)) answers `@> ARRAY[UPPER(fragment)]`
(cases.filters.has_pair, used by CaseFilter.search for a fragment of exactly 2 characters).
SQLite keeps the plain LIKE, without them. The indexes are built CONCURRENTLY (the migration is
not atomic): writes go on while they build (minutes at 10 M cases); an index a failed run left
invalid is dropped and built again."""

from django.db import migrations

# (index, table, column): every column the search reads. The number and the 110 number too:
# a LIKE arm left on them would read the whole table for every 2-character search (and the
# case number begins with the street's Chinese prefix, 栖凤-2026-000123).
BIGRAM = [
    ("case_title_bigram", "cases_case", "title"),
    ("case_address_bigram", "cases_case", "address"),
    ("case_number_bigram", "cases_case", "number"),
    ("case_incident_number_bigram", "cases_case", "incident_number"),
    ("party_name_bigram", "cases_party", "name"),
]

# PL/pgSQL: twice as fast as SQL's ARRAY(SELECT DISTINCT ...) (it runs for every row written
# and when an index is built). Repeats are kept: GIN stores each key of a row once.
FUNCTION = """
CREATE OR REPLACE FUNCTION fq_bigrams(value text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    pairs text[] := '{}';
BEGIN
    FOR i IN 1 .. char_length(value) - 1 LOOP
        pairs := pairs || substr(value, i, 2);
    END LOOP;
    RETURN pairs;
END $$
"""


def add_bigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for name, table, column in BIGRAM:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [name])
            invalid = cursor.fetchone()
        if invalid and invalid[0]:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} "
                              f"USING gin (fq_bigrams(UPPER({column}::text)))")
    # Statistics of the new expressions: without them the planner guesses every pair equally
    # frequent, and an unchanged table may wait long for autovacuum to gather them.
    schema_editor.execute("ANALYZE cases_case, cases_party")


def drop_bigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in BIGRAM:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    schema_editor.execute("DROP FUNCTION IF EXISTS fq_bigrams(text)")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("cases", "0024_export_stats_report"),
    ]

    operations = [
        migrations.RunPython(add_bigram_indexes, drop_bigram_indexes, elidable=False),
    ]
