from django.db import migrations


def by_reason(apps, schema_editor):
    """Per-case grants used to be `view_case` for everyone; give each the codename of its
    reason: a mediator's account mediates, a department contact handles a referral."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Row = apps.get_model("cases", "CaseUserObjectPermission")
    # The post-migrate signal creates permissions only after all migrations: make them now.
    ct, _ = ContentType.objects.get_or_create(app_label="cases", model="case")
    perm = {codename: Permission.objects.get_or_create(content_type=ct, codename=codename,
                                                       defaults={"name": name})[0]
            for codename, name in [("view_case", "Can view case"),
                                   ("mediate_case", "Mediates this case (chosen mediator)"),
                                   ("handle_referral_case", "Handles a referral of this case (department)")]}
    view = perm["view_case"]
    Row.objects.filter(permission=view, user__mediator__isnull=False).update(permission=perm["mediate_case"])
    Row.objects.filter(permission=view, user__groups__name="department_contact").update(
        permission=perm["handle_referral_case"])


def back(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Row = apps.get_model("cases", "CaseUserObjectPermission")
    view = Permission.objects.get(content_type__app_label="cases", codename="view_case")
    Row.objects.filter(permission__codename__in=["mediate_case", "handle_referral_case"]).update(permission=view)


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_grants_exports_history"), ("mediators", "0002_history")]
    operations = [migrations.RunPython(by_reason, back)]
