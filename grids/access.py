"""The one place that answers "who may see and do what, where".

Scope is granted with django-guardian object permissions on places:
  community worker      -> CommunityGrid  (grids.work_in_communitygrid)
  police / auxiliary    -> PoliceGrid     (grids.police_policegrid): every community grid it covers
  station leader        -> PoliceStation  (grids.lead_policestation): every grid its police grids cover
  street leader         -> Street         (grids.lead_street): every grid of the street
  administrator         -> everything
A user's scope is computed once per request (a few queries, whatever the data size) and cached
on the user object; everything else filters by the resulting id sets.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from .models import (
    CommunityGrid,
    CommunityGridUserObjectPermission,
    PoliceGrid,
    PoliceGridUserObjectPermission,
    PoliceStationUserObjectPermission,
    Street,
    StreetUserObjectPermission,
)
from .roles import Role

_CACHE_ATTR = "_fengqiao_access"


@dataclass(frozen=True)
class Scope:
    everything: bool
    community_grid_ids: frozenset[int]
    police_grid_ids: frozenset[int]
    street_ids: frozenset[int]
    # per-case exceptions (a chosen mediator, later a referred department): case ids
    granted_case_ids: frozenset[int] = frozenset()


def _cache(user) -> dict:
    cache = getattr(user, _CACHE_ATTR, None)
    if cache is None:
        cache = {}
        setattr(user, _CACHE_ATTR, cache)
    return cache


def forget(user) -> None:
    """Drop the cached roles and scope (after granting or revoking a place)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles_of(user) -> frozenset[str]:
    """The user's roles (group names); superusers are administrators. One query, cached."""
    if not user.is_authenticated:
        return frozenset()
    cache = _cache(user)
    if "roles" not in cache:
        roles = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            roles.add(Role.ADMIN)
        cache["roles"] = frozenset(roles)
    return cache["roles"]


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def is_admin(user) -> bool:
    return user.is_authenticated and (user.is_superuser or Role.ADMIN in roles_of(user))


def _held(model, user, codename: str):
    return model.objects.filter(user=user, permission__codename=codename).values(
        "content_object_id"
    )


def scope_of(user) -> Scope:
    """Everything the user may see, as id sets. Three queries, whatever the data size."""
    if not user.is_authenticated:
        return Scope(False, frozenset(), frozenset(), frozenset())
    cache = _cache(user)
    if "scope" in cache:
        return cache["scope"]
    if is_admin(user):
        scope = Scope(True, frozenset(), frozenset(), frozenset())
    else:
        own_grids = _held(CommunityGridUserObjectPermission, user, "work_in_communitygrid")
        police_grids = _held(PoliceGridUserObjectPermission, user, "police_policegrid")
        stations = _held(PoliceStationUserObjectPermission, user, "lead_policestation")
        streets = _held(StreetUserObjectPermission, user, "lead_street")
        rows = (
            CommunityGrid.objects.filter(
                Q(id__in=own_grids)
                | Q(community__street_id__in=streets)
                | Q(police_links__police_grid_id__in=police_grids)
                | Q(police_links__police_grid__station_id__in=stations)
            )
            .values_list("id", "community__street_id")
            .distinct()
        )
        grid_ids = frozenset(r[0] for r in rows)
        street_ids = frozenset(r[1] for r in rows)
        police_grid_ids = frozenset(
            PoliceGrid.objects.filter(
                Q(id__in=police_grids)
                | Q(station_id__in=stations)
                | Q(links__community_grid_id__in=grid_ids)
            )
            .values_list("id", flat=True)
            .distinct()
        )
        scope = Scope(False, grid_ids, police_grid_ids, street_ids, _granted_case_ids(user))
    cache["scope"] = scope
    return scope


def _granted_case_ids(user) -> frozenset[int]:
    from cases.models import CaseUserObjectPermission

    return frozenset(
        CaseUserObjectPermission.objects.filter(
            user=user, permission__codename="view_case"
        ).values_list("content_object_id", flat=True)
    )


def visible_community_grids(user) -> QuerySet[CommunityGrid]:
    """Community grids the user may see."""
    scope = scope_of(user)
    qs = CommunityGrid.objects.all()
    return qs if scope.everything else qs.filter(id__in=scope.community_grid_ids)


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


# --- cases -------------------------------------------------------------------------------------

