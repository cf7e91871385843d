from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("cases/", views.case_list, name="list"),
    path("cases/new/", views.case_create, name="create"),
    path("cases/<int:pk>/", views.case_detail, name="detail"),
    path("cases/<int:pk>/act/<slug:action>/", views.case_transition, name="transition"),
    path("cases/<int:pk>/comment/", views.case_comment, name="comment"),
    path("cases/<int:pk>/attachments/", views.case_attach, name="attach"),
    path("cases/<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download,
         name="attachment"),
    path("cases/<int:pk>/parties/<int:party_pk>/reveal/", views.party_reveal, name="reveal"),
]
