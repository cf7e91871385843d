"""The statistics tables in the admin: to look at, never to edit (they are derived from the
cases and rebuilt by `manage.py refresh_statistics`)."""

from django.contrib import admin

from cases.admin import ReadOnlyAdmin

from .models import CaseFact, DailyRollup, DayBreakdown, DayTotal, GridNow, Refresh, StreetDay


class DerivedAdmin(ReadOnlyAdmin):
    show_full_result_count = False  # the tables may hold millions of rows
    list_per_page = 50


@admin.register(CaseFact)
class CaseFactAdmin(DerivedAdmin):
    list_display = ["case", "grid", "street", "reported_on", "resolved_on", "state", "accepted", "settled",
                    "mediated", "on_time", "repeat", "computed_at"]
    list_select_related = ["case", "grid__community", "street"]
    list_filter = ["state", "settled", "mediated", "repeat"]
    date_hierarchy = "reported_on"


@admin.register(DailyRollup)
class DailyRollupAdmin(DerivedAdmin):
    list_display = ["day", "grid", "street", "category", "channel", "risk", "tier", "reported", "settled",
                    "resolved"]
    list_select_related = ["grid__community", "street"]
    list_filter = ["category", "risk"]
    date_hierarchy = "day"


@admin.register(DayTotal)
class DayTotalAdmin(DerivedAdmin):
    list_display = ["day", "reported", "accepted", "settled", "settled_on_spot", "resolved"]
    date_hierarchy = "day"


@admin.register(DayBreakdown)
class DayBreakdownAdmin(DerivedAdmin):
    list_display = ["day", "category", "channel", "risk", "tier", "reported", "settled", "resolved"]
    list_filter = ["category", "risk"]
    date_hierarchy = "day"


@admin.register(StreetDay)
class StreetDayAdmin(DerivedAdmin):
    list_display = ["day", "street", "district", "reported", "settled", "resolved"]
    list_select_related = ["street", "district"]
    date_hierarchy = "day"


@admin.register(GridNow)
class GridNowAdmin(DerivedAdmin):
    list_display = ["grid", "community", "street", "open", "overdue", "refreshed_at"]
    list_select_related = ["grid__community", "community", "street"]


@admin.register(Refresh)
class RefreshAdmin(DerivedAdmin):
    list_display = ["started_at", "finished_at", "full", "cases", "days"]
