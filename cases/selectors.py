"""Reads of cases, already cut to what the user may see. Each page's reads cost a fixed number
of queries, whatever the number of cases, parties or events."""

from dataclasses import dataclass

from django.utils import timezone

from grids import access
from grids.roles import Role
from grids.models import PoliceGrid
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
