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


def _work_already_reminded(world, n):
    """n of each thing the checks act on — cases near and past their deadline (one past the
    automatic-督办 margin), late 督办, late referrals, follow-up visits due — then one run that
    deals with them all."""
    now = timezone.now()
    for i in range(n):
        near = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
        Case.objects.filter(pk=near.pk).update(due_at=now + timedelta(hours=2))
        late = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
        Case.objects.filter(pk=late.pk).update(due_at=now - timedelta(days=3))
        task = loop.issue_supervision(case=late, actor=world.streetlead, text=f"督办{i}",
                                      deadline=timezone.localdate() + timedelta(days=5))
        Task.objects.filter(pk=task.pk).update(deadline=timezone.localdate() - timedelta(days=1))
        referred = case_in_state("referred", grid=world.grid1, actor=world.streetlead)
        referred.referrals.update(deadline=timezone.localdate() - timedelta(days=1))
        resolved = case_in_state("resolved", grid=world.grid1, actor=world.officer1)
        resolved.follow_ups.update(due_on=timezone.localdate())
    checks.run()


def test_a_check_costs_the_same_queries_however_much_it_has_already_dealt_with(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import bulk_cases

    _work_already_reminded(world, 2)
    with CaptureQueriesContext(connection) as few:
        assert sum(checks.run().values()) == 0  # all reminded already: nothing sent twice
    _work_already_reminded(world, 8)
    bulk_cases(grid=world.grid2, creator=world.officer2, count=300, state="closed")
    with CaptureQueriesContext(connection) as many:
        assert sum(checks.run().values()) == 0
    assert len(few.captured_queries) == len(many.captured_queries), "\n".join(
        q["sql"] for q in many.captured_queries)


def test_each_kind_of_deadline_is_reminded_once(world):
    now = timezone.now()
    late = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    Case.objects.filter(pk=late.pk).update(due_at=now - timedelta(hours=2))  # within the margin
    task = loop.issue_supervision(case=late, actor=world.streetlead, text="三日内报告",
                                  deadline=timezone.localdate() + timedelta(days=1), assignee=world.worker1)
    Task.objects.filter(pk=task.pk).update(issued_at=now - timedelta(days=2))  # issued two days ago
    referred = case_in_state("referred", grid=world.grid1, actor=world.streetlead)
    referred.referrals.update(deadline=timezone.localdate() - timedelta(days=1))
    for _run in range(2):
        checks.run()
    kinds = lambda user, case: list(Notification.objects.filter(recipient=user, case=case)  # noqa: E731
                                    .values_list("kind", flat=True).order_by("kind"))
    assert kinds(world.officer1, late).count("deadline_passed") == 1
    assert "deadline_near" in kinds(world.worker1, late)  # the 督办 is due tomorrow
    assert kinds(world.streetlead, late).count("ledger") == 1  # overdue: on the ledger
    assert not Task.objects.filter(case=late, auto_key__isnull=False).exists()  # not yet past the margin
    sender = referred.referrals.get().sent_by
    assert kinds(sender, referred).count("deadline_passed") == 1
    assert task.assignee == world.worker1


def test_a_case_awaiting_triage_past_its_deadline_is_told_to_the_grid_police(world):
    case = make_case(grid=world.grid1, actor=world.worker1)
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - timedelta(hours=1))
    checks.run()
    assert "deadline_passed" in unread(world.officer1) and "deadline_passed" not in unread(world.officer2)


def test_nothing_happens_before_a_deadline(world):
    call = loop.place_call(actor=world.worker1, grid=world.grid1, message="请民警到场")
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    Call.objects.filter(pk=call.pk).update(respond_by=timezone.now() + timedelta(minutes=1))
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() + timedelta(days=5))
    assert checks.run() == {"deadlines": 0, "tasks": 0, "referrals": 0, "follow_ups": 0, "calls": 0,
                            "supervision": 0}
    assert "call_escalated" not in unread(world.stationlead)


