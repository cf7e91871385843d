from django.contrib import admin

from cases.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Agreement, MediationSession, Mediator, MediatorChoice, SessionPart, Specialty


class SpecialtyInline(admin.TabularInline):
    model = Specialty
    extra = 0


@admin.register(Mediator)
class MediatorAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "organisation", "profession", "capacity", "active"]
    list_filter = ["team", "profession", "active"]
    search_fields = ["name", "organisation"]
    filter_horizontal = ["communities"]
    raw_id_fields = ["user"]
    inlines = [SpecialtyInline]


# Choices, sessions and agreements are written through the case page (on its timeline).


@admin.register(MediatorChoice)
class MediatorChoiceAdmin(ReadOnlyAdmin):
    list_display = ["case", "mediator", "method", "active", "at"]
    list_select_related = ["case", "mediator"]


class SessionPartInline(ReadOnlyInline):
    model = SessionPart
    fields = ["order", "room", "parties", "started_at", "ended_at"]
    readonly_fields = fields


@admin.register(MediationSession)
class MediationSessionAdmin(ReadOnlyAdmin):
    list_display = ["case", "held_at", "ended_at", "format", "outcome"]
    list_select_related = ["case"]
    inlines = [SessionPartInline]


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyAdmin):
    list_display = ["case", "signed_on", "fulfil_by"]
    list_select_related = ["case"]
