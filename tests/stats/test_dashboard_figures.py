"""The dashboard's period figures (this year's cases, settled, settled on the spot; this month's
resolutions) come from the statistics rollups once they are made: the same numbers as counted
from the cases, as of the last refresh, which the page says."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

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


# (a leader's rollups are read by district, street or grid ids: one role of each kind)
@pytest.mark.parametrize("username", ["stationlead", "streetlead", "districtlead", "bureaulead", "admin"])
def test_the_rollups_give_the_numbers_counted_from_the_cases(client, world, cases, username):
    client.force_login(getattr(world, username))
    live, d = period_of(client)
    assert d.as_of is None and "period-as-of" not in client.get(URL).content.decode()
    refresh.refresh()
    kept, d = period_of(client)
    assert kept == live and d.as_of is not None
    assert live["settled_on_spot"] == {"stationlead": 2, "streetlead": 2, "districtlead": 3, "bureaulead": 3,
                                      "admin": 3}[username]
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
    monkeypatch.setitem(selectors._kept, "figures", None)
    refresh.refresh()
    client.force_login(world.streetlead)
    live, d = period_of(client)
    assert d.as_of is None and live["settled_on_spot"] == 2


OPEN = ("open_total", "overdue", "escalated_waiting", "by_state", "by_warning", "by_grid", "by_grid_more")


def open_of(client):
    d = client.get(URL).context["d"]
    return {name: getattr(d, name) for name in OPEN}, d


def test_the_provinces_open_cases_from_the_statistics_match_the_cases(client, world, cases, monkeypatch):
    """The administrator's open cases (by state, colour, overdue, the grids with the most) are
    added up from the statistics' open cases per grid: the same as counted from the cases."""
    major = case_in_state("mediating", grid=world.grid_fh, actor=world.streetlead_fh)
    late = case_in_state("triaged", grid=world.grid2, actor=world.stationlead)
    Case.objects.filter(pk=major.pk).update(risk="major")  # red, and
    Case.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))  # overdue
    client.force_login(world.admin)
    live, d = open_of(client)
    assert d.open_as_of is None and live["open_total"] == 7 and live["overdue"] == 1
    assert dict((c, n) for c, _label, n in live["by_warning"])["red"] == 2
    refresh.refresh()
    kept, d = open_of(client)
    assert kept == live and d.open_as_of is not None
    page = client.get(URL).content.decode()
    assert "全省数据截至" in page
    queries, sql = count_queries(client, URL)
    assert not any('FROM "cases_case"' in query for query in sql), "\n".join(sql)


def test_a_new_case_reaches_the_provinces_figures_at_the_next_refresh(client, world, cases):
    refresh.refresh()
    client.force_login(world.admin)
    before, _d = open_of(client)
    client.force_login(world.districtlead)
    district_before, _d = open_of(client)
    case_in_state("reported", grid=world.grid_fh, actor=world.streetlead_fh)
    assert open_of(client)[0]["open_total"] == district_before["open_total"] + 1  # a leader's: live
    client.force_login(world.admin)
    assert open_of(client)[0] == before  # the province's: as of the last refresh
    refresh.refresh()
    assert open_of(client)[0]["open_total"] == before["open_total"] + 1
