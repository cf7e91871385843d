"""协调会: a handler calls a meeting on one dispute with the people concerned who have no account;
its decisions land on the case timeline."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import loop as closing
from cases.models import CaseEvent, Meeting, Task
from tests.factories import case_in_state

pytestmark = pytest.mark.django_db

PARTICIPANTS = "王建国（3号楼居民代表）\n李明（租户）\n鑫源物业公司（业主单位）"


def soon():
    return (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")


def call(client, case, **extra):
    return client.post(reverse("cases:meeting_call", args=[case.pk]), {
        "held_on": soon(), "place": "社区议事室", "attendees": PARTICIPANTS, **extra})


def test_a_grid_worker_calls_a_coordination_meeting_on_her_case(client, world):
    case = case_in_state("mediating", grid=world.grid1, actor=world.officer1)
    other = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.worker1)
    assert reverse("cases:meeting_call", args=[case.pk]) in client.get(case.get_absolute_url()).content.decode()
    response = call(client, case, others=[other.pk])
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response.url == reverse("cases:meeting", args=[meeting.pk])
    assert meeting.kind == "coordination" and meeting.created_by == world.worker1
    assert set(meeting.items.values_list("case_id", flat=True)) == {case.pk, other.pk}
    page = client.get(response.url).content.decode()
    assert "协调会" in page and "李明（租户）" in page and "鑫源物业公司（业主单位）" in page
    listing = client.get(reverse("cases:meetings")).content.decode()
    assert reverse("cases:meeting", args=[meeting.pk]) in listing and "协调会" in listing


def test_only_the_cases_handlers_may_call_one(client, world):
    case = case_in_state("mediating", grid=world.grid1, actor=world.officer1)
    client.force_login(world.worker2)  # another grid: the case is not revealed
    assert call(client, case).status_code == 404
    client.force_login(world.auxiliary1)  # sees the case, does not carry it
    assert call(client, case).status_code == 403
    closed = case_in_state("resolved", grid=world.grid1, actor=world.officer1)
    client.force_login(world.worker1)
    assert call(client, closed).status_code == 403
    assert not Meeting.objects.exists()


def test_the_agenda_takes_only_open_cases_of_the_same_grid_and_at_most_two_more(client, world):
    case = case_in_state("mediating", grid=world.grid1, actor=world.officer1)
    more = [case_in_state("triaged", grid=world.grid1, actor=world.officer1) for _ in range(3)]
    elsewhere = case_in_state("triaged", grid=world.grid2, actor=world.officer2)
    client.force_login(world.stationlead)
    assert call(client, case, others=[elsewhere.pk]).status_code == 400
    assert call(client, case, others=[c.pk for c in more]).status_code == 400
    assert call(client, case, attendees="  \n ").status_code == 400
    assert not Meeting.objects.exists()
    response = call(client, case, attendees="")
    assert response.status_code == 400 and "社区议事室" in response.content.decode()  # what was typed stays


def test_a_decision_lands_on_the_case_timeline_as_the_coordination_meetings(client, world):
    case = case_in_state("mediating", grid=world.grid1, actor=world.officer1)
    meeting = closing.call_coordination_meeting(actor=world.worker1, case=case, held_on=timezone.now(),
                                                place="社区议事室", attendees=PARTICIPANTS)
    item = meeting.items.get()
    client.force_login(world.worker1)
    deadline = timezone.localdate() + timedelta(days=5)
    response = client.post(reverse("cases:meeting_decide", args=[meeting.pk, item.pk]), {
        f"item{item.pk}-decision": "业主单位五日内修复共用排污管，租户配合",
        f"item{item.pk}-assignee": world.officer1.pk, f"item{item.pk}-deadline": deadline.isoformat()})
    assert response.status_code == 302
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.kind == "meeting_decision" and event.data["meeting_kind"] == "coordination"
    assert Task.objects.get(case=case).assignee == world.officer1
    timeline = client.get(case.get_absolute_url()).content.decode()
    assert "业主单位五日内修复共用排污管" in timeline and "协调会" in timeline
    response = client.post(reverse("cases:meeting_minutes", args=[meeting.pk]), {"minutes": "三方达成一致"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.minutes == "三方达成一致"


def test_who_may_open_a_coordination_meeting(client, world):
    case = case_in_state("mediating", grid=world.grid1, actor=world.officer1)
    meeting = closing.call_coordination_meeting(actor=world.worker1, case=case, held_on=timezone.now(),
                                                place="社区议事室", attendees=PARTICIPANTS)
    item = meeting.items.get()
    url = reverse("cases:meeting", args=[meeting.pk])
    for user in (world.officer1, world.auxiliary1, world.stationlead, world.streetlead):
        client.force_login(user)
        assert client.get(url).status_code == 200
    client.force_login(world.auxiliary1)  # reads it, does not decide
    assert client.post(reverse("cases:meeting_decide", args=[meeting.pk, item.pk]),
                       {f"item{item.pk}-decision": "x"}).status_code == 403
    assert client.post(reverse("cases:meeting_minutes", args=[meeting.pk]), {"minutes": "x"}).status_code == 403
    client.force_login(world.streetlead_fh)
    assert client.get(url).status_code == 404
    client.force_login(world.worker_fh)
    assert client.get(url).status_code == 403
    assert url not in client.get(reverse("cases:meetings")).content.decode()
