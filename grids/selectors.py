"""Reads of the map of responsibility, already cut to what the user may see.
Each costs a fixed number of queries, whatever the size of the street."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Q

from . import access
from .models import (
    CommunityGrid,
    CommunityGridUserObjectPermission,
    DistrictUserObjectPermission,
    GridLink,
    PoliceGrid,
    PoliceGridUserObjectPermission,
    PoliceStationUserObjectPermission,
    Street,
    StreetUserObjectPermission,
)


def worker_rows(grid_ids):
    """The rows placing active community workers on these community grids, each with its
    account, by username (a queryset: people_on_grids reads it, or a page with its other rows)."""
    return (
        CommunityGridUserObjectPermission.objects.filter(
            content_object_id__in=grid_ids,
            permission__codename=access.WORKER_PERM,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("user__username")
    )


def police_rows(police_grid_ids):
    """The rows placing active police officers and auxiliaries on these police grids, each with
    its account and permission, by username (a queryset, like worker_rows)."""
    return (
        PoliceGridUserObjectPermission.objects.filter(
            content_object_id__in=police_grid_ids,
            permission__codename__in=access.POLICE_GRID_ROLES,
            user__is_active=True,
        )
        .select_related("user", "permission")
        .order_by("user__username")
    )


def workers_by_grid(rows) -> dict[int, list]:
    """{community grid id: [user, ...]} from worker_rows."""
    people = defaultdict(list)
    for row in rows:
        people[row.content_object_id].append(row.user)
    return people


def police_by_grid(rows) -> dict[int, list]:
    """{police grid id: [user, ...]} from police_rows. Each user carries `police_role`
    (Role.OFFICER or Role.AUXILIARY), the role held on that grid."""
    people = defaultdict(list)
    for row in rows:
        row.user.police_role = access.POLICE_GRID_ROLES[row.permission.codename]
        people[row.content_object_id].append(row.user)
    return people


def people_on_grids(grid_ids) -> dict[int, list]:
    """Community workers on each community grid: {grid id: [user, ...]} in one query."""
    return workers_by_grid(worker_rows(grid_ids))


def people_on_police_grids(police_grid_ids) -> dict[int, list]:
    """Police officers and auxiliaries on each police grid, in one query (see police_by_grid)."""
    return police_by_grid(police_rows(police_grid_ids))


def people_placed_on(*, grid_ids, police_grid_ids):
    """Active accounts placed on these community grids (workers) or police grids (police), as a
    queryset ordered by username; None for both means everybody placed anywhere."""
    workers = CommunityGridUserObjectPermission.objects.values("user_id")
    police = PoliceGridUserObjectPermission.objects.values("user_id")
    if grid_ids is not None:
        workers = workers.filter(content_object_id__any=grid_ids)
    if police_grid_ids is not None:
        police = police.filter(content_object_id__any=police_grid_ids)
    return get_user_model().objects.filter(
        Q(pk__in=workers) | Q(pk__in=police), is_active=True).order_by("username")


def leaders_over_grid(grid_id: int, *, station=True, street=False, district=False) -> list:
    """The active station leaders (and street leaders, and the district centre's leaders) over a
    community grid, in one query."""
    who = Q(pk__in=[])
    if station:
        who |= Q(pk__in=PoliceStationUserObjectPermission.objects.filter(
            content_object__police_grids__links__community_grid_id=grid_id).values("user_id"))
    if street:
        who |= Q(pk__in=StreetUserObjectPermission.objects.filter(
            content_object__communities__grids__id=grid_id).values("user_id"))
    if district:
        who |= Q(pk__in=DistrictUserObjectPermission.objects.filter(
            content_object__streets__communities__grids__id=grid_id).values("user_id"))
    return list(get_user_model().objects.filter(who, is_active=True))


@dataclass
class PoliceGridRow:
    police_grid: PoliceGrid
    officers: list
    community_grids: list = field(default_factory=list)  # [(grid, [workers])]


@dataclass
class StreetMap:
    street: Street
    police_grids: list[PoliceGridRow]
    uncovered: list  # [(grid, [workers])] visible grids no police grid covers


def street_map(*, user, street: Street) -> StreetMap:
    """The police grids of a street with the community grids they cover and who works on each,
    limited to the user's scope."""
    grids = {
        g.id: g
        for g in access.visible_community_grids(user)
        .filter(community__street=street)
        .select_related("community")
    }
    links = (
        GridLink.objects.filter(community_grid_id__in=grids)
        .filter(police_grid__in=access.visible_police_grids(user))
        .select_related("police_grid__station")
        .order_by("police_grid__code", "community_grid__code")
    )
    workers = people_on_grids(grids)
    rows: dict[int, PoliceGridRow] = {}
    covered = set()
    for link in links:
        row = rows.get(link.police_grid_id)
        if row is None:
            row = rows[link.police_grid_id] = PoliceGridRow(link.police_grid, [])
        grid = grids[link.community_grid_id]
        row.community_grids.append((grid, workers.get(grid.id, [])))
        covered.add(grid.id)
    officers = people_on_police_grids(list(rows))
    for pg_id, row in rows.items():
        row.officers = officers.get(pg_id, [])
    uncovered = [
        (g, workers.get(g.id, [])) for g in sorted(grids.values(), key=lambda g: g.code)
        if g.id not in covered
    ]
    return StreetMap(street, list(rows.values()), uncovered)


@dataclass
class GridPage:
    grid: CommunityGrid
    workers: list
    police_grids: list  # [(police grid, [officers])]


def grid_page(*, user, grid: CommunityGrid) -> GridPage:
    """One community grid: its workers and the police grids (with officers) that cover it."""
    police_grids = list(
        access.visible_police_grids(user)
        .filter(links__community_grid=grid)
        .select_related("station")
        .distinct()
    )
    officers = people_on_police_grids([pg.id for pg in police_grids])
    return GridPage(
        grid=grid,
        workers=people_on_grids([grid.id]).get(grid.id, []),
        police_grids=[(pg, officers.get(pg.id, [])) for pg in police_grids],
    )


