from django.utils.functional import SimpleLazyObject

from . import access
from .roles import Role


def navigation(request):
    """Role labels and the streets for the navigation bar, computed only if a page shows them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def roles():
        labels = dict(Role.choices)
        return [labels[r] for r in Role.values if r in access.roles_of(user)]

    return {
        "nav_roles": SimpleLazyObject(roles),
        "nav_streets": SimpleLazyObject(lambda: list(access.visible_streets(user))),
        "nav_is_admin": SimpleLazyObject(lambda: access.is_admin(user)),
        "nav_is_leader": SimpleLazyObject(lambda: access.is_leader(user)),
    }
