"""Sessions as they happen: start and end (历时), who was in which room for a back-to-back
session, and the mediators apart from the other participants (the officer, community cadres)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import timeline
from cases.errors import WorkflowError
from cases.models import Case, CaseEvent
from mediators import services
from mediators.models import MediationSession, Mediator
from tests.factories import act, case_in_state, choose
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def mediating(world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    choose(case, world.officer1, Mediator.objects.get(name="陈桂兰"))
    case = act(case, "start_mediation", world.officer1)
    Case.objects.filter(pk=case.pk).update(reported_at=timezone.now() - timedelta(days=1))  # logged yesterday
    return Case.objects.get(pk=case.pk)


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def back_to_back(case, *, start=None, end=None, **overrides):
    """The applicant in 调解室一, then the respondent in 调解室二; 1 h 20 min, ended ten minutes ago."""
    end = end or timezone.now() - timedelta(minutes=10)
    start = start or end - timedelta(minutes=80)
    applicant, respondent = case.parties.order_by("id")[:2]
    data = {"held_at": local(start), "ended_at": local(end), "place": "栖凤社区调解中心",
            "format": "back_to_back", "mediators": [c.mediator_id for c in case.mediator_choices.all()],
            "parts-TOTAL_FORMS": "2", "parts-INITIAL_FORMS": "2",
            "parts-0-room": "调解室一", "parts-0-parties": [applicant.pk],
            "parts-0-started_at": local(start), "parts-0-ended_at": local(start + timedelta(minutes=40)),
            "parts-1-room": "调解室二", "parts-1-parties": [respondent.pk],
            "record": "分别听取双方意见，楼上同意承担维修费。", "outcome": "continue"}
    data.update(overrides)
    return data


def post(client, case, data):
    return client.post(reverse("mediators:session_create", args=[case.pk]), data)


def test_a_back_to_back_session_shows_its_rooms_and_duration_on_the_case_page(client, world, mediating):
    client.force_login(world.mediator1)
    assert post(client, mediating, back_to_back(mediating)).status_code == 302
    session = MediationSession.objects.get(case=mediating)
    assert session.duration_minutes == 80
    assert [(p.room, [x.name for x in p.parties.all()]) for p in session.parts.all()] == [
        ("调解室一", ["王建国"]), ("调解室二", ["李秀英"])]
    html = client.get(mediating.get_absolute_url()).content.decode()
    assert "历时1小时20分钟" in html
    assert "调解室一</span> 王建国" in html and "调解室二</span> 李秀英" in html
    details = dict(timeline.details(CaseEvent.objects.filter(case=mediating, kind="session").get()))
    assert details["历时"] == "1小时20分钟"
    assert details["分室情况"] == "调解室一：王建国；调解室二：李秀英"
    assert details["开始时间"] < details["结束时间"]


def test_the_form_offers_two_rooms_and_the_people_who_may_see_the_case(client, world, mediating):
    client.force_login(world.mediator1)
    response = client.get(reverse("mediators:session_create", args=[mediating.pk]))
    form = response.context["form"]
    assert [f.initial["room"] for f in form.parts] == ["调解室一", "调解室二"]
    people = set(form.fields["participants"].queryset)
    assert world.officer1 in people and world.worker1 in people and world.worker2 not in people


def test_mediators_and_other_participants_are_shown_apart(client, world, mediating):
    client.force_login(world.mediator1)
    response = post(client, mediating, back_to_back(
        mediating, participants=[world.officer1.pk], others_present="刘芳（栖凤社区居委会）\n赵明（街道司法所）"))
    assert response.status_code == 302
    session = MediationSession.objects.get(case=mediating)
    assert list(session.participants.all()) == [world.officer1]
    assert session.others_present_list == ["刘芳（栖凤社区居委会）", "赵明（街道司法所）"]
    page = client.get(mediating.get_absolute_url()).content.decode()
    officer = world.officer1.get_full_name() or world.officer1.username
    mediators_line = page.split('session-mediators">')[1].split("</div>")[0]
    others_line = page.split('session-participants">')[1].split("</div>")[0]
    assert "陈桂兰" in mediators_line and officer not in mediators_line
    assert officer in others_line and "刘芳（栖凤社区居委会）" in others_line and "陈桂兰" not in others_line
    details = dict(timeline.details(CaseEvent.objects.filter(case=mediating, kind="session").get()))
    assert details["调解员"] == "陈桂兰" and "赵明（街道司法所）" in details["其他参加人员"]


def test_an_end_before_the_start_is_refused_next_to_the_end(client, world, mediating):
    client.force_login(world.mediator1)
    end = timezone.now() - timedelta(hours=2)
    response = post(client, mediating, back_to_back(mediating, start=end + timedelta(minutes=30), end=end,
                                                    **{"parts-0-started_at": "", "parts-0-ended_at": ""}))
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == ["ended_at"]
    html = response.content.decode()
    assert 'id="id_ended_at_error"' in html and "分别听取双方意见" in html and 'value="调解室二"' in html
    assert not MediationSession.objects.exists()


def test_a_session_dated_before_the_case_was_logged_is_refused(client, world, mediating):
    client.force_login(world.mediator1)
    start = mediating.reported_at - timedelta(hours=3)
    response = post(client, mediating, back_to_back(mediating, start=start, end=start + timedelta(hours=1),
                                                    **{"parts-0-started_at": "", "parts-0-ended_at": ""}))
    assert response.status_code == 400
    assert "held_at" in response.context["form"].errors and "ended_at" in response.context["form"].errors
    assert 'id="id_held_at_error"' in response.content.decode()
    assert not MediationSession.objects.exists()


def test_a_session_in_the_future_is_refused(client, world, mediating):
    client.force_login(world.mediator1)
    start = timezone.now() + timedelta(hours=1)
    response = post(client, mediating, back_to_back(mediating, start=start, end=start + timedelta(hours=1),
                                                    **{"parts-0-started_at": "", "parts-0-ended_at": ""}))
    assert response.status_code == 400
    assert {"held_at", "ended_at"} <= set(response.context["form"].errors)


def test_a_back_to_back_session_needs_two_rooms_and_a_joint_one_none(client, world, mediating):
    client.force_login(world.mediator1)
    one_room = back_to_back(mediating, **{"parts-1-parties": []})
    response = post(client, mediating, one_room)
    assert response.status_code == 400 and "format" in response.context["form"].errors
    response = post(client, mediating, back_to_back(mediating, format="joint"))
    assert response.status_code == 400 and "format" in response.context["form"].errors
    nobody_in_room = back_to_back(mediating, **{"parts-0-parties": []})
    response = post(client, mediating, nobody_in_room)  # a time but nobody in the room
    assert response.status_code == 400
    assert "parties" in response.context["form"].parts[0].errors
    assert not MediationSession.objects.exists()


def test_a_part_outside_the_session_is_refused_next_to_it(client, world, mediating):
    client.force_login(world.mediator1)
    end = timezone.now() - timedelta(minutes=10)
    data = back_to_back(mediating, end=end, **{"parts-1-started_at": local(end + timedelta(minutes=5))})
    response = post(client, mediating, data)
    assert response.status_code == 400
    assert "started_at" in response.context["form"].parts[1].errors


def test_a_joint_session_needs_no_rooms(client, world, mediating):
    client.force_login(world.mediator1)
    data = back_to_back(mediating, format="joint", attendees="双方当事人", **{
        "parts-0-parties": [], "parts-0-started_at": "", "parts-0-ended_at": "", "parts-1-parties": []})
    assert post(client, mediating, data).status_code == 302
    assert not MediationSession.objects.get(case=mediating).parts.exists()


def test_only_people_who_may_see_the_case_take_part_with_their_account(world, mediating):
    chen = Mediator.objects.get(name="陈桂兰")
    now = timezone.now()
    with pytest.raises(WorkflowError):
        services.record_session(case=mediating, actor=world.mediator1, mediators=[chen],
                                participants=[world.worker2], held_at=now - timedelta(hours=1), ended_at=now,
                                format="joint", record="记录", outcome="continue")


def test_only_the_parties_of_the_case_are_in_its_rooms(world, mediating):
    chen = Mediator.objects.get(name="陈桂兰")
    stranger = case_in_state("triaged", grid=world.grid1, actor=world.officer1).parties.first()
    now = timezone.now()
    with pytest.raises(WorkflowError):
        services.record_session(case=mediating, actor=world.mediator1, mediators=[chen],
                                parts=[{"room": "调解室一", "parties": [stranger]},
                                       {"room": "调解室二", "parties": list(mediating.parties.all())}],
                                held_at=now - timedelta(hours=1), ended_at=now,
                                format="back_to_back", record="记录", outcome="continue")
    assert not MediationSession.objects.exists()


def test_a_session_recorded_without_an_end_still_shows(client, world, mediating):
    chen = Mediator.objects.get(name="陈桂兰")
    services.record_session(case=mediating, actor=world.officer1, mediators=[chen], held_at=timezone.now(),
                            attendees="双方当事人、网格员", format="joint", record="双方陈述", outcome="continue")
    client.force_login(world.officer1)
    response = client.get(mediating.get_absolute_url())
    assert response.status_code == 200
    assert "双方陈述" in response.content.decode() and "历时" not in response.content.decode()


def test_the_case_page_costs_the_same_with_one_or_three_sessions(client, world, mediating):
    client.force_login(world.mediator1)
    url = mediating.get_absolute_url()
    post(client, mediating, back_to_back(mediating, participants=[world.officer1.pk]))
    few, _ = count_queries(client, url)
    for hours in (3, 6):
        end = timezone.now() - timedelta(hours=hours)
        assert post(client, mediating, back_to_back(mediating, end=end, participants=[world.worker1.pk],
                                                    others_present="刘芳（社区居委会）")).status_code == 302
    many, sql = count_queries(client, url)
    assert few == many, "\n".join(sql)
    assert many <= 31, "\n".join(sql)


def test_the_case_file_prints_the_time_rooms_and_other_participants(client, world, mediating):
    client.force_login(world.mediator1)
    post(client, mediating, back_to_back(mediating, others_present="刘芳（栖凤社区居委会）"))
    client.force_login(world.officer1)
    html = client.get(reverse("cases:case_file", args=[mediating.pk])).content.decode()
    assert "（历时1小时20分钟）" in html
    assert "调解室一：王建国（" in html and "调解室二：李秀英" in html
    assert "<dt>其他参加人员：</dt><dd>刘芳（栖凤社区居委会）</dd>" in html
