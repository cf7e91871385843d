from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from cases.models import Case, CaseEvent
from grids.models import Community, CommunityGrid, Street
from stats import refresh
from stats.figures import Period, report, unit_from_key
from stats.models import CaseFact, DailyRollup, GridNow, Refresh, StreetDay
from tests.stats.seeding import a_case, at, backdate, walk

pytestmark = pytest.mark.django_db

DAY = 86400


def rows():
    """Every fact and rollup row, without what changes from run to run (ids, computation times)."""
    facts = sorted(tuple(v for k, v in row.items() if k != "computed_at") for row in CaseFact.objects.values())
    rollups = sorted(tuple(v for k, v in row.items() if k != "id") for row in DailyRollup.objects.values())
    return facts, rollups


@pytest.fixture
def walked(world):
    """A case through every level: the grid, the community police room (triaged there), the
    station and street (escalated), the district centre (raised), resolved there."""
    case = a_case(grid=world.grid1, actor=world.worker1)
    case = walk(case, ("triage", world.officer1, {"tier": "police_room"}), ("escalate", world.officer1),
                ("raise_to_district", world.streetlead), ("resolve", world.districtlead))
    day = date(2025, 3, 3)
    return backdate(case, at(day, 9), at(day, 11, 30), at(day + timedelta(days=1), 16),
                    at(day + timedelta(days=3), 10), at(day + timedelta(days=8), 17))


def test_time_at_each_level_is_the_time_between_the_status_changes(world, walked):
    refresh.refresh()
    fact = CaseFact.objects.get(case=walked)
    triage, escalate, raised, resolve = CaseEvent.objects.filter(case=walked, kind="transition").order_by("at")
    assert [e.data["level"] for e in (triage, escalate, raised, resolve)] == [
        "police_room", "street", "district", "district"]
    assert fact.level_grid_seconds == (triage.at - walked.reported_at).total_seconds()
    assert fact.level_police_room_seconds == (escalate.at - triage.at).total_seconds()
    assert fact.level_street_seconds == (raised.at - escalate.at).total_seconds()
    assert fact.level_district_seconds == (walked.resolved_at - raised.at).total_seconds()
    assert fact.level_joint_seconds == 0
    assert fact.resolve_seconds == (walked.resolved_at - walked.reported_at).total_seconds()
    assert fact.triage_seconds == (triage.at - walked.reported_at).total_seconds()
    assert (fact.settled, fact.resolved_on, fact.district_id) == (True, date(2025, 3, 11), world.qifeng.district_id)

    # The report's levels are the same spans, in days (one settled case).
    user = world.districtlead
    unit = unit_from_key(user, f"district:{world.qifeng.district_id}")
    levels = {bar.key: bar.value for bar in report(user, unit, Period.month(2025, 3)).levels}
    assert levels == pytest.approx({
        "grid": (triage.at - walked.reported_at).total_seconds() / DAY,
        "police_room": (escalate.at - triage.at).total_seconds() / DAY,
        "joint": 0.0,
        "street": (raised.at - escalate.at).total_seconds() / DAY,
        "district": (walked.resolved_at - raised.at).total_seconds() / DAY,
    })
    assert sum(levels.values()) == pytest.approx(fact.resolve_seconds / DAY)


def test_refresh_twice_gives_the_same_rows(world, walked):
    a_case(grid=world.grid2, actor=world.worker2)
    now = timezone.now()
    refresh.refresh(now=now)
    first = rows()
    assert first[0] and first[1]
    # The same clock: the same rows (an open case's time so far is counted up to `now`).
    refresh.refresh(now=now)
    assert rows() == first
    refresh.refresh(full=True, now=now)
    assert rows() == first
    # A later clock: the rollups (settled cases only) do not move.
    refresh.refresh(full=True, now=now + timedelta(hours=5))
    assert rows()[1] == first[1]
    assert Refresh.objects.filter(finished_at__isnull=False).count() == 4


