from types import SimpleNamespace

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from guardian import admin as guardian_admin

from .models import Community, CommunityGrid, GridLink, PoliceGrid, PoliceStation, Street

# People are put on places with "Object permissions" (django-guardian) on each place's page.

# Django stores permission names in English when it creates them ("Can add street"); shown
# to people they are built again from the codename, in the reader's language.
ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


# django-guardian's generic tables, named after their class.
GENERIC = {
    "guardian.userobjectpermission": _("user object permission"),
    "guardian.groupobjectpermission": _("group object permission"),
}


def model_label(model) -> str:
    original = getattr(model, "instance_type", None)  # a django-simple-history model
    if original is not None:
        return _("history of %(model)s") % {"model": model_label(original)}
    if model._meta.auto_created:  # a many-to-many table: "mediator-community relationship"
        ends = [f.related_model._meta.verbose_name for f in model._meta.fields if f.is_relation]
        return _("%(one)s–%(other)s link") % {"one": ends[0], "other": ends[1]}
    return str(GENERIC.get(model._meta.label_lower, model._meta.verbose_name))


def permission_name(permission) -> str:
    """The permission's name in the reader's language: "Can add 街道" from its codename, or
    the model's own (translated) Meta.permissions entry."""
    model = permission.content_type.model_class()
    if model is None:
        return permission.name
    action, _sep, rest = permission.codename.partition("_")
    if action in ACTIONS and rest == model._meta.model_name:
        return ACTIONS[action] % {"model": model_label(model)}
    return str(dict(model._meta.permissions).get(permission.codename, permission.name))


def permission_label(permission) -> str:
    """As Django's Permission.__str__ ("app | model | name"), translated."""
    model = permission.content_type.model_class()
    if model is None:
        return str(permission)
    return f"{model._meta.app_config.verbose_name} | {model_label(model)} | {permission_name(permission)}"


class TranslatedChoicesMixin:
    def get_obj_perms_field_choices(self):
        from guardian.shortcuts import get_perms_for_model

        return [(p.codename, permission_name(p)) for p in get_perms_for_model(self.obj)]


class UserPermissionsForm(TranslatedChoicesMixin, guardian_admin.AdminUserObjectPermissionsForm):
    pass


class GroupPermissionsForm(TranslatedChoicesMixin, guardian_admin.AdminGroupObjectPermissionsForm):
    pass


class UserSelectForm(guardian_admin.UserManage):
    user = forms.CharField(label=_("user name"), max_length=200, help_text=_("The account's sign-in name."),
                           error_messages={"does_not_exist": _("This user does not exist")})


class GroupSelectForm(guardian_admin.GroupManage):
    group = forms.CharField(label=_("group name"), max_length=80,
                            error_messages={"does_not_exist": _("This group does not exist")})


class GuardedModelAdmin(guardian_admin.GuardedModelAdmin):
    """django-guardian's object permission pages, with permission names in the reader's language."""

    def get_obj_perms_base_context(self, request, obj):
        context = super().get_obj_perms_base_context(request, obj)
        context["model_perms"] = [SimpleNamespace(codename=p.codename, name=permission_name(p))
                                  for p in context["model_perms"]]
        return context

    def get_obj_perms_manage_user_form(self, request):
        return UserPermissionsForm

    def get_obj_perms_manage_group_form(self, request):
        return GroupPermissionsForm

    def get_obj_perms_user_select_form(self, request):
        return UserSelectForm

    def get_obj_perms_group_select_form(self, request):
        return GroupSelectForm


class CommunityInline(admin.TabularInline):
    model = Community
    extra = 0


class GridLinkInline(admin.TabularInline):
    model = GridLink
    extra = 0
    autocomplete_fields = ["community_grid"]


@admin.register(Street)
class StreetAdmin(GuardedModelAdmin):
    list_display = ["name", "prefix"]
    search_fields = ["name", "prefix"]
    inlines = [CommunityInline]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "street"]
    list_filter = ["street"]
    search_fields = ["name"]


@admin.register(CommunityGrid)
class CommunityGridAdmin(GuardedModelAdmin):
    list_display = ["code", "name", "community"]
    list_filter = ["community__street", "community"]
    search_fields = ["code", "name", "community__name"]
    list_select_related = ["community"]


@admin.register(PoliceStation)
class PoliceStationAdmin(GuardedModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(PoliceGrid)
class PoliceGridAdmin(GuardedModelAdmin):
    list_display = ["code", "name", "post_name", "station"]
    list_filter = ["station"]
    search_fields = ["code", "name", "post_name"]
    list_select_related = ["station"]
    inlines = [GridLinkInline]