W, O, AUX, SL, STL, ADM = (
    Role.WORKER, Role.OFFICER, Role.AUXILIARY, Role.STATION_LEADER, Role.STREET_LEADER, Role.ADMIN,
)
LEAD = {SL, STL, ADM}

# Which roles may take each action on a case in their scope. Per-state refinements below.
ACTION_ROLES: dict[str, frozenset[str]] = {
    "view": frozenset({W, O, AUX, SL, STL, ADM, Role.MEDIATOR}),
    "create": frozenset({W, O, AUX, SL, STL, ADM}),
    "comment": frozenset({W, O, AUX, SL, STL, ADM}),
    "attach": frozenset({W, O, AUX, SL, STL, ADM}),
    "reveal_personal_data": frozenset({W, O, SL, STL, ADM}),
    "triage": frozenset({O, SL, STL, ADM}),
    "start_mediation": frozenset({W, O, AUX, SL, STL, ADM}),
    "escalate": frozenset({O, SL, STL, ADM}),
    "refer": frozenset(LEAD),
    "assign_mediation": frozenset(LEAD),
    "resolve": frozenset({W, O, SL, STL, ADM}),
    "reopen": frozenset({W, O, SL, STL, ADM}),
    "close": frozenset({W, O, SL, STL, ADM}),
    "withdraw": frozenset({W, O, SL, STL, ADM}),
    "choose_mediator": frozenset({W, O, SL, STL, ADM}),
    "record_session": frozenset({W, O, AUX, SL, STL, ADM}),
    "record_agreement": frozenset({W, O, SL, STL, ADM}),
    "supervise": frozenset(LEAD),
    "update_referral": frozenset(LEAD),
    "follow_up": frozenset({W, O, SL, STL, ADM}),
    "call": frozenset({W, O, AUX, SL, STL, ADM}),
}
# Work across the street rather than on one case: the ledger, the dashboard, joint meetings.
LEDGER_ROLES = frozenset(LEAD)
# What a per-case grant lets its holder do, by role (a mediator works on the cases that chose
# them; anyone else granted a case may only read it).
GRANTED_ACTIONS = {
    Role.MEDIATOR: frozenset({"view", "record_session", "record_agreement"}),
    Role.DEPARTMENT: frozenset({"view", "update_referral"}),
}
GRANTED_DEFAULT = frozenset({"view"})


def visible_cases(user):
    """Every case the user may see: those in their grids, plus per-case grants (a chosen
    mediator, a referred department). Constant number of queries, whatever the data size."""
    from cases.models import Case

    scope = scope_of(user)
    if scope.everything:
        return Case.objects.all()
    return Case.objects.filter(
        Q(grid_id__in=scope.community_grid_ids) | Q(id__in=scope.granted_case_ids)
    )


def in_scope(user, grid_id: int) -> bool:
    scope = scope_of(user)
    return scope.everything or grid_id in scope.community_grid_ids


def can_create_in(user, grid) -> bool:
    """May the user log a case on this community grid?"""
    return has_role(user, *ACTION_ROLES["create"]) and in_scope(user, grid.pk)


def can(user, action: str, case) -> bool:
    """May `user` take `action` on `case`? Role decides what, grids decide where."""
    if not user.is_authenticated or action not in ACTION_ROLES:
        return False
    if not in_scope(user, case.grid_id):
        if case.pk not in scope_of(user).granted_case_ids:
            return False
        allowed = set().union(*(GRANTED_ACTIONS.get(r, GRANTED_DEFAULT) for r in roles_of(user)))
        return action in (allowed or GRANTED_DEFAULT)
    roles = roles_of(user) & ACTION_ROLES[action]
    if not roles:
        return False
    # A case taken up by the station and street (escalated / referred) is theirs to resolve.
    if action == "resolve" and case.state in ("escalated", "referred"):
        return bool(roles & LEAD)
    return True


def available_transitions(user, case) -> list[str]:
    """Transition names this user may take from the case's current state. Conditions (a reason,
    a resolution…) are not checked here: they are what the transition's form asks for."""
    names = []
    for method in type(case).__dict__.values():
        meta = getattr(method, "_django_fsm", None)
        if meta is not None and meta.has_transition(case.state):
            if meta.get_transition(case.state).has_perm(case, user):
                names.append(method.__name__)
    return names
