"""Long lists (issue 14): the count stops at a cap and the pages go on, a search is not counted
and runs once, a whole phone number is found by equality within the user's cases, and the case
list, the ledger and the dashboard cost a fixed number of queries for every role."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case, Party, PersonalDataDisclosure
from cases.paging import CappedPaginator
from tests.factories import bulk_cases, make_case
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db
LIST, LEDGER, DASHBOARD = reverse("cases:list"), reverse("cases:ledger"), reverse("cases:dashboard")
ROLES = ["worker1", "officer1", "auxiliary1", "stationlead", "streetlead", "districtlead", "admin"]
LEADERS = ["stationlead", "streetlead", "districtlead", "admin"]
# Whole pages, as the leaders see them (the most): the session and the user with the bell's unread
# count (2, cases.backends), the user's groups, places and case grants (2, grids/access.py), the
# grid filter's choices (1), the list's count and rows (2); the navigation's streets and the
# warning colours' settings and calendar are kept per process (grids/reference.py). The dashboard
# reads its figures.
LIST_QUERIES = 7
ADMIN_SAVES = 1  # an administrator's dashboard: no places to read
LEDGER_QUERIES = 7
DASHBOARD_QUERIES = 11

@pytest.fixture
def ordered(world):
    bulk_cases(grid=world.grid1, creator=world.officer1, count=23)
    return Case.objects.order_by("-id")


def ids(page):
    return [case.pk for case in page.object_list]


def test_the_count_stops_at_the_cap_and_the_pages_go_on(ordered):
    every = list(ordered.values_list("pk", flat=True))
    paginator = CappedPaginator(ordered, 5, cap=10)
    assert (paginator.count, paginator.capped) == (10, True)
    pages = [paginator.get_page(n) for n in range(1, 6)]
    assert [pk for page in pages for pk in ids(page)] == every  # past the cap too
    assert [page.has_next() for page in pages] == [True, True, True, True, False]
    assert pages[2].next_page_number() == 4 and pages[2].previous_page_number() == 2
    assert paginator.get_page(99).number == 2  # an empty page: the last counted one
    assert paginator.get_page("abc").number == 1


def test_below_the_cap_the_count_is_exact(ordered):
    paginator = CappedPaginator(ordered, 5, cap=100)
    assert (paginator.count, paginator.capped, paginator.num_pages) == (23, False, 5)
    assert len(paginator.get_page(5)) == 3 and not paginator.get_page(5).has_next()


def test_an_uncounted_list_learns_its_total_on_the_last_page(ordered):
    with CaptureQueriesContext(connection) as ctx:
        first = CappedPaginator(ordered, 5, counted=False).get_page(1)
        list(first)
    assert len(ctx.captured_queries) == 1 and "COUNT(" not in ctx.captured_queries[0]["sql"]
    assert first.has_next() and first.paginator.capped and first.paginator.count == 5
    last = CappedPaginator(ordered, 5, counted=False).get_page(5)
    assert not last.has_next() and not last.paginator.capped and last.paginator.count == 23
    assert CappedPaginator(ordered, 5, counted=False).get_page(9).number == 1


def test_a_list_longer_than_the_cap_says_more_than(client, world, monkeypatch):
    bulk_cases(grid=world.grid1, creator=world.officer1, count=8)
    monkeypatch.setattr(CappedPaginator, "cap", 5)
    client.force_login(world.officer1)
    page = client.get(LIST).context["page"]
    assert (page.paginator.capped, page.paginator.count, len(page.object_list)) == (True, 5, 8)


def search_sql(client, query):
    """The queries of one list page searched for `query`, and the page."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST, {"q": query})
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries], response.context["page"]


def test_a_search_runs_once_a_page_and_is_not_counted(client, world):
    bulk_cases(grid=world.grid1, creator=world.officer1, count=30, title="停车纠纷")
    client.force_login(world.officer1)
    sql, page = search_sql(client, "停车纠纷")
    assert [s for s in sql if "LIKE" in s and "cases_case" in s].__len__() == 1, sql
    assert not [s for s in sql if "COUNT(" in s and "cases_case" in s], sql
    assert page.has_next() and len(page.object_list) == 25
    second = client.get(LIST, {"q": "停车纠纷", "page": 2}).context["page"]
    assert len(second.object_list) == 5 and second.paginator.count == 30 and not second.has_next()


