import re

import pytest
from playwright.sync_api import expect

from cases.models import Case

from .conftest import DESKTOP, PHONE, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_a_worker_logs_a_case_an_officer_triages_it_on_a_phone(transactional_world, new_page):
    # worker1 logs a dispute with two parties at the community office (desktop)
    worker = new_page(DESKTOP)
    sign_in(worker, "worker1")
    worker.get_by_role("link", name="登记纠纷").first.click()
    worker.get_by_label("标题").fill("楼道摄像头正对邻居家门")
    worker.get_by_label("纠纷类型").select_option(label="邻里")
    worker.get_by_label("发现渠道").select_option(label="网格员/社区干部走访排查")
    worker.get_by_label("地址").first.fill("栖凤社区5幢1单元")
    worker.get_by_label("纠纷情况").fill("住户在楼道安装摄像头，对门邻居认为侵犯隐私，多次争执。")
    parties = worker.locator("fieldset")
    parties.nth(0).get_by_label("姓名").fill("周春梅")
    parties.nth(0).get_by_label("当事人类型").select_option(label="申请人")
    parties.nth(0).get_by_label("电话").fill("13812345678")
    parties.nth(1).get_by_label("姓名").fill("吴立新")
    parties.nth(1).get_by_label("当事人类型").select_option(label="被申请人")
    parties.nth(1).get_by_label("电话").fill("13987654321")
    # a wrong phone first: the error stands beside the field and nothing typed is lost
    parties.nth(1).get_by_label("身份证号").fill("123")
    worker.get_by_role("button", name="提交登记").click()
    expect(worker.get_by_text("请输入有效的18位身份证号")).to_be_visible()
    assert worker.get_by_label("标题").input_value() == "楼道摄像头正对邻居家门"
    assert worker.locator("fieldset").nth(0).get_by_label("姓名").input_value() == "周春梅"
    worker.locator("fieldset").nth(1).get_by_label("身份证号").fill("")
    worker.get_by_role("button", name="提交登记").click()
    worker.wait_for_url(re.compile(r"/cases/\d+/$"))
    expect(worker.get_by_text("138****5678")).to_be_visible()
    screenshot(worker, "case-logged-worker1-desktop")
    case = Case.objects.get(title="楼道摄像头正对邻居家门")
    assert case.parties.count() == 2

    # officer1 finds it on his work bench and triages it from a phone
    officer = new_page(PHONE)
    sign_in(officer, "officer1")
    officer.locator("#section-awaiting_triage").get_by_text("楼道摄像头正对邻居家门").click()
    officer.get_by_role("button", name="研判分流").click()
    form = officer.locator("#act-triage")
    form.get_by_label("风险等级").select_option(label="较大")
    form.get_by_label("化解层级").select_option(label="社区警务室")
    # each handler is offered with their real role on this case
    form.get_by_label("主办人").select_option(label=f"{transactional_world.officer1.get_full_name()}（民警）")
    form.get_by_label("说明").fill("约双方周五到警务室面对面调解")
    screenshot(officer, "case-triage-officer1-phone")
    form.get_by_role("button", name="确认：研判分流").click()
    expect(officer.get_by_text("已完成：研判分流。")).to_be_visible()
    case.refresh_from_db()
    assert case.state == "triaged" and case.lead_handler == transactional_world.officer1

    # worker1 sees the triage on the timeline
    worker.reload()
    timeline = worker.locator("#timeline")
    expect(timeline.get_by_text("已登记 → 已研判")).to_be_visible()
    expect(timeline.get_by_text("约双方周五到警务室面对面调解")).to_be_visible()
    screenshot(worker, "case-timeline-worker1")

    # worker2, on a grid under another police grid, cannot open it
    other = new_page(DESKTOP)
    sign_in(other, "worker2")
    response = other.goto(case.get_absolute_url())
    assert response.status == 404
