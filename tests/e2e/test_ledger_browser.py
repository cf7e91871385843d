import io
import re

import openpyxl
import pytest
from playwright.sync_api import expect

from cases.models import Referral
from tests.factories import a_department, case_in_state

from .conftest import ARTIFACTS, DESKTOP, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_streetlead_refers_a_case_from_the_ledger_and_downloads_the_excel(transactional_world, new_page):
    w = transactional_world
    a_department("区住建局", "housing")
    case = case_in_state("escalated", grid=w.grid1, actor=w.stationlead)
    page = new_page(DESKTOP)
    sign_in(page, "streetlead")
    page.get_by_role("link", name="台账").click()
    expect(page.get_by_role("heading", name="重点疑难矛盾纠纷台账")).to_be_visible()
    screenshot(page, "ledger-streetlead")
    page.get_by_role("link", name=case.number).click()

    page.get_by_role("button", name="移交职能部门").click()
    form = page.locator("#act-refer")
    form.get_by_label(re.compile(r"^部门\s*\*?$")).select_option(label="区住建局")
    form.get_by_label("移交事项").fill("请认定楼上装修防水责任")
    form.get_by_role("button", name="确认：移交职能部门").click()
    expect(page.get_by_text("已完成：移交职能部门。")).to_be_visible()
    referral = Referral.objects.get(case=case)
    assert referral.department.name == "区住建局" and referral.status == "sent"

    page.get_by_role("link", name="台账").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出 Excel").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "ledger.xlsx"
    download.save_as(path)
    rows = list(openpyxl.load_workbook(io.BytesIO(path.read_bytes()), read_only=True).active.iter_rows(values_only=True))
    assert rows[0][0] == "案件编号"
    row = next(r for r in rows[1:] if r[0] == case.number)
    assert "已移交" in row and "区住建局" in row
    assert re.search(r"1\d\d\*\*\*\*\d{4}", " ".join(str(c) for c in row if c))


def test_streetlead_reads_this_years_figures_from_the_statistics_as_of_their_refresh(transactional_world, new_page):
    """The dashboard on a desk: the period figures say when the statistics were refreshed, and a
    case settled on the spot after it counts once the next refresh has run."""
    from stats import refresh
    from tests.factories import act

    w = transactional_world
    act(case_in_state("triaged", grid=w.grid1, actor=w.officer1), "settle_on_spot", w.officer1)
    refresh.refresh()
    page = new_page(DESKTOP)
    sign_in(page, "streetlead")
    page.goto("/dashboard/")
    expect(page.locator("#period-as-of")).to_contain_text("统计刷新")
    expect(page.locator("#fig-on-spot")).to_contain_text("1")
    screenshot(page, "dashboard-streetlead-desktop")
    act(case_in_state("triaged", grid=w.grid2, actor=w.officer2), "settle_on_spot", w.officer2)
    page.reload()
    expect(page.locator("#fig-on-spot")).to_contain_text("1")
    refresh.refresh()
    page.reload()
    expect(page.locator("#fig-on-spot")).to_contain_text("2")


def test_the_administrator_reads_the_provinces_open_cases_as_of_the_last_refresh(transactional_world, new_page):
    """The province on one page: its open cases come from the statistics (a province has hundreds
    of thousands), the page says as of when, and a new case counts after the next refresh."""
    from stats import refresh

    w = transactional_world
    case_in_state("mediating", grid=w.grid_fh, actor=w.streetlead_fh)
    refresh.refresh()
    page = new_page(DESKTOP)
    sign_in(page, "admin")
    page.goto("/dashboard/")
    expect(page.locator("#period-as-of")).to_contain_text("全省数据截至")
    before = int(page.locator("#fig-open .fs-3").inner_text())
    assert before >= 1
    screenshot(page, "dashboard-admin-desktop")
    case_in_state("reported", grid=w.grid1, actor=w.worker1)
    page.reload()
    expect(page.locator("#fig-open .fs-3")).to_have_text(str(before))
    refresh.refresh()
    page.reload()
    expect(page.locator("#fig-open .fs-3")).to_have_text(str(before + 1))
