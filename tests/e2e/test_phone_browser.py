"""On a phone (390 × 844), as the field walks it (issue 10, items 13 and 14): the case list with
its filters folded and opened, the ledger as cards, a case page's jump to its timeline, a call
from a case with its grid chosen, and a mediator found by name in the supermarket."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from cases.models import Call
from tests.factories import case_in_state, make_case

from .conftest import DESKTOP, PHONE, screenshot, sign_in
from .test_accessibility_browser import SMALL_TARGETS

pytestmark = pytest.mark.browser

TALL_ENOUGH = 43.5  # 44 px, as the accessibility test measures


def height(locator):
    return locator.bounding_box()["height"]


def small_targets(page):
    """Controls under 44 × 44 px on the page (the accessibility test's measure)."""
    return page.evaluate(SMALL_TARGETS)


def no_sideways_scroll(page):
    return page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_a_phone_walks_the_lists_a_case_a_call_and_the_supermarket(transactional_world, new_page):
    w = transactional_world
    escalated = case_in_state("escalated", grid=w.grid1, actor=w.stationlead)
    make_case(grid=w.grid1, actor=w.officer1, title="群租房噪音扰民", risk="major")
    triaged = case_in_state("triaged", grid=w.grid1, actor=w.officer1)

    # --- the case list: the search box and the first cases on the first screen --------------
    page = new_page(PHONE)
    sign_in(page, "streetlead")
    page.goto(reverse("cases:list"))
    search = page.get_by_role("searchbox", name="搜索")
    toggle = page.get_by_role("button", name=re.compile("^筛选"))
    expect(search).to_be_visible()
    expect(page.locator("#id_state")).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    first_case = page.locator("main .list-group-item-action").first
    assert first_case.bounding_box()["y"] < 844, "the first case is below the first screen"
    for button in (toggle, page.get_by_role("button", name="查询"), page.get_by_role("link", name="重置")):
        assert height(button) >= TALL_ENOUGH
    screenshot(page, "phone-case-list-filters-folded")

    toggle.click()
    expect(page.locator("#id_state")).to_be_visible()
    page.locator("#id_state").select_option(label="已提级")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url(re.compile(r"state=escalated"))
    expect(page.locator("#id_state")).to_be_hidden()  # folded again, and it says one filter is in use
    expect(toggle).to_contain_text("1")
    expect(page.locator("main .list-group-item-action")).to_have_count(1)
    expect(page.locator("main .list-group-item-action")).to_contain_text(escalated.title)
    screenshot(page, "phone-case-list-one-filter-in-use")
    toggle.click()
    expect(page.locator("#id_state")).to_have_value("escalated")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.wait_for_function("() => !document.querySelector('.collapsing')")
    screenshot(page, "phone-case-list-filters-open")

    # --- the ledger: a card per case, nothing scrolls sideways -------------------------------
    page.get_by_role("button", name="菜单").click()
    page.get_by_role("link", name="台账").click()
    expect(page.get_by_role("heading", name="重点疑难矛盾纠纷台账")).to_be_visible()
    expect(page.locator("main table")).to_be_hidden()
    cards = page.locator(".ledger-cards .list-group-item-action")
    expect(cards).to_have_count(2)
    card = cards.filter(has_text=escalated.number)
    expect(card).to_be_visible()
    expect(card.locator("dt")).to_have_count(3)
    assert height(card) >= TALL_ENOUGH and no_sideways_scroll(page)
    assert not small_targets(page)
    screenshot(page, "phone-ledger-cards")
    card.click()
    page.wait_for_url(re.compile(rf"/cases/{escalated.pk}/$"))

    # --- a case page: straight to the timeline, past every form ------------------------------
    officer = new_page(PHONE)
    sign_in(officer, "officer1")
    officer.goto(triaged.get_absolute_url())
    timeline = officer.locator("#timeline")
    expect(timeline).not_to_be_in_viewport()
    jump = officer.locator('main a[href="#timeline"]')
    assert height(jump) >= TALL_ENOUGH
    jump.click()
    expect(timeline).to_be_in_viewport()
    expect(timeline.get_by_role("heading")).to_be_in_viewport()
    screenshot(officer, "phone-case-timeline-reached")

    # --- a call from the case: its grid is already chosen ------------------------------------
    officer.goto(triaged.get_absolute_url())
    officer.get_by_role("link", name="就本案发起呼叫").click()
    officer.wait_for_url(re.compile(r"/calls/new/\?case="))
    grid = officer.get_by_label(re.compile("网格"))
    expect(grid).to_have_value(str(triaged.grid_id))
    expect(grid.locator("option")).to_have_count(1)
    assert not small_targets(officer)
    officer.locator("#id_message").fill("请网格员陪同入户，核实当事人住址")
    screenshot(officer, "phone-call-from-case")
    officer.get_by_role("button", name="呼叫").click()
    officer.wait_for_url(re.compile(rf"/cases/{triaged.pk}/$"))
    call = Call.objects.get(case=triaged)
    assert call.grid_id == triaged.grid_id and call.direction == "police_to_grid"

    # the grid's worker answers it from a phone: 响应 is a thumb's size
    worker = new_page(PHONE)
    sign_in(worker, "worker1")
    worker.goto(reverse("cases:calls"))
    row = worker.locator(f"#call-{call.pk}-answer")
    row.get_by_role("textbox").fill("马上到")
    assert height(row.get_by_role("button", name="响应")) >= TALL_ENOUGH and not small_targets(worker)
    row.get_by_role("button", name="响应").click()
    expect(worker.locator(f"#call-{call.pk}-answer")).to_have_count(0)
    call.refresh_from_db()
    assert call.answered_by == w.worker1

    # --- the supermarket: a mediator found by name -------------------------------------------
    officer.goto(reverse("mediators:supermarket"))
    expect(officer.locator("#id_team")).to_be_hidden()
    officer.get_by_role("searchbox", name="姓名").fill("桂兰")
    officer.get_by_role("button", name="查询").click()
    officer.wait_for_url(re.compile(r"name="))
    expect(officer.get_by_role("heading", level=2)).to_have_text(["陈桂兰"])
    assert no_sideways_scroll(officer) and not small_targets(officer)
    screenshot(officer, "phone-supermarket-by-name")

    # --- on a desk the filters are simply open, with no toggle -------------------------------
    desk = new_page(DESKTOP)
    sign_in(desk, "streetlead")
    for url in (reverse("cases:list"), reverse("cases:ledger"), reverse("mediators:supermarket")):
        desk.goto(url)
        expect(desk.locator("#more-filters select").first).to_be_visible()
        expect(desk.get_by_role("button", name=re.compile("^筛选"))).to_be_hidden()
    desk.goto(reverse("cases:ledger"))
    expect(desk.locator("main table")).to_be_visible()
    expect(desk.locator(".ledger-cards")).to_be_hidden()
    screenshot(desk, "desktop-ledger-filters-open")
