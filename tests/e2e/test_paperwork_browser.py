"""The printed papers in a browser, at a desk: the 调解协议书 with full identity for signing (its
printing logged), labels whole beside a long name, and the 卷宗 on A4 pages; the masked copy the
chosen mediator gets is marked as not for signing."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import CaseEvent, Party, PersonalDataDisclosure
from mediators import services
from mediators.models import Mediator
from tests.factories import act, choose, follow_up_kept, make_case

from .conftest import ARTIFACTS, DESKTOP, screenshot, sign_in

pytestmark = pytest.mark.browser

LONG_NAME = "栖凤街道幸福里小区第三期业主委员会临时代表王建国"  # 24 characters
A4 = (595.28, 841.89)  # 210 × 297 mm in points (US Letter, the default otherwise: 612 × 792)


def agreed_and_followed_up(w):
    parties = [Party(name=LONG_NAME, role="applicant", phone="13812345678", id_number="11010519491231002X",
                     address="栖凤街道幸福里小区3幢2单元501室"),
               Party(name="李秀英", role="respondent", phone="13987654321", address="栖凤街道幸福里小区3幢2单元401室")]
    case = act(make_case(grid=w.grid1, actor=w.officer1, parties=parties), "triage", w.officer1)
    chen = Mediator.objects.get(name="陈桂兰")
    choose(case, w.officer1, chen)
    case = act(case, "start_mediation", w.officer1)
    today = timezone.localdate()
    services.record_session(case=case, actor=w.mediator1, mediators=[chen], held_at=timezone.now(),
                            place="多元化解调解室", attendees="双方当事人、网格员、社区民警", format="joint",
                            record="调解员讲明法理情理，双方同意由楼上业主承担维修费。", outcome="agreed")
    services.record_agreement(case=case, actor=w.officer1, parties=list(case.parties.all()), mediators=[chen],
                              facts="楼上装修导致楼下卫生间渗水。", terms="一、楼上业主赔偿维修费3000元；\n二、施工队七日内重做防水。",
                              fulfil_by=today + timedelta(days=7), fulfilment="赔偿款当场支付。", signed_on=today,
                              place="多元化解调解室")
    case = act(case, "resolve", w.officer1)
    follow_up_kept(case, w.worker1)
    # a long history, so the case file runs over several pages
    CaseEvent.objects.bulk_create([CaseEvent(case=case, actor=w.worker1, kind="comment",
                                             note=f"第{i}次走访：双方情绪平稳，继续关注。") for i in range(1, 61)])
    return case


def pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """The size of each page of a PDF chromium printed, in points."""
    return [(float(w), float(h)) for w, h in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)]


def is_a4(pages) -> bool:
    """Every page is A4 (chromium rounds to whole pixels: within a point)."""
    return bool(pages) and all(abs(w - A4[0]) < 1 and abs(h - A4[1]) < 1 for w, h in pages)


def as_on_paper(page):
    """Print media at the width of an A4 page's text (210 mm less 2 × 1.5 cm margins, 96 dpi)."""
    page.set_viewport_size({"width": 680, "height": 1000})
    page.emulate_media(media="print")


