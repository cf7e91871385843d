"""Correcting and extending a case after intake (issue 10, item 2), walked on a phone: the
officer corrects the details of a case logged in haste, adds the fourth party found at the door,
and moves it to the grid it belongs to (转办)."""

import pytest
from playwright.sync_api import expect

from cases.models import Case, CaseEvent, Notification, Party
from grids.models import CommunityGrid
from tests.factories import act, make_case

from .conftest import ARTIFACTS, PHONE, screenshot, sign_in
from .test_accessibility_browser import SMALL_TARGETS

pytestmark = pytest.mark.browser


def test_an_officer_corrects_a_case_adds_a_fourth_party_and_moves_it_to_the_right_grid(
        transactional_world, new_page):
    w = transactional_world
    case = make_case(grid=w.grid1, actor=w.worker1, title="楼道漏水", parties=[
        Party(name="王建国", role="applicant", phone="13812345678", id_number="11010519491231002X"),
        Party(name="李秀英", role="respondent", phone="13987654321"),
        Party(name="张伟", role="other")])
    case = act(case, "triage", w.officer1)
    right_grid = CommunityGrid.objects.select_related("community").get(code="QF-01-02")

    page = new_page(PHONE)
    sign_in(page, "officer1")
    page.goto(case.get_absolute_url())

    # the details, logged in haste
    page.get_by_role("link", name="更正案件信息").click()
    assert page.evaluate(SMALL_TARGETS) == []  # every tap target 44 px on the phone
    expect(page.get_by_label("标题")).to_have_value("楼道漏水")  # pre-filled
    page.get_by_label("标题").fill("楼上卫生间漏水致楼下天花板受损")
    page.get_by_label("地址").fill("栖凤社区3幢2单元201室")
    page.get_by_label("原因（选填）").fill("上门核实后更正")
    page.get_by_role("button", name="保存更正").click()
    expect(page.get_by_text("案件信息已更正。")).to_be_visible()
    expect(page.get_by_role("heading", name="楼上卫生间漏水致楼下天花板受损")).to_be_visible()

    # the fourth party, met at the door: the tenant
    page.get_by_role("link", name="添加当事人").click()
    assert page.evaluate(SMALL_TARGETS) == []
    page.get_by_label("姓名").fill("赵敏")
    page.get_by_label("当事人类型").select_option("other")
    page.get_by_label("电话").fill("13700001111")
    page.get_by_label("备注").fill("楼上租户")
    page.get_by_role("button", name="添加", exact=True).click()
    expect(page.get_by_text("已添加当事人。")).to_be_visible()
    expect(page.get_by_text("赵敏").first).to_be_visible()
    expect(page.get_by_text("137****1111").first).to_be_visible()
    assert case.parties.count() == 4

    # the right grid (转办): the flat is in the neighbouring grid of the same police grid
    page.get_by_role("link", name="转办到所属网格").click()
    assert page.evaluate(SMALL_TARGETS) == []
    page.get_by_label("所属社区网格").select_option(label=f"{right_grid.community.name} · {right_grid.name}")
    page.get_by_label("转办理由").fill("漏水房屋位于相邻网格")
    screenshot(page, "daily-work-move-to-the-right-grid-form-officer1-phone")
    page.get_by_role("button", name="确认转办").click()
    expect(page.get_by_text("案件已转办，已通知新网格的工作人员。")).to_be_visible()
    timeline = page.locator("#timeline")
    expect(timeline.get_by_text("转办到其他网格")).to_be_visible()
    expect(timeline.get_by_text(f"→ {right_grid.community.name} {right_grid.name}")).to_be_visible()
    expect(timeline.get_by_text("新增当事人")).to_be_visible()
    expect(timeline.get_by_text("137****1111")).to_be_visible()
    screenshot(page, "daily-work-corrected-fourth-party-moved-officer1-phone")
    timeline.screenshot(path=str(ARTIFACTS / "daily-work-corrected-fourth-party-moved-timeline-phone.png"))

    moved = Case.objects.get(pk=case.pk)
    assert moved.grid == right_grid and moved.title == "楼上卫生间漏水致楼下天花板受损"
    kinds = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("kind", flat=True))
    assert kinds[-3:] == ["case_edited", "party_added", "grid_moved"]
    assert Notification.objects.filter(case=case, kind="moved_in").exists()
