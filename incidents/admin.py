"""The admin for incidents is a window, not a door: incidents change only through the app (into
a case, handled on the spot) and imports only through the import pages; the caller's phone is
masked here as everywhere else."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cases.admin import ReadOnlyAdmin
from cases.masking import mask_phone

from .models import ImportBatch, Incident


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["number", "reported_at", "kind", "address", "police_grid", "status"]
    list_filter = ["status"]
    search_fields = ["number"]
    list_select_related = ["police_grid"]
    show_full_result_count = False
    fields = ["number", "reported_at", "caller_name", "masked_caller_phone", "address", "address_key", "kind",
              "summary", "police_grid", "outcome", "status", "case", "handled_by", "handled_at", "handled_note",
              "batch", "imported_at"]
    readonly_fields = fields

    @admin.display(description=_("caller's phone"))
    def masked_caller_phone(self, incident):
        return mask_phone(incident.caller_phone)


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "uploaded_by", "uploaded_at", "status", "total_rows", "new_rows",
                    "known_rows", "bad_rows"]
    list_filter = ["status"]
    list_select_related = ["uploaded_by"]
    # the preview holds callers' names and phones: not shown here
    fields = ["original_name", "uploaded_by", "uploaded_at", "status", "total_rows", "processed_rows",
              "new_rows", "known_rows", "bad_rows", "finished_at"]
    readonly_fields = fields
