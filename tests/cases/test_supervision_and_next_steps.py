"""督办 to the right person, and a handler who can no longer act still sees who acts next
(issue 10, item 8)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseEvent, Task
from tests.factories import act, case_in_state

pytestmark = pytest.mark.django_db


def deadline(days=3):
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def test_a_leader_sends_a_supervision_instruction_to_a_chosen_person(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)  # lead: officer1
    client.force_login(world.stationlead)
    page = client.get(case.get_absolute_url())
    choices = dict(page.context["supervision_form"].fields["assignee"].choices)
    assert list(choices)[0] == world.officer1.pk  # the lead handler first, chosen by default
    assert world.worker1.pk in choices            # the grid's worker may be chosen too
    assert world.worker2.pk not in choices        # another grid's worker may not
    assert page.context["supervision_form"]["assignee"].value() == world.officer1.pk

    response = client.post(reverse("cases:supervise", args=[case.pk]), {
        "assignee": world.worker1.pk, "text": "明日上门核实楼道堆物情况", "deadline": deadline()})
    assert response.status_code == 302
    task = Task.objects.get(case=case)
    assert task.assignee == world.worker1
    event = CaseEvent.objects.filter(case=case, kind="supervision").get()
    assert event.data["assignee"] == world.worker1.get_full_name()  # the timeline names them

    # it is on the chosen person's work bench, not on the lead handler's; they complete it
    client.force_login(world.officer1)
    assert [t.pk for t in client.get(reverse("cases:workbench")).context["loop"]["tasks"]] == []
    client.force_login(world.worker1)
    assert [t.pk for t in client.get(reverse("cases:workbench")).context["loop"]["tasks"]] == [task.pk]
    response = client.post(reverse("cases:task_done", args=[case.pk, task.pk]), {"note": "已上门，堆物已清理"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.done_at is not None and task.done_note == "已上门，堆物已清理"


def test_someone_outside_the_case_cannot_be_chosen_and_nothing_typed_is_lost(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.stationlead)
    response = client.post(reverse("cases:supervise", args=[case.pk]), {
        "assignee": world.worker2.pk, "text": "三日内拿出化解方案", "deadline": deadline()})
    assert response.status_code == 400
    form = response.context["supervision_form"]
    assert "assignee" in form.errors
    html = response.content.decode()
    assert "三日内拿出化解方案" in html
    assert not Task.objects.exists()


def test_without_a_choice_the_instruction_goes_to_the_lead_handler(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.streetlead)
    response = client.post(reverse("cases:supervise", args=[case.pk]), {
        "text": "三日内拿出化解方案", "deadline": deadline()})
    assert response.status_code == 302
    assert Task.objects.get(case=case).assignee == world.officer1


def test_after_escalating_the_officer_sees_who_acts_next(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    before = client.get(case.get_absolute_url())
    assert before.context["transition_forms"] and not before.context["steps_for_others"]

    case = act(case, "escalate", world.officer1)
    html = client.get(case.get_absolute_url()).content.decode()
    assert "下一步" in html
    assert "派出所领导" in html and "街道领导" in html  # who may resolve or refer it now
    assert "您仍可添加备注" in html

    # the leaders who can act get the steps themselves, not the "for others" note
    client.force_login(world.stationlead)
    page = client.get(case.get_absolute_url())
    assert page.context["transition_forms"]
    assert "本案现为" not in page.content.decode()


def test_a_closed_case_shows_no_next_steps(client, world):
    case = case_in_state("closed", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    page = client.get(case.get_absolute_url())
    assert not page.context["steps_for_others"] and "本案现为" not in page.content.decode()


def test_the_service_refuses_someone_who_sees_the_case_but_is_not_on_it(world):
    """The station leader sees every case of his station, but a 督办 goes to those who carry
    the case: its lead handler, its team or its grid's people — whoever calls the service."""
    from cases import loop
    from cases.errors import WorkflowError

    case = case_in_state("escalated", grid=world.grid1, actor=world.officer1)
    with pytest.raises(WorkflowError):
        loop.issue_supervision(case=case, actor=world.streetlead, text="请处理", deadline=timezone.localdate(),
                               assignee=world.stationlead)
    assert not case.tasks.exists()
    task = loop.issue_supervision(case=case, actor=world.streetlead, text="请处理", deadline=timezone.localdate(),
                                  assignee=world.worker1)
    assert task.assignee == world.worker1
