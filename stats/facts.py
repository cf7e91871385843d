"""The facts of a batch of cases: `compute()` gives them as stats.models.CaseFact rows (unsaved),
in a fixed number of queries whatever the batch size (the cases, with the repeat check as a
subquery, their status changes, referrals, mediator choices and mediation sessions, and the radar
window); on PostgreSQL `write()` computes and saves the same rows in one statement, without
bringing the cases into Python (a full rebuild of millions of cases).

What each fact means:
- accepted: not withdrawn (a duplicate merged into another case is withdrawn too);
- settled: resolved or closed; resolved_on is the local date of its resolution;
- mediated: a mediator was chosen or a mediation session recorded; `mediator` is the current
  choice's mediator (else the latest one's);
- with_due / on_time: settled with a deadline / settled by it;
- settled_on_spot: the step that resolved it last was 当场化解;
- repeat: an earlier case (not a merged duplicate) at the same building and unit, reported
  within the radar window (WarningSettings.radar_days) before it;
- referrals: referrals sent (not awaiting or refused approval); answered: handled or returned;
- triage_seconds: from report to the first triage; resolve_seconds: from report to resolution;
- level_<level>_seconds: time at each level (cases.levels) from the report to the resolution
  (the withdrawal, or `now` while open), from the level each status change recorded.
"""

from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q, Value
from django.utils import timezone

from cases.choices import EventKind, ReferralStatus, State, Tier
from cases.levels import Level, level_of, level_times
from cases.models import Case, CaseEvent, Referral, WarningSettings
from mediators.models import MediationSession, MediatorChoice

from .models import CaseFact

SETTLED = (State.RESOLVED, State.CLOSED)
SENT = ~Q(status__in=[ReferralStatus.AWAITING, ReferralStatus.DECLINED])
ANSWERED = Q(status__in=[ReferralStatus.HANDLED, ReferralStatus.RETURNED])
LEVEL_FIELDS = {level.value: f"level_{level.value}_seconds" for level in Level}

CASE_FIELDS = ("id", "grid_id", "grid__community_id", "grid__community__street_id",
               "grid__community__street__district_id", "reported_at", "resolved_at", "closed_at",
               "triaged_at", "due_at", "category", "channel", "risk", "tier", "state", "merged_into_id")


def batch_filter(*, ids=None, id_range=None, field="id") -> Q:
    """The cases of a batch: a list of ids, or ids in [first, last)."""
    if ids is not None:
        return Q(**{f"{field}__in": list(ids)})
    first, last = id_range
    return Q(**{f"{field}__gte": first, f"{field}__lt": last})


def _repeat_check(window_days: int):
    earlier = Case.objects.filter(
        address_key=OuterRef("address_key"), merged_into__isnull=True,
        reported_at__lt=OuterRef("reported_at"),
        reported_at__gte=OuterRef("reported_at") - timedelta(days=window_days),
    )
    # An empty key (no usable address) is never a repeat; CASE keeps the subquery off those rows.
    return models.Case(models.When(address_key="", then=Value(False)), default=Exists(earlier),
                       output_field=models.BooleanField())


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, round((end - start).total_seconds()))


def compute(*, ids=None, id_range=None, now: datetime | None = None) -> list[CaseFact]:
    """CaseFact rows (unsaved) for the cases of a batch (`ids`, or `id_range` = (first, last)).
    Six queries, whatever the batch size."""
    now = now or timezone.now()
    window = WarningSettings.current().radar_days
    cases = list(Case.objects.filter(batch_filter(ids=ids, id_range=id_range))
                 .annotate(is_repeat=_repeat_check(window)).order_by()
                 .values(*CASE_FIELDS, "is_repeat"))
    if not cases:
        return []
    in_batch = batch_filter(ids=ids, id_range=id_range, field="case_id")

    steps = defaultdict(list)  # case id -> [(at, action, to_state, level)]
    for case_id, at, action, to_state, level in (
        CaseEvent.objects.filter(in_batch, kind=EventKind.TRANSITION).order_by("case_id", "at", "id")
        .values_list("case_id", "at", "action", "to_state", "data__level")
    ):
        steps[case_id].append((at, action, to_state, level))

    referrals = {
        row["case_id"]: row for row in Referral.objects.filter(in_batch).order_by().values("case_id").annotate(
            sent=models.Count("id", filter=SENT), answered=models.Count("id", filter=SENT & ANSWERED))
    }
    mediators = {}  # case id -> mediator id: the active choice wins, else the latest
    for case_id, mediator_id, _active in (
        MediatorChoice.objects.filter(in_batch).order_by("case_id", "active", "at", "id")
        .values_list("case_id", "mediator_id", "active")
    ):
        mediators[case_id] = mediator_id
    with_sessions = set(MediationSession.objects.filter(in_batch).values_list("case_id", flat=True).distinct())

    return [_fact(row, steps.get(row["id"], ()), referrals.get(row["id"]), mediators.get(row["id"]),
                  row["id"] in with_sessions, now) for row in cases]


