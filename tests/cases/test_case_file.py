"""The case file (卷宗) print: the case, parties, timeline, sessions, agreement and follow-ups on
A4; full identity only for those who may reveal it, each opening logged; a fixed number of
queries whatever the number of events and parties."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseEvent, Party, PersonalDataDisclosure
from mediators import services
from mediators.models import Mediator
from tests.factories import act, case_in_state, choose, follow_up_kept, make_case
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db

FULL_ID, MASKED_ID = "11010519491231002X", "1101**********002X"
FULL_PHONE, MASKED_PHONE = "13812345678", "138****5678"
# The case file's queries, exactly: the session, the user with the bell's count, the scope (two
# queries for a leader, one for a mediator), the case, and everything it prints in one query
# (selectors.case_file: cases/bundle.py); a revealer's add the disclosure rows' insert in its
# savepoint (3).
QUERIES = {"stationlead": 9, "mediator1": 5}


@pytest.fixture
def closed_file(world):
    """A case on grid1 taken all the way: a session, an agreement, resolved, followed up."""
    case = act(make_case(grid=world.grid1, actor=world.officer1), "triage", world.officer1)
    chen = Mediator.objects.get(name="陈桂兰")
    choose(case, world.officer1, chen)
    case = act(case, "start_mediation", world.officer1)
    today = timezone.localdate()
    services.record_session(case=case, actor=world.mediator1, mediators=[chen], held_at=timezone.now(),
                            place="多元化解调解室", attendees="双方当事人、网格员", format="joint",
                            record="调解员讲明法理情理，双方各让一步。", outcome="agreed")
    services.record_agreement(case=case, actor=world.officer1, parties=list(case.parties.all()), mediators=[chen],
                              facts="楼上装修导致楼下渗水。", terms="楼上业主赔偿维修费3000元。",
                              fulfilment="当场支付。", fulfil_by=today + timedelta(days=7), signed_on=today,
                              place="多元化解调解室")
    case = act(case, "resolve", world.officer1)
    follow_up_kept(case, world.worker1)
    return case


def open_file(client, user, case):
    client.force_login(user)
    response = client.get(reverse("cases:case_file", args=[case.pk]), REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 200
    return response


def test_the_file_holds_the_case_parties_timeline_sessions_agreement_and_follow_ups(client, world, closed_file):
    response = open_file(client, world.officer1, closed_file)
    html = response.content.decode()
    for text in [closed_file.number, closed_file.title, "王建国", "李秀英",
                 "调解员讲明法理情理，双方各让一步。",  # the session's record
                 f"{closed_file.number}-调", "楼上业主赔偿维修费3000元。",  # the agreement
                 "协议已履行，双方满意"]:  # the follow-up visit
        assert text in html, text
    events = response.context["events"]
    assert len(events) == closed_file.events.count() >= 6
    assert [v.title for v in events if v.title in html] == [v.title for v in events]
    assert len(response.context["file"].follow_ups) == 1 and response.context["file"].agreement is not None


@pytest.mark.parametrize("username", ["officer1", "worker1", "stationlead", "admin"])
def test_those_who_may_reveal_see_full_identity_and_each_opening_is_logged(client, world, closed_file, username):
    user = getattr(world, username)
    html = open_file(client, user, closed_file).content.decode()
    assert FULL_ID in html and FULL_PHONE in html and MASKED_ID not in html
    open_file(client, user, closed_file)
    rows = PersonalDataDisclosure.objects.filter(case=closed_file)
    assert sorted(rows.values_list("party__name", "user", "how", "ip_address")) == sorted(
        [("王建国", user.pk, "case_file", "10.9.8.7"), ("李秀英", user.pk, "case_file", "10.9.8.7")] * 2)


@pytest.mark.parametrize("username", ["mediator1", "auxiliary1"])
def test_others_who_see_the_case_get_it_masked(client, world, closed_file, username):
    response = open_file(client, getattr(world, username), closed_file)
    html = response.content.decode()
    assert response.context["full"] is False
    assert MASKED_ID in html and MASKED_PHONE in html and FULL_ID not in html and FULL_PHONE not in html
    assert not PersonalDataDisclosure.objects.filter(case=closed_file).exists()


def test_outsiders_get_404_and_a_post_is_refused(client, world, closed_file):
    client.force_login(world.worker2)
    assert client.get(reverse("cases:case_file", args=[closed_file.pk])).status_code == 404
    client.force_login(world.officer1)
    assert client.post(reverse("cases:case_file", args=[closed_file.pk])).status_code == 405
    assert not PersonalDataDisclosure.objects.exists()


@pytest.mark.parametrize("state", ["reported", "triaged", "escalated", "referred", "withdrawn"])
def test_a_case_without_sessions_or_agreement_has_its_file(client, world, state):
    case = case_in_state(state, grid=world.grid1, actor=world.stationlead)
    response = open_file(client, world.stationlead, case)
    assert response.context["file"].agreement is None and response.context["file"].sessions == []
    assert case.title in response.content.decode()


def test_the_case_page_links_to_the_file_for_everyone_who_sees_it(client, world, closed_file):
    url = reverse("cases:case_file", args=[closed_file.pk])
    for user in (world.officer1, world.mediator1):
        client.force_login(user)
        assert f'href="{url}"' in client.get(closed_file.get_absolute_url()).content.decode()


@pytest.mark.parametrize("username", ["stationlead", "mediator1"])
def test_the_same_number_of_queries_with_few_and_many_events_and_parties(client, world, closed_file, username):
    client.force_login(getattr(world, username))
    url = reverse("cases:case_file", args=[closed_file.pk])
    few, _ = count_queries(client, url)
    CaseEvent.objects.bulk_create([CaseEvent(case=closed_file, actor=world.officer1, kind="comment",
                                             note=f"走访记录 {i}") for i in range(200)])
    Party.objects.bulk_create([Party(case=closed_file, name=f"当事人{i}", role="other", phone=f"1380000{i:04d}",
                                     id_number=f"11010519800101{i:04d}") for i in range(30)])
    many, sql = count_queries(client, url)
    assert few == many, "\n".join(sql)
    assert many == QUERIES[username], "\n".join(sql)


def test_a_settlement_on_the_spot_names_the_handler_who_settled_it(client, world):
    case = act(case_in_state("triaged", grid=world.grid1, actor=world.officer1), "settle_on_spot", world.officer1)
    response = open_file(client, world.stationlead, case)
    event = response.context["file"].settled_on_spot
    assert event is not None and event.actor == world.officer1
    assert world.officer1.get_full_name() in response.content.decode()
    mediated = case_in_state("resolved", grid=world.grid1, actor=world.officer1)
    assert open_file(client, world.stationlead, mediated).context["file"].settled_on_spot is None
