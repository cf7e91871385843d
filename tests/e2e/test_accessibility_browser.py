"""WCAG 2.1 AA in a real browser: axe-core on every page type as every role, desktop and phone;
the intake form and a case page by keyboard alone; 44 px tap targets on a phone.

axe-core is vendored under tests/e2e/vendor/axe-core (see its README); Playwright injects it
through the DevTools protocol, so the page's CSP (no inline scripts) stays on."""

import hashlib
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.a11y_pages import CONTACT, PASSWORDS, ROLES, build_data, page_types
from tests.factories import case_in_state

from .conftest import DESKTOP, PHONE, screenshot, sign_in

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DEVICES = {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture
def a11y_data(transactional_world):
    return build_data(transactional_world)


def sign_in_as(page, role):
    sign_in(page, role, *[PASSWORDS[role]] if role in PASSWORDS else [])


def open_context(browser, live_server, device, **options):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", reduced_motion="reduce",
                                  **device, **options)
    context.set_default_timeout(15_000)
    context.add_init_script(path=str(AXE))
    return context


# Only the first check in a context preloads the stylesheets (for css-orientation-lock): every
# page has the same ones.
AXE_RUN = """async ([tags, preload]) => {
    const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                            resultTypes: ["violations"], preload: preload});
    return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                        targets: v.nodes.map(n => n.target.join(" "))}));
}"""


def run_axe(page, preload=True) -> list[dict]:
    return page.evaluate(AXE_RUN, [WCAG_TAGS, preload])


def fingerprint(status: int, html: str) -> str:
    """What a page shows apart from the top bar (checked for each role on its work bench) and
    per-request tokens: two roles that get the same fingerprint get the same page."""
    html = re.sub(r'<nav class="navbar[^>]*>.*?</nav>', "", html, count=1, flags=re.S)
    html = re.sub(r'(name="csrfmiddlewaretoken" value=)"[^"]*"|nonce="[^"]*"', r"\1", html)
    return hashlib.sha256(f"{status}\n{html}".encode()).hexdigest()


def open_everything(page):
    """Open every collapsed form and <details> in the content, as a user would one by one."""
    page.evaluate("""() => {
        document.querySelectorAll('main [data-bs-toggle="collapse"][aria-expanded="false"]')
            .forEach(b => b.click());
        document.querySelectorAll("main details").forEach(d => { d.open = true; });
    }""")
    page.wait_for_function("() => !document.querySelector('.collapsing')")


def submit_empty(page, selector) -> bool:
    """Send the form at `selector` as it is (blank or with its initial values): its error state."""
    form = page.locator(selector).first
    if not form.count():
        return False
    with page.expect_navigation():
        form.evaluate("f => f.requestSubmit()")
    return True


def report(found: list[tuple]) -> str:
    lines = []
    for where, violations in found:
        for v in violations:
            lines.append(f"{where}: {v['id']} ({v['impact']}) {v['help']}")
            lines.extend(f"    {t}" for t in v["targets"][:8])
            if len(v["targets"]) > 8:
                lines.append(f"    … and {len(v['targets']) - 8} more")
    return "\n".join(lines)


