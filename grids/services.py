"""Writes to the map of responsibility: putting people on places and taking them off.
The guardian object-permission rows written here are the only record of who works where."""

from django.contrib.auth.models import Group
from django.db import transaction
from guardian.shortcuts import assign_perm, remove_perm

from . import access, scope_cache
from .models import CommunityGrid, District, PoliceBureau, PoliceGrid, PoliceStation, Street
from .roles import Role

# Which role may be placed on which kind of place, with the object permission that places them.
PLACES = {
    Role.WORKER: (CommunityGrid, "grids.work_in_communitygrid"),
    Role.OFFICER: (PoliceGrid, "grids.police_policegrid"),
    Role.AUXILIARY: (PoliceGrid, "grids.assist_policegrid"),
    Role.STATION_LEADER: (PoliceStation, "grids.lead_policestation"),
    Role.STREET_LEADER: (Street, "grids.lead_street"),
    Role.DISTRICT_LEADER: (District, "grids.lead_district"),
    Role.BUREAU_LEADER: (PoliceBureau, "grids.lead_policebureau"),
}


def _permission_for(role: str, place) -> str:
    try:
        model, permission = PLACES[role]
    except KeyError:
        raise ValueError(f"role {role!r} is not placed on grids") from None
    if not isinstance(place, model):
        raise ValueError(f"a {role} is placed on a {model.__name__}, not {type(place).__name__}")
    return permission


@transaction.atomic
def give_role(*, user, role: str) -> None:
    """Add the user to the role's group (idempotent)."""
    user.groups.add(Group.objects.get(name=role))
    scope_cache.user_changed(user.pk)
    access.forget(user)


@transaction.atomic
def place_user(*, user, role: str, place) -> None:
    """Give `user` the role and put them on `place` (a grid, a station or a street). Idempotent."""
    permission = _permission_for(role, place)
    give_role(user=user, role=role)
    assign_perm(permission, user, place)
    scope_cache.user_changed(user.pk)
    access.forget(user)


@transaction.atomic
def unplace_user(*, user, role: str, place) -> None:
    """Take `user` off `place`; the role stays (they may still work elsewhere)."""
    remove_perm(_permission_for(role, place), user, place)
    scope_cache.user_changed(user.pk)
    access.forget(user)
