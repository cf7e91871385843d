"""协调会 in the browser: a grid worker calls a coordination meeting from her case with the
people concerned who have no account; its decision lands on the case timeline (desktop)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import CaseEvent, Meeting
from tests.factories import case_in_state

from .conftest import DESKTOP, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_a_coordination_meeting_with_people_without_accounts_decides_on_the_case(transactional_world, new_page):
    w = transactional_world
    case = case_in_state("mediating", grid=w.grid1, actor=w.officer1)
    page = new_page(DESKTOP)
    sign_in(page, "worker1")
    page.goto(case.get_absolute_url())
    page.get_by_role("link", name="召集协调会").click()
    expect(page.get_by_role("heading", name="召集协调会")).to_be_visible()
    when = (timezone.localtime() + timedelta(days=1)).replace(hour=15, minute=0)
    page.locator("#id_held_on").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_place").fill("栖凤社区议事室")
    page.locator("#id_attendees").fill("王建国（3号楼居民代表）\n李明（租户）\n鑫源物业公司（业主单位）")
    page.get_by_role("button", name="召集会议").click()

    expect(page.get_by_text("已召集协调会。")).to_be_visible()
    meeting = Meeting.objects.get()
    assert meeting.kind == "coordination"
    participants = page.locator("#participants li")
    expect(participants).to_have_count(3)
    expect(participants.nth(1)).to_have_text("李明（租户）")

    item = meeting.items.get()
    page.locator(f"#id_item{item.pk}-decision").fill("业主单位五日内修复共用排污管，租户配合施工")
    page.locator(f"#id_item{item.pk}-assignee").select_option(label=w.officer1.get_full_name())
    page.locator(f"#id_item{item.pk}-deadline").fill((timezone.localdate() + timedelta(days=5)).isoformat())
    page.get_by_role("button", name="记录决定").click()
    expect(page.get_by_text(f"已在案件 {case.number} 上记录会议决定。")).to_be_visible()
    screenshot(page, "coordination-meeting")

    page.get_by_role("link", name=f"{case.number} {case.title}").click()
    assert CaseEvent.objects.filter(case=case, kind="meeting_decision").count() == 1
    entry = page.locator("#timeline li").filter(has_text="业主单位五日内修复共用排污管")
    expect(entry).to_contain_text("会议决定")
    expect(entry).to_contain_text("协调会")
    expect(entry).to_contain_text(w.officer1.get_full_name())
    entry.scroll_into_view_if_needed()
    screenshot(page, "coordination-meeting-decision-on-timeline")


def test_a_street_leader_chooses_the_joint_meetings_items_and_drops_one(transactional_world, new_page):
    w = transactional_world
    kept, left_out, dropped = (case_in_state("escalated", grid=w.grid1, actor=w.stationlead) for _ in range(3))
    page = new_page(DESKTOP)
    sign_in(page, "streetlead")
    page.goto("/meetings/new/")
    for case in (kept, left_out, dropped):
        expect(page.get_by_label(f"{case.number} {case.title}", exact=False)).to_be_checked()
    page.get_by_label(f"{left_out.number} {left_out.title}", exact=False).uncheck()
    when = (timezone.localtime() + timedelta(days=3)).replace(hour=9, minute=30)
    page.locator("#id_held_on").fill(when.strftime("%Y-%m-%dT%H:%M"))
    screenshot(page, "joint-meeting-choose-items")
    page.get_by_role("button", name="创建会议及议题").click()
    expect(page.get_by_role("heading", name=re.compile("^联席会议"))).to_be_visible()
    meeting = Meeting.objects.get()
    assert set(meeting.items.values_list("case_id", flat=True)) == {kept.pk, dropped.pk}
    page.get_by_role("button", name=f"将 {dropped.number} 移出议程").click()
    expect(page.get_by_text(f"已将案件 {dropped.number} 移出议程。")).to_be_visible()
    assert list(meeting.items.values_list("case_id", flat=True)) == [kept.pk]
    screenshot(page, "joint-meeting-item-dropped")
