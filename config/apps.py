from django.apps import AppConfig
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ConfigConfig(AppConfig):
    """The project's composition root as an app: commands that need every app (seed_demo), and
    the Chinese names of what third-party apps show in the admin.
    Nothing below it imports it: grids <- cases <- mediators <- config."""

    name = "config"
    verbose_name = _("Fengqiao")

    def ready(self):
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog
        from django.apps import apps
        from django.contrib import admin
        from django.contrib.auth.models import Group

        from grids.roles import Role

        admin.site.site_header = _("Fengqiao administration")
        admin.site.site_title = _("Fengqiao administration")
        admin.site.index_title = _("Site administration")
        # These apps name themselves in plain English strings (no gettext), so no catalogue can
        # translate them; their models' own names are in gettext and come from locale/.
        apps.get_app_config("axes").verbose_name = _("Sign-in protection")
        apps.get_app_config("django_tasks_database").verbose_name = _("Background tasks")
        apps.get_app_config("guardian").verbose_name = _("Object permissions")
        # Group names are the role codes the code looks groups up by (Role values); people read
        # the role's name. Any group that is not a role keeps its own name.
        labels = dict(Role.choices)
        Group.__str__ = lambda group: str(labels.get(group.name, group.name))
        # django-axes names its records in English f-strings (page titles, breadcrumbs).
        AccessAttempt.__str__ = lambda row: gettext("Failed sign-ins of %(user)s from %(ip)s") % {
            "user": row.username, "ip": row.ip_address}
        AccessFailureLog.__str__ = lambda row: gettext("Failed sign-in of %(user)s at %(time)s from %(ip)s") % {
            "user": row.username, "time": _local(row.attempt_time), "ip": row.ip_address}
        AccessLog.__str__ = lambda row: gettext("Sign-in of %(user)s at %(time)s") % {
            "user": row.username, "time": _local(row.attempt_time)}


def _local(moment) -> str:
    from django.utils import timezone

    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}" if moment else ""
