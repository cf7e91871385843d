"""No English on a zh-hans page: every page type as every role (worker, officer, station and street
leader, mediator, department contact, administrator), blank and after an empty POST of each form,
plus the whole admin (index, each model's list, add, change, history and permission pages) as the
superuser. A Latin word outside the allow-list fails the test with the page and the words.

What counts is what a user reads: text nodes (but not <script>/<style>) and the attributes that
are read out or shown (placeholder, title, aria-label, alt, a button's value). Codes with digits
(grid codes, case numbers, "110"), e-mail addresses, URLs and file names are data, not words."""

import os
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from cases import loop, permissions
from cases.models import Case
from grids.roles import Role
from tests.a11y_pages import build_data, page_types
from tests.factories import TEST_PASSWORD, a_department, act, case_in_state, person

pytestmark = pytest.mark.django_db

ROLES = ["worker1", "officer1", "auxiliary1", "stationlead", "streetlead", "mediator1", "dept_housing",
         "admin"]

# Words a Chinese page may carry: brand, file-format and key names, units, "ID" and "IP" as
# Chinese writes them (用户 ID, IP 地址). Usernames are data typed by an administrator (an
# account name is what people sign in with), not interface words.
ALLOWED = {"excel", "word", "csv", "xlsx", "pdf", "jpg", "jpeg", "png", "gif", "webp", "mb", "kb", "km", "kg",
           "id", "ip", "ldap", "control", "command", "mac"}

READ_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
TOKEN = re.compile(r"[A-Za-z0-9_@./:%+&?=#~\-'’]+")
VERBOSE = bool(os.environ.get("FQ_SHOW_CONTEXT"))  # the sentence around each word
WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")


