import pytest
from playwright.sync_api import expect

from .conftest import PHONE, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_an_officer_signs_in_in_chinese_and_sees_his_police_grid_on_a_phone(
    transactional_world, new_page
):
    page = new_page(PHONE)
    sign_in(page, "officer1")
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    # the menu collapses behind the toggler on a phone
    page.get_by_role("button", name="菜单").click()
    page.get_by_role("link", name="栖凤街道网格图").click()
    expect(page.get_by_role("heading", name="第一警务区")).to_be_visible()
    assert page.get_by_text("第二警务区").count() == 0
    screenshot(page, "street-map-officer1-phone")


def test_the_page_obeys_the_content_security_policy(transactional_world, new_page):
    page = new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, "streetlead")
    page.goto(f"/grids/streets/{transactional_world.qifeng.pk}/")
    # bootstrap's and htmx's scripts ran, and nothing was blocked by the CSP
    assert page.evaluate("typeof bootstrap") == "object"
    assert page.evaluate("typeof htmx") == "object"
    assert not [e for e in errors if "Content Security Policy" in e], errors
