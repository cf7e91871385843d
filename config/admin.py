"""The admin pieces that come from Django and third-party apps, in the reader's language:
permission names (stored in English by Django) and role groups (stored as role codes) shown by
their Chinese names, the admin password form's warning, and two columns of django-tasks-db.
Their models' names and the
strings they do mark for translation come from locale/ (see config/third_party_strings.py)."""

from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.forms import AdminPasswordChangeForm, SetUnusablePasswordMixin
from django.contrib.auth.models import Group, User
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from grids.admin import permission_label
from grids.roles import Role


class PermissionLabelsMixin:
    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name in ("permissions", "user_permissions"):
            field.label_from_instance = permission_label
        return field


@admin.display(description=_("role"), ordering="name")
def role_name(group):
    return str(group)  # the role's name (config.apps), or the group's own for other groups


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(PermissionLabelsMixin, auth_admin.GroupAdmin):
    list_display = [role_name]

    def has_delete_permission(self, request, obj=None):
        # The code looks roles up by these groups' names (grids.services.give_role).
        if obj is not None and obj.name in Role.values:
            return False
        return super().has_delete_permission(request, obj)


class PasswordChangeForm(AdminPasswordChangeForm):
    # Django joins a translated sentence and an English one into a plain string at import.
    usable_password_help_text = format_lazy(
        '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
        SetUnusablePasswordMixin.usable_password_help_text,
        _("If disabled, the current password for this user will be lost."),
    )


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(PermissionLabelsMixin, auth_admin.UserAdmin):
    change_password_form = PasswordChangeForm


admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    """django-tasks-db names its fields through gettext, but two of its admin columns in plain
    English."""

    @admin.display(description=_("traceback"))
    def formatted_traceback(self, result):
        return super().formatted_traceback(result)

    @admin.display(description=_("run after"))
    def display_run_after(self, result):
        return super().display_run_after(result)
