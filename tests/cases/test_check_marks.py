"""A periodic check looks at each item once, even when nobody could be told about it: a
handler who left (inactive account), a grid with no police yet. Otherwise every run would look
at it again and again, and the check would grow with such items."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import checks
from cases.models import Case, CheckMark, Notification
from tests.factories import case_in_state


def _overdue_cases_of_a_handler_who_left(world, count):
    handler = get_user_model().objects.create_user("left_officer")
    for _ in range(count):
        case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
        # overdue, but within the margin of the automatic 督办 (which needs an active handler too)
        Case.objects.filter(pk=case.pk).update(lead_handler=handler, due_at=timezone.now() - timedelta(hours=1))
    handler.is_active = False
    handler.save()


def test_an_item_nobody_can_be_told_about_is_marked_done_once(world):
    _overdue_cases_of_a_handler_who_left(world, 1)
    checks.run()
    assert CheckMark.objects.filter(key__startswith="due-passed:").count() == 1
    assert not Notification.objects.filter(kind="deadline_passed").exists()
    checks.run()
    assert CheckMark.objects.filter(key__startswith="due-passed:").count() == 1


def test_items_nobody_can_be_told_about_cost_nothing_on_the_next_runs(world):
    checks.run()
    with CaptureQueriesContext(connection) as none:
        checks.run()
    _overdue_cases_of_a_handler_who_left(world, 5)
    checks.run()  # looks at them once
    with CaptureQueriesContext(connection) as after:
        checks.run()
    assert len(after.captured_queries) == len(none.captured_queries), "\n".join(
        q["sql"] for q in after.captured_queries)
