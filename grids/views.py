from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from . import access, pickers, selectors
from .models import Community
from .roles import Role


def street_map(request, pk):
    """街道网格图: police grids, the community grids they cover, and who works on each."""
    street = get_object_or_404(access.visible_streets(request.user), pk=pk)
    return render(
        request,
        "grids/street_map.html",
        {"map": selectors.street_map(user=request.user, street=street)},
    )


def grid_detail(request, pk):
    """One community grid. Outside the user's scope it does not exist (404)."""
    grid = get_object_or_404(
        access.visible_community_grids(request.user).select_related("community__street"), pk=pk
    )
    return render(
        request, "grids/grid_detail.html", {"page": selectors.grid_page(user=request.user, grid=grid)}
    )


def _typed(request) -> str:
    """What was typed in a picker's search box (`q`, or the box's own `<field>_q`)."""
    for key, value in request.GET.items():
        if key == "q" or key.endswith("_q"):
            return value[:100]
    return ""


@require_GET
def grid_search(request):
    """A grid picker's matches as <option>s (htmx): at most 20 of the grids the user may see,
    or, with ?roles=, of those on which the user holds one of these roles."""
    roles = [r for r in request.GET.get("roles", "").split(",") if r in Role.values]
    grids = access.grids_where(request.user, *roles) if roles else access.visible_community_grids(request.user)
    found = list(pickers.matching_grids(grids, _typed(request)))
    return render(request, "grids/partials/search_options.html",
                  {"options": [(g.pk, pickers.grid_label(g)) for g in found], "count": len(found),
                   "status_id": request.GET.get("status", "")})


@require_GET
def community_search(request):
    """A community picker's matches as <option>s (htmx): at most 20 communities (the roster
    serves any community, so every signed-in user may search them all)."""
    found = list(pickers.matching_communities(Community.objects.all(), _typed(request)))
    return render(request, "grids/partials/search_options.html",
                  {"options": [(c.pk, pickers.community_label(c)) for c in found], "count": len(found),
                   "status_id": request.GET.get("status", "")})


STREETS_PER_PAGE = 50


@require_GET
def street_index(request):
    """The streets whose grid map the user may open, a page at a time, searchable by name (the
    navigation bar links a few of them and this page)."""
    streets = access.visible_streets(request.user).select_related("district").order_by("name", "id")
    text = request.GET.get("q", "").strip()[:100]
    if text:
        streets = streets.filter(name__icontains=text)
    page = Paginator(streets, STREETS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "grids/street_index.html", {"page": page, "q": text,
                                                       "query": urlencode({"q": text}) if text else ""})
