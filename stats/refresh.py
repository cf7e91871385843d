"""Keeping the statistics tables up to date: `refresh()` (run by the task worker every few
minutes, `manage.py refresh_statistics`, and once at the end of seed_demo).

Incremental (the usual run): the cases changed since the previous run started (less a margin
for transactions still open then) — updated, with a new timeline event, or without a fact yet —
get their facts recomputed; the rollup rows of every (day, grid) they touch, before and after,
are deleted and summed again from the facts (grouped in SQL); the open and overdue cases per grid
are counted again. All in one transaction: readers see the figures before or after, never half.

Full (`full=True`, or the first run): facts for every case in batches of case ids (on PostgreSQL
computed and written by the database, stats.facts.write), then the rollups a month at a time, each
batch in its own transaction (so a rebuild of millions of cases never holds one huge transaction,
and the figures stay readable throughout).

The rollups are summed in the database (one INSERT … SELECT … GROUP BY per batch of days), by the
incremental and the full path alike.
With them, the daily totals (stats.models.DayTotal), breakdowns (DayBreakdown) and street totals
(StreetDay) of the days they are on.

Idempotent: running it twice gives the same rows. Two runs never overlap on PostgreSQL (an
advisory lock: the second one skips); SQLite lets one writer at a time anyway.

Known limit: a fact depends on its own case, except `repeat`, which looks at earlier cases at the
same address; correcting an earlier case's address updates later cases' flags only at the next
full rebuild."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from cases.models import Case, CaseEvent
from cases.warning import Warnings
from grids.models import CommunityGrid

from . import facts
from .models import CaseFact, DailyRollup, DayBreakdown, DayTotal, GridNow, Refresh, StreetDay

MARGIN = timedelta(minutes=10)  # longer than any transaction that writes a case
BATCH = 2000                    # cases per facts batch computed in Python
DATABASE_BATCH = 10_000         # cases per facts batch computed by PostgreSQL (stats.facts.write)
ROLLUP_DAYS = 31                # days per rollup batch of a full rebuild
PAIRS_PER_QUERY = 200           # (day, grids) terms OR-ed in one statement (SQLite's expression depth)
LOCK_KEY = 0x5354_4154          # "STAT": the PostgreSQL advisory lock of a refresh

DIMENSIONS = ("grid_id", "community_id", "street_id", "district_id", "category", "channel", "risk", "tier")
FACT_FIELDS = [f.name for f in CaseFact._meta.concrete_fields if not f.primary_key]
# What a rollup row sums over the cohort of its day (SQL on the facts' columns); `resolved` counts
# the facts resolved that day.
COHORT_MEASURES = {
    "reported": "COUNT(*)",
    **{flag: f"COUNT(*) FILTER (WHERE {flag})" for flag in (
        "accepted", "settled", "mediated", "mediated_settled", "with_due", "on_time", "settled_on_spot", "repeat")},
    "referrals": "COALESCE(SUM(referrals), 0)",
    "referrals_answered": "COALESCE(SUM(referrals_answered), 0)",
    "triaged_n": "COUNT(triage_seconds)",
    "triage_seconds": "COALESCE(SUM(triage_seconds), 0)",
    "resolved_n": "COUNT(resolve_seconds)",
    "resolve_seconds": "COALESCE(SUM(resolve_seconds), 0)",
    **{name: f"COALESCE(SUM({name}) FILTER (WHERE settled), 0)" for name in facts.LEVEL_FIELDS.values()},
}
_KEY = ", ".join(DIMENSIONS)
_MEASURES = (*COHORT_MEASURES, "resolved")  # every column of a rollup and of a day's total
_SUMS = ", ".join(f"SUM({m})" for m in _MEASURES)
ROLLUP_SQL = f"""
INSERT INTO {DailyRollup._meta.db_table} (day, {_KEY}, {", ".join(_MEASURES)})
SELECT day, {_KEY}, {_SUMS}
FROM (
  SELECT reported_on AS day, {_KEY}, {", ".join(f"{sql} AS {m}" for m, sql in COHORT_MEASURES.items())}, 0 AS resolved
  FROM {CaseFact._meta.db_table} WHERE {{reported}} GROUP BY reported_on, {_KEY}
  UNION ALL
  SELECT resolved_on, {_KEY}, {", ".join("0" for _m in COHORT_MEASURES)}, COUNT(*)
  FROM {CaseFact._meta.db_table} WHERE {{resolved}} GROUP BY resolved_on, {_KEY}
) AS summed
GROUP BY day, {_KEY}
"""
_BROKEN_BY = "category, channel, risk, tier"
BREAKDOWN_SQL = f"""
INSERT INTO {DayBreakdown._meta.db_table} (day, {_BROKEN_BY}, {", ".join(_MEASURES)})
SELECT day, {_BROKEN_BY}, {_SUMS} FROM {DailyRollup._meta.db_table} WHERE {{days}} GROUP BY day, {_BROKEN_BY}
"""
# A day's total from its breakdowns, just summed (a few hundred rows a day, not thousands).
TOTAL_SQL = f"""
INSERT INTO {DayTotal._meta.db_table} (day, {", ".join(_MEASURES)})
SELECT day, {_SUMS} FROM {DayBreakdown._meta.db_table} WHERE {{days}} GROUP BY day
"""
# A street's rollups share its district (a refresh moves them together), MAX only names it once.
STREET_SQL = f"""
INSERT INTO {StreetDay._meta.db_table} (day, street_id, district_id, {", ".join(_MEASURES)})
SELECT day, street_id, MAX(district_id), {_SUMS} FROM {DailyRollup._meta.db_table} WHERE {{days}}
GROUP BY day, street_id
"""
# What is summed again for the days whose rollups change: (table, its SQL, the table it sums), in
# the order they are made (a day's total from its breakdowns).
SUMS_OF_DAYS = ((DayBreakdown, BREAKDOWN_SQL, DailyRollup), (DayTotal, TOTAL_SQL, DayBreakdown),
                (StreetDay, STREET_SQL, DailyRollup))
SUMMED = tuple(model for model, _sql, _source in SUMS_OF_DAYS)

Progress = Callable[[str, int, int], None]  # (phase, done, total), as incidents.importing reports
FACTS, ROLLUPS = "facts", "rollups"


def last_refreshed_at() -> datetime | None:
    """When the figures were made: the start of the last refresh that finished."""
    return (Refresh.objects.filter(finished_at__isnull=False).order_by("-started_at")
            .values_list("started_at", flat=True).first())


def refresh(*, full: bool = False, progress: Progress | None = None, now: datetime | None = None) -> dict:
    """Bring the statistics tables up to date (see the module docstring). Returns what it did:
    {"full", "cases" recomputed, "days" rebuilt, "skipped" (another refresh was running)}."""
    now = now or timezone.now()
    progress = progress or (lambda phase, done, total: None)
    with _exclusive() as acquired:
        if not acquired:
            return {"full": full, "cases": 0, "days": 0, "skipped": True}
        previous = last_refreshed_at()
        full = full or previous is None
        log = Refresh.objects.create(started_at=now, full=full)
        if full:
            cases, days = _full(now=now, progress=progress)
        else:
            with transaction.atomic():
                cases, days = _incremental(since=previous - MARGIN, now=now, progress=progress)
        log.finished_at, log.cases, log.days = timezone.now(), cases, days
        log.save(update_fields=["finished_at", "cases", "days"])
    return {"full": full, "cases": cases, "days": days, "skipped": False}


@contextmanager
def _exclusive():
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


# --- incremental --------------------------------------------------------------------------------

def changed_case_ids(since: datetime) -> set[int]:
    """Cases changed since `since`: saved, with a timeline event, or newer than every fact."""
    newest_fact = CaseFact.objects.aggregate(m=Max("case_id"))["m"] or 0
    ids = set(Case.objects.filter(Q(updated_at__gte=since) | Q(id__gt=newest_fact)).values_list("id", flat=True))
    ids.update(CaseEvent.objects.filter(at__gte=since).values_list("case_id", flat=True).distinct())
    return ids


def _incremental(*, since, now, progress) -> tuple[int, int]:
    _follow_the_map()
    ids = sorted(changed_case_ids(since))
    touched: dict[date, set[int]] = defaultdict(set)
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        for grid_id, reported_on, resolved_on in CaseFact.objects.filter(case_id__in=batch).values_list(
                "grid_id", "reported_on", "resolved_on"):
            _touch(touched, grid_id, reported_on, resolved_on)
        new = facts.compute(ids=batch, now=now)
        for fact in new:
            _touch(touched, fact.grid_id, fact.reported_on, fact.resolved_on)
        _save_facts(new)
        progress(FACTS, min(start + BATCH, len(ids)), len(ids))
    pairs = sorted(touched.items())
    for start in range(0, len(pairs), PAIRS_PER_QUERY):
        chunk = pairs[start:start + PAIRS_PER_QUERY]
        _rebuild(reported=_any(chunk, "reported_on"), resolved=_any(chunk, "resolved_on"),
                 rows=_any(chunk, "day"), days=Q(day__in=[day for day, _grids in chunk]))
        progress(ROLLUPS, min(start + PAIRS_PER_QUERY, len(pairs)), len(pairs))
    _count_open(now)
    return len(ids), len(touched)


def _touch(touched, grid_id, *days):
    for day in days:
        if day is not None:
            touched[day].add(grid_id)


def _any(pairs: Iterable[tuple[date, set[int]]], field: str) -> Q:
    q = Q()
    for day, grids in pairs:
        q |= Q(**{field: day, "grid_id__in": sorted(grids)})
    return q


# --- full ---------------------------------------------------------------------------------------

def _full(*, now, progress) -> tuple[int, int]:
    with transaction.atomic():
        _follow_the_map()
    bounds = Case.objects.aggregate(first=Min("id"), last=Max("id"), n=Count("id"))
    in_database = connection.vendor == "postgresql"
    done = 0
    if bounds["n"] and in_database:
        with facts.repeats_found():
            for first in range(bounds["first"], bounds["last"] + 1, DATABASE_BATCH):
                with transaction.atomic():
                    _tune_batch()
                    done += facts.write(id_range=(first, first + DATABASE_BATCH), now=now)
                progress(FACTS, done, bounds["n"])
    elif bounds["n"]:
        for first in range(bounds["first"], bounds["last"] + 1, BATCH):
            with transaction.atomic():
                new = facts.compute(id_range=(first, first + BATCH), now=now)
                _save_facts(new)
            done += len(new)
            progress(FACTS, done, bounds["n"])
    days = CaseFact.objects.aggregate(first=Min("reported_on"), last=Max("reported_on"),
                                      last_resolved=Max("resolved_on"))
    with transaction.atomic():
        if days["first"] is None:
            for model in (DailyRollup, *SUMMED):
                model.objects.all().delete()
            _count_open(now)
            return done, 0
        first, last = days["first"], max(days["last"], days["last_resolved"] or days["last"])
        for model in (DailyRollup, *SUMMED):
            model.objects.exclude(day__range=(first, last)).delete()
    total = (last - first).days + 1
    for offset in range(0, total, ROLLUP_DAYS):
        start, end = first + timedelta(days=offset), min(last, first + timedelta(days=offset + ROLLUP_DAYS - 1))
        with transaction.atomic():
            if in_database:
                _tune_batch()
            _rebuild(reported=Q(reported_on__range=(start, end)), resolved=Q(resolved_on__range=(start, end)),
                     rows=Q(day__range=(start, end)), days=Q(day__range=(start, end)))
        progress(ROLLUPS, (end - first).days + 1, total)
    with transaction.atomic():
        _count_open(now)
    return done, total


def _tune_batch() -> None:
    """PostgreSQL, for the rest of this transaction: a batch's statement is costed high enough to
    be compiled (JIT), which takes longer than it saves; and its sorts fit in memory."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")


