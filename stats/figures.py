"""The figures the statistics pages show: periods, the units (places) a user may see figures
for, a unit's report for a period — read from the statistics tables in a constant number of
queries, whatever the period or the number of cases — and the cases behind each figure.

Choices worth knowing:
- A period's cohort is the cases REPORTED in it: every figure but `resolved` (cases whose
  resolution fell in the period) and the two "now" figures (open and overdue at the last refresh)
  is about that cohort; the year before is the same period one year earlier.
- A rate links to the cases it is computed over (its denominator); `days_to_resolve` and the
  levels' average days are over the settled cases of the cohort, so the levels add up to it.
- Mediators' figures group the case facts by the mediator of the current choice (a partial
  index on the mediated facts keeps it cheap), rather than adding a mediator key to the daily
  rollup, which would multiply its rows for one table of the page.
- A unit is seen by those who lead it or a unit above it; "mine" is the grids where one works
  as a community worker, police officer or auxiliary (see `unit_from_key`).
"""

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

from django.db.models import Case as SqlCase
from django.db.models import Count, F, Q, QuerySet, Sum, When
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.choices import Category, Channel, Risk, Tier
from cases.levels import Level
from cases.permissions import visible_cases
from grids.access import scope_of
from grids.models import Community, CommunityGrid, District, GridLink, PoliceBureau, PoliceGrid, PoliceStation, Street
from grids.roles import Role

from .facts import LEVEL_FIELDS
from .models import CaseFact, DailyRollup, DayBreakdown, DayTotal, GridNow, StreetDay
from .refresh import last_refreshed_at

MONTH, QUARTER, YEAR, CUSTOM = "month", "quarter", "year", "custom"
PERIOD_KINDS = (MONTH, QUARTER, YEAR, CUSTOM)
DAY_SECONDS = 86400

PROVINCE, DISTRICT, BUREAU, STREET, STATION = "province", "district", "bureau", "street", "station"
COMMUNITY, POLICE_GRID, GRID, MINE = "community", "police_grid", "grid", "mine"
UNIT_KINDS = (PROVINCE, DISTRICT, BUREAU, STREET, STATION, COMMUNITY, POLICE_GRID, GRID, MINE)
OWN_GRID_ROLES = (Role.WORKER, Role.OFFICER, Role.AUXILIARY)

FIGURE_KEYS = ("reported", "resolved", "accepted", "settled", "success_rate", "mediated",
               "mediation_success_rate", "on_time_rate", "overdue_now", "open_now", "days_to_triage",
               "days_to_resolve", "repeat", "referrals", "referral_feedback_rate", "settled_on_spot")
FIGURE_LABELS = {
    "reported": gettext_lazy("Disputes reported"),
    "resolved": gettext_lazy("Resolved in the period"),
    "accepted": gettext_lazy("Accepted"),
    "settled": gettext_lazy("Settled, of those reported"),
    "success_rate": gettext_lazy("Settlement rate"),
    "mediated": gettext_lazy("Mediated"),
    "mediation_success_rate": gettext_lazy("Mediation success rate"),
    "on_time_rate": gettext_lazy("Settled on time"),
    "overdue_now": gettext_lazy("Overdue now"),
    "open_now": gettext_lazy("Open now"),
    "days_to_triage": gettext_lazy("Average days to triage"),
    "days_to_resolve": gettext_lazy("Average days to resolve"),
    "repeat": gettext_lazy("Repeat disputes at one address"),
    "referrals": gettext_lazy("Referred to departments"),
    "referral_feedback_rate": gettext_lazy("Referral feedback rate"),
    "settled_on_spot": gettext_lazy("Settled on the spot"),
}
COUNTS = {"reported", "resolved", "accepted", "settled", "mediated", "overdue_now", "open_now", "repeat",
          "referrals", "settled_on_spot"}
