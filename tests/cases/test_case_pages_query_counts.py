"""List, detail and work bench cost the same number of queries with 3 and with 200 cases."""

import pytest
from django.urls import reverse

from cases.models import CaseEvent
from tests.factories import CommunityGridFactory, bulk_cases, case_in_state, link
from tests.helpers import assert_same_query_count, count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_and_large(world):
    """Grid 1 gets 3 cases, a second grid on the same police grid gets 200."""
    large_grid = CommunityGridFactory(community=world.grid1.community, code="QF-01-90")
    link(world.grid1.police_grids.first(), large_grid)
    bulk_cases(grid=world.grid1, creator=world.officer1, count=3)
    bulk_cases(grid=large_grid, creator=world.officer1, count=200, start=1000)
    return world.grid1, large_grid


@pytest.mark.parametrize("username", ["officer1", "streetlead", "admin"])
def test_case_list(client, world, small_and_large, username):
    small, large = small_and_large
    client.force_login(getattr(world, username))
    url = reverse("cases:list")
    assert_same_query_count(client, f"{url}?grid={small.pk}", f"{url}?grid={large.pk}")


def test_case_list_with_search_and_filters(client, world, small_and_large):
    small, large = small_and_large
    client.force_login(world.officer1)
    url = reverse("cases:list")
    assert_same_query_count(
        client, f"{url}?grid={small.pk}&q=当事人&overdue=on&state=triaged",
        f"{url}?grid={large.pk}&q=当事人&overdue=on&state=triaged",
    )


# --- the case page and the work bench: a cap per role, and the same count for few or many rows

CONTACT = "dept_contact"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# The queries each role's case page costs on a case with everything on it (parties,
# attachments, events, a referral, a mediator chosen and a session, the team, a task, a
# follow-up visit, a call, a linked case), all included: the session and the user with the
# bell's unread count (cases.backends), the scope with the case grants (grids.access.also_read:
# two queries for those placed on places, one for mediators, contacts and administrators), the
# case, then everything it lists in one query (selectors.case_lists: cases/bundle.py), with the
# grid's people for those offered them (a 督办 or the triage form: leaders, administrators).
# The navigation's streets, the warning thresholds, the calendar and the referral form's
# departments and contacts are kept per process (grids/reference.py).
DETAIL_CAP = {"worker1": 6, "officer1": 6, "stationlead": 6, "streetlead": 6, "mediator1": 5,
              CONTACT: 5, "admin": 5}
# A station leader's page of a case without sessions, referrals, tasks or calls, by its state:
# the grid's people for a 督办, which the triage form of a reported case's page offers too (its
# lead handler and team lists drawn from them, read with the page's other lists).
DETAIL_BARE = {"reported": 6, "mediating": 6, "escalated": 6}
# The same for the work bench, with cases in every section: no count over the visible cases.
WORKBENCH_CAP = {"worker1": 9, "officer1": 9, "stationlead": 10, "streetlead": 10, "mediator1": 6,
                 CONTACT: 7, "admin": 9}


def assert_exactly(count, sql, cap):
    assert count == cap, "%d queries, not %d:\n%s" % (count, cap, "\n".join(sql))


def user_named(world, username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username) if username == CONTACT else getattr(world, username)


def add_loop(case, world, department, contact, n):
    """`n` of each thing a case page lists, through the services users go through."""
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from cases import links, loop, team, workflow
    from cases.models import FollowUp
    from cases.uploads import check_upload
    from mediators import services
    from mediators.models import Mediator

    chen = Mediator.objects.get(user=world.mediator1)
    today = timezone.localdate()
    for i in range(n):
        upload = SimpleUploadedFile(f"现场{i}.png", PNG, "image/png")
        check_upload(upload)
        workflow.add_attachments(case=case, actor=world.officer1, files=[upload])
        services.record_session(case=case, actor=world.officer1, mediators=[chen], participants=[world.worker1],
                                held_at=timezone.now(), place="社区调解室", attendees="双方当事人",
                                format="joint", record=f"第{i}次调解", outcome="continue")
        loop.send_referral(case=case, actor=world.officer1, department=department, contact=contact,
                           deadline=today + timedelta(days=5), request=f"请修复管道 {i}")
        loop.issue_supervision(case=case, actor=world.streetlead, text=f"三日内回访 {i}",
                               deadline=today + timedelta(days=3))
        team.add_member(case=case, actor=world.officer1, role="cadre", name=f"刘芳{i}", unit="社区居委会")
        FollowUp.objects.create(case=case, due_on=today + timedelta(days=i))
        loop.place_call(actor=world.worker1, grid=world.grid1, message=f"请民警到场 {i}", case=case)
        links.link_cases(case=case, other=case_in_state("triaged", grid=world.grid1, actor=world.officer1),
                         actor=world.officer1, note="同一楼栋")
        workflow.add_comment(case=case, actor=world.officer1, text=f"走访记录 {i}")


