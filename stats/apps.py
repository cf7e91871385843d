from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = _("Statistics")

    def ready(self):
        from cases import selectors

        from .dashboard import dashboard_figures

        selectors.keep_dashboard_figures_in(dashboard_figures)  # its year and month; the province's open cases
