"""The leaders choose a joint meeting's agenda from the ledger, and take a case off the agenda
of a meeting that has not decided on it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import loop as closing
from cases.models import Meeting
from tests.factories import case_in_state, make_case

pytestmark = pytest.mark.django_db


def soon():
    return (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")


def test_the_leader_chooses_the_items_every_one_ticked_at_first(client, world):
    escalated = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    major = make_case(grid=world.grid2, actor=world.officer2, risk="major")
    client.force_login(world.streetlead)
    page = client.get(reverse("cases:meeting_create"))
    assert set(page.context["form"]["cases"].initial) == {escalated.pk, major.pk}
    assert escalated.number in page.content.decode()
    response = client.post(reverse("cases:meeting_create"), {
        "street": world.qifeng.pk, "held_on": soon(), "place": "街道综治中心", "attendees": "街道、派出所",
        "cases": [major.pk]})
    assert response.status_code == 302
    assert list(Meeting.objects.get().items.values_list("case_id", flat=True)) == [major.pk]


def test_a_case_off_the_ledger_cannot_be_slipped_onto_the_agenda(client, world):
    ordinary = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    escalated = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    meeting = closing.create_meeting(actor=world.streetlead, street=world.qifeng, held_on=timezone.now(),
                                     place="会议室", attendees="街道", cases=[ordinary, escalated])
    assert list(meeting.items.values_list("case_id", flat=True)) == [escalated.pk]


def test_a_leader_takes_an_undecided_case_off_the_agenda(client, world):
    first = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    second = case_in_state("escalated", grid=world.grid2, actor=world.stationlead)
    meeting = closing.create_meeting(actor=world.streetlead, street=world.qifeng, held_on=timezone.now(),
                                     place="会议室", attendees="街道")
    decided = meeting.items.get(case=first)
    closing.record_decision(item=decided, actor=world.streetlead, decision="由派出所牵头")
    undecided = meeting.items.get(case=second)
    client.force_login(world.stationlead)  # reads the meeting, does not run it
    drop = reverse("cases:meeting_drop_item", args=[meeting.pk, undecided.pk])
    assert client.post(drop).status_code == 403
    client.force_login(world.streetlead)
    page = client.get(reverse("cases:meeting", args=[meeting.pk])).content.decode()
    assert drop in page and reverse("cases:meeting_drop_item", args=[meeting.pk, decided.pk]) not in page
    assert client.post(drop).status_code == 302
    assert list(meeting.items.values_list("case_id", flat=True)) == [first.pk]
    trail = meeting.history.latest("history_date")
    assert trail.history_user == world.streetlead and second.number in trail.history_change_reason
    response = client.post(reverse("cases:meeting_drop_item", args=[meeting.pk, decided.pk]), follow=True)
    assert meeting.items.filter(pk=decided.pk).exists()
    assert [m.level_tag for m in response.context["messages"]][-1] == "error"


def test_a_coordination_meeting_keeps_at_least_one_case(client, world):
    case = case_in_state("mediating", grid=world.grid1, actor=world.officer1)
    other = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    meeting = closing.call_coordination_meeting(actor=world.worker1, case=case, others=[other],
                                                held_on=timezone.now(), place="议事室", attendees="李明（租户）")
    client.force_login(world.worker1)
    item = meeting.items.get(case=other)
    assert client.post(reverse("cases:meeting_drop_item", args=[meeting.pk, item.pk])).status_code == 302
    last = meeting.items.get()
    client.post(reverse("cases:meeting_drop_item", args=[meeting.pk, last.pk]))
    assert meeting.items.count() == 1