class TextCollector(HTMLParser):
    """The text a user reads or hears on a page."""

    SKIP = {"script", "style", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks, self.skipping = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
            return
        attrs = dict(attrs)
        if tag == "img" and "/admin/img/icon-" in (attrs.get("src") or ""):
            return  # the admin's yes/no icons: Django writes alt="True"/"False", not translatable
        self.chunks += [attrs[name] for name in READ_ATTRIBUTES if attrs.get(name)]
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset") and attrs.get("value"):
            self.chunks.append(attrs["value"])

    def handle_startendtag(self, tag, attrs):
        if tag not in self.SKIP:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.chunks.append(data)


def english_words(html: str, allowed=frozenset()) -> list[str]:
    """The English words of a page, each with the text it stands in (to find its source)."""
    collector = TextCollector()
    collector.feed(html)
    found = {}
    for chunk in collector.chunks:
        for token in TOKEN.findall(re.sub(r"\S*\*{3,}\S*", " ", chunk)):  # masked values
            if re.search(r"[\d@/]|://|\w\.\w", token):  # codes, numbers, addresses, file names
                continue
            word = token.strip(".:,;!?'’-&#%+=~_")
            if WORD.fullmatch(word) and len(word) > 1 and word.lower() not in ALLOWED | allowed:
                found.setdefault(word, " ".join(chunk.split())[:80])
    return [f"{word} ({context!r})" if VERBOSE else word for word, context in sorted(found.items())]


def usernames():
    from django.contrib.auth import get_user_model

    return frozenset(n.lower() for n in get_user_model().objects.values_list("username", flat=True))


@pytest.fixture
def data(world):
    """The a11y pages' data, plus a department contact with a case referred to her department."""
    d = build_data(world)
    contact = person("dept_housing", Role.DEPARTMENT)
    department = a_department()
    department.contacts.add(contact)
    referred = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    d.cases["referred-to-contact"] = act(referred, "refer", world.streetlead, referral={
        "department": department, "request": "请依职责修复公共管道", "contact": contact,
        "deadline": timezone.localdate() + timedelta(days=10)})
    # an officer's referral of a serious-risk case, waiting on the leaders' approval
    awaiting = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    Case.objects.filter(pk=awaiting.pk).update(risk="serious")
    awaiting.refresh_from_db()
    d.awaiting_referral = loop.send_referral(
        case=awaiting, actor=world.officer1, department=department, contact=contact,
        request="楼上违规改动承重墙，请现场鉴定", deadline=timezone.localdate() + timedelta(days=10))
    d.cases["referral-awaiting-approval"] = awaiting
    # a major-risk case its handler may not refer directly (the refusal says why)
    d.major_triaged = case_in_state("triaged", grid=world.grid1, actor=world.officer1)
    Case.objects.filter(pk=d.major_triaged.pk).update(risk="major")
    world.dept_housing = contact
    return d


def app_pages(d, user):
    """(name, method, url, body): every page type, the blank forms, and each form sent empty."""
    reported, triaged, mediating = d.cases["reported"], d.cases["triaged"], d.cases["mediating"]
    resolved = d.cases["resolved"]
    pages = [(pt.name, "get", pt.url, None) for pt in page_types(d)]
    pages += [(f"case-{label}", "get", case.get_absolute_url(), None) for label, case in d.cases.items()
              if label not in ("reported", "triaged")]
    pages += [("case-list", "get", reverse("cases:list"), None)]
    posts = [
        ("intake", reverse("cases:create"), {"parties-TOTAL_FORMS": "2", "parties-INITIAL_FORMS": "0",
                                             "parties-MIN_NUM_FORMS": "1", "parties-MAX_NUM_FORMS": "20"}),
        ("comment", reverse("cases:comment", args=[triaged.pk]), {}),
        ("attachment", reverse("cases:attach", args=[triaged.pk]), {}),
        ("supervision", reverse("cases:supervise", args=[triaged.pk]), {}),
        ("follow-up", reverse("cases:follow_up", args=[resolved.pk, resolved.follow_ups.first().pk]), {}),
        ("mediator-new", reverse("mediators:create"), {}),
        ("mediator-edit", reverse("mediators:edit", args=[d.mediator.pk]), {}),
        ("choose", reverse("mediators:choose", args=[triaged.pk]), {}),
        ("session", reverse("mediators:session_create", args=[mediating.pk]), {}),
        ("agreement", reverse("mediators:agreement_create", args=[mediating.pk]), {}),
        ("call", reverse("cases:call_create"), {}),
        ("password", reverse("password_change"), {}),
        ("meeting-new", reverse("cases:meeting_create"), {}),
        ("minutes", reverse("cases:meeting_minutes", args=[d.meeting.pk]), {}),
        ("notification-settings", reverse("cases:notification_settings"), {}),
    ]
    # corrections after intake: each sent empty (with the version the form carries), and the
    # details sent against a version somebody else changed since (the conflict page)
    version = {"version": str(triaged.version)}
    posts += [
        ("case-edit", reverse("cases:edit", args=[triaged.pk]), version),
        ("party-add", reverse("cases:party_add", args=[triaged.pk]), version),
        ("party-edit", reverse("cases:party_edit", args=[triaged.pk, triaged.parties.first().pk]), version),
        ("hand-over", reverse("cases:hand_over", args=[triaged.pk]), version),
        ("move-grid", reverse("cases:move_grid", args=[triaged.pk]), version),
        ("case-edit, stale", reverse("cases:edit", args=[triaged.pk]), {
            "version": "0", "title": "楼上漏水", "category": "neighbour", "channel": "walk_in",
            "address": "栖凤社区3幢", "description": "渗水"}),
    ]
    for call in reported.calls.all():
        posts.append(("call-answer", reverse("cases:call_answer", args=[call.pk]), {}))
    # a handler's direct referral, sent empty and (to a handler; a leader's goes) refused for a
    # major-risk case; a leader's approval sent empty and declined without a reason
    sent = {"send_referral-department": a_department().pk, "send_referral-request": "请住建部门责令修复",
            "send_referral-deadline": (timezone.localdate() + timedelta(days=5)).isoformat()}
    awaiting = d.awaiting_referral
    decide = reverse("cases:referral_decide", args=[awaiting.case_id, awaiting.pk])
    posts += [
        ("referral-send", reverse("cases:referral_send", args=[triaged.pk]), {}),
        ("referral-send, major risk", reverse("cases:referral_send", args=[d.major_triaged.pk]), sent),
        ("referral-decide", decide, {}),
        ("referral-decide, no reason", decide, {f"decide{awaiting.pk}-decision": "decline"}),
    ]
    for referral in d.cases["referred-to-contact"].referrals.all():
        posts.append(("referral-receive", reverse("cases:referral_receive",
                                                  args=[referral.case_id, referral.pk]), {}))
        posts.append(("referral-close", reverse("cases:referral_close", args=[referral.case_id, referral.pk]), {}))
    # Each transition a role may take, sent with nothing filled in (only the form's version).
    for label, case in d.cases.items():
        for action in permissions.transitions_for(user, case):
            posts.append((f"{label}:{action}", reverse("cases:transition", args=[case.pk, action]),
                          {f"{action}-version": str(case.version)}))
    pages += [(f"{name} (sent empty)", "post", url, body) for name, url, body in posts]
    return pages


class HiddenInputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden" and attrs.get("name"):
            self.values[attrs["name"]] = attrs.get("value") or ""


def as_sent_empty(client, url):
    """What a browser sends for a form left blank: its hidden inputs (an admin form's inline
    management forms) and nothing else."""
    parser = HiddenInputs()
    parser.feed(client.get(url).content.decode())
    return parser.values


def crawl(client, pages, allowed):
    found, seen = [], 0
    for name, method, url, body in pages:
        if body == "hidden inputs":
            body = as_sent_empty(client, url)
        response = client.get(url) if method == "get" else client.post(url, body, follow=True)
        if response.status_code in (301, 302) or not response.get("Content-Type", "").startswith("text/html"):
            continue
        seen += 1
        words = english_words(response.content.decode(), allowed)
        if words:
            found.append(f"{name} [{response.status_code}] {url}: {', '.join(words)}")
    return found, seen


def test_the_words_are_found_where_users_read_them():
    html = """<p>已受理 Version 2</p><script>var x = "English";</script><input placeholder="Search"
              class="form-control"><a href="/cases/?q=abc">QF-01-01 栖凤2026-0001 110 警情</a>
              <span>user@example.com photo.jpg Excel 138****5678 mX****</span><option>- Select an option -</option>"""
    assert [w.split(" (")[0] for w in english_words(html)] == ["Search", "Select", "Version", "an", "option"]


def test_the_sign_in_pages_are_chinese(client):
    allowed = usernames()
    found, _ = crawl(client, [("sign-in", "get", reverse("login"), None),
                              ("sign-in error", "post", reverse("login"), {"username": "worker1", "password": "x"}),
                              ("too large", "get", reverse("request_too_large"), None)], allowed)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_is_chinese_for_every_role(client, world, data, role):
    user = getattr(world, role)
    client.force_login(user)
    found, seen = crawl(client, app_pages(data, user), usernames())
    assert seen > 30
    assert not found, "\n".join(found)


# --- the admin --------------------------------------------------------------------------------


def admin_pages(superuser):
    """Index, app indexes; for each registered model its list, add form (blank and sent empty),
    and for one row its change page, history (and a historical version), and guardian's object
    permission pages."""
    pages = [("admin index", "get", reverse("admin:index"), None)]
    request = type("R", (), {"user": superuser})()
    for app_label in sorted({model._meta.app_label for model in admin.site._registry}):
        pages.append((f"admin {app_label}", "get", reverse("admin:app_list", args=[app_label]), None))
    group = Group.objects.get(name=Role.WORKER)
    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages.append((f"{info} list", "get", reverse(f"{info}_changelist"), None))
        if model_admin.has_add_permission(request):
            pages.append((f"{info} add", "get", reverse(f"{info}_add"), None))
            pages.append((f"{info} add sent empty", "post", reverse(f"{info}_add"), "hidden inputs"))
        obj = model._default_manager.order_by("-pk").first()
        if obj is None:
            continue
        pages.append((f"{info} change", "get", reverse(f"{info}_change", args=[obj.pk]), None))
        pages.append((f"{info} history", "get", reverse(f"{info}_history", args=[obj.pk]), None))
        version = obj.history.order_by("-history_id").first() if hasattr(obj, "history") else None
        if version is not None and isinstance(model_admin, SimpleHistoryAdmin):
            pages.append((f"{info} version", "get",
                          reverse(f"{info}_simple_history", args=[obj.pk, version.pk]), None))
        try:
            pages.append((f"{info} permissions", "get", reverse(f"{info}_permissions", args=[obj.pk]), None))
            pages.append((f"{info} user permissions", "get",
                          reverse(f"{info}_permissions_manage_user", args=[obj.pk, superuser.pk]), None))
            pages.append((f"{info} group permissions", "get",
                          reverse(f"{info}_permissions_manage_group", args=[obj.pk, group.pk]), None))
        except NoReverseMatch:
            pass
        if model_admin.has_delete_permission(request, obj):
            pages.append((f"{info} delete", "get", reverse(f"{info}_delete", args=[obj.pk]), None))
    pages.append(("admin password", "get", reverse("admin:auth_user_password_change", args=[superuser.pk]), None))
    pages.append(("admin user filtered", "get",
                  reverse("admin:auth_user_changelist") + f"?groups__id__exact={group.pk}", None))
    return pages


def test_the_admin_is_chinese(client, world, data):
    from axes.models import AccessLog

    from mediators.models import Mediator

    # A roster change leaves a history row, so the history pages have something to show.
    mediator = Mediator.objects.get(user=world.mediator1)
    mediator.organisation = "栖凤街道人民调解委员会"
    mediator.save()
    # Signed in as a browser does (force_login leaves the sign-in record's path and browser
    # "<unknown>"), so the sign-in records the admin lists are real ones.
    AccessLog.objects.all().delete()
    world.admin.set_password(TEST_PASSWORD)
    world.admin.save()
    client.post(reverse("login"), {"username": "admin", "password": TEST_PASSWORD},
                HTTP_USER_AGENT="Chrome/131.0 Mobile/15E148", HTTP_ACCEPT="text/html")
    found, seen = crawl(client, admin_pages(world.admin), usernames())
    assert seen > 60
    assert not found, "\n".join(found)


def test_the_admin_sign_in_is_chinese_for_someone_who_is_not_staff(client, world):
    client.force_login(world.worker1)
    found, seen = crawl(client, [("admin as worker", "get", reverse("admin:index"), None)], usernames())
    assert not found, "\n".join(found)


def test_the_messages_after_each_write_are_chinese(client, world, data):
    """What a user reads after a write that worked: the message and the page it lands on."""
    triaged, reported = data.cases["triaged"], data.cases["reported"]
    worker_call = reported.calls.get(caller=world.worker1)
    client.force_login(world.officer1)
    writes = [
        ("comment", reverse("cases:comment", args=[triaged.pk]), {"text": "已电话联系双方"}),
        ("call", reverse("cases:call_create"), {"grid": world.grid1.pk, "message": "请网格员协助核实住址"}),
        ("call answered", reverse("cases:call_answer", args=[worker_call.pk]), {"answer": "马上到场"}),
        ("call answered twice", reverse("cases:call_answer", args=[worker_call.pk]), {"answer": "又到场"}),
        ("notifications read", reverse("cases:notifications_read"), {}),
        ("notification settings", reverse("cases:notification_settings"), {"email": ["call"]}),
    ]
    found, seen = crawl(client, [(name, "post", url, body) for name, url, body in writes], usernames())
    assert seen == len(writes)
    assert not found, "\n".join(found)


def test_the_messages_of_a_referral_awaiting_approval_are_chinese(client, world, data):
    """Sent for approval, approved, declined, and decided a second time: the message and the
    page each lands on, as the sender and as the leader."""
    awaiting = data.awaiting_referral
    case = data.cases["referral-awaiting-approval"]
    client.force_login(world.officer1)
    found, seen = crawl(client, [("referral sent for approval", "post", reverse("cases:referral_send", args=[case.pk]), {
        "send_referral-department": a_department().pk, "send_referral-request": "请核实房屋结构安全",
        "send_referral-deadline": (timezone.localdate() + timedelta(days=5)).isoformat()})], usernames())
    second = case.referrals.exclude(pk=awaiting.pk).get()
    assert second.status == "awaiting"

    def decide(referral, decision, note):
        return reverse("cases:referral_decide", args=[case.pk, referral.pk]), {
            f"decide{referral.pk}-decision": decision, f"decide{referral.pk}-note": note}

    client.force_login(world.stationlead)
    writes = [("approved", *decide(awaiting, "approve", "同意移交")),
              ("declined", *decide(second, "decline", "先由社区组织协商")),
              ("decided twice", *decide(awaiting, "decline", "不同意"))]
    more, more_seen = crawl(client, [(name, "post", url, body) for name, url, body in writes], usernames())
    assert (seen, more_seen) == (1, len(writes))
    awaiting.refresh_from_db()
    second.refresh_from_db()
    assert (awaiting.status, second.status) == ("sent", "declined")
    assert not found + more, "\n".join(found + more)
