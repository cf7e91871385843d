"""Time: the working-day calendar's local corrections, the four-colour warning's thresholds,
and notifications (one row per recipient) with each user's choice of e-mail per kind."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from grids.display import ChoiceDisplay
from grids.reference import kept

from ..choices import NoticeKind

USER = settings.AUTH_USER_MODEL


class LocalDay(models.Model):
    """A day the official calendar (chinese-calendar) gets wrong here, or does not know yet:
    a local holiday, or a make-up working day (调休) of a year the package predates."""

    day = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"), help_text=_("Ticked: a working day (e.g. a make-up Saturday). Unticked: a holiday."))
    name = models.CharField(_("name"), max_length=50, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("local calendar day")
        verbose_name_plural = _("local calendar days")
        ordering = ["day"]

    def __str__(self):
        return f"{self.day} {self.name}"


class WarningSettings(models.Model):
    """The thresholds of the four-colour warning (红橙黄蓝), one row, editable by administrators.
    Red: major risk or overdue. Orange: serious risk, or due within `orange_working_days`.
    Yellow: due within `yellow_working_days`. Blue: the rest."""

    orange_working_days = models.PositiveSmallIntegerField(_("orange: due within (working days)"), default=1)
    yellow_working_days = models.PositiveSmallIntegerField(_("yellow: due within (working days)"), default=3)
    notice_hours_before_due = models.PositiveSmallIntegerField(_("remind this many hours before a deadline"), default=24)
    overdue_margin_hours = models.PositiveSmallIntegerField(
        _("overdue by this many hours: automatic supervision instruction"), default=24)
    # The repeat-dispute radar (incidents/radar.py): how far back it looks, and how many records
    # at one address or of one person make a repeat.
    radar_days = models.PositiveSmallIntegerField(_("repeat-dispute radar: look back (days)"), default=90)
    repeat_threshold = models.PositiveSmallIntegerField(
        _("repeat disputes: this many records in the window"), default=3)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("warning and reminder settings")
        verbose_name_plural = _("warning and reminder settings")

    def __str__(self):
        return str(_("warning and reminder settings"))

    @classmethod
    def current(cls) -> "WarningSettings":
        """The thresholds, kept for a minute per process (grids.reference): read, never change."""
        return kept("warning-settings", lambda: cls.objects.order_by("pk").first() or cls())


class Notification(ChoiceDisplay, models.Model):
    """One notice for one recipient. `key` makes sending idempotent: a periodic check that runs
    twice, or on two workers at once, creates it once."""

    recipient = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="notifications",
                                  verbose_name=_("recipient"))
    kind = models.CharField(_("kind"), max_length=30, choices=NoticeKind.choices)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                             verbose_name=_("case"))
    call = models.ForeignKey("cases.Call", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                             verbose_name=_("call"))
    text = models.CharField(_("text"), max_length=300)
    key = models.CharField(_("key"), max_length=120)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notification_once")]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self):
        return self.text


class NoticePreference(models.Model):
    """A user's choice per kind of notice: in the app only (no row), or also by e-mail."""

    user = models.ForeignKey(USER, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notice_preferences")
    kind = models.CharField(_("kind"), max_length=30, choices=NoticeKind.choices)
    email = models.BooleanField(_("also by e-mail"), default=False)
    # Only notices from this moment on are e-mailed: choosing e-mail does not mail the backlog.
    since = models.DateTimeField(_("by e-mail since"), default=timezone.now)

    class Meta:
        verbose_name = _("notice preference")
        verbose_name_plural = _("notice preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="noticepreference_once")]


class CheckMark(models.Model):
    """A periodic check's "done" for one item (cases/checks.py), kept even when nobody could be
    told (no active recipient who may see the case), so the item is not looked at again."""

    key = models.CharField(_("key"), max_length=120, unique=True)
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("check mark")
        verbose_name_plural = _("check marks")

    def __str__(self):
        return self.key
