"""What the leaders' dashboard (cases.selectors.dashboard) reads from the statistics, registered
in stats/apps.py. The period figures from the daily rollups: one query for the rows of this year
in the grids the leader leads (the daily totals for the whole province), one for when they were
made; the meaning is the statistics' (stats/facts.py). A leader's places are read by their
coarsest column, a district's and a street's from the street totals (by its hundreds of grid ids,
PostgreSQL read the whole year's rollups of a smaller province). For the whole province, the open cases too
(by state, colour and grid) from GridNow, as of the same refresh: 50 000 rows added up instead of
every open case read."""

from datetime import date

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from .models import DailyRollup, DayTotal, GridNow, StreetDay
from .refresh import last_refreshed_at


def dashboard_figures(places, year_start: date, month_start: date, *, province_grids: int = 0) -> dict | None:
    """As of the last refresh ("as_of"; None before the first): this year's cases ("reported",
    "accepted", "settled", "settled_on_spot") and this month's resolutions
    ("resolved_this_month") in `places` ({"district_id": ids, "street_id": ids, "grid_id": ids},
    a row counting when any holds; None: everywhere); for everywhere, also the open cases
    ("open": `province_open`'s, with the `province_grids` grids that have the most)."""
    as_of = last_refreshed_at()
    if as_of is None:
        return None
    if places is None:
        rows = DayTotal.objects.filter(day__gte=year_start)
    else:
        where = Q()
        for column, ids in places.items():
            if ids:
                where |= Q(**{f"{column}__in": sorted(ids)})
        # whole districts and streets from their street totals; grids (a station's) from the rollups
        table = DailyRollup if places.get("grid_id") else StreetDay
        rows = table.objects.filter(where, day__gte=year_start) if where else table.objects.none()
    summed = rows.aggregate(
        **{name: Coalesce(Sum(name), 0) for name in ("reported", "accepted", "settled", "settled_on_spot")},
        resolved_this_month=Coalesce(Sum("resolved", filter=Q(day__gte=month_start)), 0))
    figures = {**summed, "as_of": as_of}
    if places is None and province_grids:
        figures["open"] = province_open(province_grids)
    return figures


def province_open(top: int) -> dict:
    """The whole province's open cases: "overdue", "by_state" {state: n} (adding up to all that
    are open), "by_warning" {colour: n}, "by_grid" [(grid id, n)] (the `top` grids with the most,
    most first)."""
    columns = ["overdue", *GridNow.STATE_COLUMNS.values(), *GridNow.WARNING_COLUMNS.values()]
    summed = GridNow.objects.aggregate(**{column: Coalesce(Sum(column), 0) for column in columns})
    return {"overdue": summed["overdue"],
            "by_state": {state: summed[column] for state, column in GridNow.STATE_COLUMNS.items()},
            "by_warning": {colour: summed[column] for colour, column in GridNow.WARNING_COLUMNS.items()},
            "by_grid": list(GridNow.objects.filter(open__gt=0).order_by("-open", "grid_id")
                            .values_list("grid_id", "open")[:top])}
