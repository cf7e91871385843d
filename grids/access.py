"""Places and the roles held on them: "who works where, as what". Knows nothing of cases.

A role is held on a place, granted as a django-guardian object permission:
  community worker      -> CommunityGrid  (grids.work_in_communitygrid)
  police officer        -> PoliceGrid     (grids.police_policegrid): every community grid it covers
  auxiliary police      -> PoliceGrid     (grids.assist_policegrid): likewise
  station leader        -> PoliceStation  (grids.lead_policestation): every grid its police grids cover
  street leader         -> Street         (grids.lead_street): every grid of the street
  district centre       -> District       (grids.lead_district): every grid of its streets
  police bureau leader  -> PoliceBureau   (grids.lead_policebureau): every grid its stations cover
  administrator         -> everything (superuser or the administrator group)
The permission says both the role and the place, so an officer on police grid 1 who is also a
community worker on grid 7 holds officer powers under police grid 1 and worker powers on grid 7,
nothing more. Groups only label accounts (the role names in the navigation bar).

`scope_of(user)` turns those rows into {community grid id: roles there} in three queries,
whatever the data size, and caches the result on the user object for the request. What a role
may do with a case is decided by the cases app (cases/permissions.py), from these roles.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from .models import (
    CommunityGrid,
    CommunityGridUserObjectPermission,
    District,
    DistrictUserObjectPermission,
    PoliceBureauUserObjectPermission,
    PoliceGrid,
    PoliceGridUserObjectPermission,
    PoliceStationUserObjectPermission,
    Street,
    StreetUserObjectPermission,
)
from .roles import LEADERS, Role

_CACHE_ATTR = "_fengqiao_access"

# The permission codename that places each role, by the kind of place it is held on.
WORKER_PERM, OFFICER_PERM, AUXILIARY_PERM = "work_in_communitygrid", "police_policegrid", "assist_policegrid"
STATION_PERM, STREET_PERM = "lead_policestation", "lead_street"
DISTRICT_PERM, BUREAU_PERM = "lead_district", "lead_policebureau"
POLICE_GRID_ROLES = {OFFICER_PERM: Role.OFFICER, AUXILIARY_PERM: Role.AUXILIARY}


@dataclass(frozen=True)
class Scope:
    """Everything a user may see, and as what. `everything` is the administrator's scope."""

    everything: bool
    roles_by_grid: dict[int, frozenset[str]] = field(default_factory=dict)
    police_grid_ids: frozenset[int] = frozenset()
    street_ids: frozenset[int] = frozenset()
    led_street_ids: frozenset[int] = frozenset()      # streets the user leads
    led_station_ids: frozenset[int] = frozenset()     # police stations the user leads
    held_police_grid_ids: frozenset[int] = frozenset()  # police grids the user polices or assists on
    led_district_ids: frozenset[int] = frozenset()    # districts whose mediation centre the user leads
    led_bureau_ids: frozenset[int] = frozenset()      # district police bureaus the user leads

    @property
    def community_grid_ids(self) -> frozenset[int]:
        return frozenset(self.roles_by_grid)

    def roles_on(self, grid_id: int) -> frozenset[str]:
        """The roles held on one community grid (empty outside the scope)."""
        if self.everything:
            return frozenset({Role.ADMIN})
        return self.roles_by_grid.get(grid_id, frozenset())

    def grids_where(self, *roles: str) -> frozenset[int]:
        """Community grids on which the user holds any of `roles`."""
        wanted = set(roles)
        return frozenset(g for g, held in self.roles_by_grid.items() if held & wanted)


NOBODY = Scope(everything=False)
EVERYTHING = Scope(everything=True)


def request_cache(user) -> dict:
    """A per-request memo on the user object, shared by the apps that derive rights from places
    (cases keeps its per-case grants here too); `forget` empties it."""
    cache = getattr(user, _CACHE_ATTR, None)
    if cache is None:
        cache = {}
        setattr(user, _CACHE_ATTR, cache)
    return cache