def test_the_automatic_supervision_is_due_the_next_working_day(world):
    from datetime import datetime

    from cases.due import add_working_days

    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    friday_evening = timezone.make_aware(datetime(2026, 12, 4, 18, 0))
    Case.objects.filter(pk=case.pk).update(due_at=friday_evening - timedelta(days=3))
    checks.overdue_supervision(friday_evening)
    task = Task.objects.get(case=case, auto_key__isnull=False)
    assert task.deadline == add_working_days(friday_evening.date(), 1) == friday_evening.date() + timedelta(days=3)


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


def answered_from_where_the_notice_leads(client, user, notice, call):
    """Open the notice as `user`; the page it leads to offers the answer form; send it there."""
    client.force_login(user)
    opened = client.get(reverse("cases:notification_open", args=[notice.pk]))
    assert opened["Location"] == f"{call.case.get_absolute_url()}#call-{call.pk}"
    html = client.get(opened["Location"]).content.decode()
    assert f'id="call-{call.pk}"' in html  # the link's target
    assert f'action="{reverse("cases:call_answer", args=[call.pk])}"' in html
    answered = client.post(reverse("cases:call_answer", args=[call.pk]), {"answer": "马上到", "from": "case"})
    assert answered["Location"] == call.case.get_absolute_url()  # back to the case page
    call.refresh_from_db()
    assert call.answered_by == user


