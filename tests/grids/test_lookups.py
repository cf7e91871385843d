"""`field__any=ids` (grids/lookups.py): the rows of `__in`, with the ids sent to PostgreSQL as
one array — a district's 300 grids are one parameter, not 300 (psycopg re-parses a statement
of more than 50 parameters on every request)."""

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from cases import permissions
from cases.models import Call, Case
from grids import access
from grids.models import CommunityGrid
from tests.factories import bulk_cases

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(world):
    return (bulk_cases(grid=world.grid1, creator=world.worker1, count=3)
            + bulk_cases(grid=world.grid2, creator=world.worker1, count=2, start=10)
            + bulk_cases(grid=world.grid_fh, creator=world.worker1, count=2, start=20))


def ids(queryset):
    return sorted(queryset.values_list("id", flat=True))


def test_it_finds_the_rows_in_finds(world, cases):
    for grids in ([world.grid1.pk], [world.grid1.pk, world.grid_fh.pk], {world.grid2.pk, 10**9},
                  frozenset({world.grid1.pk, world.grid2.pk, world.grid_fh.pk})):
        assert ids(Case.objects.filter(grid_id__any=grids)) == ids(Case.objects.filter(grid_id__in=grids))
        assert ids(Case.objects.filter(grid__any=grids)) == ids(Case.objects.filter(grid__in=grids))
        assert ids(Case.objects.exclude(grid_id__any=grids)) == ids(Case.objects.exclude(grid_id__in=grids))


def test_it_matches_nothing_for_no_ids_and_ignores_none(world, cases):
    assert not Case.objects.filter(grid_id__any=[]).exists()
    assert ids(Case.objects.filter(grid_id__any=[None, world.grid2.pk])) == sorted(c.pk for c in cases[3:5])
    # an empty list beside another condition: the other condition alone
    assert ids(Case.objects.filter(Q(grid_id__any=[]) | Q(id__any=[cases[0].pk]))) == [cases[0].pk]


def test_it_takes_a_subquery_as_in_does(world, cases):
    grids = CommunityGrid.objects.filter(pk=world.grid_fh.pk).values("id")
    assert ids(Case.objects.filter(grid_id__any=grids)) == sorted(c.pk for c in cases[5:])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the array parameter is PostgreSQL's")
def test_a_leaders_many_grids_are_one_parameter(world, cases):
    grids = list(CommunityGrid.objects.values_list("id", flat=True)) + list(range(10**6, 10**6 + 300))
    with CaptureQueriesContext(connection) as queries:
        found = ids(Case.objects.filter(grid_id__any=grids))
    assert found == ids(Case.objects.all())
    assert "ANY(" in queries[0]["sql"] and " IN (" not in queries[0]["sql"]


def test_a_scope_filter_sends_its_grids_as_one_array(world, cases):
    """What a leader's pages run: the cases and calls of the street's grids."""
    visible = permissions.visible_cases(world.streetlead)
    assert ids(visible) == ids(Case.objects.filter(grid__community__street=world.qifeng))
    assert set(ids(visible)) >= {c.pk for c in cases[:5]} and cases[5].pk not in ids(visible)
    assert ids(permissions.visible_calls(world.streetlead)) == ids(
        Call.objects.filter(grid__community__street=world.qifeng))
    if connection.vendor == "postgresql":
        sql, params = visible.query.sql_with_params()
        (grids,) = [p for p in params if isinstance(p, str) and p.startswith("{")]  # the array's text: one parameter
        assert "ANY(%s::bigint[])" in sql
        assert {int(g) for g in grids[1:-1].split(",")} == set(access.scope_of(world.streetlead).community_grid_ids)
