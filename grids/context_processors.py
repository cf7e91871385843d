from django.utils.functional import SimpleLazyObject

from . import access
from .roles import Role

NAV_STREETS = 3


def navigation(request):
    """Role labels and the streets for the navigation bar, computed only if a page shows them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def roles():
        labels = dict(Role.choices)
        return [labels[r] for r in Role.values if r in access.roles_of(user)]

    # A few street maps in the bar (one query, at most NAV_STREETS + 1 rows); more than that
    # (a district's leader, an administrator: thousands) and the bar links the street index.
    streets = SimpleLazyObject(lambda: list(access.visible_streets(user).order_by("name", "id")[:NAV_STREETS + 1]))

    return {
        "nav_roles": SimpleLazyObject(roles),
        "nav_streets": SimpleLazyObject(lambda: streets[:NAV_STREETS]),
        "nav_more_streets": SimpleLazyObject(lambda: len(streets) > NAV_STREETS),
        "nav_is_admin": SimpleLazyObject(lambda: access.is_admin(user)),
        "nav_is_leader": SimpleLazyObject(lambda: access.is_leader(user)),
    }