def forget(user) -> None:
    """Drop everything cached about the user's rights (after granting or revoking a place)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles_of(user) -> frozenset[str]:
    """The roles the account is labelled with (its groups); superusers are administrators.
    For display and for choosing accounts, never for deciding what someone may do on a place."""
    if not user.is_authenticated:
        return frozenset()
    cache = request_cache(user)
    if "roles" not in cache:
        roles = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            roles.add(Role.ADMIN)
        cache["roles"] = frozenset(roles)
    return cache["roles"]


def is_admin(user) -> bool:
    return user.is_authenticated and (user.is_superuser or Role.ADMIN in roles_of(user))


def _held_places(user) -> dict[str, set[int]]:
    """{permission codename: ids of the places it is held on}, one query over the six tables."""
    tables = [
        CommunityGridUserObjectPermission, PoliceGridUserObjectPermission,
        PoliceStationUserObjectPermission, StreetUserObjectPermission,
        DistrictUserObjectPermission, PoliceBureauUserObjectPermission,
    ]
    queries = [t.objects.filter(user=user).values_list("permission__codename", "content_object_id")
               for t in tables]
    held = defaultdict(set)
    for codename, object_id in queries[0].union(*queries[1:], all=True):
        held[codename].add(object_id)
    return held


def scope_of(user) -> Scope:
    """Every community grid the user may see with the roles held there. Three queries."""
    if not user.is_authenticated:
        return NOBODY
    cache = request_cache(user)
    if "scope" in cache:
        return cache["scope"]
    if is_admin(user):
        scope = EVERYTHING
    else:
        held = _held_places(user)
        worker_grids, streets, stations = held[WORKER_PERM], held[STREET_PERM], held[STATION_PERM]
        districts, bureaus = held[DISTRICT_PERM], held[BUREAU_PERM]
        police_roles = {}  # police grid id -> roles held on it
        for codename, role in POLICE_GRID_ROLES.items():
            for pg in held[codename]:
                police_roles.setdefault(pg, set()).add(role)
        roles_by_grid: dict[int, set[str]] = defaultdict(set)
        street_ids = set()
        if worker_grids or streets or stations or police_roles or districts or bureaus:
            rows = CommunityGrid.objects.filter(
                Q(id__in=worker_grids) | Q(community__street_id__in=streets)
                | Q(community__street__district_id__in=districts)
                | Q(police_links__police_grid_id__in=police_roles)
                | Q(police_links__police_grid__station_id__in=stations)
                | Q(police_links__police_grid__station__bureau_id__in=bureaus)
            ).values_list("id", "community__street_id", "community__street__district_id",
                          "police_links__police_grid_id", "police_links__police_grid__station_id",
                          "police_links__police_grid__station__bureau_id")
            for grid_id, street_id, district_id, police_grid_id, station_id, bureau_id in rows:
                roles = roles_by_grid[grid_id]
                street_ids.add(street_id)
                if grid_id in worker_grids:
                    roles.add(Role.WORKER)
                if street_id in streets:
                    roles.add(Role.STREET_LEADER)
                if district_id is not None and district_id in districts:
                    roles.add(Role.DISTRICT_LEADER)
                if police_grid_id in police_roles:
                    roles.update(police_roles[police_grid_id])
                if station_id in stations:
                    roles.add(Role.STATION_LEADER)
                if bureau_id is not None and bureau_id in bureaus:
                    roles.add(Role.BUREAU_LEADER)
        police_grid_ids = frozenset(
            PoliceGrid.objects.filter(
                Q(id__in=police_roles) | Q(station_id__in=stations) | Q(station__bureau_id__in=bureaus)
                | Q(links__community_grid_id__in=roles_by_grid)
            ).values_list("id", flat=True).distinct()
        ) if roles_by_grid or police_roles or stations or bureaus else frozenset()
        scope = Scope(
            everything=False,
            roles_by_grid={g: frozenset(r) for g, r in roles_by_grid.items() if r},
            police_grid_ids=police_grid_ids, street_ids=frozenset(street_ids),
            led_street_ids=frozenset(streets), led_station_ids=frozenset(stations),
            held_police_grid_ids=frozenset(police_roles),
            led_district_ids=frozenset(districts), led_bureau_ids=frozenset(bureaus),
        )
    cache["scope"] = scope
    return scope


def roles_on_grid(user, grid_id: int) -> frozenset[str]:
    """The roles `user` holds on one community grid."""
    return scope_of(user).roles_on(grid_id)


def holds_anywhere(user, *roles: str) -> bool:
    """Does the user hold any of `roles` on some place (administrators hold every role)?"""
    scope = scope_of(user)
    if scope.everything:
        return True
    wanted = set(roles)
    return any(held & wanted for held in scope.roles_by_grid.values())


def is_leader(user) -> bool:
    """A station, street, bureau or district leader somewhere, or an administrator."""
    return holds_anywhere(user, *LEADERS)


def visible_community_grids(user) -> QuerySet[CommunityGrid]:
    """Community grids the user may see."""
    scope = scope_of(user)
    qs = CommunityGrid.objects.all()
    return qs if scope.everything else qs.filter(id__in=scope.community_grid_ids)


def grids_where(user, *roles: str) -> QuerySet[CommunityGrid]:
    """Community grids on which the user holds one of `roles` (all of them for administrators)."""
    scope = scope_of(user)
    qs = CommunityGrid.objects.all()
    return qs if scope.everything else qs.filter(id__in=scope.grids_where(*roles))


def visible_police_grids(user) -> QuerySet[PoliceGrid]:
    """Police grids the user may see: their own, and those covering a visible community grid."""
    scope = scope_of(user)
    qs = PoliceGrid.objects.all()
    return qs if scope.everything else qs.filter(id__in=scope.police_grid_ids)


def visible_streets(user) -> QuerySet[Street]:
    """Streets in which the user may see at least one community grid."""
    scope = scope_of(user)
    qs = Street.objects.all()
    return qs if scope.everything else qs.filter(id__in=scope.street_ids)


def led_streets(user) -> QuerySet[Street]:
    """Streets the user leads (every street for administrators)."""
    scope = scope_of(user)
    qs = Street.objects.all()
    return qs if scope.everything else qs.filter(id__in=scope.led_street_ids)


def led_districts(user) -> QuerySet[District]:
    """Districts whose mediation centre the user leads (every district for administrators)."""
    scope = scope_of(user)
    qs = District.objects.all()
    return qs if scope.everything else qs.filter(id__in=scope.led_district_ids)


def visible_districts(user) -> QuerySet[District]:
    """Districts in which the user may see at least one street."""
    scope = scope_of(user)
    qs = District.objects.all()
    return qs if scope.everything else qs.filter(streets__id__in=scope.street_ids).distinct()
