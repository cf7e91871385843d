"""The statistics pages: the figures of a unit for a period (stats:index), the cases behind a
figure or a chart segment (stats:cases), the monthly report (月报) as an A4 page
(stats:report) and as an Excel file (stats:report_xlsx).

Everyone with a place sees the statistics of the places they work in (stats.figures decides
which: `default_unit`, `units_for`, `unit_from_key`): no place at all is a 403, a unit outside
one's scope a 404 (its existence is not revealed). The pages read only the statistics tables
(a constant number of queries whatever the period or the number of cases); the lists behind
the figures read the cases, always through cases.permissions.visible_cases. Every page here
tolerates a few seconds of lag (`lag_tolerant`): with a streaming replica configured, it may
answer them (cases/replica.py)."""

import re
import tempfile
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from cases import selectors
from cases.choices import Category, Channel, Risk, Tier
from cases.levels import Level
from cases.models import ExportRecord
from cases.paging import CappedPaginator
from cases.replica import lag_tolerant
from cases.warning import Warnings
from mediators.models import Mediator

from . import charts, figures
from . import report as monthly
from .context_processors import default_unit

PAGE_SIZE = 50

# The segments a list behind a figure may be narrowed to: parameter -> its choices (labels).
SEGMENTS = {"category": Category, "channel": Channel, "risk": Risk, "tier": Tier, "level": Level}
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
PERIOD_FIELDS = ("period", "month", "quarter", "year", "start", "end")


def unit_of(request) -> figures.Unit:
    """The unit asked for (?unit=), or the user's own. Nobody's unit: 403; a unit outside the
    user's scope (or that does not exist): 404."""
    default = default_unit(request.user)
    if default is None:
        raise PermissionDenied
    key = request.GET.get("unit", "")
    if not key:
        return default
    unit = figures.unit_from_key(request.user, key)
    if unit is None:
        raise Http404
    return unit


def query_of(unit: figures.Unit, period: figures.Period, **extra) -> str:
    """The query string that shows `unit` for `period` again."""
    query = QueryDict(mutable=True)
    query["unit"] = unit.key
    query.update(period.query())
    for key, value in extra.items():
        query[key] = value
    return query.urlencode()


@dataclass
class Card:
    """A figure as its card shows it."""

    key: str
    label: str
    url: str
    value: str
    previous: str
    change: str


def cards_of(report: figures.Report) -> list[Card]:
    return [Card(key=f.key, label=f.label, url=f.url, value=charts.shown(f.value, f.kind),
                 previous=charts.shown(f.previous, f.kind), change=charts.change(f.value, f.previous, f.kind))
            for f in (report.figures[key] for key in figures.FIGURE_KEYS if key in report.figures)]


def breakdown_charts(report: figures.Report) -> list[dict]:
    """The bar charts of the report: cases by category, channel, risk and tier, and the average
    days at each level; each with its rows for the data table beside it."""
    shown = [("category", _("Cases by category"), _("case count"), "count"),
             ("channel", _("Cases by channel"), _("case count"), "count"),
             ("risk", _("Cases by risk level"), _("case count"), "count"),
             ("tier", _("Cases by tier"), _("case count"), "count")]
    rows = [(key, title, unit, kind, report.breakdowns.get(key, [])) for key, title, unit, kind in shown]
    rows.append(("levels", _("Average days at each level"), _("days"), "days", report.levels))
    return [{
        "key": key, "title": title, "unit": unit,
        "svg": charts.bar_chart(bars, title=title, unit_label=unit, chart_id=f"chart-{key}", kind=kind),
        "rows": [{"label": b.label, "url": b.url, "value": charts.shown(b.value, kind),
                  "previous": charts.shown(b.previous, kind), "change": charts.change(b.value, b.previous, kind)}
                 for b in bars],
    } for key, title, unit, kind, bars in rows]


def rankings_of(report: figures.Report) -> list[dict]:
    """The units one level down, each linking to its own statistics, its numbers to their lists."""
    period = report.period
    return [{
        "row": row,
        "reported_url": figures.figure_url(row.unit, period, "reported"),
        "settled_url": figures.figure_url(row.unit, period, "settled"),
        "overdue_url": figures.figure_url(row.unit, period, "overdue_now"),
        "success_rate": charts.shown(row.success_rate, "rate"),
        "on_time_rate": charts.shown(row.on_time_rate, "rate"),
        "days_to_resolve": charts.shown(row.days_to_resolve, "days"),
    } for row in report.rankings]


def picker(request, period: figures.Period, errors: dict) -> dict:
    """The unit and period picker: each field with what was typed when something was wrong (to
    be corrected), else the period shown, and its error."""
    quarter = (period.start.month - 1) // 3 + 1
    shown = {"month": f"{period.start:%Y-%m}", "quarter": f"{period.start.year}-{quarter}",
             "year": str(period.start.year), "start": period.start.isoformat(), "end": period.end.isoformat(),
             **period.query()}
    if errors:
        shown.update({name: request.GET.get(name, "") for name in PERIOD_FIELDS if name in request.GET})
    fields = [
        ("month", _("Month"), "month", _("For a month, e.g. 2026-11")),
        ("quarter", _("Quarter"), "text", _("For a quarter: year and quarter, e.g. 2026-4")),
        ("year", _("Year"), "number", _("For a year, e.g. 2026")),
        ("start", _("From"), "date", _("From a date to a date: the first day")),
        ("end", _("To"), "date", _("The last day (included)")),
    ]
    return {
        "kind": shown.get("period", period.kind), "kind_error": errors.get("period", ""),
        "kinds": [("month", _("By month")), ("quarter", _("By quarter")), ("year", _("By year")),
                  ("custom", _("From a date to a date"))],
        "fields": [{"name": name, "id": f"pick-{name}", "label": label, "type": kind, "help": help_text,
                    "value": shown.get(name, ""), "error": errors.get(name, "")}
                   for name, label, kind, help_text in fields],
        "other_errors": [message for name, message in errors.items() if name not in PERIOD_FIELDS],
    }