def _fact(row, steps, referral, mediator_id, had_session, now) -> CaseFact:
    state, tier = row["state"], row["tier"]
    settled = state in SETTLED
    reported_at, resolved_at = row["reported_at"], row["resolved_at"] if settled else None
    if settled:
        end = resolved_at or row["closed_at"] or now
    elif state == State.WITHDRAWN:
        end = row["closed_at"] or now
    else:
        end = now
    level_steps = [
        (at, level or level_of(state=to_state, tier=tier, at_district=to_state == State.DISTRICT))
        for at, _action, to_state, level in steps
    ]
    spent = level_times(level_steps, start=reported_at, end=max(end, reported_at))
    triaged_at = next((at for at, action, _to, _lvl in steps if action == "triage"), row["triaged_at"])
    resolving = [action for _at, action, to_state, _lvl in steps if to_state == State.RESOLVED]
    mediated = mediator_id is not None or had_session
    due_at = row["due_at"]
    fact = CaseFact(
        case_id=row["id"], grid_id=row["grid_id"], community_id=row["grid__community_id"],
        street_id=row["grid__community__street_id"], district_id=row["grid__community__street__district_id"],
        reported_on=timezone.localdate(reported_at),
        resolved_on=timezone.localdate(resolved_at) if resolved_at else None,
        category=row["category"], channel=row["channel"], risk=row["risk"], tier=tier, state=state,
        mediator_id=mediator_id,
        accepted=state != State.WITHDRAWN and row["merged_into_id"] is None,
        settled=settled, mediated=mediated, mediated_settled=mediated and settled,
        with_due=settled and due_at is not None,
        on_time=settled and due_at is not None and resolved_at is not None and resolved_at <= due_at,
        settled_on_spot=settled and bool(resolving) and resolving[-1] == "settle_on_spot",
        repeat=bool(row["is_repeat"]),
        referrals=referral["sent"] if referral else 0,
        referrals_answered=referral["answered"] if referral else 0,
        triage_seconds=_seconds(reported_at, triaged_at),
        resolve_seconds=_seconds(reported_at, resolved_at),
        computed_at=now,
    )
    for level, seconds in spent.items():
        setattr(fact, LEVEL_FIELDS[level], round(seconds))
    return fact


# --- the same facts in one statement (PostgreSQL) -------------------------------------------------
#
# Written to give exactly what compute() gives: the time at each level is summed in float8, span
# by span in the timeline's order, and rounded half to even, as Python's float sum and round() do;
# dates are local dates in the current time zone. The repeats are those of the cases as they stood
# when repeats_found() began (a case changed since is recomputed by the next incremental run).

_LEVEL_COLUMNS = ",\n    ".join(f"MAX(seconds) FILTER (WHERE level = '{level}') AS {level}" for level in LEVEL_FIELDS)
_LEVEL_VALUES = ",\n    ".join(f"COALESCE(ROUND(l.{level})::integer, 0)" for level in LEVEL_FIELDS)
_COLUMNS = ("case_id", "grid_id", "community_id", "street_id", "district_id", "reported_on", "resolved_on",
            "category", "channel", "risk", "tier", "state", "mediator_id", "accepted", "settled", "mediated",
            "mediated_settled", "with_due", "on_time", "settled_on_spot", "repeat", "referrals",
            "referrals_answered", "triage_seconds", "resolve_seconds", *LEVEL_FIELDS.values(), "computed_at")
assert set(_COLUMNS) == {f.column for f in CaseFact._meta.concrete_fields}, "the statement writes every column"