RATES = {  # figure: (numerator, denominator) measures of the rollup
    "success_rate": ("settled", "accepted"),
    "mediation_success_rate": ("mediated_settled", "mediated"),
    "on_time_rate": ("on_time", "with_due"),
    "referral_feedback_rate": ("referrals_answered", "referrals"),
}
DAYS = {"days_to_triage": ("triage_seconds", "triaged_n"), "days_to_resolve": ("resolve_seconds", "resolved_n")}
# The facts behind each figure (a rate: the cases it is computed over).
FIGURE_FACTS = {
    "reported": Q(), "resolved": Q(), "accepted": Q(accepted=True), "settled": Q(settled=True),
    "success_rate": Q(accepted=True), "mediated": Q(mediated=True), "mediation_success_rate": Q(mediated=True),
    "on_time_rate": Q(with_due=True), "days_to_triage": Q(triage_seconds__isnull=False),
    "days_to_resolve": Q(resolve_seconds__isnull=False), "repeat": Q(repeat=True),
    "referrals": Q(referrals__gt=0), "referral_feedback_rate": Q(referrals__gt=0),
    "settled_on_spot": Q(settled_on_spot=True),
}
FILTERS = ("category", "channel", "risk", "tier", "level", "month", "by", "mediator")
BREAKDOWNS = {"category": Category, "channel": Channel, "risk": Risk, "tier": Tier}
MEASURES = ("reported", "accepted", "settled", "mediated", "mediated_settled", "with_due", "on_time",
            "settled_on_spot", "repeat", "referrals", "referrals_answered", "triaged_n", "triage_seconds",
            "resolved_n", "resolve_seconds", *LEVEL_FIELDS.values(), "resolved")
MEDIATOR_ROWS = 100  # the busiest mediators of the unit, at most


# --- periods ------------------------------------------------------------------------------------

def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _month_label(year: int, month: int) -> str:
    return _("%(month)s %(year)s") % {"month": month, "year": year}


