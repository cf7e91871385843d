from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Dispute cases")

    def ready(self):
        from django.contrib.auth import get_user_model

        from grids import access, scope_cache
        from grids.reference import forget_on_changes_to

        from .models import CaseUserObjectPermission, Department, LocalDay, WarningSettings

        # per-case grants are read with the user's places, and a change makes that stale
        access.also_read(CaseUserObjectPermission)
        for signal in (post_save, post_delete):
            signal.connect(scope_cache.on_permission_saved_or_deleted, sender=CaseUserObjectPermission,
                           dispatch_uid=f"scope-user-case-grants-{id(signal)}")

        # a case's first follow-up visit due, kept on the case for the work bench (cases/loop.py)
        from .loop import on_follow_up_saved_or_deleted
        from .models import FollowUp

        for signal in (post_save, post_delete):
            signal.connect(on_follow_up_saved_or_deleted, sender=FollowUp, dispatch_uid=f"follow-up-due-{id(signal)}")

        # kept per process (grids/reference.py): the warning thresholds, the calendar, the
        # referral form's departments and contact accounts (forms.ReferralFields)
        forget_on_changes_to(LocalDay, WarningSettings, Department,
                             through=(Department.contacts.through, get_user_model().groups.through))
