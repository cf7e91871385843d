from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Dispute cases")

    def ready(self):
        from .models import LocalDay, WarningSettings
        from .reference import forget_on_change

        for model in (LocalDay, WarningSettings):
            post_save.connect(forget_on_change, sender=model, dispatch_uid=f"reference-{model.__name__}-save")
            post_delete.connect(forget_on_change, sender=model, dispatch_uid=f"reference-{model.__name__}-delete")
