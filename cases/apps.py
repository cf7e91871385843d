from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Dispute cases")

    def ready(self):
        from grids import access, scope_cache
        from grids.reference import forget_on_change

        from .models import CaseUserObjectPermission, LocalDay, WarningSettings

        # per-case grants are read with the user's places, and a change makes that stale
        access.also_read(CaseUserObjectPermission)
        for signal in (post_save, post_delete):
            signal.connect(scope_cache.on_permission_saved_or_deleted, sender=CaseUserObjectPermission,
                           dispatch_uid=f"scope-user-case-grants-{id(signal)}")

        for model in (LocalDay, WarningSettings):
            post_save.connect(forget_on_change, sender=model, dispatch_uid=f"reference-{model.__name__}-save")
            post_delete.connect(forget_on_change, sender=model, dispatch_uid=f"reference-{model.__name__}-delete")
