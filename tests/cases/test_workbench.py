from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from tests.factories import act, make_case

pytestmark = pytest.mark.django_db


def sections(client):
    response = client.get(reverse("cases:workbench"))
    return {s.key: {c.pk for c in s.cases} for s in response.context["sections"]}


def test_each_role_sees_what_awaits_them(client, world):
    new = make_case(grid=world.grid1, actor=world.worker1, title="新登记")
    triaged = make_case(grid=world.grid1, actor=world.worker1, title="已研判")
    act(triaged, "triage", world.officer1)  # lead handler: officer1
    late = make_case(grid=world.grid1, actor=world.officer1, title="超期")
    Case.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=2))
    elsewhere = make_case(grid=world.grid2, actor=world.worker2, title="别的网格")

    client.force_login(world.officer1)
    seen = sections(client)
    assert {new.pk, late.pk} <= seen["awaiting_triage"] and triaged.pk not in seen["awaiting_triage"]
    assert triaged.pk in seen["mine"]
    assert seen["overdue"] == {late.pk}
    assert elsewhere.pk not in set().union(*seen.values())

    client.force_login(world.worker1)
    seen = sections(client)
    assert "awaiting_triage" not in seen  # workers do not triage
    assert {new.pk, triaged.pk} <= seen["reported_by_me"]
    assert late.pk in seen["overdue"]

    client.force_login(world.streetlead)
    seen = sections(client)
    assert {new.pk, late.pk, elsewhere.pk} <= seen["awaiting_triage"]


def test_overdue_cases_are_marked(client, world):
    late = make_case(grid=world.grid1, actor=world.officer1, title="超期未处理")
    Case.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=2))
    client.force_login(world.officer1)
    html = client.get(reverse("cases:workbench")).content.decode()
    assert "超期未处理" in html and "超期" in html
    detail = client.get(late.get_absolute_url()).content.decode()
    assert "text-danger fw-semibold" in detail


def test_each_work_bench_is_its_own_users_whoever_opened_one_before(client, world, time_machine):
    """The work bench's queries are compiled once per process and run with each user's ids and
    the request's time (grids/compiled.py): one street's leader never sees the other street's
    cases, whichever opened a work bench first, and "overdue" follows the clock."""
    time_machine.move_to("2026-12-04 09:00:00+08:00", tick=False)
    here = make_case(grid=world.grid1, actor=world.worker1, title="栖凤的")
    there = make_case(grid=world.grid_fh, actor=world.worker_fh, title="凤凰的")
    Case.objects.filter(pk__in=[here.pk, there.pk]).update(due_at=timezone.now() + timedelta(hours=2))
    for first, second in ((world.streetlead, world.streetlead_fh), (world.streetlead_fh, world.streetlead)):
        for user in (first, second):
            client.force_login(user)
            seen = set().union(*sections(client).values())
            mine, theirs = (here, there) if user == world.streetlead else (there, here)
            assert mine.pk in seen and theirs.pk not in seen, user.username
    client.force_login(world.streetlead)
    assert here.pk not in sections(client)["overdue"]
    time_machine.move_to("2026-12-04 12:00:00+08:00", tick=False)  # three hours on: past due
    assert here.pk in sections(client)["overdue"]
