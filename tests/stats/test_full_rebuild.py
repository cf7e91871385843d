"""A full rebuild of the statistics (`refresh(full=True)`: on PostgreSQL the facts are computed by
the database, stats.facts.write, and the rollups summed a month at a time) gives exactly the rows
the incremental path gives (the facts computed in Python, stats.facts.compute), for cases in every
state, at every level, whatever the batch sizes."""

from collections import defaultdict
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from cases import links
from cases.models import Case, CaseEvent, Referral
from grids.models import Street
from mediators import services as mediation
from mediators.models import MediatorChoice
from stats import refresh
from stats.models import CaseFact, DailyRollup, DayBreakdown, DayTotal, GridNow, Refresh, StreetDay
from tests.factories import a_mediator, choose
from tests.stats.seeding import a_case, at, backdate, referral_answered, walk

pytestmark = pytest.mark.django_db

D = date(2025, 3, 3)


def day(n, hour=10, minute=0, second=0, microsecond=0):
    return at(D + timedelta(days=n), hour, minute).replace(second=second, microsecond=microsecond)


@pytest.fixture
def province(world):
    """Cases in every state, at every level and tier, on two streets (one then left without a
    district), with mediators, sessions, referrals, repeats and a merged duplicate; most moved
    back in time (to half seconds, to the early morning), some left open now."""
    w = world
    on = {"grid": w.grid1, "actor": w.worker1}

    # Through every level: triaged to the police room, escalated, raised to the district and sent
    # back three times, resolved there. Its three stays at the street add up to 139 223.5 seconds,
    # which only the timeline's order of adding (as Python adds floats) rounds to 139 224.
    bounced = walk(a_case(**on), ("triage", w.officer1, {"tier": "police_room"}), ("escalate", w.officer1),
                   ("raise_to_district", w.streetlead), ("send_back", w.districtlead),
                   ("raise_to_district", w.streetlead), ("send_back", w.districtlead),
                   ("raise_to_district", w.streetlead), ("resolve", w.districtlead))
    escalated = day(1, 16)
    raised = escalated + timedelta(microseconds=2_095_328_387)
    back = raised + timedelta(days=1, seconds=3, microseconds=100_000)
    raised_again = back + timedelta(microseconds=57_508_790_926)
    back_again = raised_again + timedelta(hours=20, microseconds=700_000)
    raised_last = back_again + timedelta(microseconds=79_619_380_687)
    backdate(bounced, day(0, 9), day(0, 11, 30, 1, 250_000), escalated, raised, back, raised_again, back_again,
             raised_last, raised_last + timedelta(days=2, microseconds=400_000), due=day(20))
    # Half seconds: Python rounds half to even (10.5 -> 10, 11.5 -> 12), and so must the database.
    half = walk(a_case(**on), ("triage", w.officer1), ("settle_on_spot", w.officer1))
    backdate(half, day(1), day(1, 10, 0, 10, 500_000), day(1, 10, 0, 21, 0), due=day(2))
    half2 = walk(a_case(**on), ("triage", w.officer1), ("settle_on_spot", w.officer1))
    # ... and settled at its deadline to the microsecond (on time).
    backdate(half2, day(1), day(1, 10, 0, 11, 500_000), day(1, 10, 0, 22, 500_000), due=day(1, 10, 0, 22, 500_000))
    # Reported and resolved in the early morning (the day before in UTC); mediated with a session,
    # closed late.
    mediated = walk(a_case(**on, address="梧桐社区88幢2单元301室"), ("triage", w.officer1, {"tier": "joint"}),
                    ("start_mediation", w.officer1))
    mediation.record_session(case=mediated, actor=w.officer1, mediators=[a_mediator()], held_at=timezone.now(),
                             place="社区调解室", attendees="双方当事人", format="joint", record="第一次调解",
                             outcome="continue")
    mediated = walk(mediated, ("resolve", w.officer1), ("close", w.officer1))
    backdate(mediated, day(3, 7, 30), day(3, 9), day(3, 10), day(10, 0, 15), day(14), due=day(8))
    # A mediator replaced by another (the active choice counts); and a case whose only choice ended.
    replaced = walk(a_case(**on), ("triage", w.officer1), ("start_mediation", w.officer1))
    mediation.replace_mediator(choice=replaced.mediator_choices.get(), actor=w.officer1, reason="回避")
    choose(replaced, w.officer1, mediator=a_mediator(name="第二调解员"))
    backdate(replaced, day(5), day(5, 12), day(6))
    ended = walk(a_case(**on), ("triage", w.officer1), ("start_mediation", w.officer1))
    mediation.replace_mediator(choice=ended.mediator_choices.get(), actor=w.officer1, reason="当事人申请回避")
    # Settled on the spot, reopened and resolved by mediation (not "on the spot" any more); and
    # settled on the spot, reopened and still open (not settled at all).
    reopened = walk(a_case(**on), ("triage", w.officer1), ("settle_on_spot", w.officer1), ("reopen", w.officer1),
                    ("resolve", w.officer1))
    backdate(reopened, day(8), day(8, 11), day(8, 12), day(9), day(11), due=day(10))
    walk(a_case(**on), ("triage", w.officer1), ("settle_on_spot", w.officer1), ("reopen", w.officer1))
    # Taken on by the district centre: mediating, yet at the district (the event says so).
    taken = walk(a_case(**on), ("triage", w.officer1), ("escalate", w.officer1), ("raise_to_district", w.streetlead),
                 ("district_take", w.districtlead), ("resolve", w.districtlead))
    backdate(taken, day(9), day(9, 12), day(10), day(11), day(12), day(19))
    # Referred twice: one answered, one returned; another case's referral awaits approval.
    referred = walk(a_case(**on), ("triage", w.officer1), ("escalate", w.officer1), ("refer", w.streetlead))
    referral_answered(referred)
    referred = walk(referred, ("refer", w.streetlead))
    Referral.objects.filter(case=referred, status="sent").update(status="returned")
    backdate(referred, day(15), day(15, 12), day(16), day(17), day(18))
    awaiting = walk(a_case(**on), ("triage", w.officer1), ("escalate", w.officer1), ("refer", w.streetlead))
    Referral.objects.filter(case=awaiting).update(status="awaiting")
    # Repeats: within the window and outside it; a duplicate merged away is not an earlier case.
    repeat = a_case(**on, address="梧桐社区88幢2单元502室")
    backdate(repeat, day(20))
    backdate(a_case(**on, address="梧桐社区88幢2单元999室"), day(200))
    duplicate = a_case(**on, address="梧桐社区9幢1单元101室")
    survivor = a_case(**on)
    links.merge_case(duplicate=duplicate, survivor=survivor, actor=w.officer1, note="重复登记",
                     version=duplicate.version)
    Case.objects.filter(pk=duplicate.pk).update(reported_at=day(21))
    backdate(a_case(**on, address="梧桐社区9幢1单元102室"), day(22))
    # Reported at the same moment: neither is earlier. No usable address: never a repeat.
    for flat in (101, 102):
        backdate(a_case(**on, address=f"梧桐社区7幢1单元{flat}室"), day(24, 9))
    for n in (22, 23):
        Case.objects.filter(pk=backdate(a_case(**on), day(n, 9)).pk).update(address="", address_key="")
    # Withdrawn after a while; triaged at the grid and left open (overdue); open and untouched now.
    backdate(walk(a_case(**on), ("withdraw", w.worker1)), day(23), day(25, 15))
    overdue = walk(a_case(grid=w.grid2, actor=w.worker2), ("triage", w.officer2))
    backdate(overdue, day(24), day(24, 16), due=timezone.now() - timedelta(days=1))
    walk(a_case(**on), ("triage", w.officer1), ("escalate", w.officer1), ("raise_to_district", w.streetlead))
    walk(a_case(**on), ("triage", w.officer1, {"tier": "joint"}), ("escalate", w.officer1))
    a_case(**on)
    # An old timeline whose status changes did not record the level: the rule decides it.
    untold = walk(a_case(**on), ("triage", w.officer1, {"tier": "street"}), ("escalate", w.officer1),
                  ("resolve", w.streetlead))
    backdate(untold, day(30), day(30, 14), day(31), day(33, 9))
    _forget_levels(untold)
    # The second street, then left without a district.
    fh = walk(a_case(grid=w.grid_fh, actor=w.worker_fh), ("triage", w.officer_fh),
              ("settle_on_spot", w.officer_fh))
    backdate(fh, day(26), day(26, 11), day(26, 12))
    Street.objects.filter(pk=w.fenghuang.pk).update(district=None)
    return Case.objects.count()


