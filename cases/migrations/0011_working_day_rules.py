from django.db import migrations

# Frozen: the old defaults in hours, and the new ones (issue "Time"): serious 5 working days,
# general 10 working days; major stays 24 hours. Rules an administrator changed are kept.
OLD = {"serious": 7 * 24, "general": 15 * 24}
NEW = {"serious": 5, "general": 10}


def working_days(apps, schema_editor):
    DueRule = apps.get_model("cases", "DueRule")
    for risk, hours in OLD.items():
        DueRule.objects.filter(risk=risk, tier="", amount=hours, unit="hours").update(
            amount=NEW[risk], unit="working_days")
    apps.get_model("cases", "WarningSettings").objects.get_or_create(pk=1)
    # The account the periodic checks act as on the timeline (no password: nobody signs in).
    User = apps.get_model("auth", "User")
    User.objects.get_or_create(username="system", defaults={
        "first_name": "系统", "is_active": False, "password": "!"})


def hours(apps, schema_editor):
    DueRule = apps.get_model("cases", "DueRule")
    for risk, days in NEW.items():
        DueRule.objects.filter(risk=risk, tier="", amount=days, unit="working_days").update(
            amount=OLD[risk], unit="hours")


class Migration(migrations.Migration):
    dependencies = [("cases", "0010_time_and_notices"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(working_days, hours)]
