from django.utils.functional import SimpleLazyObject

from . import permissions


def navigation(request):
    """Whether the navigation bar offers the 110 incidents (officers and leaders), computed only
    if a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_sees_incidents": SimpleLazyObject(lambda: permissions.may_see_incidents(user))}
