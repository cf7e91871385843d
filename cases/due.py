"""Due dates from the configurable rules (cases.DueRule, editable in the admin), in hours or in
working days on the Chinese calendar.

Working days follow the official calendar with its make-up working weekends (调休), from the
chinese-calendar package; administrators correct or extend it with LocalDay rows (a local
holiday, or a year the package does not know yet — then Monday to Friday is assumed).

Defaults, when no rule matches: major risk — 24 hours; serious — 5 working days; general — 10
working days. A rule for (risk, tier) beats a rule for (risk, any tier). A deadline in working
days falls at the end of its last working day.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import chinese_calendar
from django.utils import timezone

from .choices import DueUnit, Risk
from .models import DueRule, LocalDay

DEFAULT_RULES = {Risk.MAJOR: (24, DueUnit.HOURS), Risk.SERIOUS: (5, DueUnit.WORKING_DAYS),
                 Risk.GENERAL: (10, DueUnit.WORKING_DAYS)}
MAX_SPAN_DAYS = 3 * 366  # no rule looks further ahead than this


@dataclass(frozen=True)
class Calendar:
    """Working days over a span, read once (one query for the local corrections)."""

    local: dict  # {date: is_workday}

    @classmethod
    def load(cls, start: date, end: date) -> "Calendar":
        return cls(dict(LocalDay.objects.filter(day__range=(start, end)).values_list("day", "is_workday")))

    def is_workday(self, day: date) -> bool:
        if day in self.local:
            return self.local[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:  # a year the package does not cover yet
            return day.weekday() < 5


def add_working_days(day: date, n: int, calendar: Calendar | None = None) -> date:
    """The n-th working day after `day` (n ≥ 1; `day` itself does not count)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    calendar = calendar or Calendar.load(day, day + timedelta(days=MAX_SPAN_DAYS))
    current, counted = day, 0
    while counted < n:
        current += timedelta(days=1)
        if current - day > timedelta(days=MAX_SPAN_DAYS):
            raise ValueError("no working day found")
        if calendar.is_workday(current):
            counted += 1
    return current


def working_days_between(start: date, end: date, calendar: Calendar | None = None) -> int:
    """Working days after `start` up to and including `end` (negative when end is before)."""
    if end == start:
        return 0
    if end < start:
        return -working_days_between(end, start, calendar)
    calendar = calendar or Calendar.load(start, end)
    return sum(1 for i in range(1, (end - start).days + 1) if calendar.is_workday(start + timedelta(days=i)))


def rule_for(*, risk: str, tier: str = "") -> tuple[int, str]:
    """(amount, unit) for a case of this risk level and tier. One query."""
    rules = {r.tier: (r.amount, r.unit) for r in DueRule.objects.filter(risk=risk, tier__in=[tier, ""])}
    if tier and tier in rules:
        return rules[tier]
    return rules.get("", DEFAULT_RULES[risk])


def compute_due(*, risk: str, tier: str = "", start: datetime) -> datetime:
    amount, unit = rule_for(risk=risk, tier=tier)
    if unit == DueUnit.HOURS:
        return start + timedelta(hours=amount)
    last_day = add_working_days(timezone.localdate(start), amount)
    return timezone.make_aware(datetime.combine(last_day, time(23, 59, 59)))
