"""Records of who took personal data out of the app: every export (who, when, which filter,
how many rows). Written by the view that streams the file; read-only in the admin."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportRecord(models.Model):
    class What(models.TextChoices):
        LEDGER = "ledger", _("Ledger of key and difficult disputes")
        REPEATS = "repeats", _("Repeat disputes and incidents")
        STATS_REPORT = "stats_report", _("Monthly statistics report")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("user"))
    at = models.DateTimeField(_("when"), default=timezone.now)
    what = models.CharField(_("what was exported"), max_length=20, choices=What.choices)
    filters = models.JSONField(_("filter"), default=dict, blank=True)
    rows = models.PositiveIntegerField(_("rows"))
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)

    class Meta:
        verbose_name = _("export record")
        verbose_name_plural = _("export records")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.get_what_display()} {self.at:%Y-%m-%d %H:%M}"