def report_context(request, unit, period, errors) -> dict:
    report = figures.report(request.user, unit, period)
    units = figures.units_for(request.user)
    if unit.key not in {u.key for u in units}:
        units = [unit, *units]  # reached through a ranking: shown, and kept when the period changes
    return {
        "report": report, "unit": unit, "period": period, "errors": errors, "units": units,
        "cards": cards_of(report),
        "month_chart": charts.line_chart(report.months, title=_("Cases reported and resolved by month"),
                                         chart_id="chart-months"),
        "bar_charts": breakdown_charts(report),
        "rankings": rankings_of(report),
        "mediators": [{"row": m, "success_rate": charts.shown(m.success_rate, "rate")} for m in report.mediators],
    }


@require_safe
@lag_tolerant
def index(request):
    """The figures of a unit for a period, with a year before, the charts behind them, the
    units one level down and the mediators."""
    unit = unit_of(request)
    period, errors = figures.Period.from_query(request.GET, today=timezone.localdate())
    context = report_context(request, unit, period, errors)
    context.update({
        "picker": picker(request, period, errors),
        "report_query": query_of(unit, period) if period.kind == "month" else urlencode({"unit": unit.key}),
    })
    return render(request, "stats/index.html", context)


def segment_filters(request) -> dict:
    """The segment a list is narrowed to (category, channel, risk, tier, level, month, by,
    mediator),
    each checked against its choices: anything else is not a list that exists (404)."""
    filters = {}
    for name, choices in SEGMENTS.items():
        value = request.GET.get(name)
        if value is None or value == "" and name != "tier":
            continue
        if value not in choices.values and not (name == "tier" and value == ""):  # "": not triaged yet
            raise Http404
        filters[name] = value
    month = request.GET.get("month", "")
    if month and request.GET.get("period") != "month":  # a month of the line chart, within the period
        found = MONTH.match(month)
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise Http404
        filters["month"] = month
    by = request.GET.get("by", "")
    if by:
        if by not in ("reported", "resolved"):
            raise Http404
        filters["by"] = by
    mediator = request.GET.get("mediator", "")
    if mediator:
        if not mediator.isdigit() or len(mediator) > 18:
            raise Http404
        filters["mediator"] = int(mediator)
    return filters


def segment_labels(filters: dict) -> list[str]:
    """What a list is narrowed to, in words ("邻里纠纷", "2026年11月")."""
    labels = [str(dict(choices.choices).get(filters[name]) or _("Not triaged yet"))
              for name, choices in SEGMENTS.items() if name in filters]
    if "month" in filters:
        year, month = filters["month"].split("-")
        labels.append(date_format(date(int(year), int(month), 1), "YEAR_MONTH_FORMAT"))
    if "mediator" in filters:
        labels += Mediator.objects.filter(pk=filters["mediator"]).values_list("name", flat=True)
    return labels


@require_safe
@lag_tolerant
def cases(request):
    """The cases behind a figure or a chart segment, as the case list shows them."""
    unit = unit_of(request)
    period, _errors = figures.Period.from_query(request.GET, today=timezone.localdate())
    figure = request.GET.get("figure", "")
    if figure not in figures.FIGURE_KEYS:
        raise Http404
    filters = segment_filters(request)
    try:
        found = figures.figure_cases(request.user, unit, period, figure, **filters)
    except ValueError:  # a segment that cannot exist
        raise Http404 from None
    found = found.select_related(*selectors.LIST_RELATED).order_by("-reported_at", "-pk")
    page = CappedPaginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = Warnings().mark(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "stats/cases.html", {
        "unit": unit, "period": period, "page": page, "query": query.urlencode(),
        "figure_label": figures.FIGURE_LABELS[figure], "segments": segment_labels(filters),
        "back": query_of(unit, period),
    })


@require_safe
@lag_tolerant
def report(request):
    """月报: a unit's figures for a month against a year before, its breakdowns, the months up
    to it, the units one level down: an A4 page to print."""
    unit = unit_of(request)
    period, errors = monthly.month_of(request.GET, today=timezone.localdate())
    context = report_context(request, unit, period, errors)
    context.update({"month_value": request.GET.get("month", "") if errors else period.query().get("month", ""),
                    "query": query_of(unit, period), "back": query_of(unit, period)})
    return render(request, "stats/report.html", context)


@require_safe
@lag_tolerant
def report_xlsx(request):
    """The monthly report as an Excel file (figures, breakdowns, rankings), recorded as every
    export is."""
    unit = unit_of(request)
    period, _errors = monthly.month_of(request.GET, today=timezone.localdate())
    data = figures.report(request.user, unit, period)
    out = tempfile.TemporaryFile()
    rows = monthly.write_report(data, out)
    out.seek(0)
    ExportRecord.objects.create(
        user=request.user, what=monthly.EXPORT_WHAT, rows=rows, ip_address=request.META.get("REMOTE_ADDR"),
        filters={"unit": [unit.key], "month": [period.query().get("month", "")]})
    name = _("monthly-report") + f"-{period.start:%Y%m}.xlsx"
    return FileResponse(out, as_attachment=True, filename=name, content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