@pytest.mark.parametrize("device_name", DEVICES)
def test_axe_finds_no_wcag_violation_on_any_page_as_any_role(device_name, a11y_data, browser, live_server):
    """Every page type as every role. A page whose content (all but the top bar) is the same as
    one another role already had is not checked twice; each role's top bar is checked on its
    work bench, and on a phone with its menu open."""
    found, views, same, started = [], 0, 0, time.monotonic()
    checked = {}  # fingerprint -> who had it first
    for role in ROLES:
        context = open_context(browser, live_server, DEVICES[device_name])
        page = context.new_page()
        sign_in_as(page, role)
        for pt in page_types(a11y_data):
            response = page.request.get(pt.url)
            key = fingerprint(response.status, response.text())
            if key in checked and pt.name != "workbench":
                same += 1
                continue
            checked.setdefault(key, role)
            status = page.goto(pt.url).status
            for state in pt.states:
                if state == "open":
                    open_everything(page)
                elif state.startswith("submit:") and not submit_empty(page, state.removeprefix("submit:")):
                    break  # this role has no such form here
                after = f" after {state}" if state.startswith("submit:") else ""
                views += 1
                if violations := run_axe(page, preload=views == 1):
                    found.append((f"{pt.name}{after} [{role}, {device_name}, {status}]", violations))
            if pt.name == "workbench" and device_name == "phone":  # the menu, open
                page.get_by_role("button", name="菜单").click()
                expect(page.locator("#mainnav")).to_be_visible()
                views += 1
                if violations := run_axe(page, preload=False):
                    found.append((f"workbench, menu open [{role}, phone]", violations))
        context.close()
    print(f"\naxe ({device_name}): {views} page views checked, {same} the same as one checked already, "
          f"in {time.monotonic() - started:.1f}s; {sum(len(v) for _, v in found)} violations on "
          f"{sum(len(x['targets']) for _, v in found for x in v)} nodes")
    assert not found, "axe found WCAG 2.1 A/AA violations:\n" + report(found)


def test_axe_finds_no_wcag_violation_on_the_sign_in_page(transactional_world, browser, live_server):
    found = []
    for device_name, device in DEVICES.items():
        context = open_context(browser, live_server, device)
        page = context.new_page()
        page.goto("/accounts/login/")
        found += [(f"sign-in [{device_name}]", v) for v in [run_axe(page)] if v]
        page.get_by_label("用户名").fill("worker1")
        page.get_by_role("button", name="登录").click()
        expect(page.locator(".alert-danger, .is-invalid").first).to_be_visible()
        found += [(f"sign-in error [{device_name}]", v) for v in [run_axe(page)] if v]
        screenshot(page, f"a11y-sign-in-error-{device_name}")
        context.close()
    assert not found, "axe found WCAG 2.1 A/AA violations:\n" + report(found)


# --- keyboard only --------------------------------------------------------------------------

# After each key press: the focused element, described, with what its focus indicator looks like
# (outline, box-shadow), and the element that had focus before, now unfocused, with the colour
# behind it. Elements are numbered per document (data-kb) so that stops are compared with the
# same element's unfocused look.
FOCUS_STATE = """() => {
    const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
    const behind = el => {
        for (let e = el.parentElement; e; e = e.parentElement) {
            const c = rgb(getComputedStyle(e).backgroundColor);
            if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return getComputedStyle(e).backgroundColor;
        }
        return "rgb(255, 255, 255)";
    };
    const look = el => {
        const cs = getComputedStyle(el);
        return {outline: cs.outlineStyle !== "none" ? `${cs.outlineWidth} ${cs.outlineStyle} ${cs.outlineColor}` : "none",
                outlineColor: cs.outlineColor, outlineWidth: parseFloat(cs.outlineWidth) || 0,
                outlineStyle: cs.outlineStyle, shadow: cs.boxShadow, behind: behind(el)};
    };
    window.__kbDoc = window.__kbDoc || Math.random().toString(36).slice(2);
    const el = document.activeElement, prev = window.__kbPrev;
    const left = prev && prev !== el && prev.isConnected ? {key: window.__kbDoc + ":" + prev.dataset.kb, ...look(prev)} : null;
    if (!el || el === document.body) { window.__kbPrev = null; return {focused: null, left}; }
    if (!el.dataset.kb) el.dataset.kb = String(document.querySelectorAll("[data-kb]").length + 1);
    window.__kbPrev = el;
    return {left, focused: {key: window.__kbDoc + ":" + el.dataset.kb, tag: el.tagName.toLowerCase(), id: el.id,
            text: (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 40), ...look(el)}};
}"""


def luminance(css_colour):
    parts = [float(x) for x in css_colour[css_colour.index("(") + 1:-1].replace("/", ",").split(",")[:3]]

    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in parts)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


