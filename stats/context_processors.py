from django.utils.functional import SimpleLazyObject

from grids.access import request_cache

from . import figures


def default_unit(user) -> figures.Unit | None:
    """figures.default_unit, once a request: the top bar and the page both ask."""
    cache = request_cache(user)
    if "stats_default_unit" not in cache:
        cache["stats_default_unit"] = figures.default_unit(user)
    return cache["stats_default_unit"]


def navigation(request):
    """Whether the top bar shows the statistics: to everyone who has a unit to see."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_sees_stats": SimpleLazyObject(lambda: figures.has_unit(user))}
