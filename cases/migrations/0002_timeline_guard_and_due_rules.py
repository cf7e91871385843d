from django.db import migrations

# On PostgreSQL the timeline is append-only in the database itself, whatever the client.
TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION cases_caseevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'cases_caseevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_caseevent_append_only
    BEFORE UPDATE OR DELETE ON cases_caseevent
    FOR EACH ROW EXECUTE FUNCTION cases_caseevent_append_only();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS cases_caseevent_append_only ON cases_caseevent;
DROP FUNCTION IF EXISTS cases_caseevent_append_only();
"""

# Frozen defaults (hours): major 24, serious 7 days, general 15 days.
DEFAULT_RULES = [("major", 24), ("serious", 7 * 24), ("general", 15 * 24)]


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL, params=None)  # no placeholders: keep % literal


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


def add_rules(apps, schema_editor):
    DueRule = apps.get_model("cases", "DueRule")
    for risk, hours in DEFAULT_RULES:
        DueRule.objects.get_or_create(risk=risk, tier="", defaults={"hours": hours})


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [
        migrations.RunPython(add_trigger, drop_trigger),
        migrations.RunPython(add_rules, migrations.RunPython.noop),
    ]
