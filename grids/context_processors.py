import heapq

from django.utils.functional import SimpleLazyObject

from . import access, reference
from .models import Street
from .roles import Role

NAV_STREETS = 3


def _streets() -> dict[int, Street]:
    """Every street by id, kept per process (grids.reference): a province has a few thousand."""
    return reference.kept("streets", lambda: Street.objects.only("id", "name").in_bulk())


def nav_streets(user) -> tuple[list[Street], bool]:
    """The streets whose grid maps the top bar links, by name, and whether there are more than
    NAV_STREETS (a district's leader, an administrator: thousands; the bar then links the street
    index). From the user's scope and the kept streets: no query."""
    scope = access.scope_of(user)
    streets = _streets()
    ids = streets.keys() if scope.everything else scope.street_ids
    if any(i not in streets for i in ids):  # a street made in another process since
        reference.forget()
        streets = _streets()
    first = heapq.nsmallest(NAV_STREETS + 1, (streets[i] for i in ids if i in streets),
                            key=lambda street: (street.name, street.pk))
    return first[:NAV_STREETS], len(first) > NAV_STREETS


def navigation(request):
    """Role labels and the streets for the navigation bar, computed only if a page shows them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def roles():
        labels = dict(Role.choices)
        return [labels[r] for r in Role.values if r in access.roles_of(user)]

    streets = SimpleLazyObject(lambda: nav_streets(user))

    return {
        "nav_roles": SimpleLazyObject(roles),
        "nav_streets": SimpleLazyObject(lambda: streets[0]),
        "nav_more_streets": SimpleLazyObject(lambda: streets[1]),
        "nav_is_admin": SimpleLazyObject(lambda: access.is_admin(user)),
        "nav_is_leader": SimpleLazyObject(lambda: access.is_leader(user)),
    }
