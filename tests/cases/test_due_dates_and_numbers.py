from datetime import timedelta

import pytest
from django.utils import timezone

from cases.due import due_hours
from cases.models import DueRule
from tests.factories import act, make_case

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("risk,hours", [("major", 24), ("serious", 7 * 24), ("general", 15 * 24)])
def test_default_rules(risk, hours):
    assert due_hours(risk=risk) == hours


def test_a_tier_specific_rule_wins_and_is_applied_at_triage(world):
    DueRule.objects.create(risk="general", tier="grid", hours=72)
    assert due_hours(risk="general", tier="grid") == 72
    assert due_hours(risk="general", tier="joint") == 15 * 24
    case = make_case(grid=world.grid1, actor=world.worker1, risk="general")
    case = act(case, "triage", world.officer1)  # tier "grid"
    assert abs((case.due_at - case.triaged_at) - timedelta(hours=72)) < timedelta(seconds=5)


def test_an_edited_default_rule_takes_effect(world):
    DueRule.objects.filter(risk="major", tier="").update(hours=6)
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
