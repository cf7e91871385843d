"""The facts of a batch of cases (stats.models.CaseFact rows, unsaved), in a fixed number of
queries whatever the batch size: the cases (with the repeat check as a subquery), their status
changes, referrals, mediator choices and mediation sessions, and the radar window.

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
from datetime import datetime, timedelta

from django.db import models
from django.db.models import Exists, OuterRef, Q, Value
from django.utils import timezone

from cases.choices import EventKind, ReferralStatus, State
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
