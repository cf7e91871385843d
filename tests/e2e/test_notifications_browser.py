import re

import pytest
from playwright.sync_api import expect

from cases.models import Notification

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
