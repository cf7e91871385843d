from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case, CaseEvent, Referral, WarningSettings
from mediators.models import MediatorChoice
from stats import refresh
from stats.figures import (
    FIGURE_KEYS,
    Period,
    default_unit,
    figure_cases,
    report,
    unit_from_key,
    units_for,
)
from tests.factories import bulk_cases
from tests.stats.seeding import LOCAL, a_case, at, backdate, referral_answered, walk

pytestmark = pytest.mark.django_db

MARCH = Period.month(2025, 3)
DAY = 86400


@pytest.fixture
def seeded(world):
    """Cases of March 2025 (and March 2024, and one reported in February 2025 and resolved in
    March) on the demo street's two grids and the second street's grid."""
    w = world
    d = date(2025, 3, 1)

    def on(n, hour=10):
        return at(d + timedelta(days=n - 1), hour)

    # to the district and resolved there
    walk_case = walk(a_case(grid=w.grid1, actor=w.worker1), ("triage", w.officer1, {"tier": "police_room"}),
                     ("escalate", w.officer1), ("raise_to_district", w.streetlead), ("resolve", w.districtlead))
    backdate(walk_case, on(3, 9), on(3, 11), on(4, 16), on(6), on(11, 17))
    # settled on the spot the same day, before its deadline
    spot = walk(a_case(grid=w.grid1, actor=w.worker1), ("triage", w.officer1), ("settle_on_spot", w.officer1))
    backdate(spot, on(5), on(5, 11), on(5, 15), due=on(8))
    # mediated, resolved in April after its deadline
    mediated = walk(a_case(grid=w.grid1, actor=w.worker1, address="栖凤社区88幢2单元301室"),
                    ("triage", w.officer1), ("start_mediation", w.officer1), ("resolve", w.officer1))
    backdate(mediated, on(10), on(10, 14), on(11), at(date(2025, 4, 2)), due=on(20))
    # withdrawn
    withdrawn = walk(a_case(grid=w.grid1, actor=w.worker1), ("withdraw", w.worker1))
    backdate(withdrawn, on(12), on(12, 15))
    # referred, the department answered; open
    referred = walk(a_case(grid=w.grid1, actor=w.worker1), ("triage", w.officer1), ("escalate", w.officer1),
                    ("refer", w.streetlead))
    referral_answered(referred)
    backdate(referred, on(15), on(15, 12), on(16), on(17))
    # a repeat at the mediated case's building and unit; open
    repeat = a_case(grid=w.grid1, actor=w.worker1, address="栖凤社区88幢2单元502室")
    backdate(repeat, on(20))
    # worker2's grid: triaged, overdue now
    overdue = walk(a_case(grid=w.grid2, actor=w.worker2), ("triage", w.officer2))
    backdate(overdue, on(8), on(9), due=timezone.now() - timedelta(days=1))
    # the second street, same district: settled on the spot
    fh = walk(a_case(grid=w.grid_fh, actor=w.worker_fh), ("triage", w.officer_fh), ("settle_on_spot", w.officer_fh))
    backdate(fh, on(9), on(9, 11), on(9, 12))
    # reported in February, resolved in March
    feb = walk(a_case(grid=w.grid1, actor=w.worker1), ("triage", w.officer1), ("settle_on_spot", w.officer1))
    backdate(feb, at(date(2025, 2, 20)), at(date(2025, 2, 20), 12), on(2))
    # the year before
    old = walk(a_case(grid=w.grid1, actor=w.worker1), ("triage", w.officer1), ("settle_on_spot", w.officer1))
    backdate(old, at(date(2024, 3, 4)), at(date(2024, 3, 4), 11), at(date(2024, 3, 5)))
    backdate(a_case(grid=w.grid1, actor=w.worker1), at(date(2024, 3, 20)))
    refresh.refresh()


# --- the same figures, straight from the cases --------------------------------------------------

def local_range(period):
    return (datetime.combine(period.start, time.min, tzinfo=LOCAL),
            datetime.combine(period.end, time.max, tzinfo=LOCAL))


