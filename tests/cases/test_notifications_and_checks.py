"""Notifications (one per recipient, once per key, never to someone who may not see the case)
and the periodic checks (idempotent, escalating what waits too long)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cases import checks, loop, notices
from cases.models import Call, Case, CaseEvent, Notification, Task
from tests.factories import case_in_state, make_case, person
from tests.helpers import run_in_parallel

pytestmark = pytest.mark.django_db


def unread(user):
    return set(Notification.objects.filter(recipient=user, read_at__isnull=True).values_list("kind", flat=True))


def test_a_call_reaches_the_police_of_the_grid_and_nobody_else(world):
    loop.place_call(actor=world.worker1, grid=world.grid1, message="请民警到场")
    assert "call" in unread(world.officer1) and "call" in unread(world.auxiliary1)
    assert unread(world.officer2) == set() and unread(world.worker2) == set()


def test_answering_a_call_clears_its_notices(world):
    call = loop.place_call(actor=world.worker1, grid=world.grid1, message="请民警到场")
    loop.answer_call(call=call, actor=world.officer1, answer="马上到")
    assert not Notification.objects.filter(call=call, read_at__isnull=True).exists()


def test_triage_tells_the_new_lead_handler(world):
    from cases import workflow

    case = make_case(grid=world.grid1, actor=world.worker1)
    workflow.run_transition(case_id=case.pk, action="triage", actor=world.stationlead, version=case.version,
                            changes={"category": "neighbour", "risk": "general", "tier": "grid",
                                     "lead_handler": world.officer1})
    assert "assigned" in unread(world.officer1)
    assert unread(world.stationlead) == set()


def test_nobody_is_told_about_a_case_they_may_not_see(world):
    case = case_in_state("escalated", grid=world.grid1, actor=world.admin)
    sent = notices.notify(recipients=[world.officer2, world.worker_fh, world.mediator1, world.officer1],
                          kind="ledger", case=case, key="test")
    assert sent == 1
    assert set(Notification.objects.filter(key="test").values_list("recipient__username", flat=True)) == {"officer1"}


def test_supervision_goes_to_its_assignee(world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.admin)
    loop.issue_supervision(case=case, actor=world.streetlead, text="三日内报方案",
                           deadline=timezone.localdate() + timedelta(days=3))
    assert "task" in unread(case.lead_handler)


def due_soon_case(world, hours):
    case = case_in_state("triaged", grid=world.grid1, actor=world.admin)
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() + timedelta(hours=hours))
    return Case.objects.get(pk=case.pk)


def test_a_deadline_reminder_is_sent_once_however_often_the_check_runs(world):
    case = due_soon_case(world, hours=5)
    checks.run()
    checks.run()
    assert Notification.objects.filter(recipient=case.lead_handler, kind="deadline_near", case=case).count() == 1


def test_a_passed_deadline_is_reported_once_and_the_overdue_case_gets_one_automatic_supervision(world):
    case = due_soon_case(world, hours=-30)
    checks.run()
    checks.run()
    assert Notification.objects.filter(kind="deadline_passed", case=case).count() == 1
    task = Task.objects.get(case=case)
    assert task.issued_by.username == "system" and task.assignee == case.lead_handler
    assert CaseEvent.objects.filter(case=case, kind="supervision", actor__username="system").count() == 1
    assert "ledger" in unread(world.stationlead) and "ledger" in unread(world.streetlead)
    assert "ledger" not in unread(world.streetlead_fh)


def test_an_unanswered_call_goes_to_the_station_leader_once(world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.admin)
    call = loop.place_call(actor=world.worker1, grid=world.grid1, case=case, message="请民警到场")
    Call.objects.filter(pk=call.pk).update(respond_by=timezone.now() - timedelta(minutes=1))
    checks.run()
    checks.run()
    assert "call_escalated" in unread(world.stationlead) and "call_escalated" not in unread(world.stationlead_fh)
    assert CaseEvent.objects.filter(case=case, kind="call_escalated", actor__username="system").count() == 1


def test_a_check_costs_the_same_queries_whatever_the_number_of_untouched_cases(world, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import bulk_cases

    with CaptureQueriesContext(connection) as few:
        checks.run()
    bulk_cases(grid=world.grid2, creator=world.officer2, count=300, state="closed")
    with CaptureQueriesContext(connection) as many:
        checks.run()
    assert len(few.captured_queries) == len(many.captured_queries)


@pytest.mark.postgres
def test_two_workers_running_the_checks_at_once_send_each_reminder_once(transactional_world):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("parallel workers need PostgreSQL (SQLite serialises writers)")
    world = transactional_world
    case = case_in_state("triaged", grid=world.grid1, actor=world.admin)
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - timedelta(hours=30))
    results = run_in_parallel(checks.run, checks.run)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Notification.objects.filter(kind="deadline_passed", case=case).count() == 1
    assert Task.objects.filter(case=case).count() == 1


def test_the_bell_shows_the_count_and_the_list_opens_and_marks_read(client, world):
    call = loop.place_call(actor=world.worker1, grid=world.grid1, message="请民警到场")
    client.force_login(world.officer1)
    html = client.get(reverse("cases:workbench")).content.decode()
    assert 'id="bell-count"' in html
    badge = client.get(reverse("cases:notification_count"))
    assert badge.status_code == 200 and ">1<" in badge.content.decode().replace(" ", "")
    notice = Notification.objects.get(recipient=world.officer1, call=call)
    assert client.get(reverse("cases:notification_open", args=[notice.pk])).status_code == 302
    notice.refresh_from_db()
    assert notice.read_at is not None
    client.force_login(world.officer2)
    assert client.get(reverse("cases:notification_open", args=[notice.pk])).status_code == 404


def test_the_bell_costs_one_query(client, world):
    from tests.helpers import count_queries

    client.force_login(world.officer1)
    before, sql = count_queries(client, reverse("grids:grid_detail", args=[world.grid1.pk]))
    assert len([q for q in sql if "cases_notification" in q]) == 1
    loop.place_call(actor=world.worker1, grid=world.grid1, message="求助")
    after, _ = count_queries(client, reverse("grids:grid_detail", args=[world.grid1.pk]))
    assert before == after


def test_email_goes_only_to_those_who_chose_it(client, world, django_capture_on_commit_callbacks, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    world.officer1.email = "officer1@example.com"
    world.officer1.save(update_fields=["email"])
    client.force_login(world.officer1)
    assert client.post(reverse("cases:notification_settings"), {"email": ["call"]}).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        loop.place_call(actor=world.worker1, grid=world.grid1, message="请民警到场")
    assert [m.to for m in mail.outbox] == [["officer1@example.com"]]
    with django_capture_on_commit_callbacks(execute=True):
        loop.place_call(actor=world.worker1, grid=world.grid1, message="再次求助")
    assert len(mail.outbox) == 2  # one per notice, never twice


def test_a_worker_on_two_grids_person(world):
    user = person("not_placed_anywhere", "community_worker")
    assert notices.notify(recipients=[user], kind="ledger", case=make_case(grid=world.grid1, actor=world.worker1),
                          key="x") == 0


def test_an_escalated_case_is_announced_on_its_leaders_ledger(world):
    case_in_state("escalated", grid=world.grid1, actor=world.officer1)
    assert "ledger" in unread(world.stationlead) and "ledger" in unread(world.streetlead)
    assert "ledger" not in unread(world.stationlead_fh) and "ledger" not in unread(world.officer2)
