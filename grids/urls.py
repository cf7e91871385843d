from django.urls import path

from . import views

app_name = "grids"
urlpatterns = [
    path("streets/<int:pk>/", views.street_map, name="street_map"),
    path("<int:pk>/", views.grid_detail, name="grid_detail"),
]
