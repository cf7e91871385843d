"""Daily work as streets do it (issue 10), walked in the browser as its people would."""

import pytest
from playwright.sync_api import expect

from cases.models import Case, Referral
from grids.roles import Role
from tests.factories import a_department, case_in_state, person

from .conftest import DESKTOP, PHONE, screenshot, sign_in

pytestmark = pytest.mark.browser

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
       b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def test_an_officer_settles_a_dispute_on_the_spot_from_his_phone(transactional_world, new_page):
    w = transactional_world
    case = case_in_state("triaged", grid=w.grid1, actor=w.officer1)
    page = new_page(PHONE)
    sign_in(page, "officer1")
    page.goto(case.get_absolute_url())
    page.get_by_role("button", name="当场化解", exact=True).click()
    expect(page.locator("#act-settle_on_spot")).to_be_visible()
    page.wait_for_function("() => !document.querySelector('.collapsing')")  # opened, not still moving
    page.get_by_label("当场化解情况").fill("民警到场劝解，楼上住户同意晚十点后停止装修，双方当场和解。")
    with page.expect_navigation(timeout=30_000):
        page.get_by_role("button", name="确认：当场化解").click()
    expect(page.get_by_text("已完成：当场化解。")).to_be_visible()
    expect(page.locator("#timeline").get_by_text("民警到场劝解").first).to_be_visible()
    screenshot(page, "daily-work-settled-on-the-spot-officer1-phone")
    case.refresh_from_db()
    assert case.state == "resolved" and case.settled_without_agreement


def test_a_handler_refers_a_repair_and_the_department_reports_back(transactional_world, new_page):
    w = transactional_world
    contact = person("dept_pipe_e2e", Role.DEPARTMENT)
    contact.set_password("fengqiao-demo")
    contact.save()
    a_department().contacts.add(contact)
    case = case_in_state("triaged", grid=w.grid1, actor=w.officer1)

    # the officer, at the police post: refer without escalating
    officer = new_page(DESKTOP)
    sign_in(officer, "officer1")
    officer.goto(case.get_absolute_url())
    officer.get_by_text("转办职能部门（不提级）").click()
    form = officer.locator("#send-referral")
    form.locator("[name=send_referral-department]").select_option(label="区住建局")
    form.get_by_label("移交事项").fill("商铺装修截断共用排污管，请责令修复")
    # each account is offered with its department, so the right one is easy to pick
    form.get_by_label("部门联系人账号（仅可查看本案）").select_option(
        label=f"{contact.get_full_name() or contact.username}（区住建局）")
    form.get_by_role("button", name="转办").click()
    expect(officer.get_by_text("已转办至区住建局。")).to_be_visible()

    # the department contact, on the phone at the site: sign for it, add a photo, report back
    dept = new_page(PHONE)
    sign_in(dept, "dept_pipe_e2e")
    section = dept.locator("#section-referrals")
    expect(section).to_contain_text("商铺装修截断共用排污管")
    section.get_by_role("link").first.click()
    dept.get_by_role("button", name="签收").click()
    dept.locator("input[type=file]").set_input_files({
        "name": "修复后.png", "mimeType": "image/png",
        "buffer": PNG})
    dept.get_by_role("button", name="上传").click()
    expect(dept.get_by_text("修复后.png").first).to_be_visible()
    referral = Referral.objects.get(case=case)
    dept.locator(f"[name=referral{referral.pk}-feedback]").fill("已责令商铺修复管道，现已通水")
    dept.get_by_role("button", name="登记部门反馈").click()
    # reported back: her access to the case ends, and she is back on her work bench
    expect(dept.get_by_text("部门反馈已登记。")).to_be_visible()
    expect(dept.locator("#section-referrals")).to_have_count(0)
    screenshot(dept, "daily-work-department-reported-back-phone")

    officer.reload()
    expect(officer.get_by_text("已责令商铺修复管道").first).to_be_visible()
    assert Case.objects.get(pk=case.pk).state == "triaged"  # still the officer's case
    assert Referral.objects.get(pk=referral.pk).status == "handled"


def test_an_officer_brings_the_judicial_office_and_a_residents_cadre_onto_the_joint_team(
        transactional_world, new_page):
    w = transactional_world
    judicial = person("judicial_e2e", Role.DEPARTMENT)
    judicial.first_name = "张所长"
    judicial.save()
    a_department("栖凤司法所", "justice").contacts.add(judicial)
    case = case_in_state("triaged", grid=w.grid1, actor=w.officer1)
    page = new_page(PHONE)
    sign_in(page, "officer1")
    page.goto(case.get_absolute_url())
    page.get_by_role("link", name="调整调处组").click()
    page.get_by_label("有账号的同事").select_option(label="张所长（司法所）")
    page.get_by_role("button", name="加入", exact=True).click()
    expect(page.get_by_text("已加入联合调处组。")).to_be_visible()
    page.get_by_label("或：无账号人员姓名").fill("刘芳")
    page.get_by_label("所在单位").fill("栖凤社区居委会")
    page.get_by_label("在调处组中的身份").select_option(label="社区干部")
    page.get_by_role("button", name="加入", exact=True).click()
    expect(page.locator("main").get_by_text("栖凤社区居委会")).to_be_visible()
    screenshot(page, "daily-work-joint-team-officer1-phone")
    page.get_by_role("link", name="返回案件").click()
    expect(page.get_by_text("刘芳（社区干部，栖凤社区居委会）")).to_be_visible()
    expect(page.locator("#timeline").get_by_text("刘芳（栖凤社区居委会）")).to_be_visible()
