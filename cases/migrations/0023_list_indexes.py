"""Indexes for long lists (issue 14): the list's order (for everyone, per grid, per state, for
open cases), the ledger's order, the dashboard's counts; and on PostgreSQL trigram indexes for
searching words (cases.filters.CaseFilter.search: `icontains`, which Django writes as
UPPER(column::text) LIKE UPPER(%s), hence the indexed expressions). SQLite keeps working
without them, more slowly."""

from django.conf import settings
from django.db import migrations, models

# (index, table, column): a word fragment is searched in these
TRIGRAM = [
    ("case_title_trgm", "cases_case", "title"),
    ("case_address_trgm", "cases_case", "address"),
    ("case_number_trgm", "cases_case", "number"),
    ("case_incident_number_trgm", "cases_case", "incident_number"),
    ("party_name_trgm", "cases_party", "name"),
]


def add_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ((UPPER({column}::text)) gin_trgm_ops)")


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in TRIGRAM:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0022_district_centre'),
        ('grids', '0007_district_and_bureau'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['-reported_at', '-id', 'state'], name='case_reported'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['grid', '-reported_at', '-id'], name='case_grid_reported'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['state', '-reported_at', '-id'], name='case_state_reported'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('state__in', ('reported', 'triaged', 'mediating', 'escalated', 'referred', 'district'))), fields=['-reported_at', '-id'], name='case_open_reported'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('state__in', ('reported', 'triaged', 'mediating', 'escalated', 'referred', 'district'))), fields=['due_at', 'id'], name='case_open_due'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('state__in', ('reported', 'triaged', 'mediating', 'escalated', 'referred', 'district'))), fields=['grid', 'state', 'risk', 'due_at'], name='case_open_grid'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['resolved_at', 'state', 'id'], name='case_resolved'),
        ),
        migrations.AddIndex(
            model_name='caseevent',
            index=models.Index(condition=models.Q(('action', 'settle_on_spot')), fields=['at', 'case'], name='event_settled_on_spot'),
        ),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes, elidable=False),
    ]