class Walk:
    """Tab through a page as a keyboard user does, recording every stop."""

    def __init__(self, page):
        self.page, self.stops, self.unfocused = page, [], {}

    def press(self, key, navigates=False):
        if navigates:
            with self.page.expect_navigation():
                self.page.keyboard.press(key)
            return None
        self.page.keyboard.press(key)
        state = self.page.evaluate(FOCUS_STATE)
        if state["left"]:
            self.unfocused[state["left"]["key"]] = state["left"]
        if state["focused"]:
            self.stops.append(state["focused"])
        return state["focused"]

    def tab_to(self, predicate, *, shift=False, limit=120):
        """Tab (or Shift+Tab) until the focused element matches the JS predicate `el => …`."""
        for _ in range(limit):
            self.press("Shift+Tab" if shift else "Tab")
            if self.page.evaluate(f"() => {{ const el = document.activeElement; return !!el && ({predicate})(el); }}"):
                return
        last = [f"<{s['tag']}> {s['text']!r}" for s in self.stops[-12:]]
        raise AssertionError(f"{limit} presses of {'Shift+Tab' if shift else 'Tab'} never reached {predicate} "
                             f"on {self.page.url}; the last stops: {', '.join(last)}")

    def check_focus_is_visible(self):
        """Every stop showed a focus indicator that differs from its unfocused look, and an
        outline ring has ≥ 3:1 contrast against what is behind it. Returns the stops compared."""
        weak, compared = [], 0
        for stop in self.stops:
            before = self.unfocused.get(stop["key"])
            if before is None or stop["tag"] == "main":
                continue  # still focused, or the page went away while it was; <main> is the
                # skip link's target (focusable only by script), not a control
            compared += 1
            changed = stop["outline"] != before["outline"] or stop["shadow"] != before["shadow"]
            where = f"<{stop['tag']} id={stop['id']!r}> {stop['text']!r}"
            if not changed:
                weak.append(f"{where}: looks the same focused and unfocused ({stop['outline']}, {stop['shadow']})")
            elif stop["outlineStyle"] != "none" and stop["outlineWidth"] >= 2:
                ratio = contrast(stop["outlineColor"], stop["behind"])
                if ratio < 3:
                    weak.append(f"{where}: focus ring {stop['outlineColor']} on {stop['behind']} is {ratio:.2f}:1")
            elif stop["shadow"] == "none":
                weak.append(f"{where}: focus indicator thinner than 2 px ({stop['outline']})")
        assert not weak, "weak or invisible focus:\n" + "\n".join(weak)
        return compared


def active(page, expression):
    return page.evaluate(f"() => {{ const el = document.activeElement; return {expression}; }}")


def test_the_intake_form_by_keyboard_alone(transactional_world, browser, live_server):
    context = open_context(browser, live_server, DESKTOP)
    page = context.new_page()
    sign_in(page, "worker1")
    walk = Walk(page)

    # the first Tab stop is the skip link; it takes focus past the menu to the content
    state = walk.press("Tab")
    assert state and state["text"] == "跳到正文", state
    expect(page.get_by_role("link", name="跳到正文")).to_be_visible()
    walk.press("Enter")
    assert active(page, "el.id") == "content"
    walk.tab_to('el => el.textContent.trim() === "登记纠纷"')
    walk.press("Enter", navigates=True)
    page.wait_for_url("**/cases/new/")
    expect(page).to_have_title(re.compile("^登记纠纷"))

    # fill the title, leave the rest, send: the page comes back with focus on the first invalid
    # field, which names its error
    walk.tab_to('el => el.name === "title"')
    page.keyboard.type("楼道电动车充电纠纷")
    walk.tab_to('el => el.type === "submit" && el.textContent.includes("提交登记")')
    walk.press("Enter", navigates=True)
    expect(page).to_have_title(re.compile("^有错误：登记纠纷"))
    focused = active(page, "({name: el.name, invalid: el.getAttribute('aria-invalid'), "
                           "described: (el.getAttribute('aria-describedby') || '').split(' ')"
                           ".map(id => document.getElementById(id)?.textContent.trim())})")
    assert focused["name"] == "category" and focused["invalid"] == "true", focused
    assert any(focused["described"]), focused
    assert page.locator("[name=title]").input_value() == "楼道电动车充电纠纷"

    # choose from the lists with the arrow keys, type the rest; Shift+Tab goes back
    page.keyboard.press("ArrowDown")
    walk.tab_to('el => el.name === "channel"')
    page.keyboard.press("ArrowDown")
    walk.tab_to('el => el.name === "category"', shift=True)
    assert page.locator("[name=category]").input_value() != ""
    walk.tab_to('el => el.name === "address"')
    page.keyboard.type("栖凤社区2幢")
    walk.tab_to('el => el.name === "description"')
    page.keyboard.type("住户在楼道给电动车充电，邻居担心起火。")
    walk.tab_to('el => el.name === "parties-0-name"')
    page.keyboard.type("赵大勇")
    walk.tab_to('el => el.name === "parties-0-role"')
    page.keyboard.press("ArrowDown")
    walk.tab_to('el => el.type === "submit" && el.textContent.includes("提交登记")')
    walk.press("Space", navigates=True)
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    expect(page.get_by_role("heading", name="楼道电动车充电纠纷")).to_be_visible()
    stops = walk.check_focus_is_visible()
    print(f"\nkeyboard: intake form, {len(walk.stops)} stops, {stops} compared focused/unfocused")
    assert stops > 15
    context.close()


