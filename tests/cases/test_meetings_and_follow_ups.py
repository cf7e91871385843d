from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import loop as closing
from cases.models import Case, CaseEvent, FollowUp, Meeting, Task
from tests.factories import act, bulk_cases, case_in_state, make_case

pytestmark = pytest.mark.django_db


def test_the_meeting_agenda_holds_the_streets_difficult_cases(client, world):
    escalated = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    major = make_case(grid=world.grid2, actor=world.officer2, risk="major")
    overdue = case_in_state("triaged", grid=world.grid1, actor=world.stationlead)
    Case.objects.filter(pk=overdue.pk).update(due_at=timezone.now() - timedelta(days=1))
    ordinary = case_in_state("triaged", grid=world.grid1, actor=world.stationlead)
    elsewhere = case_in_state("escalated", grid=world.grid_fh, actor=world.admin)
    client.force_login(world.streetlead)
    response = client.post(reverse("cases:meeting_create"), {
        "street": world.qifeng.pk, "held_on": (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"), "place": "街道综治中心",
        "attendees": "街道、派出所、社区、物业公司", "cases": [escalated.pk, major.pk, overdue.pk]})
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    agenda = set(meeting.items.values_list("case_id", flat=True))
    assert agenda == {escalated.pk, major.pk, overdue.pk}
    assert ordinary.pk not in agenda and elsewhere.pk not in agenda
    html = client.get(reverse("cases:meeting_print", args=[meeting.pk])).content.decode()
    assert escalated.number in html and "矛盾纠纷联席会议" in html


def test_a_decision_goes_on_the_timeline_and_assigned_work_onto_a_work_bench(client, world):
    case = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    meeting = closing.create_meeting(actor=world.streetlead, street=world.qifeng, held_on=timezone.now(),
                                     place="街道会议室", attendees="街道、派出所")
    item = meeting.items.get(case=case)
    client.force_login(world.streetlead)
    deadline = timezone.localdate() + timedelta(days=3)
    response = client.post(reverse("cases:meeting_decide", args=[meeting.pk, item.pk]), {
        f"item{item.pk}-decision": "由社区民警牵头，联合物业三日内完成管道维修",
        f"item{item.pk}-assignee": world.officer1.pk, f"item{item.pk}-deadline": deadline.isoformat()})
    assert response.status_code == 302
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.kind == "meeting_decision" and "管道维修" in event.note
    task = Task.objects.get(case=case)
    assert (task.assignee, task.deadline, task.kind) == (world.officer1, deadline, "meeting")
    client.force_login(world.officer1)
    assert [t.pk for t in client.get(reverse("cases:workbench")).context["loop"]["tasks"]] == [task.pk]
    client.post(reverse("cases:task_done", args=[case.pk, task.pk]), {"note": "已维修完毕"})
    task.refresh_from_db()
    assert task.done_at and task.done_note == "已维修完毕"


def test_assigned_work_needs_a_deadline(client, world):
    case = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    meeting = closing.create_meeting(actor=world.streetlead, street=world.qifeng, held_on=timezone.now(),
                                     place="会议室", attendees="街道")
    item = meeting.items.get(case=case)
    client.force_login(world.streetlead)
    response = client.post(reverse("cases:meeting_decide", args=[meeting.pk, item.pk]), {
        f"item{item.pk}-decision": "交社区处理", f"item{item.pk}-assignee": world.officer1.pk})
    assert response.status_code == 400 and "请为交办的工作设定期限" in response.content.decode()
    assert not Task.objects.exists()


def test_a_supervision_instruction_lands_on_the_handlers_work_bench(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)  # lead: officer1
    client.force_login(world.stationlead)
    response = client.post(reverse("cases:supervise", args=[case.pk]), {
        "text": "三日内拿出化解方案", "deadline": (timezone.localdate() + timedelta(days=3)).isoformat()})
    assert response.status_code == 302
    client.force_login(world.officer1)
    tasks = client.get(reverse("cases:workbench")).context["loop"]["tasks"]
    assert [t.text for t in tasks] == ["三日内拿出化解方案"]
    client.force_login(world.officer1)
    assert client.post(reverse("cases:supervise", args=[case.pk]), {"text": "x", "deadline": "2030-01-01"}).status_code == 403


def test_a_resolved_case_cannot_close_without_a_follow_up(client, world, settings):
    case = case_in_state("resolved", grid=world.grid1, actor=world.officer1)
    visit = case.follow_ups.get()
    assert visit.due_on == timezone.localdate(case.resolved_at) + timedelta(days=settings.FENGQIAO_FOLLOW_UP_DAYS)
    client.force_login(world.worker1)
    response = client.post(reverse("cases:transition", args=[case.pk, "close"]), {"close-version": case.version})
    assert response.status_code == 409 and "请先登记回访" in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == "resolved"
    assert [f.pk for f in client.get(reverse("cases:workbench")).context["loop"]["follow_ups"]] == [visit.pk]
    client.post(reverse("cases:follow_up", args=[case.pk, visit.pk]), {
        "fulfilled": "yes", "satisfaction": "very", "note": "双方满意"})
    response = client.post(reverse("cases:transition", args=[case.pk, "close"]), {"close-version": case.version})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).state == "closed"


