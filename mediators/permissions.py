"""Who may keep the mediation supermarket's roster. A mediator belongs to the communities she
serves; a leader keeps the mediators whose every community lies in the streets and stations
he leads (administrators keep everyone). What a mediator may do on a case is a per-case grant
read by cases/permissions.py."""

from cases.permissions import LEADERS
from grids import access
from grids.models import Community


def may_keep_roster(user) -> bool:
    """Adding mediators: station and street leaders, administrators."""
    return access.is_leader(user)


def roster_communities(user):
    """Communities in which the user leads at least one grid: the ones he may put mediators on."""
    scope = access.scope_of(user)
    if scope.everything:
        return Community.objects.all()
    return Community.objects.filter(grids__id__any=scope.grids_where(*LEADERS)).distinct()


def may_edit(user, mediator) -> bool:
    """Editing, re-linking or retiring a mediator: every community she serves is the user's."""
    if access.scope_of(user).everything:
        return True
    if not may_keep_roster(user):
        return False
    served = set(mediator.communities.values_list("id", flat=True))
    return bool(served) and served <= set(roster_communities(user).values_list("id", flat=True))