def test_a_case_page_by_keyboard_alone(transactional_world, browser, live_server):
    w = transactional_world
    for device in (DESKTOP, PHONE):
        case = case_in_state("triaged", grid=w.grid1, actor=w.officer1)
        context = open_context(browser, live_server, device)
        page = context.new_page()
        sign_in(page, "officer1")
        page.goto(case.get_absolute_url())
        expect(page).to_have_title(re.compile(f"^{case.title} · {case.number}"))
        walk = Walk(page)

        # the user menu is a button: Space opens it, Escape closes it (on a phone, behind 菜单)
        if device is PHONE:
            walk.tab_to('el => el.getAttribute("aria-controls") === "mainnav"')
            walk.press("Enter")
            expect(page.locator("#mainnav")).to_be_visible()
        walk.tab_to('el => el.classList.contains("dropdown-toggle")')
        walk.press("Space")
        expect(page.get_by_role("link", name="修改密码")).to_be_visible()
        walk.press("Escape")
        expect(page.get_by_role("link", name="修改密码")).to_be_hidden()
        if device is PHONE:
            walk.tab_to('el => el.getAttribute("aria-controls") === "mainnav"', shift=True)
            walk.press("Enter")
            expect(page.locator("#mainnav")).to_be_hidden()

        # the reveal (htmx) keeps focus on the party it showed
        walk.tab_to('el => el.textContent.trim() === "查看完整信息（将被记录）"')
        walk.press("Enter")
        expect(page.get_by_text("13812345678")).to_be_visible()
        page.wait_for_function("() => !!document.activeElement.closest('[id^=party-]')")

        # a comment: its box has a name, Space on the button sends it
        walk.tab_to('el => el.tagName === "TEXTAREA" && el.labels.length && el.labels[0].textContent.includes("备注")')
        page.keyboard.type("已电话联系双方" + ("（手机）" if device is PHONE else ""))
        walk.tab_to('el => el.type === "submit"')
        assert active(page, "el.textContent.trim()") == "添加备注"
        walk.press("Space", navigates=True)
        expect(page.locator("#timeline").get_by_text("已电话联系双方").first).to_be_visible()

        # a step of the workflow: open it with Enter, fill it, confirm
        # (the page came back at #timeline, below the steps: Shift+Tab goes back up to them)
        walk.tab_to('el => el.getAttribute("aria-controls") === "act-escalate"', shift=True)
        walk.press("Enter")
        expect(page.locator("#act-escalate")).to_be_visible()
        assert active(page, "el.getAttribute('aria-expanded')") == "true"
        if device is DESKTOP:
            walk.tab_to('el => el.name === "escalate-escalation_reason"')
            page.keyboard.type("双方矛盾激化，需派出所介入")
            walk.tab_to('el => el.type === "submit" && el.textContent.includes("确认")')
            walk.press("Enter", navigates=True)
            expect(page.get_by_text("已完成：提级化解。")).to_be_visible()
        stops = walk.check_focus_is_visible()
        print(f"\nkeyboard: case page, {len(walk.stops)} stops, {stops} compared focused/unfocused")
        assert stops > 10
        screenshot(page, f"a11y-keyboard-case-{'phone' if device is PHONE else 'desktop'}")
        context.close()