WRITE_SQL = f"""
WITH batch AS MATERIALIZED (
  SELECT c.id, c.grid_id, g.community_id, m.street_id, s.district_id, c.reported_at, c.triaged_at, c.due_at,
         c.category, c.channel, c.risk, c.tier, c.state, c.merged_into_id, c.address_key,
         c.state = ANY(%(settled)s) AS settled,
         CASE WHEN c.state = ANY(%(settled)s) THEN c.resolved_at END AS resolved_at,
         -- the end of the time at the levels: the resolution, the withdrawal, or now while open
         GREATEST(c.reported_at, CASE WHEN c.state = ANY(%(settled)s) THEN COALESCE(c.resolved_at, c.closed_at, %(now)s)
                                      WHEN c.state = %(withdrawn)s THEN COALESCE(c.closed_at, %(now)s)
                                      ELSE %(now)s END) AS end_at
  FROM cases_case c
  JOIN grids_communitygrid g ON g.id = c.grid_id
  JOIN grids_community m ON m.id = g.community_id
  JOIN grids_street s ON s.id = m.street_id
  WHERE c.id >= %(first)s AND c.id < %(last)s
),
steps AS MATERIALIZED (  -- the status changes: the level each left the case at, until the next one
  SELECT e.case_id, e.at, e.id, e.action, e.to_state, COALESCE(NULLIF(e.data ->> 'level', ''), lv.level) AS level,
         LEAD(e.at) OVER (PARTITION BY e.case_id ORDER BY e.at, e.id) AS next_at
  FROM cases_caseevent e
  JOIN batch b ON b.id = e.case_id
  LEFT JOIN UNNEST(%(rule_states)s::text[], %(rule_tiers)s::text[], %(rule_levels)s::text[]) AS lv (state, tier, level)
         ON lv.state = e.to_state AND lv.tier = b.tier
  WHERE e.case_id >= %(first)s AND e.case_id < %(last)s AND e.kind = %(transition)s
),
marks AS (
  SELECT case_id, MIN(at) AS first_at, MIN(at) FILTER (WHERE action = %(triage)s) AS triaged_at,
         (ARRAY_AGG(action ORDER BY at DESC, id DESC) FILTER (WHERE to_state = %(resolved)s))[1] AS resolving
  FROM steps GROUP BY case_id
),
stays AS (  -- at the grid from the report to the first change, then at each change's level, up to the end
  SELECT b.id AS case_id, %(grid)s AS level, '-infinity'::timestamptz AS at, 0::bigint AS id,
         b.reported_at AS since, LEAST(b.end_at, COALESCE(k.first_at, b.end_at)) AS until
  FROM batch b LEFT JOIN marks k ON k.case_id = b.id
  UNION ALL
  SELECT s.case_id, s.level, s.at, s.id, GREATEST(b.reported_at, s.at), LEAST(b.end_at, COALESCE(s.next_at, b.end_at))
  FROM steps s JOIN batch b ON b.id = s.case_id
),
spent AS (
  SELECT case_id, level, SUM(EXTRACT(EPOCH FROM until - since)::float8 ORDER BY at, id) AS seconds
  FROM stays WHERE until > since GROUP BY case_id, level
),
levels AS (
  SELECT case_id,
    {_LEVEL_COLUMNS}
  FROM spent GROUP BY case_id
),
referrals AS (
  SELECT case_id, COUNT(*) FILTER (WHERE NOT status = ANY(%(unsent)s)) AS sent,
         COUNT(*) FILTER (WHERE NOT status = ANY(%(unsent)s) AND status = ANY(%(answered)s)) AS answered
  FROM cases_referral WHERE case_id >= %(first)s AND case_id < %(last)s GROUP BY case_id
),
choices AS (  -- the current choice's mediator, else the latest one's
  SELECT DISTINCT ON (case_id) case_id, mediator_id
  FROM mediators_mediatorchoice WHERE case_id >= %(first)s AND case_id < %(last)s
  ORDER BY case_id, active DESC, at DESC, id DESC
),
sessions AS (
  SELECT DISTINCT case_id FROM mediators_mediationsession WHERE case_id >= %(first)s AND case_id < %(last)s
),
computed AS (
  SELECT b.*, ch.mediator_id, (ch.mediator_id IS NOT NULL OR se.case_id IS NOT NULL) AS mediated,
         COALESCE(k.triaged_at, b.triaged_at) AS first_triage, k.resolving,
         COALESCE(r.sent, 0) AS sent, COALESCE(r.answered, 0) AS answered
  FROM batch b
  LEFT JOIN marks k ON k.case_id = b.id
  LEFT JOIN referrals r ON r.case_id = b.id
  LEFT JOIN choices ch ON ch.case_id = b.id
  LEFT JOIN sessions se ON se.case_id = b.id
)
INSERT INTO stats_casefact ({", ".join(_COLUMNS)})
SELECT b.id, b.grid_id, b.community_id, b.street_id, b.district_id,
  (b.reported_at AT TIME ZONE %(zone)s)::date, (b.resolved_at AT TIME ZONE %(zone)s)::date,
  b.category, b.channel, b.risk, b.tier, b.state, b.mediator_id,
  b.state <> %(withdrawn)s AND b.merged_into_id IS NULL,
  b.settled, b.mediated, b.mediated AND b.settled,
  b.settled AND b.due_at IS NOT NULL,
  b.settled AND b.due_at IS NOT NULL AND b.resolved_at IS NOT NULL AND b.resolved_at <= b.due_at,
  b.settled AND b.resolving IS NOT DISTINCT FROM %(on_spot)s,
  EXISTS (SELECT 1 FROM stats_repeat r WHERE r.case_id = b.id),
  b.sent, b.answered,
  CASE WHEN b.first_triage IS NOT NULL
       THEN GREATEST(0, ROUND(EXTRACT(EPOCH FROM b.first_triage - b.reported_at)::float8))::integer END,
  CASE WHEN b.resolved_at IS NOT NULL
       THEN GREATEST(0, ROUND(EXTRACT(EPOCH FROM b.resolved_at - b.reported_at)::float8))::integer END,
  {_LEVEL_VALUES},
  %(now)s
FROM computed b LEFT JOIN levels l ON l.case_id = b.id
ON CONFLICT (case_id) DO UPDATE SET
  {", ".join(f"{column} = EXCLUDED.{column}" for column in _COLUMNS[1:])}
"""


