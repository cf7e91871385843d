import pytest
from django.urls import reverse

from cases.models import Case, CaseEvent
from tests.factories import act, case_in_state, make_case

pytestmark = pytest.mark.django_db


def transition_url(case, action):
    return reverse("cases:transition", args=[case.pk, action])


@pytest.mark.parametrize("username,status", [
    ("worker1", 200), ("officer1", 200), ("auxiliary1", 200), ("stationlead", 200),
    ("streetlead", 200), ("admin", 200), ("worker2", 404), ("officer2", 404),
    ("auxiliary2", 404), ("mediator1", 404), ("stationlead_fh", 404), ("streetlead_fh", 404),
])
def test_only_people_in_scope_see_the_case(client, world, username, status):
    case = make_case(grid=world.grid1, actor=world.worker1)
    client.force_login(getattr(world, username))
    assert client.get(case.get_absolute_url()).status_code == status


def test_anonymous_is_sent_to_sign_in(client, world):
    case = make_case(grid=world.grid1, actor=world.worker1)
    response = client.get(case.get_absolute_url())
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_only_the_transitions_this_user_may_take_are_offered(client, world):
    case = make_case(grid=world.grid1, actor=world.worker1)
    client.force_login(world.worker1)
    actions = [a for a, _label, _form in client.get(case.get_absolute_url()).context["transition_forms"]]
    assert actions == ["withdraw"]
    client.force_login(world.officer1)
    actions = [a for a, _label, _form in client.get(case.get_absolute_url()).context["transition_forms"]]
    assert actions == ["triage", "withdraw"]


def test_an_officer_triages_with_a_few_taps(client, world):
    case = make_case(grid=world.grid1, actor=world.worker1, risk="major")
    client.force_login(world.officer1)
    response = client.post(transition_url(case, "triage"), {
        "triage-version": case.version, "triage-category": "renovation", "triage-risk": "major",
        "triage-tier": "police_room", "triage-lead_handler": world.officer1.pk,
        "triage-team": [world.worker1.pk], "triage-note": "约双方明早到警务室",
    })
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.tier, case.lead_handler) == ("triaged", "police_room", world.officer1)
    hours = (case.due_at - case.triaged_at).total_seconds() / 3600
    assert round(hours) == 24  # major risk: first response within 24 hours
    assert list(case.team.values_list("user__username", "role")) == [("worker1", "grid_worker")]
    event = case.events.latest("id")
    assert (event.from_state, event.to_state, event.note) == ("reported", "triaged", "约双方明早到警务室")
    # the worker sees the triage on the timeline
    client.force_login(world.worker1)
    html = client.get(case.get_absolute_url()).content.decode()
    assert "已登记 → 已研判" in html and "约双方明早到警务室" in html


def test_a_stale_form_says_who_changed_the_case_and_keeps_the_input(client, world):
    case = make_case(grid=world.grid1, actor=world.worker1)
    seen_version = case.version
    act(case, "triage", world.stationlead)  # somebody else was faster
    client.force_login(world.officer1)
    response = client.post(transition_url(case, "withdraw"), {
        "withdraw-version": seen_version, "withdraw-withdrawal_reason": "当事人已和解，申请撤回",
    })
    html = response.content.decode()
    assert response.status_code == 409
    assert f"已被 {world.stationlead.first_name} 于" in html
    assert "当事人已和解，申请撤回" in html  # nothing typed is lost
    case.refresh_from_db()
    assert case.state == "triaged" and not case.withdrawal_reason


@pytest.mark.parametrize("action", ["close", "refer"])
def test_a_transition_that_is_not_available_gets_a_clear_message(client, world, action):
    case = make_case(grid=world.grid1, actor=world.worker1)
    client.force_login(world.officer1)
    response = client.post(transition_url(case, action), {f"{action}-version": case.version, f"{action}-note": "我写的"})
    assert response.status_code == 409
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert [value for _label, value in response.context["kept"][1]] == ["我写的"]
    assert Case.objects.get(pk=case.pk).state == "reported"


@pytest.mark.parametrize("action", ["no_such_step", "delete"])
def test_a_step_that_does_not_exist_is_not_found(client, world, action):
    case = make_case(grid=world.grid1, actor=world.worker1)
    client.force_login(world.officer1)
    assert client.post(transition_url(case, action), {f"{action}-version": case.version}).status_code == 404


def test_an_outsider_cannot_post_a_transition(client, world):
    case = make_case(grid=world.grid1, actor=world.worker1)
    client.force_login(world.officer2)
    response = client.post(transition_url(case, "triage"), {"triage-version": case.version})
    assert response.status_code == 404


def test_a_missing_reason_is_shown_next_to_its_field(client, world):
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    client.force_login(world.officer1)
    response = client.post(transition_url(case, "escalate"), {
        "escalate-version": case.version, "escalate-escalation_reason": "", "escalate-note": "我的说明",
    })
    html = response.content.decode()
    assert response.status_code == 400
    assert "这个字段是必填项" in html and "我的说明" in html
    assert 'id="act-escalate"' in html and "collapse show" in html


def test_a_tampered_version_does_not_fail(client, world):
    case = make_case(grid=world.grid1, actor=world.worker1)
    client.force_login(world.officer1)
    response = client.post(transition_url(case, "withdraw"), {
        "withdraw-version": "abc", "withdraw-withdrawal_reason": "x",
    })
    assert response.status_code == 400


def test_comments_go_on_the_same_timeline(client, world):
    case = make_case(grid=world.grid1, actor=world.worker1)
    client.force_login(world.auxiliary1)
    client.post(reverse("cases:comment", args=[case.pk]), {"text": "已电话联系楼上业主"})
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.kind, event.actor, event.note) == ("comment", world.auxiliary1, "已电话联系楼上业主")
    response = client.post(reverse("cases:comment", args=[case.pk]), {"text": ""})
    assert response.status_code == 400
    client.force_login(world.worker2)
    assert client.post(reverse("cases:comment", args=[case.pk]), {"text": "x"}).status_code == 404


def test_a_get_on_a_post_only_url_is_refused_politely(client, world):
    case = make_case(grid=world.grid1, actor=world.worker1)
    client.force_login(world.officer1)
    assert client.get(transition_url(case, "triage")).status_code == 405