def expected(cases, period):
    """Every figure computed from the cases themselves, for the cases in `cases` (a queryset)."""
    cohort = cases.filter(reported_at__range=local_range(period))
    ids = set(cohort.values_list("id", flat=True))
    settled = cohort.filter(state__in=["resolved", "closed"])
    accepted = cohort.exclude(state="withdrawn")
    mediated = cohort.filter(Q(id__in=MediatorChoice.objects.values("case_id")))
    with_due = settled.filter(due_at__isnull=False)
    triage_at = {e.case_id: e.at for e in CaseEvent.objects.filter(case_id__in=ids, action="triage").order_by("-at")}
    triaged = [(triage_at[c.id] - c.reported_at).total_seconds() for c in cohort if c.id in triage_at]
    resolving = [(c.resolved_at - c.reported_at).total_seconds() for c in settled]
    window = timedelta(days=WarningSettings.current().radar_days)
    repeats = [c for c in cohort if c.address_key and Case.objects.filter(
        address_key=c.address_key, reported_at__lt=c.reported_at, reported_at__gte=c.reported_at - window).exists()]
    referrals = Referral.objects.filter(case_id__in=ids).exclude(status__in=["awaiting", "declined"])
    on_spot = [c for c in settled if c.events.filter(to_state="resolved").order_by("-at").first().action
               == "settle_on_spot"]

    def rate(part, whole):
        return part / whole if whole else None

    return {
        "reported": len(ids),
        "resolved": cases.filter(state__in=["resolved", "closed"], resolved_at__range=local_range(period)).count(),
        "accepted": accepted.count(),
        "settled": settled.count(),
        "success_rate": rate(settled.count(), accepted.count()),
        "mediated": mediated.count(),
        "mediation_success_rate": rate(mediated.filter(state__in=["resolved", "closed"]).count(), mediated.count()),
        "on_time_rate": rate(with_due.filter(resolved_at__lte=models_f("due_at")).count(), with_due.count()),
        "open_now": cases.open().count(),
        "overdue_now": cases.overdue().count(),
        "days_to_triage": rate(sum(triaged), len(triaged) * DAY),
        "days_to_resolve": rate(sum(resolving), len(resolving) * DAY),
        "repeat": len(repeats),
        "referrals": referrals.count(),
        "referral_feedback_rate": rate(referrals.filter(status__in=["handled", "returned"]).count(),
                                       referrals.count()),
        "settled_on_spot": len(on_spot),
    }


def models_f(name):
    from django.db.models import F

    return F(name)


def approx(values: dict) -> dict:
    return {k: (pytest.approx(v) if isinstance(v, float) else v) for k, v in values.items()}


# --- tests --------------------------------------------------------------------------------------

def test_every_figure_of_a_street_is_what_its_cases_say(world, seeded):
    unit = unit_from_key(world.streetlead, f"street:{world.qifeng.pk}")
    result = report(world.streetlead, unit, MARCH)
    street_cases = Case.objects.filter(grid__community__street=world.qifeng)
    want = expected(street_cases, MARCH)
    assert {k: f.value for k, f in result.figures.items()} == approx(want)
    assert want["reported"] == 7 and want["settled"] == 3 and want["repeat"] == 1  # the seed is what we think
    before = expected(street_cases, MARCH.year_before())
    previous = {k: f.previous for k, f in result.figures.items() if k not in ("open_now", "overdue_now")}
    assert previous == approx({k: v for k, v in before.items() if k not in ("open_now", "overdue_now")})
    assert before["reported"] == 2 and result.previous == Period.month(2024, 3)
    assert result.refreshed_at is not None


def test_every_figure_of_the_province_is_what_its_cases_say(world, seeded):
    """The province's figures come from its daily breakdowns and totals, not from every grid's
    rollups: the same numbers, bar by bar."""
    unit = default_unit(world.admin)
    result = report(world.admin, unit, MARCH)
    want = expected(Case.objects.all(), MARCH)
    assert {k: f.value for k, f in result.figures.items()} == approx(want)
    assert want["reported"] > 7  # more than the street's
    before = expected(Case.objects.all(), MARCH.year_before())
    assert {k: f.previous for k, f in result.figures.items() if k not in ("open_now", "overdue_now")} == approx(
        {k: v for k, v in before.items() if k not in ("open_now", "overdue_now")})
    for bar in result.breakdowns["category"]:
        assert figure_cases(world.admin, unit, MARCH, "reported", category=bar.key).count() == bar.value
    # its rankings (from the street totals): each district's cases, as many as the district's own page
    assert {row.unit.kind for row in result.rankings} == {"district"}
    for row in result.rankings:
        cases = Case.objects.filter(grid__community__street__district_id=row.unit.pk,
                                    reported_at__range=local_range(MARCH))
        assert (row.reported, row.settled) == (cases.count(), cases.filter(state__in=["resolved", "closed"]).count())
    assert sum(row.reported for row in result.rankings) == want["reported"]