def test_a_page_reads_the_ids_of_its_rows_first_then_those_rows(client, world):
    """A deferred join: the filters and the order run once, in a subquery of ids that an index
    answers; the rows with the grid and handler are read by those ids (page 2: the right ones).
    A word search reads its matching ids before, once."""
    bulk_cases(grid=world.grid1, creator=world.officer1, count=30, title="停车纠纷")
    bulk_cases(grid=world.grid2, creator=world.officer1, count=5, title="停车纠纷", start=100)
    client.force_login(world.streetlead)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST, {"q": "停车", "page": 2, "open": "on"})
    expected = list(Case.objects.filter(title__contains="停车").open().order_by("-reported_at", "-id")
                    .values_list("pk", flat=True)[25:35])
    assert [case.pk for case in response.context["page"].object_list] == expected and len(expected) == 3
    (searched,) = [q["sql"] for q in ctx.captured_queries if "停车" in q["sql"]]
    assert "UNION" in searched and "grids_community" not in searched
    (rows,) = [q["sql"] for q in ctx.captured_queries if "grids_community" in q["sql"] and "cases_case" in q["sql"]
               and "LIMIT 26 OFFSET 25" in q["sql"]]
    outer, ids = rows.split('WHERE "cases_case"."id" IN (SELECT', 1)
    assert '"state" IN' not in outer and '"state" IN' in ids, rows  # the filters once, inside


def test_a_fragment_matching_more_cases_than_are_read_first_is_searched_inside(client, world, monkeypatch):
    from cases import filters

    bulk_cases(grid=world.grid1, creator=world.officer1, count=30, title="停车纠纷")
    monkeypatch.setattr(filters, "FOUND_FIRST", 20)
    client.force_login(world.officer1)
    sql, page = search_sql(client, "停车")
    assert len(page.object_list) == 25 and page.has_next()
    assert [s for s in sql if "停车" in s and "LIMIT 26" in s], sql  # the page's subquery searches


def test_a_search_is_cut_to_the_users_cases_in_each_part(client, world):
    make_case(grid=world.grid1, actor=world.officer1, parties=[Party(name="孙立新", role="applicant")])
    make_case(grid=world.grid2, actor=world.officer2, parties=[Party(name="孙立新", role="applicant")])
    client.force_login(world.worker1)
    sql, page = search_sql(client, "孙立新")
    assert len(page.object_list) == 1
    (search,) = [s for s in sql if "LIKE" in s and "cases_case" in s]
    arms = search.split("UNION")
    # each arm cut to the user's grids (an IN list; on PostgreSQL one array, grids/lookups.py)
    assert len(arms) == 5 and all('"grid_id" IN' in arm or '"grid_id" = ANY(' in arm for arm in arms), search


def test_a_whole_phone_number_is_found_by_equality_within_the_users_cases(client, world):
    case = make_case(grid=world.grid1, actor=world.officer1,
                     parties=[Party(name="孙立新", role="applicant", phone="13955556666")])
    client.force_login(world.officer1)
    sql, page = search_sql(client, "13955556666")
    assert [c.pk for c in page.object_list] == [case.pk]
    assert not [s for s in sql if '"phone" LIKE' in s or "name\" LIKE" in s], sql
    assert [s for s in sql if '"phone" = ' in s], sql
    assert PersonalDataDisclosure.objects.filter(user=world.officer1, how="search").count() == 1
    client.force_login(world.officer2)  # another grid's officer: nothing found, nothing logged
    assert not search_sql(client, "13955556666")[1].object_list
    assert not PersonalDataDisclosure.objects.filter(user=world.officer2).exists()


def test_an_id_number_is_found_whichever_case_its_x_is_typed_in(client, world):
    case = make_case(grid=world.grid1, actor=world.officer1)  # 11010519491231002X
    client.force_login(world.officer1)
    assert [c.pk for c in search_sql(client, "11010519491231002x")[1].object_list] == [case.pk]


def few_and_many(client, url, grid, creator, **fields):
    """Queries of `url` with 3 and with 203 cases on `grid`; (few, many, sql of many)."""
    bulk_cases(grid=grid, creator=creator, count=3, **fields)
    few, _ = count_queries(client, url)
    bulk_cases(grid=grid, creator=creator, count=200, start=100, **fields)
    many, sql = count_queries(client, url)
    return few, many, "\n".join(sql)


@pytest.mark.parametrize("username", ROLES)
def test_the_case_list_costs_a_fixed_and_capped_number_of_queries(client, world, username):
    client.force_login(getattr(world, username))
    few, many, sql = few_and_many(client, LIST, world.grid1, world.officer1)
    assert few == many == LIST_QUERIES, sql


@pytest.mark.parametrize("username", LEADERS)
def test_the_ledger_costs_a_fixed_and_capped_number_of_queries(client, world, username):
    client.force_login(getattr(world, username))
    few, many, sql = few_and_many(client, LEDGER, world.grid1, world.officer1, state="escalated")
    assert few == many == LEDGER_QUERIES, sql


@pytest.mark.parametrize("username", LEADERS)
def test_the_dashboard_costs_a_fixed_and_capped_number_of_queries(client, world, username):
    client.force_login(getattr(world, username))
    few, many, sql = few_and_many(client, DASHBOARD, world.grid1, world.officer1)
    assert few == many == DASHBOARD_QUERIES - ADMIN_SAVES * (username == "admin"), sql
