import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case
from tests.factories import case_in_state

from .conftest import ARTIFACTS, DESKTOP, PHONE, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_from_the_supermarket_to_a_printed_agreement_and_a_resolved_case(transactional_world, new_page):
    w = transactional_world
    case = case_in_state("triaged", grid=w.grid1, actor=w.officer1)
    Case.objects.filter(pk=case.pk).update(reported_at=timezone.now() - timedelta(days=1))  # logged yesterday
    page = new_page(DESKTOP)
    sign_in(page, "officer1")
    page.goto(case.get_absolute_url())

    # the parties pick 陈桂兰 in the mediation supermarket
    page.get_by_role("link", name="从调解超市选择调解员").click()
    page.wait_for_url(re.compile(r"/mediators/\?case="))
    choice = page.locator("#choose-form")
    choice.get_by_label("方式").select_option(label="当事人选择")
    choice.get_by_label("选择的当事人").select_option(label="王建国（申请人）")
    choice.get_by_label("理由（当事人的意见）").fill("老娘舅，街坊都信得过")
    screenshot(page, "supermarket-choosing")
    page.get_by_role("button", name="选择 陈桂兰").click()
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    expect(page.get_by_text("已选定 陈桂兰 调解本案。")).to_be_visible()

    # mediation starts
    page.get_by_role("button", name="开始调解").click()
    page.locator("#act-start_mediation").get_by_role("button", name="确认：开始调解").click()
    expect(page.get_by_text("已完成：开始调解。")).to_be_visible()

    # a session
    page.get_by_role("link", name="登记调解记录").click()
    end = timezone.now() - timedelta(minutes=5)
    page.get_by_label("开始时间").fill(timezone.localtime(end - timedelta(minutes=45)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("结束时间").fill(timezone.localtime(end).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("当事人到场情况").fill("双方当事人")
    page.get_by_label("调解方式").select_option(label="面对面调解")
    page.get_by_label("调解记录").fill("调解员讲明法理情理，双方同意由楼上业主承担维修费。")
    page.get_by_label("结果").select_option(label="达成协议")
    page.get_by_label("陈桂兰").check()
    page.get_by_role("button", name="保存记录").click()
    expect(page.get_by_text("调解记录已保存。")).to_be_visible()

    # the agreement, printed to PDF
    page.get_by_role("link", name="登记调解协议书").click()
    page.get_by_label("协议内容").fill("一、楼上业主赔偿楼下维修费3000元；\n二、施工队七日内重做防水。")
    page.get_by_label("履行方式").fill("赔偿款当场支付，防水完工后由网格员上门查看。")
    page.get_by_label("履行期限").fill("2026-12-31")
    page.get_by_role("button", name="保存协议").click()
    page.wait_for_url(re.compile(r"/agreement/$"))
    expect(page.get_by_role("heading", name="调解协议书")).to_be_visible()
    expect(page.get_by_text("楼上业主赔偿楼下维修费3000元")).to_be_visible()
    page.emulate_media(media="print")
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = page.pdf(path=str(ARTIFACTS / "mediation-agreement.pdf"), format="A4", print_background=True)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000
    expect(page.get_by_role("button", name="打印")).not_to_be_visible()  # screen-only controls hidden
    page.emulate_media(media="screen")
    screenshot(page, "mediation-agreement")

    # the case resolves, from a phone
    phone = new_page(PHONE)
    sign_in(phone, "officer1")
    phone.goto(case.get_absolute_url())
    phone.get_by_role("button", name="标记已化解").click()
    phone.locator("#act-resolve").get_by_label("化解情况").fill("按调解协议履行，双方满意。")
    phone.locator("#act-resolve").get_by_role("button", name="确认：标记已化解").click()
    expect(phone.get_by_text("已完成：标记已化解。")).to_be_visible()
    case = Case.objects.get(pk=case.pk)
    assert case.state == "resolved" and case.agreement.terms.startswith("一、楼上业主")
    kinds = list(case.events.values_list("kind", flat=True))
    for kind in ("mediator_chosen", "session", "agreement"):
        assert kind in kinds