def test_a_case_changed_after_a_refresh_is_counted_at_the_next(world, walked):
    case = a_case(grid=world.grid1, actor=world.worker1)
    case = walk(case, ("triage", world.officer1))
    backdate(case, at(date(2025, 3, 20)), at(date(2025, 3, 20), 12))
    refresh.refresh()
    rollup = DailyRollup.objects.get(day=date(2025, 3, 20))
    assert (rollup.reported, rollup.settled, rollup.resolved) == (1, 0, 0)

    # what happened before that refresh happened a while ago
    hour_ago = timezone.now() - timedelta(hours=1)
    Case.objects.update(updated_at=hour_ago)
    CaseEvent.objects.filter(at__gt=hour_ago).update(at=hour_ago)
    case = walk(case, ("settle_on_spot", world.officer1))
    result = refresh.refresh()
    assert (result["full"], result["cases"]) == (False, 1)  # only the case that changed
    rollup = DailyRollup.objects.get(day=date(2025, 3, 20))
    assert (rollup.reported, rollup.settled, rollup.settled_on_spot) == (1, 1, 1)
    today = DailyRollup.objects.get(day=timezone.localdate(case.resolved_at))
    assert (today.reported, today.resolved) == (0, 1)
    # the incremental result is what a full rebuild gives
    incremental = rows()
    refresh.refresh(full=True)
    assert rows() == incremental


def test_a_case_moved_to_another_day_leaves_its_old_day(world):
    case = a_case(grid=world.grid1, actor=world.worker1)
    backdate(case, at(date(2025, 3, 20)))
    refresh.refresh()
    assert DailyRollup.objects.filter(day=date(2025, 3, 20)).exists()
    Case.objects.filter(pk=case.pk).update(reported_at=at(date(2025, 3, 21)), updated_at=timezone.now())
    refresh.refresh()
    assert not DailyRollup.objects.filter(day=date(2025, 3, 20)).exists()
    assert DailyRollup.objects.get(day=date(2025, 3, 21)).reported == 1


def test_a_grid_moved_to_another_community_takes_its_figures_along(world):
    case = a_case(grid=world.grid1, actor=world.worker1)
    refresh.refresh()
    elsewhere = Community.objects.exclude(pk=world.grid1.community_id).filter(street=world.fenghuang).first()
    CommunityGrid.objects.filter(pk=world.grid1.pk).update(community=elsewhere)
    refresh.refresh()
    fact = CaseFact.objects.get(case=case)
    assert (fact.community_id, fact.street_id) == (elsewhere.pk, world.fenghuang.pk)
    assert set(DailyRollup.objects.filter(grid=world.grid1).values_list("street_id", flat=True)) == {
        world.fenghuang.pk}
    assert GridNow.objects.get(grid=world.grid1).street_id == world.fenghuang.pk


def test_a_grid_moved_to_another_street_takes_its_street_totals_along(world):
    """The province's and a district's rankings read the street totals: a grid that moves to a
    community of another street (with the district of that street) moves its days there; a
    street that leaves its district, its totals. (No case changes meanwhile: the map alone.)"""
    backdate(a_case(grid=world.grid1, actor=world.worker1), at(date(2025, 3, 20)))
    backdate(a_case(grid=world.grid_fh, actor=world.worker_fh), at(date(2025, 3, 20)))
    refresh.refresh()
    first = world.grid1.community.street
    assert dict(StreetDay.objects.filter(day=date(2025, 3, 20)).values_list("street_id", "reported")) == {
        first.pk: 1, world.fenghuang.pk: 1}

    def refresh_the_map_alone():
        Refresh.objects.update(started_at=timezone.now() + timedelta(hours=1))  # every case older
        assert refresh.refresh()["cases"] == 0

    elsewhere = Community.objects.filter(street=world.fenghuang).first()
    CommunityGrid.objects.filter(pk=world.grid1.pk).update(community=elsewhere)
    refresh_the_map_alone()
    moved = StreetDay.objects.get(day=date(2025, 3, 20))
    assert (moved.street_id, moved.district_id, moved.reported) == (
        world.fenghuang.pk, world.fenghuang.district_id, 2)
    assert not StreetDay.objects.filter(street=first).exists()
    Street.objects.filter(pk=world.fenghuang.pk).update(district=None)
    refresh_the_map_alone()
    assert StreetDay.objects.get(day=date(2025, 3, 20)).district_id is None


def test_open_and_overdue_cases_are_counted_per_grid(world):
    late = walk(a_case(grid=world.grid1, actor=world.worker1), ("triage", world.officer1))
    Case.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    walk(a_case(grid=world.grid1, actor=world.worker1), ("triage", world.officer1))
    refresh.refresh()
    now = GridNow.objects.get(grid=world.grid1)
    assert (now.open, now.overdue) == (Case.objects.filter(grid=world.grid1).open().count(),
                                       Case.objects.filter(grid=world.grid1).overdue().count())
    assert GridNow.objects.count() == CommunityGrid.objects.count()


def test_the_command_refreshes_and_says_so(world, capsys):
    a_case(grid=world.grid1, actor=world.worker1)
    call_command("refresh_statistics", "--full")
    assert CaseFact.objects.count() == Case.objects.count()
    assert Refresh.objects.get().full
