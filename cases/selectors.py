"""Reads of cases, already cut to what the user may see. Each page's reads cost a fixed number
of queries, whatever the number of cases, parties or events."""

from dataclasses import dataclass

from django.utils import timezone

from grids import access
from grids.models import PoliceGrid
from grids.roles import Role
from grids.selectors import people_on_grids, people_on_police_grids

from .choices import OPEN_STATES, State, TeamRole
from .masking import mask_id_number, mask_phone
from .models import Case, Party

LIST_RELATED = ("grid__community", "lead_handler")
WORKBENCH_ROWS = 10


def case_list(user):
    """Visible cases with what a list row shows, newest first."""
    return access.visible_cases(user).select_related(*LIST_RELATED)


def handlers_for(case: Case) -> list[tuple]:
    """Who can be lead handler or on the joint team: the grid's workers and the police of the
    police grids covering it, as (user, TeamRole). Three queries."""
    police_grid_ids = list(
        PoliceGrid.objects.filter(links__community_grid_id=case.grid_id).values_list("id", flat=True)
    )
    people = [(u, TeamRole.GRID_WORKER) for u in people_on_grids([case.grid_id]).get(case.grid_id, [])]
    police = people_on_police_grids(police_grid_ids)
    for users in police.values():
        for user in users:
            people.append((user, TeamRole.POLICE))
    seen, unique = set(), []
    for user, role in people:
        if user.pk not in seen:
            seen.add(user.pk)
            unique.append((user, role))
    return unique


@dataclass
class PartyView:
    party: Party
    phone: str
    id_number: str
    revealed: bool


def party_views(parties, *, revealed_ids=frozenset()) -> list[PartyView]:
    """Parties with phone and ID number masked unless this party was deliberately revealed."""
    views = []
    for party in parties:
        shown = party.pk in revealed_ids
        views.append(PartyView(
            party=party,
            phone=party.phone if shown else mask_phone(party.phone),
            id_number=party.id_number if shown else mask_id_number(party.id_number),
            revealed=shown,
        ))
    return views


def case_detail(user, pk):
    """The case with everything its page shows (raises DoesNotExist outside the user's scope)."""
    return (
        access.visible_cases(user)
        .select_related("grid__community__street", "lead_handler", "created_by")
        .prefetch_related("parties", "attachments", "team__user")
        .get(pk=pk)
    )


def timeline(case):
    return case.events.select_related("actor").order_by("at", "id")


@dataclass
class Section:
    key: str
    cases: list
    total: int


def workbench(user) -> list[Section]:
    """工作台: what awaits this user, each section capped and counted."""
    visible = access.visible_cases(user)
    now = timezone.now()
    sections = []

    def add(key, queryset, order):
        rows = list(queryset.select_related(*LIST_RELATED).order_by(*order)[:WORKBENCH_ROWS])
        sections.append(Section(key, rows, queryset.count()))

    if access.has_role(user, Role.MEDIATOR):
        add("my_mediations", visible.filter(
            state__in=OPEN_STATES, mediator_choices__mediator__user=user,
            mediator_choices__active=True).distinct(), ["due_at", "id"])
    if access.has_role(user, *access.ACTION_ROLES["triage"]):
        add("awaiting_triage", visible.filter(state=State.REPORTED), ["due_at", "id"])
    add("mine", visible.filter(state__in=OPEN_STATES, lead_handler=user), ["due_at", "id"])
    add("reported_by_me", visible.filter(state__in=OPEN_STATES, created_by=user).exclude(lead_handler=user),
        ["-reported_at", "-id"])
    add("overdue", visible.filter(state__in=OPEN_STATES, due_at__lt=now), ["due_at", "id"])
    add("recent", visible, ["-updated_at", "-id"])
    return sections


# --- closing the loop ----------------------------------------------------------------------


def ledger(user):
    """重点疑难矛盾纠纷台账 of the user's scope: escalated / referred, major risk, or overdue."""
    from .closing import ledger_filter

    return access.visible_cases(user).filter(ledger_filter()).select_related(*LIST_RELATED)