def _forget_levels(case):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the timeline is append-only (see seeding.backdate)
            cursor.execute("SET LOCAL session_replication_role = replica")
    for event in CaseEvent.objects.filter(case=case, kind="transition"):
        data = {k: v for k, v in event.data.items() if k != "level"}
        CaseEvent.objects.filter(pk=event.pk).update(data=data)


def stats_rows():
    """Every fact, rollup and open-cases row, without ids."""
    def without(queryset, *fields):
        return sorted((tuple(v for k, v in row.items() if k not in fields) for row in queryset.values()),
                      key=repr)
    return {"facts": without(CaseFact.objects, "computed_at"), "rollups": without(DailyRollup.objects, "id"),
            "totals": without(DayTotal.objects, "id"), "breakdowns": without(DayBreakdown.objects, "id"),
            "streets": without(StreetDay.objects, "id"), "open": without(GridNow.objects)}


def totals_summed_from_rollups():
    """Every day's rollups summed over the places, as DayTotal should hold them."""
    measures = [f.name for f in DayTotal._meta.concrete_fields if f.name not in ("id", "day")]
    summed = defaultdict(lambda: dict.fromkeys(measures, 0))
    for row in DailyRollup.objects.values("day", *measures):
        for m in measures:
            summed[row["day"]][m] += row[m]
    return {day: values for day, values in summed.items()}


