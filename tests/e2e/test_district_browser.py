"""Above the street, in a real browser: a street leader raises a case to the district's
mediation centre (提级); the centre's leader reads the district's statistics, follows a chart
segment to the cases behind it, and prints the monthly report; a grid worker reads the
statistics of her own grid on a phone."""

import re

import pytest
from playwright.sync_api import expect

from cases.models import Case
from stats.refresh import refresh
from tests.factories import case_in_state, make_case

from .conftest import ARTIFACTS, DESKTOP, PHONE, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_a_street_leader_raises_a_case_and_the_centre_sends_it_back(transactional_world, new_page):
    w = transactional_world
    case = case_in_state("escalated", grid=w.grid1, actor=w.streetlead)
    page = new_page(DESKTOP)
    sign_in(page, "streetlead")
    page.goto(case.get_absolute_url())
    page.get_by_role("button", name="提级至区矛调中心").click()
    form = page.locator("#act-raise_to_district")
    form.get_by_label(re.compile("说明|备注")).fill("涉及两个街道的管网改造，街道层面无法协调，提请区矛调中心统筹。")
    form.get_by_role("button", name="确认：提级至区矛调中心").click()
    expect(page.get_by_text("已完成：提级至区矛调中心。")).to_be_visible()
    screenshot(page, "district-raised-by-streetlead")
    assert Case.objects.get(pk=case.pk).state == "district"

    page = new_page(DESKTOP)
    sign_in(page, "districtlead")
    page.get_by_role("link", name="台账").click()
    page.get_by_role("link", name=case.number).click()
    page.get_by_role("button", name="退回街道").click()
    form = page.locator("#act-send_back")
    form.get_by_label(re.compile("说明|备注")).fill("请街道牵头会同住建部门再次调解，十日内反馈。")
    form.get_by_role("button", name="确认：退回街道").click()
    expect(page.get_by_text("已完成：退回街道。")).to_be_visible()
    screenshot(page, "district-sent-back")
    case.refresh_from_db()
    assert (case.state, case.at_district) == ("escalated", False)


def test_the_district_reads_its_statistics_follows_a_bar_and_prints_the_report(transactional_world, new_page):
    w = transactional_world
    for grid, actor, category in [(w.grid1, w.worker1, "neighbour"), (w.grid1, w.worker1, "neighbour"),
                                  (w.grid2, w.worker2, "rental"), (w.grid_fh, w.worker_fh, "neighbour")]:
        make_case(grid=grid, actor=actor, category=category)
    refresh()
    neighbours = Case.objects.filter(category="neighbour", grid__community__street__district__name="临江区").count()

    page = new_page(DESKTOP)
    sign_in(page, "districtlead")
    page.get_by_role("link", name="统计分析").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("临江区")
    expect(page.get_by_role("link", name="栖凤街道", exact=True)).to_be_visible()  # the ranking of its streets
    expect(page.get_by_role("link", name="凤凰街道", exact=True)).to_be_visible()
    screenshot(page, "stats-district")
    # The category chart's bar for 邻里 leads to exactly the cases it counts.
    page.locator("svg a.chart-link", has_text="邻里").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("邻里")
    expect(page.get_by_text(re.compile(rf"共\s*{neighbours}\s*件|{neighbours}\s*件"))).to_be_visible()
    rows = page.locator("a[href^='/cases/']").filter(has_text=re.compile(r"\d{4}"))
    assert rows.count() == neighbours
    screenshot(page, "stats-district-neighbour-cases")

    page.get_by_role("link", name="返回统计分析").click()
    page.get_by_role("link", name="统计月报").click()
    expect(page.get_by_role("heading", name="矛盾纠纷统计月报")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="打印")).to_be_hidden()  # the paper carries no buttons
    screenshot(page, "stats-monthly-report-print")
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = page.pdf(path=str(ARTIFACTS / "stats-monthly-report.pdf"), format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_a_worker_reads_her_own_grids_statistics_on_a_phone(transactional_world, new_page):
    w = transactional_world
    make_case(grid=w.grid1, actor=w.worker1)
    make_case(grid=w.grid_fh, actor=w.worker_fh)  # another street: not hers
    refresh()
    page = new_page(PHONE)
    sign_in(page, "worker1")
    page.goto("/stats/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("我的网格")
    reported = page.locator("#fig-reported")
    expect(reported).to_contain_text(str(Case.objects.filter(grid=w.grid1).count()))
    screenshot(page, "stats-worker-phone")