def test_a_notice_of_a_call_on_a_case_leads_to_a_page_where_it_can_be_answered(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    call = loop.place_call(actor=world.worker1, grid=world.grid1, case=case, message="请民警到场")
    notice = Notification.objects.get(recipient=world.auxiliary1, call=call)
    answered_from_where_the_notice_leads(client, world.auxiliary1, notice, call)
    assert not Notification.objects.filter(call=call, read_at__isnull=True).exists()  # officer1's too


def test_a_notice_of_an_escalated_call_lets_the_station_leader_answer_it_on_the_case(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    call = loop.place_call(actor=world.worker1, grid=world.grid1, case=case, message="请民警到场")
    Call.objects.filter(pk=call.pk).update(respond_by=timezone.now() - timedelta(minutes=1))
    checks.run()
    notice = Notification.objects.get(recipient=world.stationlead, call=call, kind="call_escalated")
    answered_from_where_the_notice_leads(client, world.stationlead, notice, call)
    assert not Notification.objects.filter(call=call, read_at__isnull=True).exists()


def test_the_case_page_offers_the_answer_only_to_whoever_may_answer_the_call(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    call = loop.place_call(actor=world.worker1, grid=world.grid1, case=case, message="请民警到场")
    form = f'action="{reverse("cases:call_answer", args=[call.pk])}"'
    for user, offered in ((world.worker1, False), (world.officer1, True), (world.streetlead, True)):
        client.force_login(user)
        assert (form in client.get(case.get_absolute_url()).content.decode()) is offered, user
    loop.answer_call(call=call, actor=world.officer1, answer="马上到")
    client.force_login(world.officer1)
    html = client.get(case.get_absolute_url()).content.decode()
    assert form not in html and "马上到" in html


def test_the_bell_is_read_with_the_user_and_costs_no_query_of_its_own(client, world):
    from tests.helpers import count_queries

    client.force_login(world.officer1)
    before, sql = count_queries(client, reverse("grids:grid_detail", args=[world.grid1.pk]))
    assert [q for q in sql if "cases_notification" in q] == [q for q in sql if 'FROM "auth_user"' in q]
    loop.place_call(actor=world.worker1, grid=world.grid1, message="求助")
    after, _ = count_queries(client, reverse("grids:grid_detail", args=[world.grid1.pk]))
    assert before == after


def bell(html):
    """The number on the bell in the top bar (0 when it shows none)."""
    import re

    found = re.search(r'id="bell-count">(\d+)<', html)
    return int(found.group(1)) if found else 0


def test_the_bell_counts_the_unread_and_nothing_once_they_are_read(client, world):
    calls = [loop.place_call(actor=world.worker1, grid=world.grid1, message=f"求助 {i}") for i in range(3)]
    notices.mark_read(user=world.officer1, call=calls[0])
    client.force_login(world.officer1)
    assert bell(client.get(reverse("cases:workbench")).content.decode()) == 2
    read_all = client.post(reverse("cases:notifications_read"), follow=True)
    assert read_all.redirect_chain == [(reverse("cases:notifications"), 302)]
    assert bell(read_all.content.decode()) == 0
    assert bell(client.get(reverse("cases:workbench")).content.decode()) == 0


def test_marking_read_drops_the_count_read_with_the_user(world):
    """A page rendered after its own request marked notices read counts them again."""
    from django.contrib.auth import get_user_model

    from cases.backends import UserWithBellBackend

    loop.place_call(actor=world.worker1, grid=world.grid1, message="求助")
    user = UserWithBellBackend().get_user(world.officer1.pk)
    assert notices.unread_count(user) == 1
    notices.mark_read(user=user)
    assert notices.unread_count(user) == 0
    # a user loaded otherwise (authenticate(), just signed in) is counted by a query
    assert notices.unread_count(get_user_model().objects.get(pk=world.officer1.pk)) == 0


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


def test_choosing_email_later_does_not_mail_the_history(client, world, django_capture_on_commit_callbacks,
                                                        settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    world.officer1.email = "officer1@example.com"
    world.officer1.save(update_fields=["email"])
    for message in ("请民警到场", "楼下又吵起来了"):
        loop.place_call(actor=world.worker1, grid=world.grid1, message=message)
    Notification.objects.filter(recipient=world.officer1).update(created_at=timezone.now() - timedelta(days=3))
    client.force_login(world.officer1)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("cases:notification_settings"), {"email": ["call"]})
        client.post(reverse("cases:notification_settings"), {"email": ["call"]})  # saved again: same choice
        loop.place_call(actor=world.worker1, grid=world.grid1, message="新的求助")
    assert [m.body.splitlines()[1] for m in mail.outbox] == ["新的求助"]


def test_someone_placed_nowhere_is_not_told_about_a_case(world):
    user = person("not_placed_anywhere", "community_worker")
    assert notices.notify(recipients=[user], kind="ledger", case=make_case(grid=world.grid1, actor=world.worker1),
                          key="x") == 0


def test_an_escalated_case_is_announced_on_its_leaders_ledger(world):
    case_in_state("escalated", grid=world.grid1, actor=world.officer1)
    assert "ledger" in unread(world.stationlead) and "ledger" in unread(world.streetlead)
    assert "ledger" not in unread(world.stationlead_fh) and "ledger" not in unread(world.officer2)


def test_a_case_triaged_as_major_risk_is_announced_on_the_leaders_ledger(world):
    from cases import workflow

    case = make_case(grid=world.grid1, actor=world.worker1)
    workflow.run_transition(case_id=case.pk, action="triage", actor=world.officer1, version=case.version,
                            changes={"category": "neighbour", "risk": "major", "tier": "police_room",
                                     "lead_handler": world.officer1})
    assert "ledger" in unread(world.stationlead) and "ledger" in unread(world.streetlead)
    assert "ledger" not in unread(world.streetlead_fh)


def test_the_bell_stops_polling_quietly_once_the_session_has_ended(client):
    response = client.get(reverse("cases:notification_count"), headers={"HX-Request": "true"})
    assert response.status_code == 286 and response.content == b""  # htmx: stop polling, swap nothing


def test_the_notification_pages_keep_their_filter(client, world):
    for i in range(31):
        notices.notify(recipients=[world.officer1], kind="ledger", key=f"k{i}",
                       case=make_case(grid=world.grid1, actor=world.worker1) if i == 0 else None)
    client.force_login(world.officer1)
    html = client.get(reverse("cases:notifications") + "?kind=ledger&unread=on").content.decode()
    assert "?kind=ledger&amp;unread=on&amp;page=2" in html
