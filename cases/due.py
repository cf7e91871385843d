"""Due dates from the configurable rules (cases.DueRule, editable in the admin), in hours or in
working days on the Chinese calendar.

Working days follow the official calendar with its make-up working weekends (调休), from the
chinese-calendar package; administrators correct or extend it with LocalDay rows (a local
holiday, or a year the package does not know yet — then Monday to Friday is assumed).

Defaults, when no rule matches: major risk — 24 hours; serious — 5 working days; general — 10
working days. A rule for (risk, tier) beats a rule for (risk, any tier). A deadline in working
days falls at the end of its last working day.
"""

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import chinese_calendar
from django.utils import timezone

from grids.reference import kept

from .choices import DueUnit, Risk
from .models import DueRule, LocalDay

DEFAULT_RULES = {Risk.MAJOR: (24, DueUnit.HOURS), Risk.SERIOUS: (5, DueUnit.WORKING_DAYS),
                 Risk.GENERAL: (10, DueUnit.WORKING_DAYS)}
MAX_SPAN_DAYS = 3 * 366  # no rule looks further ahead than this


@functools.cache
def _statutory_workday(day: date) -> bool:
    # The package's tables never change while the process runs: each day is looked up once per
    # process, not once per request (an "overdue by N working days" spans years, and a year the
    # package does not cover answers through a slow exception).
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package does not cover yet
        return day.weekday() < 5


@dataclass(frozen=True)
class Calendar:
    """Working days over a span, read once (one query for the local corrections)."""

    local: dict  # {date: is_workday}
    # {year: running count of working days up to and including each day of that year}, built
    # on first use: counting between two dates costs two lookups, not a loop over the days
    # (a ledger of long-overdue cases would otherwise walk years of days for every row).
    _running: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls) -> "Calendar":
        """Every local correction (a few a year), kept for a minute per process with its running
        totals (grids.reference)."""
        return kept("calendar", lambda: cls(dict(LocalDay.objects.values_list("day", "is_workday"))))

    def is_workday(self, day: date) -> bool:
        if day in self.local:
            return self.local[day]
        return _statutory_workday(day)

    def _year(self, year: int) -> list[int]:
        if year not in self._running:
            day, total, running = date(year, 1, 1), 0, []
            while day.year == year:
                total += self.is_workday(day)
                running.append(total)
                day += timedelta(days=1)
            self._running[year] = running
        return self._running[year]

    def count_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (start ≤ end)."""
        counted = self._year(end.year)[end.timetuple().tm_yday - 1] - self._year(start.year)[start.timetuple().tm_yday - 1]
        for year in range(start.year, end.year):
            counted += self._year(year)[-1]
        return counted


def add_working_days(day: date, n: int, calendar: Calendar | None = None) -> date:
    """The n-th working day after `day` (n ≥ 1; `day` itself does not count)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    calendar = calendar or Calendar.load()
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
    calendar = calendar or Calendar.load()
    return calendar.count_between(start, end)


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
