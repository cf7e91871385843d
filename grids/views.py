from django.shortcuts import get_object_or_404, render

from . import access, selectors


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
