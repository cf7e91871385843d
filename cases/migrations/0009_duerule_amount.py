from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_intake_token")]
    operations = [
        migrations.RenameField("duerule", "hours", "amount"),
        migrations.RenameField("historicalduerule", "hours", "amount"),
    ]
