from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone, translation

from cases import loop as closing
from cases import permissions
from cases.models import Call, CaseEvent
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def open_calls(client):
    return {c.pk for c in client.get(reverse("cases:workbench")).context["loop"]["calls"]}


def test_a_grid_worker_calls_and_the_grids_police_answer(client, world, settings):
    case = make_case(grid=world.grid1, actor=world.worker1)
    client.force_login(world.worker1)
    response = client.post(reverse("cases:call_create") + f"?case={case.pk}",
                           {"case": case.pk, "grid": world.grid1.pk, "message": "双方在楼道争吵，请民警到场"})
    assert response.status_code == 302
    call = Call.objects.get()
    assert call.direction == "grid_to_police" and call.case == case
    assert call.respond_by - call.created_at == timedelta(minutes=settings.FENGQIAO_CALL_RESPONSE_MINUTES)
    # the call sits on the work bench of those who must answer, and only theirs
    client.force_login(world.officer1)
    assert open_calls(client) == {call.pk}
    for other in (world.officer2, world.worker1, world.worker2):
        client.force_login(other)
        assert call.pk not in open_calls(client)
    client.force_login(world.officer1)
    client.post(reverse("cases:call_answer", args=[call.pk]), {"answer": "马上到"})
    call.refresh_from_db()
    assert call.answered_by == world.officer1 and call.answer == "马上到" and not call.is_late
    assert call.response_minutes == 0
    assert CaseEvent.objects.filter(case=case, kind="call").count() == 1
    answered = CaseEvent.objects.get(case=case, kind="call_answered")
    assert (answered.actor, answered.data["response_minutes"]) == (world.officer1, 0)


def test_police_call_grid_forces_as_a_free_event(world):
    call = closing.place_call(actor=world.officer1, grid=world.grid1, message="需要网格员协助入户走访")
    assert call.direction == "police_to_grid" and call.case is None
    assert call in permissions.calls_to_answer(world.worker1)
    assert call not in permissions.calls_to_answer(world.officer1)
    with pytest.raises(PermissionDenied):
        closing.answer_call(call=call, actor=world.officer2, answer="x")


def test_late_calls_are_flagged_and_counted(client, world):
    early = closing.place_call(actor=world.worker1, grid=world.grid1, message="甲")
    late_open = closing.place_call(actor=world.worker1, grid=world.grid1, message="乙")
    late_answered = closing.place_call(actor=world.worker1, grid=world.grid1, message="丙")
    past = timezone.now() - timedelta(hours=2)
    Call.objects.filter(pk__in=[late_open.pk, late_answered.pk]).update(created_at=past, respond_by=past + timedelta(minutes=30))
    closing.answer_call(call=early, actor=world.officer1, answer="好")
    closing.answer_call(call=late_answered, actor=world.auxiliary1, answer="晚了")
    late_open.refresh_from_db(); late_answered.refresh_from_db(); early.refresh_from_db()
    assert (early.is_late, late_open.is_late, late_answered.is_late) == (False, True, True)
    client.force_login(world.streetlead)
    page = client.get(reverse("cases:calls"))
    f = page.context["figures"]
    assert (f["total"], f["open"], f["late"]) == (3, 1, 2)
    assert page.context["avg_minutes"] == 60  # (0 + 120) / 2
    late_page = client.get(reverse("cases:calls") + "?late=on")
    assert {c.pk for c in late_page.context["recent"]} == {late_open.pk, late_answered.pk}


def test_calls_need_a_message_and_a_grid_in_scope(client, world):
    client.force_login(world.worker1)
    response = client.post(reverse("cases:call_create"), {"grid": world.grid2.pk, "message": ""})
    assert response.status_code == 400 and not Call.objects.exists()
    client.force_login(world.mediator1)
    assert client.get(reverse("cases:call_create")).status_code == 403


def test_an_answer_is_once_and_in_scope(client, world):
    call = closing.place_call(actor=world.worker1, grid=world.grid1, message="求助")
    client.force_login(world.officer2)
    assert client.post(reverse("cases:call_answer", args=[call.pk]), {"answer": "x"}).status_code == 404
    client.force_login(world.officer1)
    client.post(reverse("cases:call_answer", args=[call.pk]), {"answer": "到了"})
    response = client.post(reverse("cases:call_answer", args=[call.pk]), {"answer": "又到了"}, follow=True)
    assert "该呼叫已有人响应" in response.content.decode()
    call.refresh_from_db()
    assert call.answer == "到了"


def test_an_answer_reads_as_an_answer_with_its_response_time(client, world):
    case = make_case(grid=world.grid1, actor=world.worker1)
    call = closing.place_call(actor=world.worker1, grid=world.grid1, message="楼道有人争吵，请民警到场", case=case)
    Call.objects.filter(pk=call.pk).update(created_at=timezone.now() - timedelta(minutes=12))
    closing.answer_call(call=call, actor=world.officer1, answer="已到场劝离")
    client.force_login(world.officer1)
    page = client.get(case.get_absolute_url())
    answered = next(v for v in page.context["events"] if v.event.kind == "call_answered")
    with translation.override("zh-hans"):
        assert answered.note_label == "答复"
        assert ("响应用时", "12分钟") in [(str(label), value) for label, value in answered.details]
    body = page.content.decode()
    assert "答复</span>: 已到场劝离" in body
    calls = client.get(reverse("cases:calls")).content.decode()
    assert "响应用时12分钟" in calls and "分钟内响应" not in calls
