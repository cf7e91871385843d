
from django.conf import settings
from django.db import migrations, models
from django.db.models import Count, Q

# As in mediators/selectors.py when this was written (cases.choices states).
OPEN = ["reported", "triaged", "mediating", "escalated", "referred", "district"]
FINISHED = ["resolved", "closed", "escalated", "referred"]
SUCCEEDED = ["resolved", "closed"]


def fill_figures(apps, schema_editor):
    """Each mediator's figures from the choices and cases already recorded."""
    Mediator = apps.get_model("mediators", "Mediator")
    MediatorChoice = apps.get_model("mediators", "MediatorChoice")
    rows = (MediatorChoice.objects.filter(active=True).values("mediator_id").order_by("mediator_id")
            .annotate(open_load=Count("case", distinct=True, filter=Q(case__state__in=OPEN)),
                      mediated=Count("case", distinct=True, filter=Q(case__state__in=FINISHED)),
                      succeeded=Count("case", distinct=True, filter=Q(case__state__in=SUCCEEDED))))
    for row in rows.iterator(chunk_size=2000):
        Mediator.objects.filter(pk=row["mediator_id"]).update(
            open_load=row["open_load"], mediated=row["mediated"], succeeded=row["succeeded"])


class Migration(migrations.Migration):

    dependencies = [
        ('grids', '0007_district_and_bureau'),
        ('mediators', '0004_session_times_parts_participants'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='mediator',
            name='mediated',
            field=models.IntegerField(default=0, editable=False, verbose_name='cases mediated'),
        ),
        migrations.AddField(
            model_name='mediator',
            name='open_load',
            field=models.IntegerField(default=0, editable=False, verbose_name='open cases'),
        ),
        migrations.AddField(
            model_name='mediator',
            name='succeeded',
            field=models.IntegerField(default=0, editable=False, verbose_name='cases mediated successfully'),
        ),
        migrations.AddIndex(
            model_name='mediator',
            index=models.Index(fields=['active', 'team', 'name', 'id'], name='mediator_roster_order'),
        ),
        migrations.RunPython(fill_figures, migrations.RunPython.noop),
    ]
