"""A mediator on her phone records a back-to-back session (背对背调解) with its start and end,
who was in which room, and the officer and a community cadre who took part; the case page shows
it with its duration."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case
from mediators.models import Mediator
from tests.factories import act, case_in_state, choose

from .conftest import ARTIFACTS, PHONE, screenshot, sign_in

pytestmark = pytest.mark.browser


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_a_mediator_records_a_back_to_back_session_on_her_phone(transactional_world, new_page):
    w = transactional_world
    case = case_in_state("triaged", grid=w.grid1, actor=w.officer1)
    choose(case, w.officer1, Mediator.objects.get(name="陈桂兰"))
    act(case, "start_mediation", w.officer1)
    Case.objects.filter(pk=case.pk).update(reported_at=timezone.now() - timedelta(days=1))
    end = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=5)
    start = end - timedelta(minutes=80)

    page = new_page(PHONE)
    sign_in(page, "mediator1")
    page.goto(case.get_absolute_url())
    page.get_by_role("link", name="登记调解记录").click()
    page.wait_for_url(re.compile(r"/sessions/new/$"))

    page.get_by_label("开始时间").fill(local(start))
    page.get_by_label("结束时间").fill(local(end))
    page.get_by_label("调解方式").select_option(label="背对背调解")
    first, second = page.locator("#session-parts > div").nth(0), page.locator("#session-parts > div").nth(1)
    expect(first.get_by_label("房间")).to_have_value("调解室一")
    expect(second.get_by_label("房间")).to_have_value("调解室二")
    first.get_by_label("王建国（申请人）").check()
    first.get_by_label("开始").fill(local(start))
    first.get_by_label("结束").fill(local(start + timedelta(minutes=40)))
    second.get_by_label("李秀英（被申请人）").check()
    page.get_by_role("group", name="调解员").get_by_label("陈桂兰").check()
    officer = w.officer1.get_full_name() or w.officer1.username
    page.get_by_role("group", name="其他参加人员（有账号）").get_by_label(re.compile(officer)).check()
    page.get_by_label("其他参加人员（无账号）").fill("刘芳（栖凤社区居委会）")
    page.get_by_label("调解记录").fill("先后在两个调解室分别听取双方意见，楼上同意承担维修费。")
    page.get_by_label("结果").select_option(label="部分达成")
    screenshot(page, "session-back-to-back-form-phone")
    page.get_by_role("button", name="保存记录").click()

    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    expect(page.get_by_text("调解记录已保存。")).to_be_visible()
    session = page.locator("#mediation li.session")
    expect(session).to_contain_text("历时1小时20分钟")
    expect(session.locator(".session-parts li").nth(0)).to_contain_text("调解室一 王建国")
    expect(session.locator(".session-parts li").nth(1)).to_contain_text("调解室二 李秀英")
    expect(session.locator(".session-mediators")).to_contain_text("陈桂兰")
    expect(session.locator(".session-participants")).to_contain_text(officer)
    expect(session.locator(".session-participants")).to_contain_text("刘芳（栖凤社区居委会）")
    screenshot(page, "session-back-to-back-case-page-phone")
    page.locator("#mediation").screenshot(path=str(ARTIFACTS / "session-back-to-back-on-the-case-phone.png"))

    # the timeline says the same: start, end, 历时, the rooms, the other participants
    event = page.locator("#timeline li").filter(has_text="分室情况")
    expect(event).to_contain_text("历时: 1小时20分钟")
    expect(event).to_contain_text("分室情况: 调解室一：王建国；调解室二：李秀英")
    expect(event).to_contain_text("刘芳（栖凤社区居委会）")
    event.screenshot(path=str(ARTIFACTS / "session-back-to-back-timeline-phone.png"))