BROKEN_BY = ("day", "category", "channel", "risk", "tier")


def breakdowns_summed_from_rollups():
    """Every day's rollups summed over the places per category, channel, risk and tier, as
    DayBreakdown should hold them."""
    measures = [f.name for f in DayBreakdown._meta.concrete_fields if f.name not in ("id", *BROKEN_BY)]
    summed = defaultdict(lambda: dict.fromkeys(measures, 0))
    for row in DailyRollup.objects.values(*BROKEN_BY, *measures):
        for m in measures:
            summed[tuple(row[k] for k in BROKEN_BY)][m] += row[m]
    return dict(summed)


def breakdowns_by_key():
    measures = [f.name for f in DayBreakdown._meta.concrete_fields if f.name not in ("id", *BROKEN_BY)]
    return {tuple(row[k] for k in BROKEN_BY): {m: row[m] for m in measures}
            for row in DayBreakdown.objects.values(*BROKEN_BY, *measures)}


def streets_summed_from_rollups():
    """Every day's rollups summed per street (with its district), as StreetDay should hold them."""
    measures = [f.name for f in StreetDay._meta.concrete_fields if f.name not in ("id", "day", "street", "district")]
    summed = defaultdict(lambda: dict.fromkeys(measures, 0))
    for row in DailyRollup.objects.values("day", "street_id", "district_id", *measures):
        for m in measures:
            summed[(row["day"], row["street_id"], row["district_id"])][m] += row[m]
    return dict(summed)


def streets_by_key():
    measures = [f.name for f in StreetDay._meta.concrete_fields if f.name not in ("id", "day", "street", "district")]
    return {(row["day"], row["street_id"], row["district_id"]): {m: row[m] for m in measures}
            for row in StreetDay.objects.values("day", "street_id", "district_id", *measures)}


def totals_by_day():
    return {row.pop("day"): row for row in DayTotal.objects.values(
        *[f.name for f in DayTotal._meta.concrete_fields if f.name != "id"])}


def summed_in_python():
    """The rollups as the facts add up, per day and key (the cohort reported that day, and the
    cases resolved that day)."""
    keys = ("grid_id", "community_id", "street_id", "district_id", "category", "channel", "risk", "tier")
    rows = defaultdict(lambda: defaultdict(int))
    for fact in CaseFact.objects.all():
        key = tuple(getattr(fact, k) for k in keys)
        cohort = rows[(fact.reported_on, *key)]
        cohort["reported"] += 1
        for flag in ("accepted", "settled", "mediated", "mediated_settled", "with_due", "on_time",
                     "settled_on_spot", "repeat"):
            cohort[flag] += getattr(fact, flag)
        cohort["referrals"] += fact.referrals
        cohort["referrals_answered"] += fact.referrals_answered
        for count, seconds in (("triaged_n", "triage_seconds"), ("resolved_n", "resolve_seconds")):
            if getattr(fact, seconds) is not None:
                cohort[count] += 1
                cohort[seconds] += getattr(fact, seconds)
        if fact.settled:
            for level in ("grid", "police_room", "joint", "street", "district"):
                cohort[f"level_{level}_seconds"] += getattr(fact, f"level_{level}_seconds")
        if fact.resolved_on:
            rows[(fact.resolved_on, *key)]["resolved"] += 1
    return {key: {m: v for m, v in measures.items() if v} for key, measures in rows.items()}


def rollups_by_key():
    keys = ("day", "grid_id", "community_id", "street_id", "district_id", "category", "channel", "risk", "tier")
    return {tuple(row[k] for k in keys): {m: v for m, v in row.items() if m not in (*keys, "id") and v}
            for row in DailyRollup.objects.values()}


