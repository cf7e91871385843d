from django.shortcuts import render

from grids import access


def workbench(request):
    """工作台: what awaits this user. Until cases exist, the places they work on."""
    user = request.user
    grids = list(access.visible_community_grids(user).select_related("community__street")[:50])
    return render(
        request,
        "cases/workbench.html",
        {"grids": grids, "grid_count": access.visible_community_grids(user).count()},
    )