def case_loop(case):
    """The closing-loop part of a case page: referrals, tasks, calls, follow-ups. Four queries."""
    return {
        "referrals": list(case.referrals.select_related("department", "contact")),
        "tasks": list(case.tasks.select_related("assignee", "issued_by")),
        "calls": list(case.calls.select_related("caller", "answered_by")),
        "follow_ups": list(case.follow_ups.select_related("done_by")),
    }


@dataclass
class Dashboard:
    by_state: list          # [(state, label, count)]
    by_grid: list           # [(grid, count)]
    open_total: int
    resolved_this_month: int
    success_rate: float | None  # 化解率: resolved or closed / accepted this year (not withdrawn)
    overdue: int
    escalated_waiting: int
    late_calls: int
    month_start: object
    year_start: object

    @property
    def success_percent(self) -> int | None:
        return None if self.success_rate is None else round(self.success_rate * 100)


def dashboard(user) -> Dashboard:
    """The leaders' figures for their scope, each one a count over visible cases. Five queries."""
    from django.db.models import Count, Q

    from .closing import late_calls
    from .models import Call

    now = timezone.now()
    local = timezone.localtime(now)
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    year_start = month_start.replace(month=1)
    visible = access.visible_cases(user)
    totals = visible.aggregate(
        open_total=Count("id", filter=Q(state__in=OPEN_STATES)),
        resolved_this_month=Count("id", filter=Q(resolved_at__gte=month_start, state__in=[State.RESOLVED, State.CLOSED])),
        overdue=Count("id", filter=Q(state__in=OPEN_STATES, due_at__lt=now)),
        escalated_waiting=Count("id", filter=Q(state=State.ESCALATED)),
        succeeded=Count("id", filter=Q(reported_at__gte=year_start, state__in=[State.RESOLVED, State.CLOSED])),
        accepted=Count("id", filter=Q(reported_at__gte=year_start) & ~Q(state=State.WITHDRAWN)),
    )
    states = dict(visible.filter(state__in=OPEN_STATES).values_list("state").annotate(n=Count("id")))
    by_state = [(s, State(s).label, states.get(s, 0)) for s in OPEN_STATES]
    grid_counts = list(visible.filter(state__in=OPEN_STATES).values("grid").annotate(n=Count("id"))
                       .order_by("-n", "grid"))
    grids = {g.pk: g for g in access.visible_community_grids(user).select_related("community")
             .filter(pk__in=[row["grid"] for row in grid_counts])}
    scope = access.scope_of(user)
    calls = Call.objects.filter(late_calls(now))
    if not scope.everything:
        calls = calls.filter(grid_id__in=scope.community_grid_ids)
    return Dashboard(
        by_state=by_state, by_grid=[(grids[row["grid"]], row["n"]) for row in grid_counts],
        open_total=totals["open_total"], resolved_this_month=totals["resolved_this_month"],
        success_rate=totals["succeeded"] / totals["accepted"] if totals["accepted"] else None,
        overdue=totals["overdue"], escalated_waiting=totals["escalated_waiting"],
        late_calls=calls.count(), month_start=month_start, year_start=year_start,
    )


def workbench_loop(user) -> dict:
    """What the closing loop puts on a work bench: my tasks (督办, meeting decisions), calls I
    must answer, follow-up visits due in my scope. Each list capped, each counted."""
    from .closing import calls_to_answer
    from .models import FollowUp, Task

    tasks = Task.objects.filter(assignee=user, done_at__isnull=True).select_related("case", "issued_by")
    calls = calls_to_answer(user).select_related("grid__community", "caller", "case")
    follow_ups = FollowUp.objects.filter(done_at__isnull=True, case__in=access.visible_cases(user),
                                         case__state=State.RESOLVED).select_related("case")
    if not access.has_role(user, *access.ACTION_ROLES["follow_up"]):
        follow_ups = follow_ups.none()
    return {
        "tasks": list(tasks.order_by("deadline", "id")[:WORKBENCH_ROWS]), "tasks_total": tasks.count(),
        "calls": list(calls.order_by("respond_by", "id")[:WORKBENCH_ROWS]), "calls_total": calls.count(),
        "follow_ups": list(follow_ups.order_by("due_on", "id")[:WORKBENCH_ROWS]),
        "follow_ups_total": follow_ups.count(),
    }
