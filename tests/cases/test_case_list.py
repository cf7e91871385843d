from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases import selectors
from cases.filters import CaseFilter
from cases.models import Party
from tests.factories import act, make_case

pytestmark = pytest.mark.django_db
URL = reverse("cases:list")


def numbers(client, query=""):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    return {c.number for c in response.context["page"].object_list}


@pytest.fixture
def cases(world):
    leak = make_case(grid=world.grid1, actor=world.officer1, title="楼上漏水", category="renovation",
                     channel="incident_110", incident_number="110202611230001", risk="major")
    parking = make_case(grid=world.grid1, actor=world.officer1, title="争抢车位", category="neighbour",
                        address="梧桐巷8号", parties=[Party(name="孙立新", role="applicant", phone="13955556666")])
    act(parking, "triage", world.officer1)
    other_grid = make_case(grid=world.grid2, actor=world.officer2, title="押金纠纷", category="rental")
    return {"leak": leak, "parking": parking, "other_grid": other_grid}


def test_each_user_lists_only_cases_in_scope(client, world, cases):
    client.force_login(world.officer1)
    assert numbers(client) == {cases["leak"].number, cases["parking"].number}
    client.force_login(world.streetlead)
    assert numbers(client) >= {c.number for c in cases.values()}
    client.force_login(world.streetlead_fh)
    assert numbers(client) == set()


@pytest.mark.parametrize("query,expected", [
    ("state=triaged", {"parking"}),
    ("state=reported", {"leak"}),
    ("category=renovation", {"leak"}),
    ("channel=incident_110", {"leak"}),
    ("risk=major", {"leak"}),
    ("q=车位", {"parking"}),           # title
    ("q=孙立新", {"parking"}),         # party name
    ("q=13955556666", {"parking"}),    # party phone
    ("q=梧桐巷", {"parking"}),         # address
])
def test_filters_and_search(client, world, cases, query, expected):
    client.force_login(world.officer1)
    assert numbers(client, query) == {cases[k].number for k in expected}


def test_search_by_110_incident_number(client, world, cases):
    client.force_login(world.officer1)
    assert numbers(client, "q=110202611230001") == {cases["leak"].number}
    assert numbers(client, "q=+110202611230001+") == {cases["leak"].number}
    assert numbers(client, "q=11230001") == {cases["leak"].number}  # the end of it, as read out on the radio
    assert numbers(client, "q=1102026112") == set()  # a whole number is never the start of another
    assert numbers(client, "q=110202611239999") == set()
    client.force_login(world.officer2)  # another grid's officer does not find it
    assert numbers(client, "q=110202611230001") == set()


def test_search_by_case_number(client, world, cases):
    client.force_login(world.officer1)
    assert numbers(client, f"q={cases['leak'].number}") == {cases["leak"].number}
    year_and_serial = cases["leak"].number.split("-", 1)[1]  # 栖凤-2026-000001 read out without the street
    assert numbers(client, f"q={year_and_serial}") == {cases["leak"].number}


@pytest.mark.postgres
def test_a_whole_number_is_found_among_the_case_and_110_numbers_by_their_ends_index(world, cases):
    if connection.vendor != "postgresql":
        pytest.skip("the reversed-number indexes are PostgreSQL's (migration 0028); SQLite searches with LIKE")
    search = CaseFilter({"q": "110202611230001"}, queryset=selectors.case_list(world.admin), user=world.admin).qs
    with connection.cursor() as cursor:  # a handful of cases: without this the planner reads the table
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = search.explain()
    for index in ("case_number_suffix", "case_incident_number_suffix"):
        assert f"Index Scan on {index}" in plan or f"Index Scan using {index}" in plan, plan
    assert "_trgm" not in plan, plan


def test_grid_filter_offers_only_visible_grids(client, world, cases):
    client.force_login(world.officer1)
    assert numbers(client, f"grid={world.grid1.pk}") == {cases["leak"].number, cases["parking"].number}
    response = client.get(f"{URL}?grid={world.grid2.pk}")
    assert "grid" in response.context["filter"].form.errors


def test_overdue_and_date_range(client, world, cases):
    from cases.models import Case
    Case.objects.filter(pk=cases["leak"].pk).update(
        due_at=timezone.now() - timedelta(hours=1),
        reported_at=timezone.now() - timedelta(days=10),
    )
    client.force_login(world.officer1)
    assert numbers(client, "overdue=on") == {cases["leak"].number}
    since = (timezone.localdate() - timedelta(days=2)).isoformat()
    assert numbers(client, f"reported_from={since}") == {cases["parking"].number}


def test_pagination_keeps_the_filters(client, world):
    for i in range(30):
        make_case(grid=world.grid1, actor=world.officer1, title=f"停车纠纷{i}")
    client.force_login(world.officer1)
    first = client.get(f"{URL}?q=停车纠纷").content.decode()
    assert "q=%E5%81%9C%E8%BD%A6%E7%BA%A0%E7%BA%B7&amp;page=2" in first
    second = client.get(f"{URL}?q=停车纠纷&page=2")
    assert len(second.context["page"].object_list) == 5


def test_a_garbage_page_number_does_not_fail(client, world, cases):
    client.force_login(world.officer1)
    assert client.get(f"{URL}?page=abc").status_code == 200
    assert client.get(f"{URL}?page=999").status_code == 200
    assert client.get(f"{URL}?reported_from=not-a-date").status_code == 200


def test_each_state_has_its_own_badge_colour_and_any_other_is_grey(client, world, cases):
    # the colours come from choices.STATE_BADGES: reported amber, triaged cyan
    act(cases["leak"], "withdraw", world.officer1)
    client.force_login(world.officer1)
    html = client.get(URL).content.decode()
    for case, colour in ((cases["parking"], "text-bg-info"), (cases["leak"], "text-bg-secondary")):
        row = html[html.index(case.get_absolute_url()):]
        row = row[:row.index("</a>")]
        assert f'class="badge rounded-pill {colour}"' in row, case.state
    client.force_login(world.officer2)
    html = client.get(URL).content.decode()
    assert 'class="badge rounded-pill text-bg-warning"' in html  # the other grid's reported case
