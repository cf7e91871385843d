from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from cases.due import Calendar, add_working_days, compute_due, rule_for, working_days_between
from cases.models import DueRule, LocalDay
from tests.factories import act, make_case

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("risk,rule", [("major", (24, "hours")), ("serious", (5, "working_days")),
                                       ("general", (10, "working_days"))])
def test_default_rules(risk, rule):
    assert rule_for(risk=risk) == rule


# The official 2026 calendar (State Council notice): Mid-Autumn 25–27 September and National Day
# 1–7 October off; Saturday 10 October a make-up working day (调休).
@pytest.mark.parametrize("start,n,expected", [
    (date(2026, 9, 30), 1, date(2026, 10, 8)),    # across the National Day holiday
    (date(2026, 9, 24), 1, date(2026, 9, 28)),    # Thursday -> across Mid-Autumn
    (date(2026, 10, 9), 1, date(2026, 10, 10)),   # Friday -> the make-up Saturday
    (date(2026, 10, 10), 1, date(2026, 10, 12)),  # make-up Saturday -> Monday
    (date(2026, 9, 28), 5, date(2026, 10, 10)),   # 29, 30, 8, 9, 10
    (date(2026, 11, 20), 1, date(2026, 11, 23)),  # an ordinary weekend
])
def test_add_working_days_follows_the_official_calendar(start, n, expected):
    assert add_working_days(start, n) == expected


def test_local_days_correct_the_calendar(world):
    LocalDay.objects.create(day=date(2026, 11, 23), is_workday=False, name="本地停工")
    LocalDay.objects.create(day=date(2026, 11, 22), is_workday=True, name="本地调休")
    assert add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 22)
    assert add_working_days(date(2026, 11, 22), 1) == date(2026, 11, 24)


def test_a_year_the_package_does_not_know_falls_back_to_weekdays():
    assert Calendar(local={}).is_workday(date(2099, 1, 5))  # a Monday
    assert not Calendar(local={}).is_workday(date(2099, 1, 3))  # a Saturday


def test_working_days_between_counts_both_ways():
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 9)) == 2
    assert working_days_between(date(2026, 10, 9), date(2026, 9, 30)) == -2
    assert working_days_between(date(2026, 10, 9), date(2026, 10, 9)) == 0


def test_a_working_day_deadline_ends_with_its_last_working_day(world):
    start = timezone.make_aware(datetime(2026, 9, 30, 10, 0))
    due = compute_due(risk="serious", start=start)
    assert timezone.localtime(due).date() == date(2026, 10, 13)  # 8, 9, 10, 12, 13
    assert timezone.localtime(due).time() == time(23, 59, 59)


def test_a_tier_specific_rule_wins_and_is_applied_at_triage(world):
    DueRule.objects.create(risk="general", tier="grid", amount=72, unit="hours")
    assert rule_for(risk="general", tier="grid") == (72, "hours")
    assert rule_for(risk="general", tier="joint") == (10, "working_days")
    case = make_case(grid=world.grid1, actor=world.worker1, risk="general")
    case = act(case, "triage", world.officer1)  # tier "grid"
    assert abs((case.due_at - case.triaged_at) - timedelta(hours=72)) < timedelta(seconds=5)


def test_an_edited_default_rule_takes_effect(world):
    DueRule.objects.filter(risk="major", tier="").update(amount=6)
    case = make_case(grid=world.grid1, actor=world.worker1, risk="major")
    assert abs(case.due_at - (case.reported_at + timedelta(hours=6))) < timedelta(seconds=1)


def test_case_numbers_run_per_street_and_year(world):
    first = make_case(grid=world.grid1, actor=world.worker1)
    second = make_case(grid=world.grid2, actor=world.worker2)
    other = make_case(grid=world.grid_fh, actor=world.admin)
    year = timezone.localtime(first.reported_at).year
    n = int(first.number.rsplit("-", 1)[1])
    assert first.number == f"栖凤-{year}-{n:06d}"
    assert second.number == f"栖凤-{year}-{n + 1:06d}"
    assert other.number.startswith(f"凤凰-{year}-")