REPEATS_SQL = """
CREATE TEMPORARY TABLE stats_repeat AS
SELECT b.id AS case_id FROM cases_case b
WHERE b.address_key <> '' AND EXISTS (
  SELECT 1 FROM cases_case earlier
  WHERE earlier.address_key = b.address_key AND earlier.merged_into_id IS NULL
    AND earlier.reported_at < b.reported_at AND earlier.reported_at >= b.reported_at - %(window)s)
"""


@contextmanager
def repeats_found():
    """PostgreSQL: which cases are repeats, found for every case at once (one join of the cases
    with themselves: a lookup per case costs several times more) and kept, until the block ends,
    in a temporary table that write() reads."""
    window = timedelta(days=WarningSettings.current().radar_days)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")  # the join's hash table, in fewer batches
        cursor.execute("DROP TABLE IF EXISTS stats_repeat")
        cursor.execute(REPEATS_SQL, {"window": window})
        cursor.execute("ALTER TABLE stats_repeat ADD PRIMARY KEY (case_id)")
        cursor.execute("ANALYZE stats_repeat")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS stats_repeat")


def write(*, id_range: tuple[int, int], now: datetime | None = None) -> int:
    """PostgreSQL, inside repeats_found(): compute and save (insert or update) the facts of the
    cases with ids in [first, last), the rows compute() would give, in one statement. Returns
    how many."""
    now = now or timezone.now()
    first, last = id_range
    # The level a status change left the case at when its event does not say: level_of's answer
    # for every status and tier.
    rule = [(state, tier, level_of(state=state, tier=tier, at_district=state == State.DISTRICT).value)
            for state in State.values for tier in ("", *Tier.values)]
    params = {
        "first": first, "last": last, "now": now, "zone": timezone.get_current_timezone_name(),
        "settled": list(SETTLED), "withdrawn": State.WITHDRAWN, "transition": EventKind.TRANSITION,
        "grid": Level.GRID.value, "triage": "triage", "resolved": State.RESOLVED, "on_spot": "settle_on_spot",
        "unsent": [ReferralStatus.AWAITING, ReferralStatus.DECLINED],
        "answered": [ReferralStatus.HANDLED, ReferralStatus.RETURNED],
        "rule_states": [r[0] for r in rule], "rule_tiers": [r[1] for r in rule], "rule_levels": [r[2] for r in rule],
    }
    with connection.cursor() as cursor:
        cursor.execute(WRITE_SQL, params)
        return cursor.rowcount
