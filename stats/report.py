"""The monthly report (月报) of a unit: which month it is for, and its Excel file.

The page (templates/stats/report.html) and the file show the same stats.figures.Report: the
figures of the month against the same month a year before, the breakdowns (category, channel,
risk, tier, the months up to it, the days at each level), the units one level down and the
mediators. The file has three sheets (figures, breakdowns, rankings), numbers written as numbers
(rates as percentages, days with one decimal) so a leader can sort and add them up, text
neutralised as in the ledger's export (cases/export.py)."""

from datetime import timedelta

import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.export import neutralise

from .figures import FIGURE_KEYS, Period, Report

# ExportRecord.what of this file (cases.models.ExportRecord.What: "stats_report").
EXPORT_WHAT = "stats_report"


def month_of(data, *, today) -> tuple[Period, dict]:
    """The month asked for (?month=YYYY-MM), by default the last complete month; invalid input
    gives that default and {"month": error}."""
    default = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    month = data.get("month") or default
    period, errors = Period.from_query({"period": "month", "month": month}, today=today)
    if errors:
        period, _none = Period.from_query({"period": "month", "month": default}, today=today)
    return period, errors


def title_of(report: Report) -> str:
    return _("%(unit)s: monthly report of disputes, %(month)s") % {
        "unit": report.unit.name, "month": report.period.label}


def write_report(report: Report, out) -> int:
    """Write `report` to `out` (a path or a binary file); returns the number of data rows."""
    workbook = xlsxwriter.Workbook(out, {"strings_to_formulas": False, "strings_to_urls": False})
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    heading = workbook.add_format({"bold": True, "font_size": 14})
    section = workbook.add_format({"bold": True})
    formats = {"count": workbook.add_format({"num_format": "0"}),
               "rate": workbook.add_format({"num_format": "0.0%"}),
               "days": workbook.add_format({"num_format": "0.0"})}
    rows = 0

    def number(sheet, row, col, value, kind="count"):
        if value is None:
            sheet.write_string(row, col, "—")
        else:
            sheet.write_number(row, col, value, formats[kind])

    def header(sheet, row, titles, widths):
        for col, (title, width) in enumerate(zip(titles, widths, strict=True)):
            sheet.set_column(col, col, width)
            sheet.write_string(row, col, title, bold)

    # 1. the figures, the month against a year before
    sheet = workbook.add_worksheet(_("Figures")[:31])
    sheet.write_string(0, 0, neutralise(title_of(report)), heading)
    refreshed = (timezone.localtime(report.refreshed_at).strftime("%Y-%m-%d %H:%M") if report.refreshed_at
                 else _("not yet computed"))
    sheet.write_string(1, 0, _("Statistics as of %(when)s") % {"when": refreshed})
    header(sheet, 3, [_("figure"), report.period.label, report.previous.label, _("change")], [28, 16, 16, 22])
    row = 4
    for key in FIGURE_KEYS:
        figure = report.figures.get(key)
        if figure is None:
            continue
        sheet.write_string(row, 0, neutralise(figure.label))
        number(sheet, row, 1, figure.value, figure.kind)
        number(sheet, row, 2, figure.previous, figure.kind)
        if figure.value is not None and figure.previous is not None:
            number(sheet, row, 3, figure.value - figure.previous, figure.kind)
        row += 1
        rows += 1

    # 2. the breakdowns, the months up to this one, the days at each level
    sheet = workbook.add_worksheet(_("Breakdowns")[:31])
    header(sheet, 0, [_("item"), report.period.label, report.previous.label], [30, 16, 16])
    row = 1
    names = {"category": _("By category"), "channel": _("By channel"), "risk": _("By risk level"),
             "tier": _("By tier")}
    sections = [(names.get(key, key), bars, "count") for key, bars in report.breakdowns.items()]
    sections.append((_("Average days at each level"), report.levels, "days"))
    for name, bars, kind in sections:
        sheet.write_string(row, 0, neutralise(name), section)
        row += 1
        for bar in bars:
            sheet.write_string(row, 0, neutralise(bar.label))
            number(sheet, row, 1, bar.value, kind)
            number(sheet, row, 2, bar.previous, kind)
            row += 1
            rows += 1
    row += 1
    sheet.write_string(row, 0, _("By month"), section)
    row += 1
    for col, title in enumerate([_("month"), _("reported"), _("resolved"), _("reported a year before"),
                                 _("resolved a year before")]):
        sheet.write_string(row, col, title, bold)
    sheet.set_column(3, 4, 16)
    row += 1
    for month in report.months:
        sheet.write_string(row, 0, neutralise(month.label))
        for col, value in enumerate((month.reported, month.resolved, month.prev_reported, month.prev_resolved), 1):
            number(sheet, row, col, value)
        row += 1
        rows += 1

    # 3. the units one level down, and the mediators
    sheet = workbook.add_worksheet(_("Rankings")[:31])
    header(sheet, 0, [report.ranking_level or _("unit"), _("reported"), _("settled"), _("success rate"),
                      _("on-time rate"), _("overdue now"), _("days to resolve")], [24, 10, 10, 12, 12, 12, 12])
    row = 1
    for rank in report.rankings:
        sheet.write_string(row, 0, neutralise(rank.unit.name))
        for col, (value, kind) in enumerate(((rank.reported, "count"), (rank.settled, "count"),
                                             (rank.success_rate, "rate"), (rank.on_time_rate, "rate"),
                                             (rank.overdue_now, "count"), (rank.days_to_resolve, "days")), 1):
            number(sheet, row, col, value, kind)
        row += 1
        rows += 1
    row += 1
    for col, title in enumerate([_("mediator"), _("cases"), _("settled"), _("success rate")]):
        sheet.write_string(row, col, title, bold)
    row += 1
    for mediator in report.mediators:
        sheet.write_string(row, 0, neutralise(mediator.name))
        number(sheet, row, 1, mediator.cases)
        number(sheet, row, 2, mediator.settled)
        number(sheet, row, 3, mediator.success_rate, "rate")
        row += 1
        rows += 1
    workbook.close()
    return rows
