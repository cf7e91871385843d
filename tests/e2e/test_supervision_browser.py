"""督办 to the right person (issue 10, item 8), walked in the browser: the street leader sends a
supervision instruction to a grid worker who is not the lead handler, she does it from her
phone, and the leader reads it done on the timeline."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import CaseEvent, Task
from tests.factories import case_in_state

from .conftest import DESKTOP, PHONE, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_a_leaders_supervision_goes_to_the_grid_worker_who_completes_it_from_her_phone(
        transactional_world, new_page):
    w = transactional_world
    case = case_in_state("escalated", grid=w.grid1, actor=w.officer1)  # lead handler: officer1
    assert case.lead_handler == w.officer1

    # the street leader, at his desk: a 督办 to the grid's worker, not to the lead officer
    leader = new_page(DESKTOP)
    sign_in(leader, "streetlead")
    leader.goto(case.get_absolute_url())
    leader.get_by_text("下达督办").click()
    form = leader.locator(f"form[action$='/cases/{case.pk}/supervise/']")
    expect(form.locator("#id_supervision_assignee")).to_have_value(str(w.officer1.pk))  # the default
    form.locator("#id_supervision_assignee").select_option(value=str(w.worker1.pk))
    form.locator("#id_supervision_text").fill("明日上门核实楼上防水层破损情况并拍照报告")
    form.locator("#id_supervision_deadline").fill((timezone.localdate() + timedelta(days=3)).isoformat())
    form.get_by_role("button", name="下达", exact=True).click()
    expect(leader.get_by_text("督办已下达。")).to_be_visible()
    task = Task.objects.get(case=case)
    assert (task.assignee, task.issued_by, task.done_at) == (w.worker1, w.streetlead, None)

    # the lead officer is not the one asked: nothing on his work bench
    officer = new_page(DESKTOP)
    sign_in(officer, "officer1")
    expect(officer.locator("#section-tasks")).to_have_count(0)

    # the grid worker, on her phone: it is on her work bench; she opens it and records what she did
    worker = new_page(PHONE)
    sign_in(worker, "worker1")
    section = worker.locator("#section-tasks")
    expect(section).to_contain_text("明日上门核实楼上防水层破损情况")
    section.get_by_role("link", name="明日上门核实楼上防水层破损情况").click()
    worker.wait_for_url(f"**/cases/{case.pk}/**")
    done = worker.locator(f"form[action$='/cases/{case.pk}/tasks/{task.pk}/done/']")
    done.locator("[name=note]").fill("已上门查看，防水层破损属实，照片已上传，楼上业主同意本周修复")
    done.get_by_role("button", name="标记办结").click()
    expect(worker.locator("#loop").get_by_text("已办结")).to_be_visible()
    task.refresh_from_db()
    assert task.done_at is not None and task.done_note.startswith("已上门查看")
    assert CaseEvent.objects.filter(case=case, kind="task_done", actor=w.worker1).exists()

    # the leader reads it done: on the loop card and on the timeline, under the worker's name
    leader.reload()
    expect(leader.locator("#loop").get_by_text("已上门查看，防水层破损属实")).to_be_visible()
    timeline = leader.locator("#timeline li").filter(has_text="已上门查看，防水层破损属实")
    expect(timeline).to_have_count(1)
    expect(timeline).to_contain_text(w.worker1.get_full_name())
    timeline.scroll_into_view_if_needed()
    screenshot(leader, "supervision-done-by-the-grid-worker-streetlead-desktop")