def test_the_cases_behind_each_figure_are_the_ones_counted(world, seeded):
    user = world.streetlead
    unit = unit_from_key(user, f"street:{world.qifeng.pk}")
    result = report(user, unit, MARCH)
    for key in FIGURE_KEYS:
        cases = figure_cases(user, unit, MARCH, key)
        if result.figures[key].kind == "count":
            assert cases.count() == result.figures[key].value, key
    for bar in result.breakdowns["category"]:
        assert figure_cases(user, unit, MARCH, "reported", category=bar.key).count() == bar.value
    for row in result.months:
        assert figure_cases(user, unit, MARCH, "reported", month=f"{row.month:%Y-%m}").count() == row.reported
        assert figure_cases(user, unit, MARCH, "resolved", month=f"{row.month:%Y-%m}").count() == row.resolved


def test_breakdowns_keep_every_choice_and_add_up(world, seeded):
    unit = unit_from_key(world.streetlead, f"street:{world.qifeng.pk}")
    result = report(world.streetlead, unit, MARCH)
    for dim, bars in result.breakdowns.items():
        assert sum(bar.value for bar in bars) == result.figures["reported"].value, dim
    assert len(result.breakdowns["risk"]) == 3 and len(result.breakdowns["category"]) == 12


def test_the_months_of_a_month_are_the_twelve_up_to_it_beside_the_year_before(world, seeded):
    unit = unit_from_key(world.streetlead, f"street:{world.qifeng.pk}")
    months = report(world.streetlead, unit, MARCH).months
    assert [m.month for m in months][0] == date(2024, 4, 1) and months[-1].month == date(2025, 3, 1)
    street = Case.objects.filter(grid__community__street=world.qifeng)
    march, february = months[-1], months[-2]
    assert march.reported == street.filter(reported_at__range=local_range(MARCH)).count()
    assert february.resolved == street.filter(resolved_at__range=local_range(Period.month(2025, 2))).count()
    assert march.prev_reported == street.filter(reported_at__range=local_range(Period.month(2024, 3))).count()


def test_a_district_ranks_its_streets_and_a_mediator_is_counted(world, seeded):
    user = world.districtlead
    unit = default_unit(user)
    assert unit.kind == "district"
    result = report(user, unit, MARCH)
    ranks = {row.unit.key: row for row in result.rankings}
    assert set(ranks) == {f"street:{world.qifeng.pk}", f"street:{world.fenghuang.pk}"}
    for street in (world.qifeng, world.fenghuang):
        cases = Case.objects.filter(grid__community__street=street, reported_at__range=local_range(MARCH))
        assert ranks[f"street:{street.pk}"].reported == cases.count()
        assert ranks[f"street:{street.pk}"].settled == cases.filter(state__in=["resolved", "closed"]).count()
    assert result.figures["reported"].value == sum(r.reported for r in result.rankings)
    for row in result.months:  # from the street totals, like the rankings
        assert figure_cases(user, unit, MARCH, "reported", month=f"{row.month:%Y-%m}").count() == row.reported
        assert figure_cases(user, unit, MARCH, "resolved", month=f"{row.month:%Y-%m}").count() == row.resolved
    assert sum(row.reported for row in result.months) > 0
    [mediator] = result.mediators
    assert (mediator.cases, mediator.settled) == (1, 1)


def test_a_workers_own_grids_are_only_theirs(world, seeded):
    unit = default_unit(world.worker2)
    assert unit.kind == "mine"
    result = report(world.worker2, unit, MARCH)
    want = expected(Case.objects.filter(grid=world.grid2), MARCH)
    assert (result.figures["reported"].value, result.figures["overdue_now"].value) == (
        want["reported"], want["overdue_now"]) == (1, 1)
    assert [row.unit.key for row in result.rankings] == [f"grid:{world.grid2.pk}"]
    assert set(figure_cases(world.worker2, unit, MARCH, "reported")) == set(
        Case.objects.filter(grid=world.grid2, reported_at__range=local_range(MARCH)))


