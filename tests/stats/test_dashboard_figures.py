"""The dashboard's period figures (this year's cases, settled, settled on the spot; this month's
resolutions) come from the statistics rollups once they are made: the same numbers as counted
from the cases, as of the last refresh, which the page says."""

import pytest
from django.urls import reverse

from cases import selectors
from cases.models import Case
from stats import refresh
from tests.factories import act, case_in_state
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db
URL = reverse("cases:dashboard")
PERIOD = ("resolved_this_month", "success_rate", "settled_on_spot")


@pytest.fixture
def cases(world):
    for state in ("reported", "triaged", "mediating", "escalated", "resolved", "closed", "withdrawn"):
        case_in_state(state, grid=world.grid1, actor=world.stationlead)
    for grid, officer in ((world.grid1, world.officer1), (world.grid2, world.officer2),
                          (world.grid_fh, world.officer_fh)):  # the last one on the second street
        act(case_in_state("triaged", grid=grid, actor=officer), "settle_on_spot", officer)
    reopened = act(case_in_state("triaged", grid=world.grid1, actor=world.officer1), "settle_on_spot", world.officer1)
    act(reopened, "reopen", world.officer1)  # no longer settled on the spot


def period_of(client):
    d = client.get(URL).context["d"]
    return {name: getattr(d, name) for name in PERIOD}, d


@pytest.mark.parametrize("username", ["stationlead", "streetlead", "districtlead", "admin"])
def test_the_rollups_give_the_numbers_counted_from_the_cases(client, world, cases, username):
    client.force_login(getattr(world, username))
    live, d = period_of(client)
    assert d.as_of is None and "period-as-of" not in client.get(URL).content.decode()
    refresh.refresh()
    kept, d = period_of(client)
    assert kept == live and d.as_of is not None
    assert live["settled_on_spot"] == {"stationlead": 2, "streetlead": 2, "districtlead": 3, "admin": 3}[username]
    assert live["resolved_this_month"] >= 2 + live["settled_on_spot"]
    page = client.get(URL).content.decode()
    assert 'id="period-as-of"' in page and "统计刷新" in page


@pytest.mark.parametrize("username", ["streetlead", "admin"])  # the admin's from the daily totals
def test_a_change_shows_after_the_next_refresh_and_the_live_figures_at_once(client, world, cases, username):
    client.force_login(getattr(world, username))
    refresh.refresh()
    before, d = period_of(client)
    case = act(case_in_state("triaged", grid=world.grid1, actor=world.officer1), "settle_on_spot", world.officer1)
    after, d_after = period_of(client)
    assert after == before  # the period figures wait for the statistics
    assert d_after.open_total == d.open_total  # reported and settled: no open case more
    refresh.refresh()
    after, _d = period_of(client)
    assert after["settled_on_spot"] == before["settled_on_spot"] + 1
    assert after["resolved_this_month"] == before["resolved_this_month"] + 1
    assert Case.objects.get(pk=case.pk).state == "resolved"


def test_the_rollups_cost_one_query_fewer_than_counting_the_cases(client, world, cases):
    client.force_login(world.streetlead)
    live, _sql = count_queries(client, URL)
    refresh.refresh()
    kept, sql = count_queries(client, URL)
    assert kept == live - 1, "\n".join(sql)
    assert not any("cases_caseevent" in query for query in sql)


def test_without_the_statistics_the_dashboard_counts_the_cases(client, world, cases, monkeypatch):
    monkeypatch.setattr(selectors, "_kept_period_figures", None)
    refresh.refresh()
    client.force_login(world.streetlead)
    live, d = period_of(client)
    assert d.as_of is None and live["settled_on_spot"] == 2
