import re

import pytest
from playwright.sync_api import expect

from cases.models import Call, Notification
from tests.factories import case_in_state

from .conftest import DESKTOP, PHONE, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_the_officers_bell_rises_when_a_worker_calls_and_answering_clears_it(transactional_world, new_page):
    # officer1 has his work bench open on his phone
    officer = new_page(PHONE)
    sign_in(officer, "officer1")
    expect(officer.locator("#bell-count")).to_have_count(0)
    # worker1 calls the police of her grid from the community office
    worker = new_page(DESKTOP)
    sign_in(worker, "worker1")
    worker.goto("/calls/new/")
    worker.get_by_label("网格").select_option(index=1)
    worker.get_by_label("需要协助的事项").fill("两户居民在楼道争吵，请民警到场")
    worker.get_by_role("button", name="呼叫", exact=True).click()
    worker.wait_for_url("**/calls/")
    # without reloading, the officer's bell counts it (htmx polls the count)
    expect(officer.locator("#bell-count")).to_contain_text("1", timeout=30_000)
    screenshot(officer, "bell-rises-officer1-phone")
    officer.locator("#bell").click()
    officer.get_by_text("两户居民在楼道争吵，请民警到场").click()
    expect(officer).to_have_url(re.compile(r"/calls/"))
    officer.get_by_role("textbox", name="答复").first.fill("马上到")
    officer.get_by_role("button", name="响应", exact=True).first.click()
    expect(officer.get_by_text("马上到").first).to_be_visible()
    assert not Notification.objects.filter(recipient=transactional_world.officer1, read_at__isnull=True).exists()
    officer.goto("/")
    expect(officer.locator("#bell-count")).to_have_count(0)
    screenshot(officer, "bell-cleared-officer1-phone")


def test_a_call_on_a_case_is_answered_on_the_case_page_the_notice_opens(transactional_world, new_page):
    w = transactional_world
    case = case_in_state("triaged", grid=w.grid1, actor=w.officer1)
    officer = new_page(PHONE)
    sign_in(officer, "officer1")
    # worker1 calls the police from the case page
    worker = new_page(DESKTOP)
    sign_in(worker, "worker1")
    worker.goto(case.get_absolute_url())
    worker.get_by_role("link", name="就本案发起呼叫").click()
    worker.get_by_label("需要协助的事项").fill("当事人情绪激动，请民警到场")
    worker.get_by_role("button", name="呼叫", exact=True).click()
    worker.wait_for_url(f"**{case.get_absolute_url()}")
    call = Call.objects.get(case=case)
    # the worker placed it: she is not offered the answer
    expect(worker.locator(f"#call-{call.pk} form")).to_have_count(0)
    # the officer's bell counts it; the notice opens the case at the call, with the answer form
    expect(officer.locator("#bell-count")).to_contain_text("1", timeout=30_000)
    officer.locator("#bell").click()
    officer.get_by_text("当事人情绪激动，请民警到场").click()
    expect(officer).to_have_url(re.compile(rf"{case.get_absolute_url()}#call-{call.pk}$"))
    row = officer.locator(f"#call-{call.pk}")
    row.get_by_role("textbox", name="答复").fill("马上到")
    row.get_by_role("button", name="响应", exact=True).click()
    # back on the case page: the call answered, the notice read, the bell empty
    expect(officer).to_have_url(re.compile(rf"{case.get_absolute_url()}$"))
    expect(officer.locator(f"#call-{call.pk}")).to_contain_text("马上到")
    expect(officer.locator(f"#call-{call.pk} form")).to_have_count(0)
    expect(officer.locator("#bell-count")).to_have_count(0)
    assert not Notification.objects.filter(recipient=w.officer1, read_at__isnull=True).exists()
    screenshot(officer, "call-answered-on-the-case-officer1-phone")
