import pytest
from django.urls import reverse

from cases import permissions, timeline, workflow
from cases.models import CaseEvent, CaseUserObjectPermission
from grids import access
from mediators import services
from mediators.models import MediatorChoice
from tests.factories import a_mediator, act, case_in_state, choose

pytestmark = pytest.mark.django_db


@pytest.fixture
def triaged(world):
    return case_in_state("triaged", grid=world.grid1, actor=world.officer1)


@pytest.fixture
def chen(world):
    """The demo mediator linked to mediator1."""
    return world.mediator1.mediator


def test_the_parties_choice_is_recorded_on_the_case_and_its_timeline(world, triaged):
    mediator = a_mediator(name="沈国强")
    party = triaged.parties.first()
    choice = services.choose_mediator(case=triaged, mediator=mediator, actor=world.worker1,
                                      method="parties", party=party, reason="熟悉小区情况")
    assert (choice.party, choice.recorded_by, choice.reason, choice.active) == (party, world.worker1, "熟悉小区情况", True)
    event = CaseEvent.objects.filter(case=triaged).latest("id")
    assert event.kind == "mediator_chosen" and event.data["mediator"] == "沈国强"
    assert dict(timeline.details(event))["选择的当事人"] == party.name


def refused(case, mediator, actor, match):
    events = case.events.count()
    with pytest.raises(services.MediatorRefused, match=match):
        services.choose_mediator(case=case, mediator=mediator, actor=actor, method="assigned")
    assert case.events.count() == events
    assert not MediatorChoice.objects.filter(case=case, mediator=mediator).exists()


def test_a_full_mediator_is_refused(world, triaged):
    busy = a_mediator(name="满员调解员", capacity=1)
    other = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    choose(other, world.officer1, busy)
    refused(triaged, busy, world.officer1, "已满员：在办 1 件，上限 1 件")


def test_a_retired_mediator_is_refused(world, triaged):
    retired = a_mediator(name="退出调解员", active=False)
    refused(triaged, retired, world.officer1, "已退出调解员名册")


@pytest.mark.parametrize("field,value,message", [
    ("phone", "13812345678", "电话号码相同"),
    ("id_number", "11010519491231002X", "身份证号相同"),
])
def test_a_mediator_with_a_conflict_of_interest_is_refused(world, triaged, field, value, message):
    related = a_mediator(name="利益相关调解员", **{field: value})  # the factory's party has these
    refused(triaged, related, world.officer1, message)


def test_the_chosen_mediator_sees_exactly_the_cases_that_chose_them(client, world, chen):
    chosen = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    not_chosen = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    choose(chosen, world.officer1, chen)
    mediator1 = world.mediator1
    access.forget(mediator1)
    assert chosen in permissions.visible_cases(mediator1)
    assert not_chosen not in permissions.visible_cases(mediator1)
    client.force_login(mediator1)
    assert client.get(chosen.get_absolute_url()).status_code == 200
    assert client.get(not_chosen.get_absolute_url()).status_code == 404


def test_replacing_the_mediator_removes_their_access(client, world, chen, triaged):
    choice = choose(triaged, world.officer1, chen)
    client.force_login(world.mediator1)
    assert client.get(triaged.get_absolute_url()).status_code == 200
    client.force_login(world.officer1)
    response = client.post(reverse("mediators:replace", args=[triaged.pk, choice.pk]),
                           {"reason": "当事人要求更换"})
    assert response.status_code == 302
    choice.refresh_from_db()
    assert not choice.active and choice.ended_reason == "当事人要求更换"
    assert not CaseUserObjectPermission.objects.filter(user=world.mediator1).exists()
    client.force_login(world.mediator1)
    assert client.get(triaged.get_absolute_url()).status_code == 404
    assert CaseEvent.objects.filter(case=triaged, kind="mediator_replaced").exists()


