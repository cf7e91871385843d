from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("Grids and responsibility")

    def ready(self):
        # Cached scopes go stale with the places and the permission rows, however they are
        # written (services, admin, the places workbook): grids/scope_cache.py.
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from . import lookups, models, scope_cache

        lookups.register()  # field__any=ids (grids/lookups.py)

        places = [models.District, models.PoliceBureau, models.Street, models.Community,
                  models.CommunityGrid, models.PoliceStation, models.PoliceGrid, models.GridLink, Group]
        permissions = [models.StreetUserObjectPermission, models.PoliceStationUserObjectPermission,
                       models.CommunityGridUserObjectPermission, models.PoliceGridUserObjectPermission,
                       models.DistrictUserObjectPermission, models.PoliceBureauUserObjectPermission]
        for signal in (post_save, post_delete):
            for model in places:
                signal.connect(scope_cache.on_place_saved_or_deleted, sender=model,
                               dispatch_uid=f"scope-map-{model.__name__}-{id(signal)}")
            for model in permissions:
                signal.connect(scope_cache.on_permission_saved_or_deleted, sender=model,
                               dispatch_uid=f"scope-user-{model.__name__}-{id(signal)}")
        m2m_changed.connect(scope_cache.on_groups_changed, sender=get_user_model().groups.through,
                            dispatch_uid="scope-groups")

        # the streets' names of the top bar are kept per process (grids/reference.py)
        from .reference import forget_on_changes_to

        forget_on_changes_to(models.Street)