# --- phones: tap targets and reflow ---------------------------------------------------------

SMALL_TARGETS = """() => {
    const sel = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
    const small = [];
    for (const el of document.querySelectorAll(sel)) {
        let r = el.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) continue;           // not shown
        if (getComputedStyle(el).visibility === "hidden") continue;
        if (el.matches(".visually-hidden-focusable:not(:focus):not(:focus-within)")) continue;  // skip link
        if ((el.type === "checkbox" || el.type === "radio") && el.labels && el.labels.length) {
            // a check box and its label are one target: tapping either toggles it
            const boxes = [r, ...[...el.labels].map(l => l.getBoundingClientRect())];
            const left = Math.min(...boxes.map(b => b.left)), right = Math.max(...boxes.map(b => b.right));
            const top = Math.min(...boxes.map(b => b.top)), bottom = Math.max(...boxes.map(b => b.bottom));
            r = {width: right - left, height: bottom - top};
        }
        if (r.width < 43.5 || r.height < 43.5) {
            small.push(`<${el.tagName.toLowerCase()}${el.id ? " id=" + el.id : ""}${el.className ? " class='" + el.className + "'" : ""}> `
                       + `${(el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 30)} `
                       + `${Math.round(r.width)}×${Math.round(r.height)}`);
        }
    }
    return small;
}"""


def test_phone_tap_targets_are_44_px_and_printed_sheets_reflow(a11y_data, browser, live_server):
    d = a11y_data
    found, measured = [], 0
    pages = [("workbench", "/", ""), ("case-list", "/cases/", ""),
             ("case-list-filtered", "/cases/?state=triaged&overdue=on", "")]
    pages += [(f"case-{label}", case.get_absolute_url(), "open") for label, case in d.cases.items()]
    for role in ("worker1", "officer1", "auxiliary1", "streetlead", "mediator1", CONTACT):
        context = open_context(browser, live_server, PHONE)
        page = context.new_page()
        sign_in_as(page, role)
        for name, url, then in pages:
            if page.goto(url).status != 200:
                continue
            if then == "open":
                open_everything(page)
            measured += 1
            found += [f"{name} [{role}]: {s}" for s in page.evaluate(SMALL_TARGETS)]
            if name == "workbench":
                page.get_by_role("button", name="菜单").click()
                expect(page.locator("#mainnav")).to_be_visible()
                found += [f"{name} menu open [{role}]: {s}" for s in page.evaluate(SMALL_TARGETS)]
                if role == "officer1":
                    screenshot(page, "a11y-workbench-menu-officer1-phone")
            if role == "officer1" and name in ("workbench", "case-list", "case-mediating", "case-resolved"):
                screenshot(page, f"a11y-{name}-officer1-phone")
        context.close()
    assert measured >= 30
    assert not found, "tap targets under 44 × 44 px on a phone:\n" + "\n".join(found)

    # reflow (WCAG 1.4.10): the printed agreement and meeting sheets at 390 and 320 px wide
    context = open_context(browser, live_server, PHONE)
    page = context.new_page()
    sign_in(page, "streetlead")
    wide = []
    for width in (390, 320):
        page.set_viewport_size({"width": width, "height": 800})
        for name, url in (("agreement", f"/mediators/cases/{d.cases['agreed'].pk}/agreement/"),
                          ("meeting", f"/meetings/{d.meeting.pk}/print/"),
                          ("case-file", f"/cases/{d.cases['agreed'].pk}/file/")):
            page.goto(url)
            scroll = page.evaluate("() => document.documentElement.scrollWidth")
            if scroll > width:
                wide.append(f"{url} at {width} px scrolls sideways ({scroll} px wide)")
            screenshot(page, f"a11y-reflow-{name}-{width}")
    context.close()
    assert not wide, "\n".join(wide)