def test_units_stay_inside_what_one_leads(world):
    lead = world.streetlead
    assert unit_from_key(lead, f"district:{world.qifeng.district_id}") is None
    assert unit_from_key(lead, f"street:{world.fenghuang.pk}") is None
    assert unit_from_key(lead, "province") is None
    assert unit_from_key(lead, "mine") is None
    assert unit_from_key(lead, "street:x") is None and unit_from_key(lead, "nonsense:1") is None
    assert unit_from_key(lead, f"grid:{world.grid_fh.pk}") is None
    assert unit_from_key(lead, f"street:{world.qifeng.pk}").name == world.qifeng.name
    keys = [u.key for u in units_for(lead)]
    assert keys[0] == f"street:{world.qifeng.pk}" and all(k.split(":")[0] in ("street", "community") for k in keys)
    district = world.districtlead
    assert unit_from_key(district, f"street:{world.fenghuang.pk}") is not None
    assert unit_from_key(district, f"district:{world.qifeng.district_id}") is not None
    assert default_unit(world.bureaulead).kind == "bureau"
    assert default_unit(world.admin).kind == "province"
    assert unit_from_key(world.worker1, f"grid:{world.grid2.pk}") is None
    assert unit_from_key(world.worker1, f"grid:{world.grid1.pk}") is not None
    assert default_unit(world.mediator1) is None


def test_periods_read_from_the_query_and_give_it_back():
    today = date(2026, 11, 15)
    for data, label in [({}, "2026-11"), ({"period": "quarter", "quarter": "2026-4"}, "2026-10-01"),
                        ({"period": "year", "year": "2025"}, "2025-01-01"),
                        ({"period": "custom", "start": "2026-01-05", "end": "2026-02-04"}, "2026-01-05")]:
        period, errors = Period.from_query(data, today=today)
        assert errors == {}
        assert Period.from_query(period.query(), today=today)[0] == period
    assert Period.from_query({"period": "quarter", "quarter": "2026-4"}, today=today)[0].end == date(2026, 12, 31)
    for bad in [{"period": "month", "month": "2026-13"}, {"period": "week"}, {"period": "year", "year": "abc"},
                {"period": "custom", "start": "2026-02-01", "end": "2026-01-01"},
                {"period": "custom", "start": "2024-01-01", "end": "2026-01-01"},
                {"period": "custom", "start": "", "end": "2026-01-01"}]:
        period, errors = Period.from_query(bad, today=today)
        assert period == Period.month(2026, 11) and errors, bad
    assert Period.month(2024, 2).year_before() == Period.month(2023, 2)
    assert Period.from_query({"period": "custom", "start": "2024-02-29", "end": "2024-03-10"},
                             today=today)[0].year_before().start == date(2023, 2, 28)


def _queries(user, unit, period):
    with CaptureQueriesContext(connection) as ctx:
        report(user, unit, period)
    return len(ctx.captured_queries), "\n".join(q["sql"] for q in ctx.captured_queries)


# The province's totals are one query of their own, beside its thousand groups (stats/figures.py).
@pytest.mark.parametrize("who, key, queries", [
    ("streetlead", "street", 6), ("stationlead", "station", 7), ("worker1", "mine", 6),
    ("admin", "province", 8), ("districtlead", "district", 6), ("bureaulead", "bureau", 7),
])
def test_a_report_costs_the_same_queries_for_a_month_a_year_and_many_cases(world, who, key, queries):
    user = getattr(world, who)
    unit = default_unit(user)
    assert unit.kind == key
    bulk_cases(grid=world.grid1, creator=world.worker1, count=2)
    refresh.refresh()
    small_month = _queries(user, unit, MARCH)
    small_year = _queries(user, unit, Period.year(2025))
    bulk_cases(grid=world.grid1, creator=world.worker1, count=40, start=2)
    refresh.refresh()
    large_year = _queries(user, unit, Period.year(timezone.localdate().year))
    assert small_month[0] == small_year[0] == large_year[0] == queries, small_month[1]


def test_the_provinces_months_from_its_daily_totals_are_what_its_cases_say(world, seeded):
    unit = default_unit(world.admin)
    months = report(world.admin, unit, MARCH).months
    every = Case.objects.all()
    march, february = months[-1], months[-2]
    assert march.reported == every.filter(reported_at__range=local_range(MARCH)).count() > 0
    assert february.resolved == every.filter(resolved_at__range=local_range(Period.month(2025, 2))).count()
    assert march.prev_reported == every.filter(reported_at__range=local_range(Period.month(2024, 3))).count()
