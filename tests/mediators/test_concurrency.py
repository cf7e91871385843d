import pytest
from django.db import connection

from mediators import services
from mediators.models import MediatorChoice
from tests.factories import a_mediator, case_in_state
from tests.helpers import run_in_parallel

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_cases_cannot_both_take_a_mediators_last_place(transactional_world):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and parallel connections need PostgreSQL (SQLite serialises writers)")
    w = transactional_world
    mediator = a_mediator(name="最后一个空位", capacity=1)
    cases = [case_in_state("triaged", grid=w.grid1, actor=w.officer1) for _ in range(2)]

    def chooser(case):
        return lambda: services.choose_mediator(case=case, mediator=mediator, actor=w.officer1,
                                                method="parties")

    results = run_in_parallel(*(chooser(c) for c in cases))
    assert sum(isinstance(r, MediatorChoice) for r in results) == 1, results
    assert sum(isinstance(r, services.MediatorRefused) for r in results) == 1, results
    assert MediatorChoice.objects.filter(mediator=mediator, active=True).count() == 1