def test_a_mediator_can_record_sessions_but_nothing_else(client, world, chen):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    choose(case, world.officer1, chen)
    case = act(case, "start_mediation", world.officer1)
    client.force_login(world.mediator1)
    page = client.get(case.get_absolute_url())
    assert page.context["transition_forms"] == []
    assert page.context["comment_form"] is None and not page.context["can_reveal"]
    assert "record_session" in page.context["caps"] and "record_agreement" in page.context["caps"]
    assert client.get(reverse("mediators:session_create", args=[case.pk])).status_code == 200
    assert client.post(reverse("cases:comment", args=[case.pk]), {"text": "x"}).status_code == 403
    party = case.parties.first()
    assert client.post(reverse("cases:reveal", args=[case.pk, party.pk])).status_code == 403
    assert client.get(f"{reverse('mediators:supermarket')}?case={case.pk}").status_code == 403
    with pytest.raises(workflow.TransitionNotAvailable):
        workflow.run_transition(case_id=case.pk, action="resolve", actor=world.mediator1,
                                version=case.version, changes={"resolution": "x"})


def test_starting_mediation_needs_a_chosen_mediator(client, world, triaged):
    client.force_login(world.officer1)
    response = client.post(reverse("cases:transition", args=[triaged.pk, "start_mediation"]),
                           {"start_mediation-version": triaged.version})
    assert response.status_code == 409
    assert "请先从调解超市选择调解员" in response.content.decode()
    choose(triaged, world.officer1)
    response = client.post(reverse("cases:transition", args=[triaged.pk, "start_mediation"]),
                           {"start_mediation-version": triaged.version})
    assert response.status_code == 302
    triaged.refresh_from_db()
    assert triaged.state == "mediating"


def test_choosing_through_the_supermarket_page(client, world, triaged, chen):
    client.force_login(world.worker1)
    page = client.get(f"{reverse('mediators:supermarket')}?case={triaged.pk}")
    assert page.status_code == 200 and page.context["case"] == triaged
    response = client.post(reverse("mediators:choose", args=[triaged.pk]), {
        "mediator": chen.pk, "method": "parties", "party": triaged.parties.first().pk, "reason": "口碑好",
    })
    assert response.status_code == 302 and response["Location"] == triaged.get_absolute_url()
    assert MediatorChoice.objects.filter(case=triaged, mediator=chen, active=True).exists()
    # a refusal comes back as a clear message on the supermarket page
    response = client.post(reverse("mediators:choose", args=[triaged.pk]), {
        "mediator": chen.pk, "method": "parties", "party": "", "reason": "",
    }, follow=True)
    assert "已是本案调解员" in response.content.decode()


def test_outsiders_cannot_choose(client, world, triaged, chen):
    client.force_login(world.worker2)
    response = client.post(reverse("mediators:choose", args=[triaged.pk]), {"mediator": chen.pk, "method": "parties"})
    assert response.status_code == 404
    client.force_login(world.auxiliary1)  # in scope, but the role does not choose
    response = client.post(reverse("mediators:choose", args=[triaged.pk]), {"mediator": chen.pk, "method": "parties"})
    assert response.status_code == 403
    assert not MediatorChoice.objects.filter(case=triaged).exists()


def test_the_chosen_mediator_is_told_and_her_notice_opens_the_case(client, world, chen, triaged):
    from cases.models import Notification

    choose(triaged, world.officer1, chen)
    notice = Notification.objects.get(recipient=world.mediator1, read_at__isnull=True)
    assert (notice.kind, notice.case) == ("assigned", triaged)
    client.force_login(world.mediator1)
    response = client.get(reverse("cases:notification_open", args=[notice.pk]), follow=True)
    assert response.status_code == 200 and response.context["case"] == triaged


def test_a_mediator_taken_off_and_chosen_again_is_told_again(world, chen, triaged):
    from cases.models import Notification

    first = choose(triaged, world.officer1, chen)
    services.replace_mediator(choice=first, actor=world.officer1, reason="当事人要求更换")
    choose(triaged, world.officer1, chen)
    assert Notification.objects.filter(recipient=world.mediator1, case=triaged, kind="assigned").count() == 2


def test_nobody_is_told_when_the_chosen_mediator_has_no_account(world, triaged):
    from cases.models import Notification

    before = Notification.objects.count()
    choose(triaged, world.officer1, a_mediator(name="沈国强"))
    assert Notification.objects.count() == before
