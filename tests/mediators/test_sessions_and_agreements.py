from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import timeline
from cases.models import Case, CaseEvent
from mediators.models import Agreement, MediationSession, Mediator
from tests.factories import act, case_in_state, choose

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


def session_data(case, **overrides):
    """A back-to-back session that ended ten minutes ago after 1 h 20 min: the applicant in
    调解室一, the respondent in 调解室二."""
    end = timezone.now() - timedelta(minutes=10)
    applicant, respondent = case.parties.order_by("id")[:2]
    data = {"held_at": local(end - timedelta(minutes=80)), "ended_at": local(end), "place": "多元化解调解室",
            "mediators": [c.mediator_id for c in case.mediator_choices.all()],
            "attendees": "", "format": "back_to_back",
            "parts-TOTAL_FORMS": "2", "parts-INITIAL_FORMS": "2",
            "parts-0-room": "调解室一", "parts-0-parties": [applicant.pk],
            "parts-1-room": "调解室二", "parts-1-parties": [respondent.pk],
            "record": "背对背分别做工作，双方同意各让一步。", "outcome": "agreed"}
    data.update(overrides)
    return data


def agreement_data(case, **overrides):
    data = {"parties": [p.pk for p in case.parties.all()],
            "mediators": [c.mediator_id for c in case.mediator_choices.all()],
            "facts": "楼上装修导致楼下渗水。", "terms": "一、楼上业主赔偿维修费3000元；\n二、施工队负责重做防水。",
            "fulfilment": "当场支付，防水七日内完成。",
            "fulfil_by": (timezone.localdate() + timedelta(days=7)).isoformat(),
            "signed_on": timezone.localdate().isoformat(),
            "place": "多元化解调解室"}
    data.update(overrides)
    return data


def test_the_chosen_mediator_records_a_session_on_the_timeline(client, world, mediating):
    client.force_login(world.mediator1)
    response = client.post(reverse("mediators:session_create", args=[mediating.pk]), session_data(mediating))
    assert response.status_code == 302
    session = MediationSession.objects.get(case=mediating)
    assert (session.format, session.outcome, session.recorded_by) == ("back_to_back", "agreed", world.mediator1)
    event = CaseEvent.objects.filter(case=mediating).latest("id")
    assert event.kind == "session" and dict(timeline.details(event))["调解方式"] == "背对背调解"


def test_a_failed_session_offers_escalation(client, world, mediating):
    client.force_login(world.officer1)
    response = client.post(reverse("mediators:session_create", args=[mediating.pk]),
                           session_data(mediating, outcome="failed"), follow=True)
    html = response.content.decode()
    assert "调解不成" in html and "提级" in html
    assert response.context["open_action"] == "escalate"


def test_bad_session_input_keeps_what_was_typed(client, world, mediating):
    client.force_login(world.officer1)
    response = client.post(reverse("mediators:session_create", args=[mediating.pk]),
                           session_data(mediating, held_at="", record="已做双方工作"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "这个字段是必填项" in html and "已做双方工作" in html
    assert not MediationSession.objects.exists()


def test_sessions_only_while_mediating(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    response = client.post(reverse("mediators:session_create", args=[case.pk]), session_data(case), follow=True)
    assert "调解记录和协议只能在调解中登记" in response.content.decode()
    assert not MediationSession.objects.exists()


def test_an_outsider_cannot_record(client, world, mediating):
    client.force_login(world.worker2)
    url = reverse("mediators:session_create", args=[mediating.pk])
    assert client.post(url, session_data(mediating)).status_code == 404


def test_resolving_a_mediated_case_needs_an_agreement_or_a_recorded_settlement(client, world, mediating):
    client.force_login(world.officer1)
    url = reverse("cases:transition", args=[mediating.pk, "resolve"])
    response = client.post(url, {"resolve-version": mediating.version, "resolve-resolution": "双方和解"})
    assert response.status_code == 400
    assert "请先登记调解协议书" in response.content.decode()
    assert Case.objects.get(pk=mediating.pk).state == "mediating"
    # with the agreement recorded, the summary is enough
    response = client.post(reverse("mediators:agreement_create", args=[mediating.pk]), agreement_data(mediating))
    assert response.status_code == 302
    response = client.post(url, {"resolve-version": mediating.version, "resolve-resolution": "按协议履行"})
    assert response.status_code == 302
    assert Case.objects.get(pk=mediating.pk).state == "resolved"


def test_an_oral_settlement_can_resolve_too(client, world, mediating):
    client.force_login(world.officer1)
    response = client.post(reverse("cases:transition", args=[mediating.pk, "resolve"]), {
        "resolve-version": mediating.version, "resolve-resolution": "双方口头达成一致，当场握手言和",
        "resolve-settled_without_agreement": "on"})
    assert response.status_code == 302
    case = Case.objects.get(pk=mediating.pk)
    assert case.state == "resolved" and case.settled_without_agreement


def test_agreement_validation(client, world, mediating):
    client.force_login(world.officer1)
    url = reverse("mediators:agreement_create", args=[mediating.pk])
    response = client.post(url, agreement_data(mediating, parties=[mediating.parties.first().pk],
                                               fulfil_by=(timezone.localdate() - timedelta(days=1)).isoformat()))
    html = response.content.decode()
    assert response.status_code == 400
    assert "至少由两方当事人签署" in html and "履行期限不能早于签订日期" in html
    assert "楼上业主赔偿维修费3000元" in html
    client.post(url, agreement_data(mediating))
    response = client.post(url, agreement_data(mediating), follow=True)
    assert "本案已有调解协议书" in response.content.decode()
    assert Agreement.objects.filter(case=mediating).count() == 1


def test_the_agreement_page_renders_every_field(client, world, mediating):
    client.force_login(world.officer1)
    client.post(reverse("mediators:agreement_create", args=[mediating.pk]), agreement_data(mediating))
    html = client.get(reverse("mediators:agreement", args=[mediating.pk])).content.decode()
    today = timezone.localdate()
    fulfil = today + timedelta(days=7)
    for text in ["调解协议书", f"{mediating.number}-调", "王建国", "李秀英",
                 "楼上装修导致楼下渗水。", "楼上业主赔偿维修费3000元", "施工队负责重做防水", "当场支付",
                 f"{fulfil:%Y}年{fulfil.month}月{fulfil.day}日", f"{today:%Y}年{today.month}月{today.day}日", "多元化解调解室", "陈桂兰", "当事人（签名）", "调解员（签名）",
                 "11010519491231002X", "13812345678"]:  # signed by the parties: full identity
        assert text in html, text
    assert "1101**********002X" not in html
    client.force_login(world.worker2)
    assert client.get(reverse("mediators:agreement", args=[mediating.pk])).status_code == 404
