"""Server-rendered SVG charts for the statistics pages and the monthly report: no JavaScript
library, nothing fetched, markup escaped piece by piece (format_html), so a category or unit
name can never break out of its text node.

Every bar and every point of this period is a link to the list of cases behind it, with a
<title> as its tooltip and accessible name, and a transparent hit area at least 44 × 44 px
(the SVG is drawn at its natural size, one user unit a CSS pixel: a chart scrolls sideways on a
narrow screen rather than shrink its targets). The <svg> is a labelled group (role="group"),
not role="img": an image's children are presentational, and its links would be hidden from
screen readers while still taking the keyboard focus. The same numbers and links are in the
data table the templates put beside each chart (templates/stats/partials/).

Colours have at least 3:1 contrast on white (graphics; text is #212529), the year before is
told apart by shape as well as colour (a thin grey bar, a dashed line), and nothing is drawn on
a dark background, so a chart prints in black and white."""

import math
from collections.abc import Sequence

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

BLUE = "#0a58ca"    # this period, reported: 6.2:1 on white
GREEN = "#146c43"   # this period, resolved: 6.9:1
GREY = "#6c757d"    # a year before (bars): 4.7:1
TEXT = "#212529"
MUTED = "#545b62"   # secondary text: 6.5:1
GRID = "#ced4da"    # grid lines (decoration only)
HIT = 44            # minimum side of a link's hit area, in px


def _join(parts) -> SafeString:
    return mark_safe("".join(str(conditional_escape(part)) for part in parts))


def _num(value: float) -> str:
    """A coordinate: one decimal at most."""
    return f"{value:.1f}".removesuffix(".0")


def shown(value, kind: str = "count") -> str:
    """A figure as people read it: a count, a rate in per cent, days with one decimal."""
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "days":
        return _("%(days)s days") % {"days": f"{value:.1f}"}
    return f"{value:g}" if isinstance(value, float) else str(value)


def change(value, previous, kind: str = "count") -> str:
    """The change from a year before, signed ("+3", "+2.5 percentage points", "-1.2 days");
    empty when either side is unknown."""
    if value is None or previous is None:
        return ""
    diff = value - previous
    if kind == "rate":
        return _("%(points)s percentage points") % {"points": f"{diff * 100:+.1f}"}
    if kind == "days":
        return _("%(days)s days") % {"days": f"{diff:+.1f}"}
    return f"{diff:+g}" if isinstance(diff, float) else f"{diff:+d}"


def _nice_scale(maximum: float, steps: int = 4) -> tuple[int, int]:
    """(top, step) of a count axis: a round step (1, 2, 5 × 10ⁿ) and `steps` of them."""
    if maximum <= 0:
        return steps, 1
    raw = maximum / steps
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, math.ceil(step))
    return step * steps, step


def _svg(chart_id: str, width: float, height: float, title: str, body) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="fq-chart" id="{}" width="{}" height="{}" '
        'viewBox="0 0 {} {}" role="group" aria-labelledby="{}-title" font-size="13">'
        '<title id="{}-title">{}</title>{}</svg>',
        chart_id, _num(width), _num(height), _num(width), _num(height), chart_id, chart_id, title, body)


def _legend_item(x: float, y: float, sample, label: str) -> SafeString:
    return format_html('{}<text x="{}" y="{}" fill="{}">{}</text>', sample, _num(x + 26), _num(y + 4), TEXT, label)


def bar_chart(bars: Sequence, *, title: str, unit_label: str, chart_id: str = "chart-bars",
              kind: str = "count") -> SafeString:
    """Horizontal bars, one a row: the value of this period (a thick blue bar, its number after
    it) and of a year before (a thin grey bar under it, its number after it). `bars` are
    stats.figures.Bar (key, label, value, previous, url); each row links to bar.url."""
    label_width, gap, bar_space, number_space = 200, 8, 300, 170
    row, top = 48, 30
    width = label_width + gap + bar_space + number_space
    height = top + row * max(len(bars), 1) + 4
    largest = max([b.value or 0 for b in bars] + [b.previous or 0 for b in bars] + [0]) or 1
    x0 = label_width + gap
    parts = [
        _legend_item(0, 12, format_html('<rect x="0" y="4" width="20" height="12" fill="{}"/>', BLUE), _("This period")),
        _legend_item(140, 12, format_html('<rect x="140" y="8" width="20" height="5" fill="{}"/>', GREY),
                     _("A year before")),
        format_html('<text x="{}" y="16" text-anchor="end" fill="{}">{}</text>', _num(width - 4), MUTED,
                    _("unit: %(unit)s") % {"unit": unit_label}),
    ]
    for index, bar in enumerate(bars):
        y = top + index * row
        value_width = (bar.value or 0) / largest * bar_space
        previous_width = (bar.previous or 0) / largest * bar_space
        value_text, previous_text = shown(bar.value, kind), shown(bar.previous, kind)
        tip = _("%(label)s: %(value)s (a year before: %(previous)s)") % {
            "label": bar.label, "value": value_text, "previous": previous_text}
        parts.append(format_html(
            '<a href="{url}" class="chart-link"><title>{tip}</title>'
            '<rect class="chart-hit" x="0" y="{y}" width="{w}" height="{h}" fill="transparent"/>'
            '<text x="{lx}" y="{ty}" text-anchor="end" fill="{text}">{label}</text>'
            '<rect x="{x0}" y="{vy}" width="{vw}" height="18" fill="{blue}"/>'
            '<text x="{vx}" y="{ty}" fill="{text}" font-weight="600">{value}</text>'
            '<rect x="{x0}" y="{py}" width="{pw}" height="6" fill="{grey}"/>'
            '<text x="{px}" y="{pty}" fill="{muted}" font-size="11">{previous}</text></a>',
            url=bar.url, tip=tip, y=_num(y), w=_num(width), h=row - 2, lx=label_width, ty=_num(y + 19),
            text=TEXT, label=bar.label, x0=x0, vy=_num(y + 5), vw=_num(value_width), blue=BLUE,
            vx=_num(x0 + value_width + 6), value=value_text, py=_num(y + 27), pw=_num(previous_width), grey=GREY,
            px=_num(x0 + previous_width + 6), pty=_num(y + 34), muted=MUTED,
            previous=_("a year before: %(previous)s") % {"previous": previous_text}))
    return _svg(chart_id, width, height, _("%(title)s (%(unit)s)") % {"title": title, "unit": unit_label}, _join(parts))


