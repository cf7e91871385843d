"""Case.follow_up_due: the earliest follow-up visit not yet made, written from the visits that
exist (one UPDATE: at ten million cases, the few hundred thousand awaiting a visit), then
indexed per grid for the work bench."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0029_open_grid_due_index'),
        ('grids', '0007_district_and_bureau'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='follow_up_due',
            field=models.DateField(blank=True, editable=False, null=True, verbose_name='follow-up visit due'),
        ),
        migrations.RunSQL(
            """UPDATE cases_case SET follow_up_due = first.due_on
               FROM (SELECT case_id, MIN(due_on) AS due_on FROM cases_followup
                     WHERE done_at IS NULL GROUP BY case_id) AS first
               WHERE cases_case.id = first.case_id""",
            migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('follow_up_due__isnull', False), ('state', 'resolved')), fields=['grid', 'follow_up_due', 'id'], name='case_grid_follow_up'),
        ),
    ]