@pytest.fixture
def full_case(world, settings, tmp_path):
    """A case in mediation with one of everything its page shows, a department contact with an
    open referral on it, and mediator1 (陈桂兰) chosen."""
    from cases.models import Party
    from grids.roles import Role
    from mediators.models import Mediator
    from tests.factories import a_department, act, choose, person

    settings.MEDIA_ROOT = tmp_path
    department = a_department()
    contact = person(CONTACT, Role.DEPARTMENT)
    department.contacts.add(contact)
    case = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    choose(case, world.officer1, Mediator.objects.get(user=world.mediator1))
    case = act(case, "start_mediation", world.officer1)
    from cases import team
    team.add_member(case=case, actor=world.officer1, role="grid_worker", user=world.worker1)
    add_loop(case, world, department, contact, 1)

    def grow():
        add_loop(case, world, department, contact, 3)
        CaseEvent.objects.bulk_create([CaseEvent(case=case, actor=world.officer1, kind="comment",
                                                 note=f"走访记录 {i}") for i in range(200)])
        Party.objects.bulk_create([Party(case=case, name=f"当事人{i}", role="other") for i in range(30)])

    case.grow = grow
    return case


@pytest.mark.parametrize("username", ["worker1", "officer1", "stationlead", "streetlead", "mediator1", CONTACT,
                                      "admin"])
def test_case_detail_costs_a_fixed_number_of_queries_for_every_role(client, world, full_case, username):
    client.force_login(user_named(world, username))
    url = full_case.get_absolute_url()
    few, few_sql = count_queries(client, url)
    full_case.grow()
    many, many_sql = count_queries(client, url)
    assert few == many, "query counts differ: %d vs %d\n--- few\n%s\n--- many\n%s" % (
        few, many, "\n".join(few_sql), "\n".join(many_sql))
    assert_exactly(many, many_sql, DETAIL_CAP[username])


@pytest.mark.parametrize("state", ["reported", "mediating", "escalated"])
def test_case_detail_with_3_or_200_events_and_many_parties(client, world, state):
    case = case_in_state(state, grid=world.grid1, actor=world.stationlead)
    client.force_login(world.stationlead)
    url = case.get_absolute_url()
    few, _ = count_queries(client, url)
    CaseEvent.objects.bulk_create([
        CaseEvent(case=case, actor=world.officer1, kind="comment", note=f"走访记录 {i}")
        for i in range(200)
    ])
    from cases.models import Party
    Party.objects.bulk_create([Party(case=case, name=f"当事人{i}", role="other") for i in range(30)])
    many, sql = count_queries(client, url)
    assert few == many, "\n".join(sql)
    assert_exactly(many, sql, DETAIL_BARE[state])


@pytest.mark.parametrize("username", ["worker1", "officer1", "stationlead", "streetlead", "mediator1", CONTACT,
                                      "admin"])
def test_workbench_costs_a_fixed_number_of_queries_for_every_role(client, world, full_case, username):
    client.force_login(user_named(world, username))
    url = reverse("cases:workbench")
    bulk_cases(grid=world.grid1, creator=world.officer1, count=3)
    few, few_sql = count_queries(client, url)
    bulk_cases(grid=world.grid1, creator=user_named(world, username) if username != "mediator1" else world.officer1,
               count=200, start=500)
    full_case.grow()
    many, many_sql = count_queries(client, url)
    assert few == many, "query counts differ: %d vs %d\n--- few\n%s\n--- many\n%s" % (
        few, many, "\n".join(few_sql), "\n".join(many_sql))
    assert_exactly(many, many_sql, WORKBENCH_CAP[username])


def test_workbench_shows_the_first_rows_and_says_there_are_more(client, world):
    from tests.factories import make_case

    bulk_cases(grid=world.grid1, creator=world.officer1, count=30, state="reported")
    make_case(grid=world.grid1, actor=world.worker1)
    client.force_login(world.officer1)
    response = client.get(reverse("cases:workbench"))
    sections = {s.key: s for s in response.context["sections"]}
    assert len(sections["awaiting_triage"].cases) == 10 and sections["awaiting_triage"].more
    assert sections["reported_by_me"].cases == [] and not sections["reported_by_me"].more
    assert 'href="/cases/?state=reported"' in response.content.decode()
    client.force_login(world.worker1)
    sections = {s.key: s for s in client.get(reverse("cases:workbench")).context["sections"]}
    assert len(sections["reported_by_me"].cases) == 1 and not sections["reported_by_me"].more