def incremental_from_scratch(now):
    """Forget the statistics and recompute every case by the incremental path."""
    for model in (CaseFact, DailyRollup, DayTotal, DayBreakdown, StreetDay, GridNow, Refresh):
        model.objects.all().delete()
    Refresh.objects.create(started_at=now - timedelta(days=1), finished_at=now - timedelta(days=1))
    result = refresh.refresh(now=now)
    assert not result["full"] and result["cases"] == Case.objects.count()


def test_a_full_rebuild_gives_what_the_incremental_path_gives(province):
    now = timezone.now()
    refresh.refresh(full=True, now=now)
    full = stats_rows()
    assert len(full["facts"]) == province
    assert rollups_by_key() == summed_in_python()
    assert totals_by_day() == totals_summed_from_rollups() and len(full["totals"]) > 10
    assert breakdowns_by_key() == breakdowns_summed_from_rollups() and len(full["breakdowns"]) >= len(full["totals"])
    streets = streets_by_key()
    assert streets == streets_summed_from_rollups() and len(full["streets"]) >= len(full["totals"])
    assert {district for _day, _street, district in streets} > {None}  # a street without a district too

    incremental_from_scratch(now)
    assert stats_rows() == full

    # What the cases are meant to cover, covered (by either path, being the same).
    facts = CaseFact.objects.all()
    assert {f.state for f in facts} == {"reported", "triaged", "mediating", "escalated", "referred", "district",
                                        "resolved", "closed", "withdrawn"}
    assert all(facts.filter(**{f"level_{level}_seconds__gt": 0}).exists()
               for level in ("grid", "police_room", "joint", "street", "district"))
    assert sorted(facts.filter(triage_seconds__in=(10, 11, 12)).values_list("triage_seconds", flat=True)) == [10, 12]
    assert facts.filter(level_street_seconds=139_224).exists()
    assert facts.filter(level_district_seconds=8 * 86400).exists()  # from raised to resolved, taken on between
    assert facts.filter(settled_on_spot=True).count() == 3
    assert facts.filter(on_time=True, resolve_seconds=22).exists()
    assert facts.filter(reported_on=D + timedelta(days=3), resolved_on=D + timedelta(days=10), mediated=True).exists()
    assert facts.filter(district__isnull=True).exists() and facts.filter(repeat=True).count() == 1
    assert facts.filter(accepted=False, state="resolved").count() == 0
    assert facts.filter(referrals=2, referrals_answered=2).exists() and facts.filter(referrals=0, state="referred")
    assert MediatorChoice.objects.filter(active=False).count() == 2
    assert facts.filter(mediated=True).values("mediator").distinct().count() == 2


def test_a_full_rebuild_in_small_batches_gives_the_same_rows_and_reports_its_progress(province, monkeypatch):
    now = timezone.now()
    refresh.refresh(full=True, now=now)
    whole = stats_rows()

    monkeypatch.setattr(refresh, "BATCH", 3)
    monkeypatch.setattr(refresh, "DATABASE_BATCH", 3)
    monkeypatch.setattr(refresh, "ROLLUP_DAYS", 5)
    seen = defaultdict(list)
    result = refresh.refresh(full=True, now=now, progress=lambda phase, done, total: seen[phase].append((done, total)))
    assert stats_rows() == whole
    assert len(seen[refresh.FACTS]) > 3 and seen[refresh.FACTS][-1] == (province, province)
    assert [done for done, _total in seen[refresh.FACTS]] == sorted(done for done, _total in seen[refresh.FACTS])
    days = result["days"]
    assert len(seen[refresh.ROLLUPS]) == -(-days // 5) and seen[refresh.ROLLUPS][-1] == (days, days)


def test_a_full_rebuild_replaces_what_was_there(province):
    now = timezone.now()
    refresh.refresh(full=True, now=now)
    right = stats_rows()
    CaseFact.objects.filter(settled=True).update(settled=False, level_grid_seconds=1, reported_on=date(2020, 1, 1))
    DailyRollup.objects.update(reported=99)
    DailyRollup.objects.create(day=date(2024, 1, 1), grid_id=1, community_id=1, street_id=1, category="other",
                               channel="walk_in", risk="general", reported=5)
    GridNow.objects.update(open=42)
    DayTotal.objects.update(settled=7)
    DayTotal.objects.create(day=date(2024, 1, 1), reported=5)
    refresh.refresh(full=True, now=now)
    assert stats_rows() == right