def assert_labels_whole(page, selector):
    """Each label is one line (not broken by a long value beside it)."""
    for label in page.locator(selector).all():
        box = label.bounding_box()
        line = float(label.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
        assert box["height"] < line * 1.5, f"{label.inner_text()!r} wraps: {box['height']} px"


def test_a_revealer_prints_the_agreement_and_the_case_file(transactional_world, new_page):
    w = transactional_world
    case = agreed_and_followed_up(w)
    page = new_page(DESKTOP)
    sign_in(page, "officer1")
    page.goto(case.get_absolute_url())

    # the agreement, for signing: full identity, labels whole beside the long name
    page.get_by_role("link", name=re.compile("调解协议书")).click()
    page.wait_for_url(re.compile(r"/agreement/$"))
    expect(page.get_by_role("heading", name="调解协议书")).to_be_visible()
    expect(page.get_by_text("11010519491231002X")).to_be_visible()
    expect(page.get_by_text("本协议一式三份，当事人各执一份，调解组织留存一份。")).to_be_visible()
    assert_labels_whole(page, ".agreement-parties dt")
    assert_labels_whole(page, ".signature .label")
    name = page.locator(".agreement-parties dd").first
    assert name.inner_text() == LONG_NAME
    label = page.locator(".agreement-parties dt").first
    assert abs(name.bounding_box()["y"] - label.bounding_box()["y"]) < 2  # beside its label, not below
    screenshot(page, "paperwork-agreement-screen")
    as_on_paper(page)
    expect(page.get_by_role("button", name=re.compile("打印"))).not_to_be_visible()
    assert_labels_whole(page, ".agreement-parties dt")
    screenshot(page, "paperwork-agreement-print")
    pdf = page.pdf(path=str(ARTIFACTS / "paperwork-agreement.pdf"), prefer_css_page_size=True, print_background=True)
    assert is_a4(pdf_pages(pdf)), pdf_pages(pdf)
    page.emulate_media(media="screen")
    page.set_viewport_size(DESKTOP["viewport"])
    # printing (the print preview) prints the page that was opened: one opening, one row per party
    assert PersonalDataDisclosure.objects.filter(case=case, how="agreement", user=w.officer1).count() == 2

    # the case file, from the case page
    page.goto(case.get_absolute_url())
    page.screenshot(path=str(ARTIFACTS / "paperwork-case-page.png"))  # the link, beside the title
    page.get_by_role("link", name="打印卷宗").click()
    page.wait_for_url(re.compile(r"/file/$"))
    expect(page.get_by_role("heading", name="矛盾纠纷调处卷宗")).to_be_visible()
    for text in (LONG_NAME, "11010519491231002X", "调解员讲明法理情理", "一、楼上业主赔偿维修费3000元；",
                 "协议已履行，双方满意", "第60次走访：双方情绪平稳，继续关注。"):
        expect(page.get_by_text(text).first).to_be_visible()
    assert_labels_whole(page, ".sheet-cover th")
    screenshot(page, "paperwork-case-file-screen")
    as_on_paper(page)
    assert_labels_whole(page, ".sheet-cover th")
    screenshot(page, "paperwork-case-file-print")
    page.screenshot(path=str(ARTIFACTS / "paperwork-case-file-print-first-page.png"))
    top = page.locator("#f-sessions").evaluate("e => e.getBoundingClientRect().top + window.scrollY")
    page.screenshot(path=str(ARTIFACTS / "paperwork-case-file-print-sessions.png"), full_page=True,
                    clip={"x": 0, "y": top - 200, "width": 680, "height": 1200})
    pdf = page.pdf(path=str(ARTIFACTS / "paperwork-case-file.pdf"), prefer_css_page_size=True, print_background=True)
    pages = pdf_pages(pdf)
    assert len(pages) >= 2 and is_a4(pages), pages
    assert PersonalDataDisclosure.objects.filter(case=case, how="case_file", user=w.officer1).count() == 2


def test_the_chosen_mediator_gets_a_masked_copy_not_for_signing(transactional_world, new_page):
    w = transactional_world
    case = agreed_and_followed_up(w)
    page = new_page(DESKTOP)
    sign_in(page, "mediator1")
    page.goto(f"/mediators/cases/{case.pk}/agreement/")
    expect(page.get_by_text("1101**********002X")).to_be_visible()
    expect(page.get_by_text("查阅用本：当事人身份信息已隐去，本件不得用于签字。")).to_be_visible()
    assert page.get_by_text("11010519491231002X").count() == 0
    as_on_paper(page)
    expect(page.get_by_text("查阅用本：当事人身份信息已隐去，本件不得用于签字。")).to_be_visible()
    screenshot(page, "paperwork-agreement-masked-print")
    assert not PersonalDataDisclosure.objects.filter(case=case).exists()
