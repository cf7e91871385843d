from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediatorsConfig(AppConfig):
    name = "mediators"
    verbose_name = _("Mediation supermarket")

    def ready(self):
        # A case's state moves in the cases app, which knows nothing of mediators: its current
        # mediators' figures follow through django-fsm's signal (mediators/services.py).
        from django_fsm.signals import post_transition

        from cases.models import Case

        from . import services

        post_transition.connect(services.count_case_move, sender=Case, dispatch_uid="mediator-figures")
