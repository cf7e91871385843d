from django.urls import path

from . import views

app_name = "mediators"
urlpatterns = [
    path("", views.supermarket, name="supermarket"),
    path("new/", views.mediator_create, name="create"),
    path("<int:pk>/", views.profile, name="profile"),
    path("<int:pk>/edit/", views.mediator_edit, name="edit"),
    path("<int:pk>/retire/", views.mediator_retire, name="retire"),
    path("cases/<int:case_pk>/choose/", views.choose, name="choose"),
    path("cases/<int:case_pk>/choices/<int:choice_pk>/replace/", views.replace, name="replace"),
    path("cases/<int:case_pk>/sessions/new/", views.session_create, name="session_create"),
    path("cases/<int:case_pk>/agreement/new/", views.agreement_create, name="agreement_create"),
    path("cases/<int:case_pk>/agreement/", views.agreement_print, name="agreement"),
]
