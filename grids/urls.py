from django.urls import path

from . import views

app_name = "grids"
urlpatterns = [
    path("streets/", views.street_index, name="street_index"),
    path("streets/<int:pk>/", views.street_map, name="street_map"),
    path("search/", views.grid_search, name="grid_search"),
    path("communities/search/", views.community_search, name="community_search"),
    path("<int:pk>/", views.grid_detail, name="grid_detail"),
]