def line_chart(months: Sequence, *, title: str, chart_id: str = "chart-months") -> SafeString:
    """Cases reported and resolved by month: this period as solid lines with points (a circle
    for reported, a square for resolved), a year before dashed. `months` are
    stats.figures.MonthRow; each point of this period links to its list (reported_url,
    resolved_url), its hit area a 48 × 44 rect beside the month's axis (reported to the left,
    resolved to the right), so the two never overlap."""
    column, left, right, top, plot = 104, 56, 16, 64, 220
    n = max(len(months), 1)
    width, height = left + column * n + right, top + plot + 40
    values = [v for m in months for v in (m.reported, m.resolved, m.prev_reported, m.prev_resolved)]
    axis_top, step = _nice_scale(max(values + [0]))

    def x_of(index: int) -> float:
        return left + column * index + column / 2

    def y_of(value: float) -> float:
        return top + plot - value / axis_top * plot

    parts = []
    legend = [
        (format_html('<line x1="0" y1="12" x2="20" y2="12" stroke="{}" stroke-width="3"/>'
                     '<circle cx="10" cy="12" r="4" fill="{}"/>', BLUE, BLUE), _("Reported, this period")),
        (format_html('<line x1="150" y1="12" x2="170" y2="12" stroke="{}" stroke-width="2" stroke-dasharray="5 3"/>',
                     BLUE), _("Reported a year before")),
        (format_html('<line x1="0" y1="36" x2="20" y2="36" stroke="{}" stroke-width="3"/>'
                     '<rect x="6" y="32" width="8" height="8" fill="{}"/>', GREEN, GREEN), _("Resolved, this period")),
        (format_html('<line x1="150" y1="36" x2="170" y2="36" stroke="{}" stroke-width="2" stroke-dasharray="5 3"/>',
                     GREEN), _("Resolved a year before")),
    ]
    for index, (sample, label) in enumerate(legend):
        parts.append(_legend_item(150 * (index % 2), 12 + 24 * (index // 2), sample, label))
    for tick in range(0, axis_top + 1, step):
        y = y_of(tick)
        parts.append(format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>'
            '<text x="{}" y="{}" text-anchor="end" fill="{}">{}</text>',
            left, _num(y), _num(width - right), _num(y), GRID, left - 6, _num(y + 4), MUTED, tick))
    for index, month in enumerate(months):
        parts.append(format_html('<text x="{}" y="{}" text-anchor="middle" fill="{}">{}</text>',
                                 _num(x_of(index)), top + plot + 22, TEXT, month.label))

    def polyline(field: str, colour: str, dashed: bool) -> SafeString:
        points = " ".join(f"{_num(x_of(i))},{_num(y_of(getattr(m, field)))}" for i, m in enumerate(months))
        return format_html('<polyline points="{}" fill="none" stroke="{}" stroke-width="{}"{}/>', points, colour,
                           2 if dashed else 3, mark_safe(' stroke-dasharray="6 4"') if dashed else "")

    parts += [polyline("prev_reported", BLUE, True), polyline("prev_resolved", GREEN, True),
              polyline("reported", BLUE, False), polyline("resolved", GREEN, False)]
    for index, month in enumerate(months):
        x = x_of(index)
        for field, previous, url, colour, side, what in (
                ("reported", month.prev_reported, month.reported_url, BLUE, -1, _("reported")),
                ("resolved", month.prev_resolved, month.resolved_url, GREEN, 1, _("resolved"))):
            value = getattr(month, field)
            y = y_of(value)
            hit_x = x - 48 if side < 0 else x
            hit_y = min(max(y - HIT / 2, top - HIT / 2), top + plot - HIT / 2)
            marker = (format_html('<circle cx="{}" cy="{}" r="5" fill="{}"/>', _num(x), _num(y), colour) if side < 0
                      else format_html('<rect x="{}" y="{}" width="10" height="10" fill="{}"/>',
                                       _num(x - 5), _num(y - 5), colour))
            tip = _("%(month)s, %(what)s: %(value)s (a year before: %(previous)s)") % {
                "month": month.label, "what": what, "value": value, "previous": previous}
            parts.append(format_html(
                '<a href="{}" class="chart-link"><title>{}</title>'
                '<rect class="chart-hit" x="{}" y="{}" width="48" height="{}" fill="transparent"/>{}</a>',
                url, tip, _num(hit_x), _num(hit_y), HIT, marker))
    parts.append(format_html('<text x="{}" y="{}" text-anchor="end" fill="{}">{}</text>',
                             left - 6, top - 10, MUTED, _("case count")))
    return _svg(chart_id, width, height, title, _join(parts))