# --- shared steps -------------------------------------------------------------------------------

def _save_facts(new: list[CaseFact]) -> None:
    CaseFact.objects.bulk_create(new, batch_size=500, update_conflicts=True, unique_fields=["case"],
                                 update_fields=FACT_FIELDS)


def _rebuild(*, reported: Q, resolved: Q, rows: Q, days: Q) -> None:
    """Replace the rollup rows matching `rows` by the facts' sums: the cohort reported (facts
    matching `reported`) and the cases resolved (facts matching `resolved`) per day and key; then
    what is summed from them (SUMMED) on the `days` those rows are on."""
    DailyRollup.objects.filter(rows).delete()
    reported_sql, reported_params = _where(CaseFact, reported)
    resolved_sql, resolved_params = _where(CaseFact, resolved)
    with connection.cursor() as cursor:
        cursor.execute(ROLLUP_SQL.format(reported=reported_sql, resolved=resolved_sql),
                       [*reported_params, *resolved_params])
    _sum_days(days)


def _sum_days(days: Q) -> None:
    """The daily breakdowns and street totals of `days`, summed again from all of those days'
    rollups, and the daily totals from the breakdowns."""
    for model in SUMMED:
        model.objects.filter(days).delete()
    with connection.cursor() as cursor:
        for _model, sql, source in SUMS_OF_DAYS:
            days_sql, days_params = _where(source, days)
            cursor.execute(sql.format(days=days_sql), days_params)