@dataclass(frozen=True)
class Period:
    """Dates from `start` to `end`, both included: a month, a quarter, a year, or one's own
    dates (at most a year, so that the year before never overlaps it)."""

    kind: str
    start: date
    end: date

    @classmethod
    def month(cls, year: int, month: int) -> "Period":
        return cls(MONTH, date(year, month, 1), _month_end(year, month))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> "Period":
        first = 3 * (quarter - 1) + 1
        return cls(QUARTER, date(year, first, 1), _month_end(year, first + 2))

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(YEAR, date(year, 1, 1), date(year, 12, 31))

    @property
    def label(self) -> str:
        if self.kind == MONTH:
            return _month_label(self.start.year, self.start.month)
        if self.kind == QUARTER:
            return _("Q%(quarter)s %(year)s") % {"quarter": (self.start.month - 1) // 3 + 1, "year": self.start.year}
        if self.kind == YEAR:
            return _("Year %(year)s") % {"year": self.start.year}
        return _("%(start)s to %(end)s") % {"start": self.start.isoformat(), "end": self.end.isoformat()}

    def year_before(self) -> "Period":
        if self.kind == MONTH:
            return Period.month(self.start.year - 1, self.start.month)
        if self.kind == QUARTER:
            return Period.quarter(self.start.year - 1, (self.start.month - 1) // 3 + 1)
        if self.kind == YEAR:
            return Period.year(self.start.year - 1)
        return Period(CUSTOM, _year_earlier(self.start), _year_earlier(self.end))

    def query(self) -> dict:
        """The GET parameters that give this period back (`from_query`)."""
        if self.kind == MONTH:
            return {"period": MONTH, "month": f"{self.start:%Y-%m}"}
        if self.kind == QUARTER:
            return {"period": QUARTER, "quarter": f"{self.start.year}-{(self.start.month - 1) // 3 + 1}"}
        if self.kind == YEAR:
            return {"period": YEAR, "year": str(self.start.year)}
        return {"period": CUSTOM, "start": self.start.isoformat(), "end": self.end.isoformat()}

    def months(self) -> list[date]:
        """The first day of every month the period touches."""
        months, year, month = [], self.start.year, self.start.month
        while date(year, month, 1) <= self.end:
            months.append(date(year, month, 1))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months

    @classmethod
    def from_query(cls, data, *, today: date) -> tuple["Period", dict]:
        """The period a request's GET parameters ask for (see `query`); the current month by
        default. Invalid input gives the current month and {parameter: message}."""
        default = cls.month(today.year, today.month)
        kind = data.get("period") or MONTH
        if kind not in PERIOD_KINDS:
            return default, {"period": _("Choose a month, a quarter, a year or your own dates.")}
        try:
            if kind == MONTH:
                year, month = _numbers(data.get("month"), default.query()["month"], 2)
                if not 1 <= month <= 12:
                    raise ValueError
                return cls.month(year, month), {}
            if kind == QUARTER:
                year, quarter = _numbers(data.get("quarter"), f"{today.year}-{(today.month - 1) // 3 + 1}", 2)
                if not 1 <= quarter <= 4:
                    raise ValueError
                return cls.quarter(year, quarter), {}
            if kind == YEAR:
                (year,) = _numbers(data.get("year"), str(today.year), 1)
                return cls.year(year), {}
        except ValueError:
            example = {MONTH: f"{today:%Y-%m}", QUARTER: f"{today.year}-{(today.month - 1) // 3 + 1}",
                       YEAR: str(today.year)}[kind]
            return default, {kind: _("Write it like %(example)s.") % {"example": example}}
        return cls._custom(data, today=today, default=default)

    @classmethod
    def _custom(cls, data, *, today: date, default: "Period") -> tuple["Period", dict]:
        errors, days = {}, {}
        for name in ("start", "end"):
            value = (data.get(name) or "").strip()
            try:
                day = parse_date(value) if value else None
            except ValueError:
                day = None
            if day is None or not 1900 < day.year < 9999:
                errors[name] = _("Write the date like %(example)s.") % {"example": today.isoformat()}
            days[name] = day
        if not errors:
            start, end = days["start"], days["end"]
            if end < start:
                errors["end"] = _("The end comes before the start.")
            elif _year_earlier(end) >= start:
                errors["end"] = _("Choose at most one year; to compare longer spans, choose years.")
            else:
                return cls(CUSTOM, start, end), {}
        return default, errors


def _numbers(value, fallback: str, count: int) -> tuple[int, ...]:
    parts = (value or fallback).strip().split("-")
    if len(parts) != count or not all(p.isdigit() for p in parts):
        raise ValueError(value)
    numbers = tuple(int(p) for p in parts)
    if not 1900 < numbers[0] < 9999:
        raise ValueError(value)
    return numbers


# --- units --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Unit:
    """A place whose statistics one sees (`kind`: one of UNIT_KINDS)."""

    kind: str
    pk: int | None
    name: str

    @property
    def key(self) -> str:
        """The GET parameter `unit` that gives it back (`unit_from_key`)."""
        return self.kind if self.pk is None else f"{self.kind}:{self.pk}"


def _province() -> Unit:
    return Unit(PROVINCE, None, _("The whole province"))


def _mine() -> Unit:
    return Unit(MINE, None, _("My grids"))


def _grid_unit(grid) -> Unit:
    return Unit(GRID, grid.pk, f"{grid.community.name} · {grid.name}")


def _own_grids(scope) -> frozenset[int]:
    return scope.grids_where(*OWN_GRID_ROLES)


def units_for(user) -> list[Unit]:
    """The units the user may pick: their top units, each followed by the units one level down
    (rankings on the pages lead further down), never thousands."""
    scope = scope_of(user)
    units: list[Unit] = []
    if scope.everything:
        units.append(_province())
        units += [Unit(DISTRICT, d.pk, d.name) for d in District.objects.all()]
        units += [Unit(STREET, s.pk, s.name) for s in Street.objects.filter(district__isnull=True)]
        return units
    for district in District.objects.filter(id__in=scope.led_district_ids).prefetch_related("streets"):
        units.append(Unit(DISTRICT, district.pk, district.name))
        units += [Unit(STREET, s.pk, s.name) for s in district.streets.all()]
    for bureau in PoliceBureau.objects.filter(id__in=scope.led_bureau_ids).prefetch_related("stations"):
        units.append(Unit(BUREAU, bureau.pk, bureau.name))
        units += [Unit(STATION, s.pk, s.name) for s in bureau.stations.all()]
    for street in Street.objects.filter(id__in=scope.led_street_ids).prefetch_related("communities"):
        units.append(Unit(STREET, street.pk, street.name))
        units += [Unit(COMMUNITY, c.pk, c.name) for c in street.communities.all()]
    for station in PoliceStation.objects.filter(id__in=scope.led_station_ids).prefetch_related("police_grids"):
        units.append(Unit(STATION, station.pk, station.name))
        units += [Unit(POLICE_GRID, p.pk, p.name) for p in station.police_grids.all()]
    own = _own_grids(scope)
    if own:
        units.append(_mine())
        worker_grids = scope.grids_where(Role.WORKER)
        units += [_grid_unit(g) for g in CommunityGrid.objects.filter(id__in=worker_grids).select_related("community")]
        units += [Unit(POLICE_GRID, p.pk, p.name) for p in PoliceGrid.objects.filter(id__in=scope.held_police_grid_ids)]
    seen, unique = set(), []
    for unit in units:
        if unit.key not in seen:
            seen.add(unit.key)
            unique.append(unit)
    return unique


def unit_from_key(user, key: str | None) -> Unit | None:
    """The unit a `unit` GET parameter names, if the user may see its figures; else None. A
    unit is seen by an administrator, by those who lead it, and by those who lead a unit above
    it; a police grid by its officers and auxiliaries too; a community grid by anyone who sees
    it; "mine" by those who work on grids of their own."""
    scope = scope_of(user)
    key = (key or "").strip()
    if key == PROVINCE:
        return _province() if scope.everything else None
    if key == MINE:
        return _mine() if not scope.everything and _own_grids(scope) else None
    kind, _sep, number = key.partition(":")
    if kind not in UNIT_KINDS or not number.isdigit():
        return None
    pk, every = int(number), scope.everything
    if kind == DISTRICT:
        place = District.objects.filter(pk=pk).first()
        ok = place is not None and (every or pk in scope.led_district_ids)
    elif kind == BUREAU:
        place = PoliceBureau.objects.filter(pk=pk).first()
        ok = place is not None and (every or pk in scope.led_bureau_ids)
    elif kind == STREET:
        place = Street.objects.filter(pk=pk).first()
        ok = place is not None and (every or pk in scope.led_street_ids
                                    or place.district_id in scope.led_district_ids)
    elif kind == STATION:
        place = PoliceStation.objects.filter(pk=pk).first()
        ok = place is not None and (every or pk in scope.led_station_ids or place.bureau_id in scope.led_bureau_ids)
    elif kind == COMMUNITY:
        place = Community.objects.filter(pk=pk).select_related("street").first()
        ok = place is not None and (every or place.street_id in scope.led_street_ids
                                    or place.street.district_id in scope.led_district_ids)
    elif kind == POLICE_GRID:
        place = PoliceGrid.objects.filter(pk=pk).select_related("station").first()
        ok = place is not None and (every or pk in scope.held_police_grid_ids
                                    or place.station_id in scope.led_station_ids
                                    or place.station.bureau_id in scope.led_bureau_ids)
    else:
        place = CommunityGrid.objects.filter(pk=pk).select_related("community").first()
        ok = place is not None and (every or pk in scope.community_grid_ids)
        if ok:
            return _grid_unit(place)
    return Unit(kind, pk, place.name) if ok else None


def default_unit(user) -> Unit | None:
    """The unit the pages open on: the province for administrators, else the highest unit the
    user leads, else their own grids; None for someone with no place (a mediator, a department)."""
    scope = scope_of(user)
    if scope.everything:
        return _province()
    for ids, model, kind in ((scope.led_district_ids, District, DISTRICT), (scope.led_bureau_ids, PoliceBureau, BUREAU),
                             (scope.led_street_ids, Street, STREET), (scope.led_station_ids, PoliceStation, STATION)):
        if ids:
            place = model.objects.filter(id__in=ids).order_by("name").first()
            if place is not None:
                return Unit(kind, place.pk, place.name)
    return _mine() if _own_grids(scope) else None


def has_unit(user) -> bool:
    """Whether default_unit(user) is not None, from the user's scope alone (no query): the top
    bar asks on every page."""
    scope = scope_of(user)
    return bool(scope.everything or scope.led_district_ids or scope.led_bureau_ids or scope.led_street_ids
                or scope.led_station_ids or _own_grids(scope))


def _links(unit: Unit) -> list[tuple]:
    """(community grid, police grid, its name, station, its name) under a police unit."""
    where = {STATION: "police_grid__station_id", BUREAU: "police_grid__station__bureau_id",
             POLICE_GRID: "police_grid_id"}[unit.kind]
    return list(GridLink.objects.filter(**{where: unit.pk}).order_by().values_list(
        "community_grid_id", "police_grid_id", "police_grid__name", "police_grid__station_id",
        "police_grid__station__name"))


def _where(user, unit: Unit, links) -> Q:
    """The filter of the unit on a table with place columns (facts, rollups, GridNow)."""
    if unit.kind == PROVINCE:
        return Q()
    if unit.kind in (DISTRICT, STREET, COMMUNITY, GRID):
        return Q(**{f"{unit.kind}_id": unit.pk})
    if unit.kind == MINE:
        return Q(grid_id__in=sorted(_own_grids(scope_of(user))))
    return Q(grid_id__in=sorted({link[0] for link in links}))


# --- the report ---------------------------------------------------------------------------------

@dataclass
class Figure:
    key: str
    label: str
    value: int | float | None
    previous: int | float | None
    url: str
    kind: str  # "count" | "rate" | "days"


@dataclass
class Bar:
    key: str
    label: str
    value: int | float
    previous: int | float | None
    url: str


@dataclass
class MonthRow:
    month: date
    label: str
    reported: int
    resolved: int
    prev_reported: int
    prev_resolved: int
    reported_url: str
    resolved_url: str


@dataclass
class RankRow:
    unit: Unit
    url: str
    reported: int
    settled: int
    success_rate: float | None
    on_time_rate: float | None
    overdue_now: int
    days_to_resolve: float | None


@dataclass
class MediatorRow:
    name: str
    cases: int
    settled: int
    success_rate: float | None
    url: str


@dataclass
class Report:
    unit: Unit
    period: Period
    previous: Period
    refreshed_at: datetime | None
    figures: dict[str, Figure]
    months: list[MonthRow]
    breakdowns: dict[str, list[Bar]]
    levels: list[Bar]
    rankings: list[RankRow]
    ranking_level: str
    mediators: list[MediatorRow]


def figure_url(unit: Unit, period: Period, figure: str, **filters) -> str:
    """The page listing the cases behind a figure or a chart segment (`figure_cases`)."""
    params = {"unit": unit.key, **period.query(), "figure": figure, **{k: v for k, v in filters.items()}}
    return f"{reverse('stats:cases')}?{urlencode(params)}"


def unit_url(unit: Unit, period: Period) -> str:
    return f"{reverse('stats:index')}?{urlencode({'unit': unit.key, **period.query()})}"


def _ratio(numerator, denominator, scale=1) -> float | None:
    return numerator / denominator / scale if denominator else None


def _sums(measures=MEASURES) -> dict:
    """Sums named apart from the summed fields (`sum_<field>`), which filters may read."""
    return {f"sum_{m}": Sum(m) for m in measures}


def _zero() -> dict:
    return dict.fromkeys(MEASURES, 0)


def _value(key: str, totals: dict, now: dict | None):
    if key in ("open_now", "overdue_now"):
        return None if now is None else now[key]
    if key in RATES:
        numerator, denominator = RATES[key]
        return _ratio(totals[numerator], totals[denominator])
    if key in DAYS:
        seconds, count = DAYS[key]
        return _ratio(totals[seconds], totals[count], DAY_SECONDS)
    return totals[key]


def report(user, unit: Unit, period: Period) -> Report:
    """A unit's figures for a period beside the same period a year before: at most eight
    queries, whatever the period or the number of cases (statistics tables only, and the
    police grids' links for a police unit). `unit` comes from `unit_from_key`/`default_unit`."""
    previous = period.year_before()
    links = _links(unit) if unit.kind in (STATION, BUREAU, POLICE_GRID) else []
    where = _where(user, unit, links)
    rollups = DailyRollup.objects.filter(where).order_by()
    # whole streets' sums, for the units made of whole streets
    street_days = StreetDay.objects.filter(where).order_by() if unit.kind in (PROVINCE, DISTRICT, STREET) else None

    # 1. Totals and breakdowns, this period and the year before, grouped by category, channel,
    # risk and tier (the province's from its daily breakdowns: a tenth of the rows). Each side
    # summed apart (FILTER) rather than grouped by a side: grouping by the side too sorted 45 000
    # rows on disk at 10 M cases. The province's groups are a thousand: its totals come from its
    # daily totals (a row a day) and its groups carry the cases reported alone (adding up a
    # thousand groups of 44 sums cost 30 ms of Python, summing them in the database 20 ms); a
    # smaller unit's come with its groups (its where clause, compiled twice, would cost more).
    sides = {"now": Q(day__range=(period.start, period.end)), "before": Q(day__range=(previous.start, previous.end))}
    broken_down = (DayBreakdown.objects.order_by() if unit.kind == PROVINCE else rollups).filter(
        sides["now"] | sides["before"])
    add_up = unit.kind != PROVINCE  # the totals from the groups
    if add_up:
        totals = {side: _zero() for side in sides}
    else:
        sums = DayTotal.objects.filter(sides["now"] | sides["before"]).aggregate(
            **{f"{side}_{m}": Sum(m, filter=q) for side, q in sides.items() for m in MEASURES})
        totals = {side: {m: sums[f"{side}_{m}"] or 0 for m in MEASURES} for side in sides}
    by = {side: {dim: defaultdict(int) for dim in BREAKDOWNS} for side in sides}  # the cases reported
    summed = MEASURES if add_up else ("reported",)
    for row in broken_down.values(*BREAKDOWNS).annotate(
            **{f"{side}_{m}": Sum(m, filter=q) for side, q in sides.items() for m in summed}):
        for side, total in totals.items():
            if add_up:
                for m in MEASURES:
                    total[m] += row[f"{side}_{m}"] or 0
            for dim in BREAKDOWNS:
                by[side][dim][row[dim]] += row[f"{side}_reported"] or 0

    # 2. Month by month (a month: the twelve months up to it), with the year before; the
    # province's from its daily totals (730 rows instead of two million rollup rows), a
    # district's and a street's from their street totals.
    months = _month_span(period)
    if period.kind == CUSTOM:
        span = (period.start, period.end)
    else:
        span = (months[0], _month_end(months[-1].year, months[-1].month))
    span_before = (_year_earlier(span[0]), _year_earlier(span[1]))
    per_month = {row["m"]: row for row in (
        (DayTotal.objects.order_by() if unit.kind == PROVINCE
         else street_days if unit.kind in (DISTRICT, STREET) else rollups)
        .filter(Q(day__range=span) | Q(day__range=span_before)).annotate(m=TruncMonth("day"))
        .values("m").annotate(**_sums(("reported", "resolved"))))}

    # 3 and 4. Rankings one level down: the rollups and the open cases per child.
    children, ranking_level = _children(user, unit, links, period,
                                        street_days if unit.kind in (PROVINCE, DISTRICT) else rollups, where)

    # 5. Open and overdue now (the unit's total is the sum over its grids).
    now = {"open_now": 0, "overdue_now": 0}
    for row in children["now_rows"]:
        now["open_now"] += row["sum_open"] or 0
        now["overdue_now"] += row["sum_overdue"] or 0

    # 6. Mediators.
    mediators = [
        MediatorRow(name=row["mediator__name"] or "", cases=row["n"], settled=row["done"],
                    success_rate=_ratio(row["done"], row["n"]),
                    url=figure_url(unit, period, "mediated", mediator=row["mediator_id"]))
        for row in CaseFact.objects.filter(where, reported_on__range=(period.start, period.end),
                                           mediator__isnull=False)
        .values("mediator_id", "mediator__name").annotate(n=Count("pk"), done=Count("pk", filter=Q(settled=True)))
        .order_by("-n", "mediator__name", "mediator_id")[:MEDIATOR_ROWS]
    ]

    # 7. When the figures were made.
    refreshed_at = last_refreshed_at()

    figures = {}
    for key in FIGURE_KEYS:
        kind = "rate" if key in RATES else "days" if key in DAYS else "count"
        figures[key] = Figure(key=key, label=str(FIGURE_LABELS[key]), value=_value(key, totals["now"], now),
                              previous=_value(key, totals["before"], None), url=figure_url(unit, period, key),
                              kind=kind)
    breakdowns = {
        dim: [Bar(key=value, label=str(label), value=by["now"][dim][value],
                  previous=by["before"][dim][value],
                  url=figure_url(unit, period, "reported", **{dim: value}))
              for value, label in _choices(dim)]
        for dim in BREAKDOWNS
    }
    levels = [
        Bar(key=level.value, label=str(level.label),
            value=_ratio(totals["now"][field], totals["now"]["resolved_n"], DAY_SECONDS) or 0.0,
            previous=_ratio(totals["before"][field], totals["before"]["resolved_n"], DAY_SECONDS),
            url=figure_url(unit, period, "days_to_resolve", level=level.value))
        for level, field in ((Level(value), field) for value, field in LEVEL_FIELDS.items())
    ]
    month_rows = []
    for month in months:
        row, before = per_month.get(month, {}), per_month.get(_year_earlier(month), {})
        key = f"{month:%Y-%m}"
        month_rows.append(MonthRow(
            month=month, label=_month_label(month.year, month.month),
            reported=row.get("sum_reported") or 0, resolved=row.get("sum_resolved") or 0,
            prev_reported=before.get("sum_reported") or 0, prev_resolved=before.get("sum_resolved") or 0,
            reported_url=figure_url(unit, period, "reported", month=key),
            resolved_url=figure_url(unit, period, "resolved", month=key)))
    return Report(unit=unit, period=period, previous=previous, refreshed_at=refreshed_at, figures=figures,
                  months=month_rows, breakdowns=breakdowns, levels=levels, rankings=children["rows"],
                  ranking_level=ranking_level, mediators=mediators)


def _choices(dim: str) -> list[tuple[str, str]]:
    choices = list(BREAKDOWNS[dim].choices)
    if dim == "tier":
        choices.append(("", _("Not triaged yet")))
    return choices


def _month_span(period: Period) -> list[date]:
    if period.kind == MONTH:
        year, month = period.start.year, period.start.month
        firsts = []
        for back in range(11, -1, -1):
            y, m = divmod(year * 12 + month - 1 - back, 12)
            firsts.append(date(y, m + 1, 1))
        return firsts
    return period.months()


# Rankings: how each unit kind groups its rollups and GridNow rows one level down.
_GROUPS = {
    PROVINCE: ("district_id", "lone_street"),  # a street only outside any district; named after (_name_streets)
    DISTRICT: ("street_id", "street__name"),
    STREET: ("community_id", "community__name"),
    COMMUNITY: ("grid_id", "grid__name", "community__name"),
    POLICE_GRID: ("grid_id", "grid__name", "community__name"),
    MINE: ("grid_id", "grid__name", "community__name"),
    STATION: ("grid_id",),
    BUREAU: ("grid_id",),
}
_RANK_SUMS = ("reported", "accepted", "settled", "with_due", "on_time", "resolved_n", "resolve_seconds")


def _children(user, unit, links, period, rollups, where) -> tuple[dict, str]:
    """Two queries: the period's `rollups` and the open cases, grouped one level down (the
    province's and a district's rollups are their street totals: a month of the province is
    240 000 rollup rows at ten million cases, 60 000 street days)."""
    group = _GROUPS.get(unit.kind, ("grid_id",))
    now = GridNow.objects.filter(where).order_by()
    if unit.kind == PROVINCE:  # a row per district (and per street outside any district), not per street
        lone = {"lone_street": SqlCase(When(district_id__isnull=True, then=F("street_id")))}
        rollups, now = rollups.annotate(**lone), now.annotate(**lone)
    measured = list(rollups.filter(day__range=(period.start, period.end)).values(*group)
                    .annotate(**_sums(_RANK_SUMS)))
    now_rows = list(now.values(*group).annotate(**_sums(("open", "overdue"))))
    if unit.kind == GRID:
        return {"rows": [], "now_rows": now_rows}, ""
    if unit.kind == PROVINCE:
        _name_streets([*measured, *now_rows])
    sums: dict[Unit, dict] = defaultdict(lambda: dict.fromkeys((*_RANK_SUMS, "overdue"), 0))
    for rows, fields in ((measured, _RANK_SUMS), (now_rows, ("overdue",))):
        for row in rows:
            for child in _child_units(unit, row, links):
                for f in fields:
                    sums[child][f] += row[f"sum_{f}"] or 0
    label = {PROVINCE: _("District"), DISTRICT: _("Street"), STREET: _("Community"), STATION: _("Police grid"),
             BUREAU: _("Police station")}.get(unit.kind, _("Grid"))
    ranked = [
        RankRow(unit=child, url=unit_url(child, period), reported=s["reported"], settled=s["settled"],
                success_rate=_ratio(s["settled"], s["accepted"]), on_time_rate=_ratio(s["on_time"], s["with_due"]),
                overdue_now=s["overdue"], days_to_resolve=_ratio(s["resolve_seconds"], s["resolved_n"], DAY_SECONDS))
        for child, s in sums.items()
    ]
    ranked.sort(key=lambda r: (-r.reported, r.unit.name))
    return {"rows": ranked, "now_rows": now_rows}, label


def _name_streets(rows: list[dict]) -> None:
    """The province's rankings are grouped by district ids (and street ids outside any
    district) alone: joined to the names first, a month's rows were sorted on disk. The names in
    one query, of every street with its district's."""
    streets, districts = {}, {}
    for pk, name, district_id, district_name in Street.objects.order_by().values_list(
            "id", "name", "district_id", "district__name"):
        streets[pk] = name
        districts[district_id] = district_name
    for row in rows:
        row["street_id"] = row["lone_street"]
        row["street__name"] = streets.get(row["street_id"], "")
        row["district__name"] = districts.get(row["district_id"], "")


def _child_units(unit, row, links) -> list[Unit]:
    if unit.kind == PROVINCE:
        if row["district_id"] is not None:
            return [Unit(DISTRICT, row["district_id"], row["district__name"] or "")]
        return [Unit(STREET, row["street_id"], row["street__name"] or "")]
    if unit.kind == DISTRICT:
        return [Unit(STREET, row["street_id"], row["street__name"] or "")]
    if unit.kind == STREET:
        return [Unit(COMMUNITY, row["community_id"], row["community__name"] or "")]
    if unit.kind == STATION:
        return [Unit(POLICE_GRID, pg, name) for grid, pg, name, _st, _sn in links if grid == row["grid_id"]]
    if unit.kind == BUREAU:
        return list({Unit(STATION, st, name) for grid, _pg, _pn, st, name in links if grid == row["grid_id"]})
    return [Unit(GRID, row["grid_id"], f"{row['community__name'] or ''} · {row['grid__name'] or ''}")]


# --- the cases behind a figure ------------------------------------------------------------------

_CASE_PLACE = {DISTRICT: "grid__community__street__district_id", STREET: "grid__community__street_id",
               COMMUNITY: "grid__community_id", GRID: "grid_id"}


def figure_cases(user, unit: Unit, period: Period, figure: str, **filters) -> QuerySet:
    """The cases behind a figure (FIGURE_KEYS) or a chart segment, among those the user may see.
    Filters: category, channel, risk, tier, level (settled cases that spent time at it),
    mediator (id), month=YYYY-MM (instead of the period), by="reported"|"resolved" (which date
    falls in the period; "resolved" for the `resolved` figure). Raises ValueError on an unknown
    figure or filter, or a malformed month."""
    if figure not in FIGURE_KEYS:
        raise ValueError(f"unknown figure {figure!r}")
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise ValueError(f"unknown filters {sorted(unknown)}")
    visible = visible_cases(user)
    links = _links(unit) if unit.kind in (STATION, BUREAU, POLICE_GRID) else []
    if figure in ("open_now", "overdue_now"):
        if unit.kind in _CASE_PLACE:
            place = Q(**{_CASE_PLACE[unit.kind]: unit.pk})
        else:
            place = _where(user, unit, links)
        cases = visible.filter(place)
        return cases.open() if figure == "open_now" else cases.overdue()
    by = filters.pop("by", None) or ("resolved" if figure == "resolved" else "reported")
    if by not in ("reported", "resolved"):
        raise ValueError(f"unknown date {by!r}")
    start, end = period.start, period.end
    month = filters.pop("month", None)
    if month:
        year, number = _numbers(str(month), "", 2)
        if not 1 <= number <= 12:
            raise ValueError(month)
        start, end = date(year, number, 1), _month_end(year, number)
        if period.kind == CUSTOM:  # the month rows of one's own dates count only those dates
            start, end = max(start, period.start), min(end, period.end)
    facts = CaseFact.objects.filter(_where(user, unit, links), FIGURE_FACTS[figure],
                                    **{f"{by}_on__range": (start, end)})
    for dim in BREAKDOWNS:
        if dim in filters:
            facts = facts.filter(**{dim: filters[dim]})
    if filters.get("level") is not None:
        field = LEVEL_FIELDS.get(str(filters["level"]))
        if field is None:
            raise ValueError(filters["level"])
        facts = facts.filter(settled=True, **{f"{field}__gt": 0})
    if filters.get("mediator") is not None:
        facts = facts.filter(mediator_id=int(filters["mediator"]))
    return visible.filter(pk__in=facts.values("case_id"))

