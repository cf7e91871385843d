"""110 incidents (issue 11), walked in the browser: an officer imports the dispatch system's
export at the police post, checks the preview, confirms, and logs the dispute that keeps coming
back as a case, whose page then shows the two earlier calls about the same stairwell. The
background job runs on the real database-backed worker (`manage.py db_worker --batch`)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case
from grids.models import PoliceGridUserObjectPermission
from incidents.models import Incident

from .conftest import DESKTOP, PHONE, screenshot, sign_in

pytestmark = pytest.mark.browser

HEADER = "警情编号,报警时间,报警人,联系电话,事发地址,警情类别,简要警情,责任区,处理结果,接警员"


def _export(code: str) -> bytes:
    """Three calls about the same stairwell camera over two months, written differently each time."""
    now = timezone.localtime()
    rows = [
        ("J20260001", now - timedelta(days=60), "王建国", "13812345678", "栖凤路88号3幢2单元501室",
         "纠纷", "对门安装摄像头对着自家门口，双方争吵", "当场劝解"),
        ("J20260002", now - timedelta(days=30), "王建国", "13812345678", "栖凤路８８号三栋二单元",
         "纠纷", "摄像头问题再次争吵", "当场劝解"),
        ("J20260003", now - timedelta(days=1), "李秀英", "13987654321", "栖凤路88号3栋2单元602",
         "纠纷", "摄像头纠纷升级，双方推搡", "带回调解"),
    ]
    lines = [HEADER] + [f"{n},{t:%Y-%m-%d %H:%M},{who},{phone},{addr},{kind},{summary},{code},{result},张警官"
                        for n, t, who, phone, addr, kind, summary, result in rows]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def _run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def test_an_officer_imports_110_calls_and_the_case_shows_the_earlier_ones(transactional_world, new_page):
    w = transactional_world
    code = PoliceGridUserObjectPermission.objects.get(user=w.officer1).content_object.code

    page = new_page(DESKTOP)
    sign_in(page, "officer1")
    page.goto("/incidents/import/")
    page.locator("input[type=file]").set_input_files(
        {"name": "接处警记录.csv", "mimeType": "text/csv", "buffer": _export(code)})
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    _run_worker()  # the check
    confirm = page.locator("#import-confirm")
    expect(confirm).to_be_visible(timeout=15_000)  # the page polls until the preview is there
    expect(page.locator("main")).to_contain_text("J20260003")
    screenshot(page, "incidents-preview-officer1-desktop")
    confirm.click()
    _run_worker()  # the import
    expect(page.locator("main a[href='/incidents/']").last).to_be_visible(timeout=15_000)
    assert Incident.objects.filter(number__startswith="J2026").count() == 3

    # the latest call, on the officer's phone: log it as a case in one step
    phone = new_page(PHONE)
    sign_in(phone, "officer1")
    latest = Incident.objects.get(number="J20260003")
    phone.goto(latest.get_absolute_url())
    phone.locator(f"a[href='/incidents/{latest.pk}/to-case/']").click()
    form = phone.locator("main form").first
    expect(form.locator("[name=incident_number]")).to_have_value("J20260003")
    form.locator("[name=title]").fill("楼道摄像头纠纷")
    form.locator("[name=category]").select_option("neighbour")
    form.locator("[name=grid]").select_option(str(w.grid1.pk))
    with phone.expect_navigation():
        form.locator("button[type=submit]").last.click()
    case = Case.objects.get(incident_number="J20260003")
    assert Incident.objects.get(pk=latest.pk).case_id == case.pk
    assert case.channel == "incident_110" and case.parties.filter(name="李秀英").exists()

    # the radar on the case page: the two earlier calls about the same stairwell
    radar = phone.locator("#radar [data-radar=incidents]")
    expect(radar).to_contain_text("J20260001")
    expect(radar).to_contain_text("J20260002")
    expect(radar).not_to_contain_text("J20260003")  # the call the case came from
    phone.locator("#radar").scroll_into_view_if_needed()
    screenshot(phone, "incidents-case-radar-officer1-phone")
