"""Above the street: the district's mediation centre (区矛调中心). A street leader raises a case
(提级); the centre takes it on, refers it on, or sends it back with an instruction; its leader
sees both streets' cases, ledger and dashboard, and holds the district's joint meetings."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import workflow
from cases.levels import Level
from cases.models import Case, CaseEvent, Meeting, Notification
from tests.factories import NOTES, act, case_in_state, choose

pytestmark = pytest.mark.django_db


def raise_it(case, actor, note=NOTES["raise_to_district"]):
    return workflow.run_transition(case_id=case.pk, action="raise_to_district", actor=actor,
                                   version=case.version, note=note)


def test_a_street_leader_raises_a_case_and_the_district_centre_is_told(world):
    case = case_in_state("escalated", grid=world.grid1, actor=world.streetlead)
    case = raise_it(case, world.streetlead)
    assert (case.state, case.at_district) == ("district", True)
    assert Notification.objects.filter(recipient=world.districtlead, case=case).exists()
    assert not Notification.objects.filter(recipient=world.districtlead_dh, case=case).exists()
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert event.data["level"] == Level.DISTRICT and event.note == NOTES["raise_to_district"]


def test_raising_needs_a_reason(world):
    case = case_in_state("escalated", grid=world.grid1, actor=world.streetlead)
    with pytest.raises(workflow.WorkflowError):
        raise_it(case, world.streetlead, note="  ")
    case.refresh_from_db()
    assert case.state == "escalated"


def test_the_centre_sends_it_back_with_an_instruction_the_street_leaders_read(world):
    case = raise_it(case_in_state("escalated", grid=world.grid1, actor=world.streetlead), world.streetlead)
    case = workflow.run_transition(case_id=case.pk, action="send_back", actor=world.districtlead,
                                   version=case.version, note=NOTES["send_back"])
    assert (case.state, case.at_district) == ("escalated", False)
    notice = Notification.objects.filter(recipient=world.streetlead, case=case).latest("id")
    assert notice.text == NOTES["send_back"]
    assert CaseEvent.objects.filter(case=case).latest("id").data["level"] == Level.STREET


def test_a_case_the_centre_takes_on_stays_the_districts_while_it_is_mediated(world):
    case = raise_it(case_in_state("escalated", grid=world.grid1, actor=world.streetlead), world.streetlead)
    choose(case, world.districtlead)
    case = act(Case.objects.get(pk=case.pk), "district_take", world.districtlead)
    assert (case.state, case.at_district) == ("mediating", True)
    assert CaseEvent.objects.filter(case=case).latest("id").data["level"] == Level.DISTRICT


def test_the_centre_refers_it_on_to_a_department(world):
    case = raise_it(case_in_state("escalated", grid=world.grid1, actor=world.streetlead), world.streetlead)
    case = act(case, "refer", world.districtlead)
    assert (case.state, case.at_district) == ("referred", True)
    assert case.referrals.count() == 1


def test_the_district_leader_sees_both_streets_and_a_street_leader_only_his(client, world):
    here = case_in_state("reported", grid=world.grid1, actor=world.worker1)
    there = case_in_state("reported", grid=world.grid_fh, actor=world.worker_fh)
    for user, expected in [(world.districtlead, {here.pk, there.pk}), (world.streetlead, {here.pk}),
                           (world.streetlead_fh, {there.pk}), (world.districtlead_dh, set()),
                           (world.bureaulead, {here.pk, there.pk})]:
        client.force_login(user)
        listed = {case.pk for case in client.get(reverse("cases:list")).context["page"]}
        assert listed & {here.pk, there.pk} == expected, user.username


def test_the_district_ledger_and_dashboard_hold_both_streets(client, world):
    here = case_in_state("escalated", grid=world.grid1, actor=world.streetlead)
    there = case_in_state("escalated", grid=world.grid_fh, actor=world.streetlead_fh)
    client.force_login(world.districtlead)
    ledger = {case.pk for case in client.get(reverse("cases:ledger")).context["page"]}
    assert {here.pk, there.pk} <= ledger
    dashboard = client.get(reverse("cases:dashboard")).context["d"]
    assert dashboard.escalated_waiting == Case.objects.filter(
        state="escalated", grid__community__street__district__name="临江区").count() == 2
    client.force_login(world.streetlead)
    assert there.pk not in {case.pk for case in client.get(reverse("cases:ledger")).context["page"]}


def test_the_district_holds_its_own_joint_meeting_on_both_streets_cases(client, world):
    here = case_in_state("escalated", grid=world.grid1, actor=world.streetlead)
    there = raise_it(case_in_state("escalated", grid=world.grid_fh, actor=world.streetlead_fh), world.streetlead_fh)
    client.force_login(world.districtlead)
    page = client.get(reverse("cases:meeting_create"))
    assert "street" not in page.context["form"].fields  # a district leader leads no street
    held_on = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("cases:meeting_create"), {
        "district": world.qifeng.district_id,
        "held_on": held_on, "place": "区矛调中心会议室", "attendees": "区矛调中心、两街道、分局",
        "cases": [here.pk, there.pk]})
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert (meeting.street, meeting.district.name) == (None, "临江区")
    assert set(meeting.items.values_list("case_id", flat=True)) == {here.pk, there.pk}
    url = reverse("cases:meeting", args=[meeting.pk])
    assert client.get(url).status_code == 200
    # The street leaders of the district read it (their own items only) but do not run it.
    client.force_login(world.streetlead)
    page = client.get(url)
    assert page.status_code == 200 and not page.context["may_run"]
    assert [item.case_id for item in page.context["items"]] == [here.pk]
    client.force_login(world.districtlead_dh)
    assert client.get(url).status_code == 404
