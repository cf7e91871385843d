from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import loop as closing
from cases.models import Call, Case
from tests.factories import bulk_cases, case_in_state, make_case
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db
URL = reverse("cases:dashboard")


@pytest.fixture
def data(world):
    for state in ("reported", "triaged", "mediating", "escalated", "referred", "resolved", "closed", "withdrawn"):
        case_in_state(state, grid=world.grid1, actor=world.stationlead)
    case_in_state("escalated", grid=world.grid2, actor=world.stationlead)
    late = make_case(grid=world.grid2, actor=world.officer2)
    Case.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    case_in_state("escalated", grid=world.grid_fh, actor=world.admin)  # another street: never counted
    call = closing.place_call(actor=world.worker1, grid=world.grid1, message="求助")
    Call.objects.filter(pk=call.pk).update(respond_by=timezone.now() - timedelta(minutes=1))


def test_every_number_equals_an_independent_count(client, world, data):
    client.force_login(world.streetlead)
    d = client.get(URL).context["d"]
    mine = Case.objects.filter(grid__community__street=world.qifeng)
    open_states = ["reported", "triaged", "mediating", "escalated", "referred", "district"]
    assert d.open_total == mine.filter(state__in=open_states).count() == 7
    assert dict((s, n) for s, _label, n in d.by_state) == {
        s: mine.filter(state=s).count() for s in open_states}
    assert d.escalated_waiting == mine.filter(state="escalated").count() == 2
    assert d.overdue == sum(1 for c in mine if c.is_overdue) == 1
    month_start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    assert d.resolved_this_month == mine.filter(state__in=["resolved", "closed"], resolved_at__gte=month_start).count() == 2
    accepted = mine.exclude(state="withdrawn").filter(reported_at__gte=month_start.replace(month=1))
    assert d.success_rate == pytest.approx(accepted.filter(state__in=["resolved", "closed"]).count() / accepted.count())
    assert d.late_calls == 1
    assert {g.pk: n for g, n in d.by_grid} == {world.grid1.pk: 5, world.grid2.pk: 2}


def test_each_number_links_to_the_list_behind_it(client, world, data):
    client.force_login(world.streetlead)
    html = client.get(URL).content.decode()
    d = client.get(URL).context["d"]
    for link, expected in [("?overdue=on", d.overdue), ("?state=escalated", d.escalated_waiting),
                           ("?open=on", d.open_total)]:
        assert f'href="/cases/{link}"' in html
        assert client.get(f"/cases/{link}").context["page"].paginator.count == expected
    resolved_link = f"/cases/?resolved_from={d.month_start:%Y-%m-%d}"
    assert client.get(resolved_link).context["page"].paginator.count == d.resolved_this_month


def test_the_leader_of_another_street_sees_only_theirs(client, world, data):
    client.force_login(world.streetlead_fh)
    d = client.get(URL).context["d"]
    assert (d.open_total, d.escalated_waiting, d.late_calls) == (1, 1, 0)


@pytest.mark.parametrize("username", ["worker1", "officer1", "mediator1"])
def test_only_leaders_see_the_dashboard(client, world, username):
    client.force_login(getattr(world, username))
    assert client.get(URL).status_code == 403


def test_query_count_is_constant(client, world):
    client.force_login(world.streetlead)
    bulk_cases(grid=world.grid1, creator=world.officer1, count=3)
    few, _ = count_queries(client, URL)
    bulk_cases(grid=world.grid2, creator=world.officer1, count=200, start=100)
    many, sql = count_queries(client, URL)
    assert few == many, "\n".join(sql)
