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


@pytest.mark.parametrize("username", ["worker1", "officer1", "stationlead"])
def test_workbench(client, world, username):
    client.force_login(getattr(world, username))
    url = reverse("cases:workbench")
    bulk_cases(grid=world.grid1, creator=world.officer1, count=3)
    few, _ = count_queries(client, url)
    bulk_cases(grid=world.grid1, creator=world.officer1, count=200, start=500)
    many, sql = count_queries(client, url)
    assert few == many, "\n".join(sql)


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
    assert few <= 31, "\n".join(sql)  # incl. the bell (1) and the warning settings and calendar (2)
