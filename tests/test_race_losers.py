"""Issue 9, item 9: a user who loses a race keeps what they typed, and is told only what is true.

Each test plays the race as it happens: the loser opens the page with the form, somebody else
changes the case through the service (records a broken agreement, resolves the case, answers
the call, takes the case out of mediation, records the agreement first), then the loser sends
what they typed. The answer is 409 with the typed text on the page, the message names who
changed the case, and nothing of the loser's is written. Insiders who never had the right
still get 403, outsiders 404."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import loop as closing
from cases.models import Call, CaseEvent, FollowUp, MeetingItem, Task
from mediators import services as mediation
from mediators.models import Agreement, MediationSession, Mediator
from tests.factories import act, case_in_state, choose

pytestmark = pytest.mark.django_db


def soon(days=3):
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def name(user):
    return user.get_full_name() or user.get_username()


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def told_who(response, user):
    """The error message names who changed the case (the name is data, not a translation)."""
    return any(name(user) in m for m in messages_of(response))


# --- the follow-up visit --------------------------------------------------------------------


@pytest.fixture
def resolved(world):
    return case_in_state("resolved", grid=world.grid1, actor=world.officer1)


def test_a_second_visitor_keeps_the_follow_up_after_a_broken_agreement_reopened_the_case(client, world, resolved):
    visit = resolved.follow_ups.get()
    client.force_login(world.worker1)
    assert client.get(resolved.get_absolute_url()).context["follow_up_form"] is not None  # the form is offered
    closing.record_follow_up(follow_up=visit, actor=world.officer1, fulfilled=False, satisfaction="dissatisfied",
                             note="楼上仍未修好防水")  # the case is back in mediation

    response = client.post(reverse("cases:follow_up", args=[resolved.pk, visit.pk]), {
        "fulfilled": "yes", "satisfaction": "very", "note": "王建国说已经修好了（第二位回访人）"})
    assert response.status_code == 409
    assert "王建国说已经修好了（第二位回访人）" in response.content.decode()
    assert told_who(response, world.officer1)
    visit.refresh_from_db()
    assert (visit.done_by, visit.note) == (world.officer1, "楼上仍未修好防水")
    assert not CaseEvent.objects.filter(case=resolved, kind="follow_up", actor=world.worker1).exists()
    assert FollowUp.objects.filter(case=resolved).count() == 1


def test_a_second_visitor_keeps_the_follow_up_when_the_first_found_the_agreement_kept(client, world, resolved):
    visit = resolved.follow_ups.get()
    client.force_login(world.worker1)
    client.get(resolved.get_absolute_url())
    closing.record_follow_up(follow_up=visit, actor=world.officer1, fulfilled=True, satisfaction="satisfied",
                             note="协议已履行")  # the case stays resolved, the visit is done

    response = client.post(reverse("cases:follow_up", args=[resolved.pk, visit.pk]), {
        "fulfilled": "no", "satisfaction": "dissatisfied", "note": "李秀英说还在渗水"})
    assert response.status_code == 409
    assert "李秀英说还在渗水" in response.content.decode()
    assert told_who(response, world.officer1)
    resolved.refresh_from_db()
    assert resolved.state == "resolved"  # not reopened by the late visitor
    visit.refresh_from_db()
    assert (visit.done_by, visit.fulfilled) == (world.officer1, True)


def test_who_never_records_follow_ups_is_still_refused_and_outsiders_find_nothing(client, world, resolved):
    visit = resolved.follow_ups.get()
    closing.record_follow_up(follow_up=visit, actor=world.officer1, fulfilled=False, satisfaction="dissatisfied",
                             note="楼上仍未修好防水")
    url = reverse("cases:follow_up", args=[resolved.pk, visit.pk])
    data = {"fulfilled": "yes", "satisfaction": "very", "note": "回访"}
    client.force_login(world.auxiliary1)  # auxiliaries do not record follow-ups, in any state
    assert client.post(url, data).status_code == 403
    client.force_login(world.worker2)  # another grid
    assert client.post(url, data).status_code == 404


# --- 督办 ------------------------------------------------------------------------------------


def test_a_supervision_instruction_typed_while_the_case_was_resolved_is_kept(client, world):
    case = case_in_state("mediating", grid=world.grid1, actor=world.officer1)
    client.force_login(world.stationlead)
    assert client.get(case.get_absolute_url()).context["supervision_form"] is not None
    act(case, "resolve", world.officer1)  # no longer open: no 督办 on it

    response = client.post(reverse("cases:supervise", args=[case.pk]), {
        "assignee": world.officer1.pk, "text": "三日内上门核实防水是否重做", "deadline": soon()})
    assert response.status_code == 409
    assert "三日内上门核实防水是否重做" in response.content.decode()
    assert told_who(response, world.officer1)
    assert not Task.objects.filter(case=case).exists()
    assert not CaseEvent.objects.filter(case=case, kind="supervision").exists()


def test_who_never_issues_supervision_is_still_refused(client, world):
    case = case_in_state("resolved", grid=world.grid1, actor=world.officer1)
    client.force_login(world.worker1)  # a worker never issues 督办
    response = client.post(reverse("cases:supervise", args=[case.pk]), {"text": "x", "deadline": soon()})
    assert response.status_code == 403


# --- two-way calls --------------------------------------------------------------------------


def test_an_answer_typed_while_a_colleague_answered_the_call_is_kept(client, world):
    call = closing.place_call(actor=world.worker1, grid=world.grid1, message="楼道里双方在争吵，请民警到场")
    client.force_login(world.officer1)
    assert call in client.get(reverse("cases:calls")).context["to_answer"]
    closing.answer_call(call=call, actor=world.auxiliary1, answer="辅警五分钟到")

    response = client.post(reverse("cases:call_answer", args=[call.pk]), {"answer": "我十分钟后到场",
                                                                          "from": "workbench"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "我十分钟后到场" in html
    assert name(world.auxiliary1) in html and "辅警五分钟到" in html  # who answered, and what
    call.refresh_from_db()
    assert (call.answered_by, call.answer) == (world.auxiliary1, "辅警五分钟到")


def test_who_may_not_answer_a_call_is_still_refused(client, world):
    call = closing.place_call(actor=world.worker1, grid=world.grid1, message="请民警到场")
    closing.answer_call(call=call, actor=world.officer1, answer="到了")
    client.force_login(world.worker1)  # the grid's side placed it: the police answer
    assert client.post(reverse("cases:call_answer", args=[call.pk]), {"answer": "x"}).status_code == 403
    assert Call.objects.get(pk=call.pk).answer == "到了"


# --- sessions and the agreement -------------------------------------------------------------


@pytest.fixture
def mediating(world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    choose(case, world.officer1, Mediator.objects.get(user=world.mediator1))
    return act(case, "start_mediation", world.officer1)


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def version_on(html, name="version"):
    return re.search(rf'name="{re.escape(name)}" value="(\d+)"', html).group(1)


def session_data(case, version, record):
    end = timezone.now() - timedelta(minutes=10)
    return {"version": version, "held_at": local(end - timedelta(minutes=60)), "ended_at": local(end),
            "place": "社区调解室", "format": "joint", "attendees": "双方当事人",
            "mediators": [c.mediator_id for c in case.mediator_choices.filter(active=True)],
            "record": record, "outcome": "agreed"}


def agreement_data(case, version, terms):
    return {"version": version, "parties": [p.pk for p in case.parties.all()],
            "mediators": [c.mediator_id for c in case.mediator_choices.filter(active=True)],
            "facts": "楼上装修导致楼下渗水。", "terms": terms, "fulfilment": "当场支付。",
            "fulfil_by": soon(7), "signed_on": timezone.localdate().isoformat(), "place": "社区调解室"}


def test_a_session_record_typed_while_the_case_left_mediation_is_kept(client, world, mediating):
    url = reverse("mediators:session_create", args=[mediating.pk])
    client.force_login(world.mediator1)
    version = version_on(client.get(url).content.decode())
    act(mediating, "escalate", world.officer1)  # the station and street take it up

    response = client.post(url, session_data(mediating, version, "第三次调解：双方对赔偿金额仍有分歧"))
    assert response.status_code == 409
    assert "第三次调解：双方对赔偿金额仍有分歧" in response.content.decode()
    assert told_who(response, world.officer1)
    assert not MediationSession.objects.filter(case=mediating).exists()
    assert not CaseEvent.objects.filter(case=mediating, kind="session").exists()


def test_an_agreement_typed_while_a_colleague_recorded_one_is_kept(client, world, mediating):
    url = reverse("mediators:agreement_create", args=[mediating.pk])
    client.force_login(world.mediator1)
    version = version_on(client.get(url).content.decode())
    data = agreement_data(mediating, version, "楼上业主赔偿维修费3000元（officer1 先登记）")
    mediation.record_agreement(case=mediating, actor=world.officer1, parties=list(mediating.parties.all()),
                               mediators=list(Mediator.objects.filter(user=world.mediator1)),
                               **{k: data[k] for k in ("facts", "terms", "fulfilment", "place")},
                               fulfil_by=timezone.localdate() + timedelta(days=7), signed_on=timezone.localdate())

    response = client.post(url, agreement_data(mediating, version, "赔偿2800元，七日内付清（调解员版本）"))
    assert response.status_code == 409
    assert "赔偿2800元，七日内付清（调解员版本）" in response.content.decode()
    assert told_who(response, world.officer1)
    assert [a.recorded_by for a in Agreement.objects.filter(case=mediating)] == [world.officer1]


def test_an_agreement_typed_while_the_case_was_resolved_is_kept_and_the_others_are_refused(client, world, mediating):
    url = reverse("mediators:agreement_create", args=[mediating.pk])
    client.force_login(world.mediator1)
    version = version_on(client.get(url).content.decode())
    act(mediating, "resolve", world.officer1)
    data = agreement_data(mediating, version, "赔偿维修费并重做防水")

    response = client.post(url, data)
    assert response.status_code == 409 and "赔偿维修费并重做防水" in response.content.decode()
    assert not Agreement.objects.filter(case=mediating).exists()
    client.force_login(world.auxiliary1)  # auxiliaries never record agreements
    assert client.post(url, data).status_code == 403
    client.force_login(world.worker2)
    assert client.post(url, data).status_code == 404


def test_a_form_sent_for_the_version_the_case_still_has_was_never_a_race(client, world, mediating):
    """Posted against the case as it is (no change since the page): the step was not offered
    then either, so it is refused as such, not shown as a lost race."""
    act(mediating, "resolve", world.officer1)
    mediating.refresh_from_db()
    client.force_login(world.mediator1)
    response = client.post(reverse("mediators:session_create", args=[mediating.pk]),
                           session_data(mediating, mediating.version, "补记"))
    assert response.status_code == 403


# --- a meeting's decision -------------------------------------------------------------------


@pytest.fixture
def on_the_agenda(world):
    case = case_in_state("escalated", grid=world.grid1, actor=world.officer1)
    meeting = closing.create_meeting(actor=world.streetlead, street=world.qifeng, held_on=timezone.now(),
                                     place="街道会议室", attendees="街道、派出所", cases=[case])
    return meeting, meeting.items.get(case=case)


def test_a_meeting_decision_typed_while_the_case_was_resolved_is_kept(client, world, on_the_agenda):
    meeting, item = on_the_agenda
    client.force_login(world.streetlead)
    version = version_on(client.get(reverse("cases:meeting", args=[meeting.pk])).content.decode(),
                         f"item{item.pk}-version")
    act(item.case, "resolve", world.stationlead)  # no longer open: no 督办 on it

    response = client.post(reverse("cases:meeting_decide", args=[meeting.pk, item.pk]), {
        f"item{item.pk}-version": version, f"item{item.pk}-decision": "由住建部门牵头，十日内修复",
        f"item{item.pk}-assignee": world.officer1.pk, f"item{item.pk}-deadline": soon(10)})
    assert response.status_code == 409
    assert "由住建部门牵头，十日内修复" in response.content.decode()
    assert told_who(response, world.stationlead)
    item.refresh_from_db()
    assert item.decided_at is None and item.decision == ""
    assert not Task.objects.filter(meeting_item=item).exists()
    assert not CaseEvent.objects.filter(case=item.case, kind="meeting_decision").exists()


def test_a_meeting_decision_on_a_case_closed_before_the_page_was_opened_is_refused(client, world, on_the_agenda):
    meeting, item = on_the_agenda
    case = act(item.case, "resolve", world.stationlead)
    client.force_login(world.streetlead)
    assert f'name="item{item.pk}-version"' not in client.get(reverse("cases:meeting", args=[meeting.pk])).content.decode()
    response = client.post(reverse("cases:meeting_decide", args=[meeting.pk, item.pk]), {
        f"item{item.pk}-version": case.version, f"item{item.pk}-decision": "x"})
    assert response.status_code == 403
    assert MeetingItem.objects.get(pk=item.pk).decided_at is None
