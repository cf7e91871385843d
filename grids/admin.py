from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from .models import Community, CommunityGrid, GridLink, PoliceGrid, PoliceStation, Street

# People are put on places with "Object permissions" (django-guardian) on each place's page.


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
