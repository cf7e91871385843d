"""paging.first_ids: the first rows of an ordered list cut to many grids (and to cases granted
one by one) are the rows the plain filter gives, in the same order, whichever way the database
finds them (on PostgreSQL: each grid asked for its own first rows, then merged)."""

import random
from datetime import timedelta

import pytest
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from cases import paging
from cases.models import Case, FollowUp
from tests.factories import bulk_cases

pytestmark = pytest.mark.django_db


@pytest.fixture
def spread(world):
    """Cases in three grids of two streets; shuffled last changes, due dates (some none, some
    equal), states."""
    rng = random.Random(14)
    now = timezone.now()
    cases = []
    for number, grid in enumerate((world.grid1, world.grid2, world.grid_fh)):
        cases += bulk_cases(grid=grid, creator=world.worker1, count=40, start=number * 100)
    for case in cases:
        case.updated_at = now - timedelta(minutes=rng.randrange(300))  # ties too
        case.due_at = rng.choice([None, now - timedelta(hours=rng.randrange(1, 50)),
                                  now + timedelta(hours=rng.randrange(1, 50))])
    Case.objects.bulk_update(cases, ["updated_at", "due_at"])
    return cases


def ids_of(sql_params):
    with connection.cursor() as cursor:
        cursor.execute(*sql_params)
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.parametrize("order", [("due_at", "id"), ("-updated_at", "-id"), ("-reported_at", "-id")])
@pytest.mark.parametrize("overdue", [False, True])
@pytest.mark.parametrize("limit", [1, 7, 200])
def test_the_first_rows_are_those_of_the_plain_filter(world, spread, order, overdue, limit):
    base = (Case.objects.overdue() if overdue else Case.objects.all()).order_by(*order)
    granted = [case.pk for case in spread if case.grid_id == world.grid_fh.pk][::7]
    for grids, extra in (([world.grid1.pk], []), ([world.grid1.pk, world.grid2.pk], granted),
                         ([world.grid2.pk], granted), ([], granted)):
        expected = list(base.filter(Q(grid_id__in=grids) | Q(id__in=extra)).values_list("id", flat=True)[:limit])
        got = ids_of(paging.first_ids(base, limit, grid_field="grid_id", grid_ids=grids, extra_ids=extra))
        assert got == expected and (expected or overdue)


def test_through_a_relation_and_nothing_to_match(world, spread):
    now = timezone.now().date()
    FollowUp.objects.bulk_create([FollowUp(case=case, due_on=now + timedelta(days=i % 9))
                                  for i, case in enumerate(spread)])
    follow_ups = FollowUp.objects.filter(done_at__isnull=True).order_by("due_on", "id")
    grids = [world.grid2.pk, world.grid_fh.pk]
    expected = list(follow_ups.filter(case__grid_id__in=grids).values_list("id", flat=True)[:10])
    assert ids_of(paging.first_ids(follow_ups, 10, grid_field="case__grid_id", grid_ids=grids)) == expected
    assert len(expected) == 10
    with pytest.raises(EmptyResultSet):
        paging.first_ids(follow_ups, 10, grid_field="case__grid_id", grid_ids=[])