def test_an_unfulfilled_agreement_reopens_the_case(client, world):
    case = case_in_state("resolved", grid=world.grid1, actor=world.officer1)
    visit = case.follow_ups.get()
    client.force_login(world.worker1)
    response = client.post(reverse("cases:follow_up", args=[case.pk, visit.pk]), {
        "fulfilled": "no", "satisfaction": "dissatisfied", "note": "楼上仍未修好防水"}, follow=True)
    assert "协议未履行，案件已转回调解" in response.content.decode()
    case.refresh_from_db()
    assert case.state == "mediating"
    reopen = CaseEvent.objects.filter(case=case, action="reopen").get()
    assert "楼上仍未修好防水" in reopen.note
    # resolving again schedules a new visit
    case = act(case, "resolve", world.officer1)
    assert case.follow_ups.filter(done_at__isnull=True).count() == 1


def test_follow_up_form_errors_keep_the_input(client, world):
    case = case_in_state("resolved", grid=world.grid1, actor=world.officer1)
    visit = case.follow_ups.get()
    client.force_login(world.worker1)
    response = client.post(reverse("cases:follow_up", args=[case.pk, visit.pk]), {
        "fulfilled": "", "satisfaction": "very", "note": "电话回访记录"})
    assert response.status_code == 400 and "电话回访记录" in response.content.decode()
    client.force_login(world.auxiliary1)  # auxiliaries do not record follow-ups
    assert client.post(reverse("cases:follow_up", args=[case.pk, visit.pk]), {}).status_code == 403


def test_another_streets_leader_cannot_open_the_meeting(client, world):
    meeting = closing.create_meeting(actor=world.streetlead, street=world.qifeng, held_on=timezone.now(),
                                     place="会议室", attendees="街道")
    client.force_login(world.streetlead_fh)
    assert client.get(reverse("cases:meeting", args=[meeting.pk])).status_code == 404
    assert client.get(reverse("cases:meeting_print", args=[meeting.pk])).status_code == 404
    client.force_login(world.officer1)
    assert client.get(reverse("cases:meeting", args=[meeting.pk])).status_code == 403


def test_a_case_keeps_its_first_visit_due_however_its_visits_are_written(world):
    """Case.follow_up_due, which the work bench reads per grid: the earliest visit not yet made."""
    case = case_in_state("resolved", grid=world.grid1, actor=world.officer1)
    visit = case.follow_ups.get()
    case.refresh_from_db()
    assert case.follow_up_due == visit.due_on
    earlier = FollowUp.objects.create(case=case, due_on=visit.due_on - timedelta(days=3))  # e.g. the admin
    case.refresh_from_db()
    assert case.follow_up_due == earlier.due_on
    earlier.delete()
    case.refresh_from_db()
    assert case.follow_up_due == visit.due_on
    closing.record_follow_up(follow_up=visit, actor=world.worker1, fulfilled=True, satisfaction="very", note="")
    case.refresh_from_db()
    assert case.follow_up_due is None


def test_a_leaders_work_bench_lists_the_first_visits_due_of_all_their_grids(client, world):
    """Each grid's first visits due, merged: the street's earliest ten, first due first, and "more";
    none of another street, none of a case reopened since."""
    today = timezone.localdate()
    visits = []
    for number, grid in enumerate((world.grid1, world.grid2, world.grid_fh) * 5):
        case = bulk_cases(grid=grid, creator=world.worker1, count=1, start=number, state="resolved")[0]
        visits.append(FollowUp.objects.create(case=case, due_on=today + timedelta(days=(number * 7) % 15 - 5)))
    reopened = visits[0].case
    Case.objects.filter(pk=reopened.pk).update(state="mediating")
    done = visits[1]
    done.done_at = timezone.now()
    done.save()
    client.force_login(world.streetlead)
    loop = client.get(reverse("cases:workbench")).context["loop"]
    expected = sorted((v for v in visits if v.case.grid_id in {world.grid1.pk, world.grid2.pk}
                       and v not in (visits[0], done)), key=lambda v: (v.due_on, v.pk))
    assert len(expected) == 8 and [v.pk for v in loop["follow_ups"]] == [v.pk for v in expected]
    assert not loop["follow_ups_more"]
    more = [FollowUp.objects.create(case=bulk_cases(grid=world.grid2, creator=world.worker1, count=1,
                                                    start=100 + i, state="resolved")[0],
                                    due_on=today - timedelta(days=30 + i)) for i in range(3)]
    loop = client.get(reverse("cases:workbench")).context["loop"]
    assert [v.pk for v in loop["follow_ups"]] == [v.pk for v in [*reversed(more), *expected][:10]]
    assert loop["follow_ups_more"]
