"""A handler's referral that needs a leader's approval (issue 10, item 3), walked in the browser:
the officer refers a serious-risk case to a department, the station leader approves it from his
work bench, and only then does it reach the department contact's phone."""

import pytest
from playwright.sync_api import expect

from cases.models import Case, Referral
from grids.roles import Role
from tests.factories import a_department, case_in_state, person

from .conftest import DESKTOP, PHONE, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_a_serious_risk_referral_reaches_the_department_once_the_station_leader_approves_it(
        transactional_world, new_page):
    w = transactional_world
    contact = person("dept_approval_e2e", Role.DEPARTMENT)
    contact.set_password("fengqiao-demo")
    contact.save()
    a_department().contacts.add(contact)
    case = case_in_state("triaged", grid=w.grid1, actor=w.officer1)
    Case.objects.filter(pk=case.pk).update(risk="serious")

    # the officer refers it without escalating; being serious-risk, it waits for a leader
    officer = new_page(DESKTOP)
    sign_in(officer, "officer1")
    officer.goto(case.get_absolute_url())
    officer.get_by_text("转办职能部门（不提级）").click()
    form = officer.locator("#send-referral")
    form.locator("[name=send_referral-department]").select_option(label="区住建局")
    form.locator("[name=send_referral-request]").fill("楼上违规改动承重墙，请住建部门现场鉴定并责令整改")
    form.locator("[name=send_referral-contact]").select_option(value=str(contact.pk))
    form.scroll_into_view_if_needed()
    screenshot(officer, "referral-form-filled-desktop")
    with officer.expect_navigation():
        form.get_by_role("button", name="转办").click()
    expect(officer.locator(".alert-success")).to_be_visible()  # sent, back on the case page
    referral = Referral.objects.get(case=case)
    assert (referral.status, referral.sent_by) == ("awaiting", w.officer1)
    expect(officer.locator(f"[name=decide{referral.pk}-decision]")).to_have_count(0)  # not his to approve

    # the department contact hears nothing of it yet
    dept = new_page(PHONE)
    sign_in(dept, "dept_approval_e2e")
    expect(dept.locator("#section-referrals")).to_have_count(0)

    # the station leader finds it on his work bench, opens it and approves it with a note
    lead = new_page(DESKTOP)
    sign_in(lead, "stationlead")
    approvals = lead.locator("#section-approvals")
    expect(approvals).to_contain_text("楼上违规改动承重墙")
    approvals.get_by_role("link").filter(has_text="楼上违规改动承重墙").click()
    lead.wait_for_url(f"**/cases/{case.pk}/**")
    decide = lead.locator(f"form[action$='/referrals/{referral.pk}/decide/']")
    decide.locator(f"[name=decide{referral.pk}-decision][value=approve]").check()
    decide.locator(f"[name=decide{referral.pk}-note]").fill("同意移交，请住建局三日内到场鉴定")
    decide.get_by_role("button").click()
    expect(lead.locator(f"[name=decide{referral.pk}-decision]")).to_have_count(0)  # decided: the form is gone
    expect(lead.locator("#timeline").get_by_text("同意移交，请住建局三日内到场鉴定")).to_be_visible()
    referral.refresh_from_db()
    assert referral.status == "sent"
    lead.goto("/")
    expect(lead.locator("#section-approvals")).to_have_count(0)

    # now it is on the department contact's work bench, on her phone
    dept.reload()
    section = dept.locator("#section-referrals")
    expect(section).to_contain_text("楼上违规改动承重墙")
    expect(section).to_contain_text("区住建局")
    screenshot(dept, "referral-approved-reaches-the-department-phone")
    section.get_by_role("link").first.click()
    expect(dept.get_by_role("button", name="签收")).to_be_visible()
    assert Case.objects.get(pk=case.pk).state == "triaged"  # still the officer's case
