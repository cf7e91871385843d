from django.contrib import admin

from .models import Attachment, Case, CaseEvent, DueRule, Party, PersonalDataDisclosure


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records nobody may add, edit or delete by hand (the timeline, the disclosure log)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PartyInline(admin.TabularInline):
    model = Party
    extra = 0


class EventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    fields = ["at", "actor", "kind", "action", "from_state", "to_state", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Cases change state only through the workflow: state and history are read-only here."""

    list_display = ["number", "title", "category", "state", "risk", "grid", "due_at"]
    list_filter = ["state", "category", "risk", "channel"]
    search_fields = ["number", "title"]
    list_select_related = ["grid__community"]
    readonly_fields = ["number", "state", "version", "created_by", "triaged_at", "resolved_at",
                       "closed_at"]
    raw_id_fields = ["grid", "lead_handler"]
    inlines = [PartyInline, EventInline]
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ["case", "at", "actor", "kind", "action", "from_state", "to_state"]
    list_filter = ["kind", "action"]
    list_select_related = ["case", "actor"]
    show_full_result_count = False


@admin.register(PersonalDataDisclosure)
class PersonalDataDisclosureAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "case", "party", "ip_address"]
    list_select_related = ["user", "case", "party"]


@admin.register(DueRule)
class DueRuleAdmin(admin.ModelAdmin):
    list_display = ["risk", "tier", "hours"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "case", "kind", "size", "uploaded_by", "uploaded_at"]
    list_select_related = ["case", "uploaded_by"]
