"""Searching 2 characters (a given name such as 郭华): on PostgreSQL the case list finds them through
the bigram indexes of migration 0025 (pg_trgm has no trigram in 2 characters), and finds the same
cases as a plain `icontains` on the searched columns would, on SQLite and PostgreSQL alike."""

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import permissions, selectors
from cases.filters import CaseFilter
from cases.models import Party
from tests.factories import make_case

pytestmark = pytest.mark.django_db
LIST = reverse("cases:list")
BIGRAM_INDEXES = ("case_number_bigram", "case_incident_number_bigram", "case_title_bigram", "case_address_bigram",
                  "party_name_bigram")


def person(name):
    return Party(name=name, role="applicant")


@pytest.fixture
def cases(world):
    """Cases on worker1's grid, and one on another grid that only the administrator finds."""
    def case(title, address, *names, grid=world.grid1, actor=world.officer1, **fields):
        return make_case(grid=grid, actor=actor, title=title, address=address,
                         parties=[person(name) for name in names], **fields)

    return {
        "name": case("Parking 车位纠纷", "梧桐巷8号", "郭华强", "王伟"),
        "name_end": case("噪音扰民", "桂花路12号", "李郭华"),
        "address": case("押金 deposit", "郭华里5号", "赵建"),
        "percent": case("打50%折扣", "柳石街1号", "钱轩", channel="incident_110", incident_number="110202611230001"),
        "underscore": case("a_b 路灯", "柳石街2号", "孙立"),
        "other_grid": case("另一网格", "郭华里7号", "郭华", grid=world.grid2, actor=world.officer2),
    }


def found(client, query):
    """The case numbers the list shows for the search, and whether it read the bigram indexes."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST, {"q": query})
    assert response.status_code == 200
    return {c.number for c in response.context["page"].object_list}, any(
        "fq_bigrams" in q["sql"] for q in ctx.captured_queries)


def by_icontains(user, query):
    """What `icontains` on the searched columns finds among the user's cases (the reference)."""
    matching = (Q(number__icontains=query) | Q(incident_number__icontains=query) | Q(title__icontains=query)
                | Q(address__icontains=query) | Q(parties__name__icontains=query))
    return set(permissions.visible_cases(user).filter(matching).values_list("number", flat=True))


@pytest.mark.parametrize("query,expected", [
    ("郭华", {"name", "name_end", "address", "other_grid"}),  # a party's name (start, end), an address
    ("车位", {"name"}),                           # a title
    ("梧桐", {"name"}),                           # an address
    ("PA", {"name"}), ("pa", {"name"}), ("pA", {"name"}),  # ASCII in any case
    ("DE", {"address"}),
    ("0%", {"percent"}), ("_b", {"underscore"}),  # LIKE's wildcards are plain characters
    ("ab", set()), ("郭强", set()),
    ("61", {"percent"}),                          # the 110 number
    ("伟", {"name"}), ("郭华强", {"name"}),        # 1 and 3 characters: LIKE, as before
])
@pytest.mark.parametrize("username", ["worker1", "admin"])
def test_a_short_search_finds_what_icontains_finds(client, world, cases, query, expected, username):
    user = getattr(world, username)
    client.force_login(user)
    numbers, bigrams = found(client, query)
    assert numbers == {cases[key].number for key in expected if key != "other_grid" or username == "admin"}
    assert numbers == by_icontains(user, query)
    assert bigrams == (connection.vendor == "postgresql" and len(query) == 2)


def test_a_street_prefix_finds_every_case_numbered_on_the_street(client, world, cases):
    prefix = cases["name"].number[:2]  # 栖凤-2026-000001: the street's prefix
    client.force_login(world.worker1)
    numbers, _ = found(client, prefix)
    assert numbers == {case.number for key, case in cases.items() if key != "other_grid"}
    assert numbers == by_icontains(world.worker1, prefix)


@pytest.mark.postgres
def test_a_two_character_search_is_served_by_the_bigram_indexes(world, cases):
    if connection.vendor != "postgresql":
        pytest.skip("the bigram indexes are PostgreSQL's (migration 0025); SQLite searches with LIKE")
    with connection.cursor() as cursor:
        # six cases: the planner would rightly read the table; without it, an index whose expression
        # is not the query's would leave only the (disabled) table scan
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    with CaptureQueriesContext(connection) as searched:  # the matching ids are read first
        CaseFilter({"q": "郭华"}, queryset=selectors.case_list(world.admin), user=world.admin).qs  # noqa: B018
    (search,) = [q["sql"] for q in searched.captured_queries if "fq_bigrams" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + search)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert [index for index in BIGRAM_INDEXES if f"Bitmap Index Scan on {index}" not in plan] == [], plan
    assert "Seq Scan on cases_" not in plan, plan
