from django.urls import path

from . import views

app_name = "stats"
urlpatterns = [
    path("", views.index, name="index"),
    path("cases/", views.cases, name="cases"),
    path("report/", views.report, name="report"),
    path("report.xlsx", views.report_xlsx, name="report_xlsx"),
]
