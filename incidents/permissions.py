"""Who may see and act on 110 incidents: by place, like cases (grids.access), never by role alone.

An incident belongs to a police grid. It is seen by the officers and auxiliaries of that police
grid, the leaders of its station and of the station's police bureau, the leaders of the streets
whose community grids it covers and of their district's centre, and administrators. Community workers do not see dispatch records (they see the cases made of
them). Constant queries whatever the data size: subqueries on the grid tables.
"""

from django.db.models import Q

from grids import access
from grids.models import GridLink, PoliceGrid, PoliceGridUserObjectPermission
from grids.roles import Role

from .models import Incident, IncidentStatus


def _led(scope) -> Q:
    """The police grids under the stations, bureaus, streets and districts the user leads."""
    covering = GridLink.objects.filter(
        Q(community_grid__community__street_id__in=scope.led_street_ids)
        | Q(community_grid__community__street__district_id__in=scope.led_district_ids)).values("police_grid_id")
    return (Q(station_id__in=scope.led_station_ids) | Q(station__bureau_id__in=scope.led_bureau_ids)
            | Q(id__in=covering))


def _leads_somewhere(scope) -> bool:
    return bool(scope.led_station_ids or scope.led_street_ids or scope.led_bureau_ids or scope.led_district_ids)


def _police_grid_ids(user):
    """A subquery of the police grids whose incidents the user may see (None: all of them)."""
    scope = access.scope_of(user)
    if scope.everything:
        return None
    return PoliceGrid.objects.filter(Q(id__in=scope.held_police_grid_ids) | _led(scope)).values("id")


def visible_incidents(user):
    """Every incident the user may see."""
    ids = _police_grid_ids(user)
    return Incident.objects.all() if ids is None else Incident.objects.filter(police_grid_id__in=ids)


def visible_police_grids(user):
    """The police grids whose incidents the user may see (and import)."""
    ids = _police_grid_ids(user)
    return PoliceGrid.objects.all() if ids is None else PoliceGrid.objects.filter(id__in=ids)


def may_see_incidents(user) -> bool:
    """Whether the incidents pages are for this user at all (no query beyond the scope)."""
    scope = access.scope_of(user)
    return scope.everything or bool(scope.held_police_grid_ids) or _leads_somewhere(scope)


def may_import(user) -> bool:
    """Officers and leaders (not auxiliaries) import their police grids' dispatch records
    (incidents/importing.py refuses each row of a police grid the importer may not see)."""
    scope = access.scope_of(user)
    return scope.everything or _leads_somewhere(scope) or any(
        Role.OFFICER in roles for roles in scope.roles_by_grid.values())


def may_handle(user, incident) -> bool:
    """Turn it into a case or close it as handled on the spot: anyone who sees it, while it is
    still new."""
    return (incident.status == IncidentStatus.NEW and may_see_incidents(user)
            and visible_incidents(user).filter(pk=incident.pk).exists())


def _caller_revealing_grid_ids(user):
    """A subquery of the police grids whose callers' phones the user sees in full (None: all):
    the officers of the police grid (not its auxiliaries, as on a case) and the leaders over it."""
    scope = access.scope_of(user)
    if scope.everything:
        return None
    return PoliceGrid.objects.filter(
        Q(id__in=PoliceGridUserObjectPermission.objects.filter(
            user=user, permission__codename=access.OFFICER_PERM).values("content_object_id"))
        | _led(scope)
    ).values("id")


def caller_revealable_incidents(user):
    """Incidents whose caller's phone the user sees in full (and may match a typed phone
    against): those of the police grids they police as an officer or lead."""
    ids = _caller_revealing_grid_ids(user)
    return Incident.objects.all() if ids is None else Incident.objects.filter(police_grid_id__in=ids)
