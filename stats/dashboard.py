"""The period figures of the leaders' dashboard (cases.selectors.dashboard) from the daily
rollups, registered in stats/apps.py: one query for the rows of this year in the grids the
leader leads (the daily totals for the whole province), one for when they were made. The meaning
is the statistics' (stats/facts.py)."""

from datetime import date

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from .models import DailyRollup, DayTotal
from .refresh import last_refreshed_at


def period_figures(grid_ids, year_start: date, month_start: date) -> dict | None:
    """This year's cases (reported, accepted, settled, settled on the spot) and this month's
    resolutions in `grid_ids` (None: everywhere), as of the last refresh; None before the first."""
    as_of = last_refreshed_at()
    if as_of is None:
        return None
    if grid_ids is None:
        rows = DayTotal.objects.filter(day__gte=year_start)
    else:
        rows = DailyRollup.objects.filter(day__gte=year_start, grid_id__in=grid_ids)
    summed = rows.aggregate(
        **{name: Coalesce(Sum(name), 0) for name in ("reported", "accepted", "settled", "settled_on_spot")},
        resolved_this_month=Coalesce(Sum("resolved", filter=Q(day__gte=month_start)), 0))
    return {**summed, "as_of": as_of}
