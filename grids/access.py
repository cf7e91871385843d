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

`scope_of(user)` turns those rows into {community grid id: roles there} in two queries,
whatever the data size, memoised on the user object for the request and kept between requests
in the shared cache (grids/scope_cache.py says when it goes stale). What a role may do with a
case is decided by the cases app (cases/permissions.py), from these roles.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import QuerySet, Value

from . import compiled, scope_cache
from .models import (
    CommunityGrid,
    CommunityGridUserObjectPermission,
    District,
    DistrictUserObjectPermission,
    GridLink,
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
    roles = _account(user).groups
    return roles | {Role.ADMIN} if user.is_superuser else roles


def is_admin(user) -> bool:
    return user.is_authenticated and (user.is_superuser or Role.ADMIN in roles_of(user))


def scope_of(user) -> Scope:
    """Every community grid the user may see with the roles held there.

    Memoised for the request; between requests kept in the shared cache (when one is
    configured), where a change of the user's places or of the map makes it stale. Computed,
    it costs two queries: the user's groups and places, then the grids they reach. A superuser
    costs none, a member of the administrator group one."""
    if not user.is_authenticated:
        return NOBODY
    if user.is_superuser:
        return EVERYTHING
    return _account(user).scope


@dataclass(frozen=True)
class _Account:
    groups: frozenset[str]
    scope: Scope
    objects: dict[str, frozenset[int]] = field(default_factory=dict)  # codename -> ids (also_read)


# Object-permission tables of higher apps read with the places (cases' per-case grants):
# registered at start-up (AppConfig.ready) so that a page learns places and grants in one query.
_ALSO_READ: list = []


def also_read(table) -> None:
    """Read `table` (a guardian user-object-permission model) with the user's places: its rows
    come back from `held_objects`. Its saves and deletes must make the cached scope stale
    (scope_cache.on_permission_saved_or_deleted)."""
    if table not in _ALSO_READ:
        _ALSO_READ.append(table)


def held_objects(user) -> dict[str, frozenset[int]]:
    """{codename: ids of the objects} the user holds in the tables given to `also_read`."""
    if not user.is_authenticated:
        return {}
    return _account(user).objects


def _account(user) -> _Account:
    memo = request_cache(user)
    if "account" not in memo:
        memo["account"] = scope_cache.remember(user.pk, lambda: _compute_account(user))
    return memo["account"]


def _compute_account(user) -> _Account:
    groups, held, objects = _held_places(user)
    objects = {codename: frozenset(ids) for codename, ids in objects.items()}
    if Role.ADMIN in groups or user.is_superuser:
        return _Account(groups, EVERYTHING, objects)
    return _Account(groups, _scope_from(held), objects)


def _held_places(user) -> tuple[frozenset[str], dict[str, set[int]], dict[str, set[int]]]:
    """The user's group names, {permission codename: ids of the places it is held on} and the
    same for the tables given to `also_read`: one query over the group table, the six place
    tables and those (UNION ALL), compiled once (grids/compiled.py)."""
    names, held, objects = set(), defaultdict(set), defaultdict(set)
    for kind, name, object_id in _HELD.rows(shape=tuple(_ALSO_READ), user=user.pk):
        if kind == _GROUP:
            names.add(name)
        elif kind == _PLACE:
            held[name].add(object_id)
        else:
            objects[name].add(object_id)
    return frozenset(names), held, objects


_GROUP, _PLACE, _OBJECT = "g", "p", "o"
_PLACE_TABLES = (
    CommunityGridUserObjectPermission, PoliceGridUserObjectPermission, PoliceStationUserObjectPermission,
    StreetUserObjectPermission, DistrictUserObjectPermission, PoliceBureauUserObjectPermission,
)


def _held_query(user) -> QuerySet:
    def held(table, tag):
        return table.objects.filter(user_id=user).order_by().values_list(
            Value(tag), "permission__codename", "content_object_id")

    groups = (get_user_model().groups.through.objects.filter(user_id=user).order_by()
              .values_list(Value(_GROUP), "group__name", "group_id"))
    arms = [held(t, _PLACE) for t in _PLACE_TABLES] + [held(t, _OBJECT) for t in _ALSO_READ]
    return groups.union(*arms, all=True).order_by()


_HELD = compiled.Compiled(CommunityGridUserObjectPermission, _held_query)

# Tags of the rows of the grid query: the role a community grid is reached by, or a police grid.
_POLICE_GRID = "pg"


def _tagged(queryset, tag: str, *columns: str):
    return queryset.order_by().values_list(Value(tag), *columns)


def _scope_query(*, workers=(), streets=(), districts=(), officers=(), auxiliaries=(), police=(),
                 stations=(), bureaus=()) -> QuerySet:
    """One indexed selection per kind of place held (an argument given: its ids), each row tagged
    with the role it gives, plus the police grids the user may see: `police` are the police
    grids held in any role, `officers` and `auxiliaries` those held in each."""
    grid_cols = ("id", "community__street_id")
    link_cols = ("community_grid_id", "community_grid__community__street_id")
    grids, links, police_grids = CommunityGrid.objects.all(), GridLink.objects.all(), PoliceGrid.objects.all()
    parts = []
    if workers:
        parts.append(_tagged(grids.filter(id__any=workers), Role.WORKER, *grid_cols))
        parts.append(_tagged(links.filter(community_grid_id__any=workers), _POLICE_GRID,
                             "police_grid_id", "police_grid_id"))
    if streets:
        parts.append(_tagged(grids.filter(community__street_id__any=streets), Role.STREET_LEADER, *grid_cols))
        parts.append(_tagged(links.filter(community_grid__community__street_id__any=streets), _POLICE_GRID,
                             "police_grid_id", "police_grid_id"))
    if districts:
        parts.append(_tagged(grids.filter(community__street__district_id__any=districts),
                             Role.DISTRICT_LEADER, *grid_cols))
        parts.append(_tagged(links.filter(community_grid__community__street__district_id__any=districts),
                             _POLICE_GRID, "police_grid_id", "police_grid_id"))
    if officers:
        parts.append(_tagged(links.filter(police_grid_id__any=officers), Role.OFFICER, *link_cols))
    if auxiliaries:
        parts.append(_tagged(links.filter(police_grid_id__any=auxiliaries), Role.AUXILIARY, *link_cols))
    if police:  # police grids sharing a community grid with the user's own
        parts.append(_tagged(links.filter(community_grid__police_links__police_grid_id__any=police),
                             _POLICE_GRID, "police_grid_id", "police_grid_id"))
    if stations:
        parts.append(_tagged(links.filter(police_grid__station_id__any=stations), Role.STATION_LEADER,
                             *link_cols))
        parts.append(_tagged(police_grids.filter(station_id__any=stations), _POLICE_GRID, "id", "id"))
        parts.append(_tagged(links.filter(community_grid__police_links__police_grid__station_id__any=stations),
                             _POLICE_GRID, "police_grid_id", "police_grid_id"))
    if bureaus:
        parts.append(_tagged(links.filter(police_grid__station__bureau_id__any=bureaus), Role.BUREAU_LEADER,
                             *link_cols))
        parts.append(_tagged(police_grids.filter(station__bureau_id__any=bureaus), _POLICE_GRID, "id", "id"))
        parts.append(_tagged(
            links.filter(community_grid__police_links__police_grid__station__bureau_id__any=bureaus),
            _POLICE_GRID, "police_grid_id", "police_grid_id"))
    return parts[0].union(*parts[1:], all=True).order_by()


_SCOPE = compiled.Compiled(CommunityGrid, _scope_query)


def _scope_from(held: dict[str, set[int]]) -> Scope:
    """The scope reached from the places held, in one query (_scope_query, compiled once per
    kinds of places held): a UNION ALL of one indexed selection per kind of place held (no OR
    across every grid, no DISTINCT)."""
    streets, stations = held[STREET_PERM], held[STATION_PERM]
    districts, bureaus = held[DISTRICT_PERM], held[BUREAU_PERM]
    police_roles: dict[int, set[str]] = {}  # police grid id -> roles held on it
    for codename, role in POLICE_GRID_ROLES.items():
        for pg in held[codename]:
            police_roles.setdefault(pg, set()).add(role)
    places = {
        "workers": held[WORKER_PERM], "streets": streets, "districts": districts,
        "officers": [pg for pg, roles in police_roles.items() if Role.OFFICER in roles],
        "auxiliaries": [pg for pg, roles in police_roles.items() if Role.AUXILIARY in roles],
        "police": list(police_roles), "stations": stations, "bureaus": bureaus,
    }
    places = {kind: sorted(ids) for kind, ids in places.items() if ids}
    roles_by_grid: dict[int, set[str]] = defaultdict(set)
    street_ids, police_grid_ids = set(), set(police_roles)
    for tag, object_id, street_id in (_SCOPE.rows(**places) if places else ()):
        if tag == _POLICE_GRID:
            police_grid_ids.add(object_id)
        else:
            roles_by_grid[object_id].add(Role(tag))
            street_ids.add(street_id)
    return Scope(
        everything=False,
        roles_by_grid={g: frozenset(r) for g, r in roles_by_grid.items()},
        police_grid_ids=frozenset(police_grid_ids), street_ids=frozenset(street_ids),
        led_street_ids=frozenset(streets), led_station_ids=frozenset(stations),
        held_police_grid_ids=frozenset(police_roles),
        led_district_ids=frozenset(districts), led_bureau_ids=frozenset(bureaus),
    )


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
    return qs if scope.everything else qs.filter(id__any=scope.community_grid_ids)


def grids_where(user, *roles: str) -> QuerySet[CommunityGrid]:
    """Community grids on which the user holds one of `roles` (all of them for administrators)."""
    scope = scope_of(user)
    qs = CommunityGrid.objects.all()
    return qs if scope.everything else qs.filter(id__any=scope.grids_where(*roles))


def visible_police_grids(user) -> QuerySet[PoliceGrid]:
    """Police grids the user may see: their own, and those covering a visible community grid."""
    scope = scope_of(user)
    qs = PoliceGrid.objects.all()
    return qs if scope.everything else qs.filter(id__any=scope.police_grid_ids)


def visible_streets(user) -> QuerySet[Street]:
    """Streets in which the user may see at least one community grid."""
    scope = scope_of(user)
    qs = Street.objects.all()
    return qs if scope.everything else qs.filter(id__any=scope.street_ids)


def led_streets(user) -> QuerySet[Street]:
    """Streets the user leads (every street for administrators)."""
    scope = scope_of(user)
    qs = Street.objects.all()
    return qs if scope.everything else qs.filter(id__any=scope.led_street_ids)


def led_districts(user) -> QuerySet[District]:
    """Districts whose mediation centre the user leads (every district for administrators)."""
    scope = scope_of(user)
    qs = District.objects.all()
    return qs if scope.everything else qs.filter(id__any=scope.led_district_ids)


def visible_districts(user) -> QuerySet[District]:
    """Districts in which the user may see at least one street."""
    scope = scope_of(user)
    qs = District.objects.all()
    return qs if scope.everything else qs.filter(streets__id__any=scope.street_ids).distinct()
