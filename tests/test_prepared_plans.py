"""The prepared statements the pages leave on their connection: none compares a case's state with
a parameter. PostgreSQL keeps a generic plan for a prepared statement after five runs, made for
any parameters; with the states as parameters it cannot use the open cases' partial indexes (the
administrator's ledger then read the table until 10 001 cases matched: 34-66 ms at ten million
cases against 2.5-2.9). grids/compiled.py writes them into the statement instead."""

import re

import pytest
from django.db import connection
from django.urls import reverse

from tests.factories import bulk_cases, case_in_state, make_case

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"),
]

STATE_AS_PARAMETER = re.compile(r'"cases_case"\."state" (= \$\d|IN \(\$|= ANY\(\$)')
ROLES = ["worker1", "officer1", "stationlead", "streetlead", "districtlead", "admin"]


def pages(case) -> list[str]:
    cases = reverse("cases:list")
    return [reverse("cases:workbench"), cases, f"{cases}?state=mediating", f"{cases}?state=closed",
            f"{cases}?open=on&overdue=on", f"{cases}?risk=major", reverse("cases:ledger"),
            reverse("cases:detail", args=[case.pk])]


def prepared_texts() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.parametrize("username", ROLES)
def test_no_page_leaves_a_prepared_statement_with_the_state_as_a_parameter(client, world, username):
    case = make_case(grid=world.grid1, actor=world.officer1, risk="major")
    case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    case_in_state("resolved", grid=world.grid2, actor=world.stationlead)
    bulk_cases(grid=world.grid1, creator=world.worker1, count=30)
    client.force_login(getattr(world, username))
    for url in pages(case):
        for _ in range(6):  # past the five runs after which PostgreSQL may keep a generic plan
            assert client.get(url).status_code in (200, 403)
    texts = [text for text in prepared_texts() if '"cases_case"."state"' in text]
    assert texts, "the pages prepared no statement reading the state"
    assert any(re.search(r"\"cases_case\"\.\"state\" IN \('", text) for text in texts)
    offending = [text for text in texts if STATE_AS_PARAMETER.search(text)]
    assert not offending, offending[0]
