from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = _("Statistics")

    def ready(self):
        from cases import selectors

        from .dashboard import period_figures

        selectors.keep_period_figures_in(period_figures)  # the dashboard's year and month
