"""The admin for cases is a window, not a door: cases, parties, the timeline, attachments and
the records of disclosures and exports are read-only here (every change to a case goes through
the workflow, which writes the timeline), and phone and ID numbers are masked like everywhere
else. What administrators do keep here — departments, due-date rules, the local calendar
days and the warning and reminder settings — keeps a history (who, when, before → after)
through django-simple-history."""

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import timeline
from .masking import mask_id_number, mask_phone
from .models import (
    Attachment,
    Case,
    CaseEvent,
    Department,
    DueRule,
    ExportRecord,
    LocalDay,
    Meeting,
    Party,
    PersonalDataDisclosure,
    WarningSettings,
)
from .transitions import LABELS


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records nobody may add, edit or delete by hand (the timeline, the disclosure log)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PartyInline(ReadOnlyInline):
    model = Party
    fields = ["name", "role", "masked_phone", "masked_id_number", "address", "notes"]
    readonly_fields = fields

    @admin.display(description=_("phone"))
    def masked_phone(self, party):
        return mask_phone(party.phone)

    @admin.display(description=_("ID number"))
    def masked_id_number(self, party):
        return mask_id_number(party.id_number)


class EventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ["at", "actor", "kind", "from_state", "to_state", "note"]
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    """Read-only: a case changes only through the app's workflow, which leaves a timeline event
    and bumps the version (so an open form elsewhere is refused as stale)."""

    list_display = ["number", "title", "category", "state", "risk", "grid", "due_at"]
    list_filter = ["state", "category", "risk", "channel"]
    search_fields = ["number", "title"]
    list_select_related = ["grid__community"]
    inlines = [PartyInline, EventInline]
    show_full_result_count = False


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ["case", "at", "actor", "kind", "from_state", "to_state"]
    list_filter = ["kind"]
    list_select_related = ["case", "actor"]
    show_full_result_count = False
    fields = ["case", "kind", "action_label", "actor", "at", "from_state", "to_state", "note", "details"]
    readonly_fields = fields

    @admin.display(description=_("action"))
    def action_label(self, event):
        return LABELS.get(event.action, event.action)

    @admin.display(description=_("details"))
    def details(self, event):
        """The payload as the timeline shows it: labels and values in the reader's language."""
        return format_html_join(mark_safe("<br>"), "{}: {}", timeline.details(event)) or "—"


@admin.register(PersonalDataDisclosure)
class PersonalDataDisclosureAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "how", "case", "party", "ip_address"]
    list_filter = ["how"]
    list_select_related = ["user", "case", "party"]


@admin.register(ExportRecord)
class ExportRecordAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "what", "rows", "ip_address"]
    list_filter = ["what"]
    list_select_related = ["user"]


@admin.register(DueRule)
class DueRuleAdmin(SimpleHistoryAdmin):
    list_display = ["risk", "tier", "amount", "unit"]


@admin.register(LocalDay)
class LocalDayAdmin(SimpleHistoryAdmin):
    """Local holidays and make-up working days (调休) the official calendar package lacks."""

    list_display = ["day", "is_workday", "name"]
    list_filter = ["is_workday"]
    date_hierarchy = "day"


@admin.register(WarningSettings)
class WarningSettingsAdmin(SimpleHistoryAdmin):
    """One row: the four-colour thresholds, the reminder timings and the repeat-dispute radar."""

    list_display = ["__str__", "orange_working_days", "yellow_working_days", "notice_hours_before_due",
                    "overdue_margin_hours", "radar_days", "repeat_threshold"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not WarningSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Department)
class DepartmentAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "contact_name", "needs_approval"]
    list_filter = ["kind"]
    search_fields = ["name"]
    filter_horizontal = ["contacts"]


@admin.register(Meeting)
class MeetingAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    """Meetings are run in the app; here their history (minutes versions) can be read."""

    list_display = ["held_on", "street", "place"]
    list_select_related = ["street"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "case", "kind", "size", "uploaded_by", "uploaded_at"]
    list_select_related = ["case", "uploaded_by"]
