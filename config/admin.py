"""The admin pieces that come from Django and third-party apps, in the reader's language:
permission names (stored in English by Django) and role groups (stored as role codes) shown by
their Chinese names, the admin password form's warning, and two columns of django-tasks-db.
Also the streets' list with a street's rollout from Excel (config/places_import.py).
Their models' names and the
strings they do mark for translation come from locale/ (see config/third_party_strings.py)."""

import io
import secrets
import tempfile
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.forms import AdminPasswordChangeForm, SetUnusablePasswordMixin
from django.contrib.auth.models import Group, User
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from grids import access
from grids import admin as grids_admin
from grids.admin import permission_label
from grids.models import Street
from grids.roles import Role

from . import places_import


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


# --- A street's rollout from Excel (config/places_import.py) ----------------------------------
# Upload → preview → confirm, for administrators, from the streets' list. The uploaded file waits
# for the confirmation in a private temporary folder under a random name; the session holds that
# name, so nothing is uploaded twice, the browser never names a path, and only the administrator
# who uploaded a file can confirm it. Files never confirmed are deleted after a day.

PLACES_SESSION_KEY = "places_import"
PLACES_STAGING = Path(tempfile.gettempdir()) / "fengqiao-places-import"
PLACES_STAGING_HOURS = 24


class PlacesWorkbookForm(forms.Form):
    workbook = forms.FileField(label=_("Workbook"), help_text=_("An .xlsx file laid out like the template."))

    def clean_workbook(self):
        upload = self.cleaned_data["workbook"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Upload an Excel workbook (.xlsx)."))
        limit = settings.FENGQIAO_MAX_UPLOAD_MB
        if upload.size > limit * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than %(size)s MB.") % {"size": limit})
        return upload


def _staged_path(token: str) -> Path:
    return PLACES_STAGING / f"{token}.xlsx"


def _stage(request, upload) -> str:
    """Keep the upload until it is confirmed; the session remembers it under a random token."""
    PLACES_STAGING.mkdir(mode=0o700, exist_ok=True)
    too_old = time.time() - PLACES_STAGING_HOURS * 3600
    for stale in PLACES_STAGING.glob("*.xlsx"):
        if stale.stat().st_mtime < too_old:
            stale.unlink(missing_ok=True)
    _discard(request)
    token = secrets.token_urlsafe(24)
    with open(_staged_path(token), "wb") as staged:
        for chunk in upload.chunks():
            staged.write(chunk)
    request.session[PLACES_SESSION_KEY] = {"token": token, "name": upload.name}
    return token


def _discard(request) -> None:
    staged = request.session.pop(PLACES_SESSION_KEY, None)
    if staged:
        _staged_path(staged["token"]).unlink(missing_ok=True)


def _first_sign_in_links(request, outcome) -> list[dict]:
    accounts = []
    for user, created in outcome.awaiting_first_sign_in:
        url = reverse("password_reset_confirm", kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user)})
        accounts.append({"user": user, "created": created, "link": request.build_absolute_uri(url)})
    return sorted(accounts, key=lambda account: (not account["created"], account["user"].username))


admin.site.unregister(Street)


@admin.register(Street)
class StreetAdmin(grids_admin.StreetAdmin):
    """The streets' list, with the import of a street or a district from one workbook."""

    change_list_template = "admin/grids/street/change_list.html"

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_places_view), name="grids_street_import"),
            path("import/template/", self.admin_site.admin_view(self.places_template_view),
                 name="grids_street_import_template"),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_import_places": access.is_admin(request.user)}
        return super().changelist_view(request, extra_context)

    def places_template_view(self, request):
        if not access.is_admin(request.user):
            raise PermissionDenied
        content = io.BytesIO()
        places_import.write_template(content)
        content.seek(0)
        return FileResponse(content, as_attachment=True, filename="街道导入模板.xlsx")

    def import_places_view(self, request):
        if not access.is_admin(request.user):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": _("Import places and people from Excel")}
        form = PlacesWorkbookForm()
        if request.method == "POST" and "token" in request.POST:
            staged = request.session.get(PLACES_SESSION_KEY) or {}
            path_ = _staged_path(staged.get("token", ""))
            if not staged or not secrets.compare_digest(staged["token"], request.POST["token"]) \
                    or not path_.exists():
                messages.error(request, _("That upload is no longer waiting to be imported; upload the workbook again."))
                return redirect("admin:grids_street_import")
            outcome = places_import.import_places(path_)
            _discard(request)
            context.update(outcome=outcome, accounts=_first_sign_in_links(request, outcome),
                           link_days=settings.PASSWORD_RESET_TIMEOUT // 86400)
        elif request.method == "POST":
            form = PlacesWorkbookForm(request.POST, request.FILES)
            if form.is_valid():
                token = _stage(request, form.cleaned_data["workbook"])
                outcome = places_import.import_places(_staged_path(token), dry_run=True)
                if not outcome.ok:
                    _discard(request)
                context.update(outcome=outcome, token=token if outcome.ok else None,
                               filename=form.cleaned_data["workbook"].name)
                form = PlacesWorkbookForm()
        context["form"] = form
        return TemplateResponse(request, "admin/grids/street/import_places.html", context)
