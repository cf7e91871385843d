"""The four-colour warning on its boundaries, the same for one case (`of`) and as a filter (`q`)."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from cases.due import Calendar
from cases.due import add_working_days as _add
from cases.models import Case, WarningSettings
from cases.warning import Warnings
from tests.factories import make_case

pytestmark = pytest.mark.django_db

# A Monday afternoon in an ordinary week: the next working days are Tue, Wed, Thu.
NOW = timezone.make_aware(datetime(2026, 11, 23, 15, 0))


def add_working_days(day, n):
    return _add(day, n, Calendar(local={}))  # the official calendar only (no local days in these tests)


def end_of(day):
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


def colour_of(world, *, risk="general", due=None, state=None):
    case = make_case(grid=world.grid1, actor=world.worker1, risk=risk)
    Case.objects.filter(pk=case.pk).update(due_at=due, **({"state": state} if state else {}))
    case = Case.objects.get(pk=case.pk)
    warnings = Warnings(NOW)
    light = warnings.of(case)
    in_filter = [c for c in ("red", "orange", "yellow", "blue")
                 if Case.objects.filter(warnings.q(c), pk=case.pk).exists()]
    assert in_filter == ([light.colour] if light else []), "of() and q() disagree"
    return light


@pytest.mark.parametrize("risk,due,colour", [
    ("major", NOW + timedelta(days=30), "red"),                      # major risk, whatever the time
    ("general", NOW - timedelta(seconds=1), "red"),                  # just overdue
    ("serious", NOW + timedelta(days=30), "orange"),                 # serious risk
    ("general", end_of(add_working_days(NOW.date(), 1)), "orange"),  # end of the next working day
    ("general", end_of(add_working_days(NOW.date(), 1)) + timedelta(seconds=1), "yellow"),
    ("general", end_of(add_working_days(NOW.date(), 3)), "yellow"),  # end of the 3rd working day
    ("general", end_of(add_working_days(NOW.date(), 3)) + timedelta(seconds=1), "blue"),
    ("general", None, "blue"),                                       # no deadline
])
def test_the_colour_rule_on_its_boundaries(world, risk, due, colour):
    light = colour_of(world, risk=risk, due=due)
    assert light.colour == colour and light.reason


def test_closed_cases_have_no_colour(world):
    assert colour_of(world, risk="major", due=NOW - timedelta(days=1), state="closed") is None


def test_the_thresholds_are_editable(world):
    WarningSettings.objects.update_or_create(pk=1, defaults={"orange_working_days": 0, "yellow_working_days": 1})
    assert colour_of(world, due=end_of(add_working_days(NOW.date(), 1))).colour == "yellow"


def test_the_reason_says_the_time_left_in_working_days(world):
    case = make_case(grid=world.grid1, actor=world.worker1)
    Case.objects.filter(pk=case.pk).update(due_at=end_of(add_working_days(NOW.date(), 5)))
    warnings = Warnings(NOW)
    assert warnings.time_left(Case.objects.get(pk=case.pk)) == "还剩5个工作日"
    Case.objects.filter(pk=case.pk).update(due_at=end_of(NOW.date() - timedelta(days=7)))
    assert warnings.time_left(Case.objects.get(pk=case.pk)) == "已超期5个工作日"


def test_the_list_filters_by_colour(client, world):
    red = make_case(grid=world.grid1, actor=world.worker1, risk="major", title="红色的")
    blue = make_case(grid=world.grid1, actor=world.worker1, title="蓝色的")
    Case.objects.filter(pk=blue.pk).update(due_at=timezone.now() + timedelta(days=60))
    client.force_login(world.officer1)
    page = client.get("/cases/", {"warning": "red"})
    shown = {c.pk for c in page.context["page"].object_list}
    assert red.pk in shown and blue.pk not in shown
    assert "红色预警：重大风险" in page.content.decode()  # the badge: its colour and its reason
    client.post("/i18n/setlang/", {"language": "en", "next": "/cases/"})  # the user's choice
    assert "Red warning: Major risk" in client.get("/cases/", {"warning": "red"}).content.decode()


def test_a_major_risk_case_that_is_also_overdue_gives_both_reasons(world):
    on_time = colour_of(world, risk="major", due=NOW + timedelta(days=2))
    late = colour_of(world, risk="major", due=end_of(NOW.date() - timedelta(days=7)))
    assert late.colour == on_time.colour == "red"
    assert late.reason.startswith(on_time.reason) and late.reason != on_time.reason
