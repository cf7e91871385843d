"""The SVG charts of the statistics pages (stats/charts.py): well-formed, escaped, every bar and
point a link with a tooltip and a hit area of at least 44 × 44 px, colours with enough contrast."""

import xml.etree.ElementTree as ET
from datetime import date

from stats import charts
from stats.figures import Bar, MonthRow

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def bars():
    return [Bar(key="neighbour", label="邻里纠纷", value=12, previous=9, url="/stats/cases/?figure=reported&category=neighbour"),
            Bar(key="family", label="婚姻家庭", value=0, previous=3, url="/stats/cases/?figure=reported&category=family")]


def months():
    return [MonthRow(month=date(2026, m, 1), label=f"{m}月", reported=m, resolved=m - 1, prev_reported=2,
                     prev_resolved=1, reported_url=f"/stats/cases/?month=2026-{m:02d}&by=reported",
                     resolved_url=f"/stats/cases/?month=2026-{m:02d}&by=resolved") for m in range(1, 13)]


def links(svg):
    return svg.findall(f".//{SVG}a")


def test_it_links_every_bar_to_its_list_with_a_tooltip():
    svg = parse(charts.bar_chart(bars(), title="按类别", unit_label="件"))
    found = links(svg)
    assert [a.get("href") for a in found] == [b.url for b in bars()]
    tips = [a.find(f"{SVG}title").text for a in found]
    assert "邻里纠纷" in tips[0] and "12" in tips[0] and "9" in tips[0]


def test_it_shows_the_value_and_the_year_before_of_each_bar():
    svg = parse(charts.bar_chart(bars(), title="按类别", unit_label="件"))
    texts = ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]
    assert "12" in texts and any("9" in t for t in texts) and any("3" in t for t in texts)


def test_it_names_the_chart_for_screen_readers():
    svg = parse(charts.bar_chart(bars(), title="按类别", unit_label="件", chart_id="chart-category"))
    assert svg.get("role") == "group"
    title = svg.find(f"{SVG}title")
    assert svg.get("aria-labelledby") == title.get("id") == "chart-category-title"
    assert "按类别" in title.text


def test_it_escapes_what_it_is_given():
    nasty = [Bar(key="x", label='<script>alert(1)</script>"', value=1, previous=None, url='/x?a=1&b="2"')]
    markup = str(charts.bar_chart(nasty, title="<b>标题</b>", unit_label="件"))
    assert "<script>" not in markup and "<b>" not in markup
    assert parse(markup).find(f".//{SVG}a").get("href") == '/x?a=1&b="2"'


def test_every_link_of_a_chart_has_a_hit_area_of_at_least_44_px():
    for markup in (charts.bar_chart(bars(), title="按类别", unit_label="件"),
                   charts.line_chart(months(), title="按月")):
        svg = parse(markup)
        for a in links(svg):
            hit = a.find(f"{SVG}rect[@class='chart-hit']")
            assert float(hit.get("width")) >= 44 and float(hit.get("height")) >= 44
        # drawn at its natural size: one unit a CSS pixel
        assert svg.get("viewBox") == f"0 0 {svg.get('width')} {svg.get('height')}"


def test_the_line_chart_links_each_month_of_this_period_twice_and_dashes_the_year_before():
    svg = parse(charts.line_chart(months(), title="按月"))
    hrefs = [a.get("href") for a in links(svg)]
    assert len(hrefs) == 24
    assert "/stats/cases/?month=2026-03&by=reported" in hrefs and "/stats/cases/?month=2026-03&by=resolved" in hrefs
    lines = svg.findall(f"{SVG}polyline")
    assert sum(1 for line in lines if line.get("stroke-dasharray")) == 2
    assert sum(1 for line in lines if not line.get("stroke-dasharray")) == 2


def test_the_points_of_one_month_do_not_share_a_hit_area():
    svg = parse(charts.line_chart(months()[:1], title="按月"))
    reported, resolved = (a.find(f"{SVG}rect") for a in links(svg))
    assert float(reported.get("x")) + float(reported.get("width")) <= float(resolved.get("x"))


def luminance(colour: str) -> float:
    def channel(c):
        c = int(c, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(colour[i:i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(colour: str) -> float:
    return 1.05 / (luminance(colour) + 0.05)


def test_the_colours_have_enough_contrast_on_white():
    assert all(contrast(c) >= 3 for c in (charts.BLUE, charts.GREEN, charts.GREY))  # graphics
    assert all(contrast(c) >= 4.5 for c in (charts.TEXT, charts.MUTED))  # text


def test_it_formats_figures_as_people_read_them():
    assert charts.shown(None) == "—"
    assert charts.shown(0.256, "rate") == "25.6%"
    assert charts.change(10, 7) == "+3"
    assert charts.change(3, None) == ""
    assert charts.change(0.5, 0.25, "rate").startswith("+25.0")


def test_an_empty_year_draws_without_dividing_by_zero():
    empty = [MonthRow(month=date(2026, 1, 1), label="1月", reported=0, resolved=0, prev_reported=0, prev_resolved=0,
                      reported_url="/a", resolved_url="/b")]
    parse(charts.line_chart(empty, title="按月"))
    parse(charts.bar_chart([Bar(key="a", label="甲", value=0, previous=0, url="/a")], title="t", unit_label="件"))