def _where(model, q: Q) -> tuple[str, list]:
    """The SQL condition (on the model's table, unaliased) of a filter on `model`."""
    query = model.objects.filter(q).query
    sql, params = query.where.as_sql(query.get_compiler(connection=connection), connection)
    return sql, list(params)


def _follow_the_map() -> None:
    """A grid moved to another community (or a street to another district) since the last run:
    correct the place columns of its facts and rollups in place (the grid is in every key); the
    street totals of a grid that changed street are summed again for its days, a street's that
    changed district take the new one."""
    was = {g: (c, s, d) for g, c, s, d in GridNow.objects.values_list("grid_id", "community_id", "street_id",
                                                                      "district_id")}
    changed_street, street_districts = [], {}
    for grid_id, *place in _the_map():
        old = was.get(grid_id)
        if old is not None and old != tuple(place):
            columns = dict(zip(("community_id", "street_id", "district_id"), place, strict=True))
            CaseFact.objects.filter(grid_id=grid_id).update(**columns)
            DailyRollup.objects.filter(grid_id=grid_id).update(**columns)
            GridNow.objects.filter(grid_id=grid_id).update(**columns)
            if old[1] != columns["street_id"]:
                changed_street.append(grid_id)
            elif old[2] != columns["district_id"]:
                street_districts[columns["street_id"]] = columns["district_id"]
    for street_id, district_id in street_districts.items():
        StreetDay.objects.filter(street_id=street_id).update(district_id=district_id)
    if changed_street:
        _sum_days(Q(day__in=list(DailyRollup.objects.filter(grid_id__in=changed_street)
                                 .values_list("day", flat=True).distinct().order_by())))


