"""The four-colour warning (红橙黄蓝四色预警) and the time left, in working days.

The rule (thresholds in WarningSettings, editable by administrators; open cases only):
  red     major risk, or overdue
  orange  serious risk, or due by the end of the next `orange_working_days` working days (1)
  yellow  due by the end of the next `yellow_working_days` working days (3)
  blue    the rest
Every colour comes with its reason in words: colour is never the only signal.

`Warnings` takes the settings and the calendar kept per process (grids/reference.py); `of(case)` and `q(colour)`
(for filtering a queryset) apply the same rule.
"""

from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import OPEN_STATES, Risk, Warning
from .due import Calendar, add_working_days, working_days_between
from .models import WarningSettings


@dataclass(frozen=True)
class Light:
    colour: str
    reason: str

    @property
    def label(self) -> str:
        return str(Warning(self.colour).label)

    @property
    def text(self) -> str:
        """The badge's words: 红色预警：已超期2个工作日 (built here once a row rather than by a
        blocktranslate in the row's template: 30 rows' badges 2.6 → 1.4 ms)."""
        return _("%(colour)s warning: %(reason)s") % {"colour": self.label, "reason": self.reason}


def _end_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


class Warnings:
    def __init__(self, now=None):
        self.now = now or timezone.now()
        self.today = timezone.localdate(self.now)
        self.settings = WarningSettings.current()
        self.calendar = Calendar.load()
        self.orange_until = self._until(self.settings.orange_working_days)
        self.yellow_until = self._until(self.settings.yellow_working_days)

    def _until(self, working_days: int) -> datetime:
        if working_days < 1:
            return _end_of(self.today)
        return _end_of(add_working_days(self.today, working_days, self.calendar))

    def time_left(self, case) -> str:
        """还剩N个工作日 / 今日到期 / 已超期N个工作日, or "" without a due date."""
        if case.due_at is None or not case.is_open:
            return ""
        due_day = timezone.localdate(case.due_at)
        if case.due_at < self.now:
            late = max(working_days_between(due_day, self.today, self.calendar), 1 if due_day < self.today else 0)
            return _("Overdue by %(n)s working days") % {"n": late} if late else _("Overdue today")
        left = working_days_between(self.today, due_day, self.calendar)
        return _("Due today") if left == 0 else _("%(n)s working days left") % {"n": left}

    def of(self, case) -> Light | None:
        if not case.is_open:
            return None
        late = case.due_at is not None and case.due_at < self.now
        if case.risk == Risk.MAJOR:  # both reasons when both hold
            return Light(Warning.RED, f"{_('Major risk')}；{self.time_left(case)}" if late else _("Major risk"))
        if late:
            return Light(Warning.RED, self.time_left(case))
        if case.risk == Risk.SERIOUS:
            return Light(Warning.ORANGE, _("Serious risk"))
        if case.due_at is not None and case.due_at <= self.orange_until:
            return Light(Warning.ORANGE, self.time_left(case))
        if case.due_at is not None and case.due_at <= self.yellow_until:
            return Light(Warning.YELLOW, self.time_left(case))
        return Light(Warning.BLUE, self.time_left(case) or _("No deadline pressure"))

    def q(self, colour: str) -> Q:
        """Open cases of one colour, as a filter (the same rule as `of`; a case without a due
        date is never due)."""
        not_late = Q(due_at__isnull=True) | Q(due_at__gte=self.now)
        calm = ~Q(risk__in=[Risk.MAJOR, Risk.SERIOUS])
        parts = {
            Warning.RED: Q(risk=Risk.MAJOR) | Q(due_at__lt=self.now),
            Warning.ORANGE: ~Q(risk=Risk.MAJOR) & not_late & (Q(risk=Risk.SERIOUS) | Q(due_at__lte=self.orange_until)),
            Warning.YELLOW: calm & Q(due_at__gt=self.orange_until, due_at__lte=self.yellow_until),
            Warning.BLUE: calm & (Q(due_at__isnull=True) | Q(due_at__gt=self.yellow_until)),
        }
        return Q(state__in=OPEN_STATES) & parts[colour]

    def mark(self, cases) -> list:
        """Give each case its `warning` (a Light or None) and `time_left`, for templates."""
        cases = list(cases)
        for case in cases:
            case.warning = self.of(case)
            case.time_left = self.time_left(case)
        return cases
