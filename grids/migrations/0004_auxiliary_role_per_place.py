from django.db import migrations


def split_auxiliaries(apps, schema_editor):
    """Auxiliaries used to share the officers' permission; give their police-grid rows the
    auxiliary permission so the role is held per place (accounts in both groups stay officers)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Row = apps.get_model("grids", "PoliceGridUserObjectPermission")
    # The post-migrate signal creates permissions only after all migrations: make them now.
    ct, _ = ContentType.objects.get_or_create(app_label="grids", model="policegrid")
    officer, _ = Permission.objects.get_or_create(content_type=ct, codename="police_policegrid",
                                                  defaults={"name": "Polices this grid"})
    auxiliary, _ = Permission.objects.get_or_create(
        content_type=ct, codename="assist_policegrid",
        defaults={"name": "Assists on this grid (auxiliary police)"})
    Row.objects.filter(
        permission=officer, user__groups__name="auxiliary_police"
    ).exclude(user__groups__name="community_police").update(permission=auxiliary)


def join_auxiliaries(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Row = apps.get_model("grids", "PoliceGridUserObjectPermission")
    officer = Permission.objects.get(content_type__app_label="grids", codename="police_policegrid")
    Row.objects.filter(permission__codename="assist_policegrid").update(permission=officer)


class Migration(migrations.Migration):
    dependencies = [("grids", "0003_department_role"), ("contenttypes", "0002_remove_content_type_name")]
    operations = [
        migrations.AlterModelOptions(
            name="policegrid",
            options={
                "ordering": ["code"],
                "permissions": [
                    ("police_policegrid", "Polices this grid"),
                    ("assist_policegrid", "Assists on this grid (auxiliary police)"),
                ],
                "verbose_name": "police grid",
                "verbose_name_plural": "police grids",
            },
        ),
        migrations.RunPython(split_auxiliaries, join_auxiliaries),
    ]