def _the_map():
    return CommunityGrid.objects.values_list("id", "community_id", "community__street_id",
                                             "community__street__district_id")


def _count_open(now: datetime) -> None:
    """GridNow: every grid's open and overdue cases now, by state and by warning colour, and
    where it sits on the map."""
    warnings = Warnings(now)
    measures = {"open": Count("id"), "overdue": Count("id", filter=Q(due_at__lt=now)),
                **{column: Count("id", filter=Q(state=state)) for state, column in GridNow.STATE_COLUMNS.items()},
                **{column: Count("id", filter=warnings.q(colour)) for colour, column in GridNow.WARNING_COLUMNS.items()}}
    counts = {row.pop("grid_id"): row
              for row in Case.objects.open().values("grid_id").order_by().annotate(**measures)}
    none = dict.fromkeys(measures, 0)
    rows = [GridNow(grid_id=grid_id, community_id=community_id, street_id=street_id, district_id=district_id,
                    refreshed_at=now, **counts.get(grid_id, none))
            for grid_id, community_id, street_id, district_id in _the_map()]
    GridNow.objects.exclude(grid_id__in=CommunityGrid.objects.values("id")).delete()
    GridNow.objects.bulk_create(rows, batch_size=1000, update_conflicts=True, unique_fields=["grid"],
                                update_fields=["community", "street", "district", "refreshed_at", *measures])
