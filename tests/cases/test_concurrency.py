"""Real concurrency needs real row locks: these run on PostgreSQL (CI) and skip on SQLite."""

import pytest
from django.db import connection

from cases import workflow
from cases.models import Case, CaseEvent
from tests.factories import TRANSITION_CHANGES, make_case
from tests.helpers import run_in_parallel

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and parallel connections need PostgreSQL (SQLite serialises writers)")


def test_two_officers_acting_at_once_exactly_one_wins(transactional_world):
    w = transactional_world
    case = make_case(grid=w.grid1, actor=w.worker1)
    version = case.version

    def triage():
        return workflow.run_transition(
            case_id=case.pk, action="triage", actor=w.officer1, version=version,
            changes=TRANSITION_CHANGES["triage"](case, w.officer1))

    def withdraw():
        return workflow.run_transition(
            case_id=case.pk, action="withdraw", actor=w.stationlead, version=version,
            changes=TRANSITION_CHANGES["withdraw"](case, w.stationlead))

    results = run_in_parallel(triage, withdraw)
    winners = [r for r in results if isinstance(r, Case)]
    losers = [r for r in results if isinstance(r, workflow.StaleCase)]
    assert len(winners) == 1 and len(losers) == 1, results
    final = Case.objects.get(pk=case.pk)
    assert final.state == winners[0].state and final.version == version + 1
    assert CaseEvent.objects.filter(case=case, kind="transition").count() == 1
    assert losers[0].last_event.actor in (w.officer1, w.stationlead)


def test_case_numbers_stay_unique_under_parallel_intake(transactional_world):
    w = transactional_world
    per_thread, threads = 5, 6

    def intake():
        return [make_case(grid=w.grid1, actor=w.worker1).number for _ in range(per_thread)]

    results = run_in_parallel(*[intake] * threads)
    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = [n for batch in results for n in batch]
    assert len(set(numbers)) == per_thread * threads
    sequence = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert sequence == list(range(sequence[0], sequence[0] + per_thread * threads))
