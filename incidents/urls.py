from django.urls import path

from .views import imports, incidents

app_name = "incidents"

urlpatterns = [
    path("incidents/", incidents.incident_list, name="list"),
    path("incidents/<int:pk>/", incidents.incident_detail, name="detail"),
    path("incidents/<int:pk>/to-case/", incidents.incident_to_case, name="to_case"),
    path("incidents/<int:pk>/on-spot/", incidents.incident_on_spot, name="on_spot"),
    path("incidents/repeats/", incidents.repeats, name="repeats"),
    path("incidents/repeats/export/", incidents.repeats_export, name="repeats_export"),
    path("incidents/radar/case/<int:pk>/", incidents.case_radar, name="case_radar"),
    path("incidents/radar/intake/", incidents.intake_radar, name="intake_radar"),
    path("incidents/import/", imports.import_start, name="import"),
    path("incidents/import/template/", imports.import_template, name="import_template"),
    path("incidents/import/<int:pk>/", imports.import_detail, name="import_detail"),
    path("incidents/import/<int:pk>/progress/", imports.import_progress, name="import_progress"),
    path("incidents/import/<int:pk>/confirm/", imports.import_confirm, name="import_confirm"),
]
