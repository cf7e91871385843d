"""The open cases' index by grid and due date carries each case's state and risk (PostgreSQL's
INCLUDE): the ledger's rule (escalated, or of major risk, or overdue) is then answered from the
index alone. Without them PostgreSQL read every open case of a street from the table to test the
rule: about 600 rows a street, each a page of a table that at 10 M cases (38 GB) no cache holds
(the street ledger that grew with the province); with them, 152 index pages and no row (EXPLAIN
at 1 M; at 10 M, 396 pages and no row)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0030_follow_up_due'),
        ('grids', '0007_district_and_bureau'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='case',
            name='case_open_grid_due',
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('state__in', ('reported', 'triaged', 'mediating', 'escalated', 'referred', 'district'))), fields=['grid', 'due_at', 'id'], include=('state', 'risk'), name='case_open_grid_due'),
        ),
    ]
