"""Issue 9, "Bad input: never a 500": every form of the app, and every query-string input,
fuzzed with nasty values as a user who may use it.

Each endpoint's form is read from the page that holds it (as a browser would: field names,
hidden values, the options of selects, checkboxes, radios and buttons), a *baseline* is what a
user would send (the page's values plus `fill`, what she would type into the empty fields; the
first example posts it unchanged), and each further example changes a few fields — or, now and
then, every field — to values from `nasty()`: empty, whitespace, 20 000 characters, RTL, emoji,
NUL bytes, numbers as text, dates at and beyond the edges, ids of objects the user may not see
or that do not exist, several values where one is expected, the field left out. Uploads get
random bytes and names. Any exception (Django's test client re-raises view exceptions) or a
status >= 500 fails the example; hypothesis prints the drawn `changes` from the baseline (with
FUZZ_PROFILE=fuzz-min, shrunk to the smallest change that still fails) and the request sent.

Every example runs in a savepoint that is rolled back (`rolled_back`), inside the test's own
transaction (pytest-django's `db`), so each one starts from the same objects, built once per
test by `Scene`. The user is signed in again in each example (a changed password cycles the
session, and that is rolled back too).

Deterministic by default (profile "fuzz-ci": derandomize, no example database, no shrinking).
FUZZ_PROFILE=fuzz-min runs the same examples and shrinks a failure to its smallest change;
FUZZ_PROFILE=fuzz-explore draws new ones at random; FUZZ_SCALE=5 runs five times as many.

What the fuzz found is not fixed here. An endpoint on which the deterministic fuzz meets a 500
is listed in KNOWN_500 / KNOWN_500_QUERIES: a strict xfail on the databases where it fails
(when it is fixed, the xfail fails: remove the entry). Each smallest input found, by either
profile, is in FOUND and is sent as it stands on every run (a strict xfail while it answers
500; a plain regression test once fixed).
"""

import inspect
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.urls import NoReverseMatch, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from hypothesis import HealthCheck, Phase, currently_in_test_context, given, note, settings
from hypothesis import strategies as st

from cases import links, team
from cases import loop as closing
from cases.addresses import address_key
from cases.models import Case, FollowUp, Referral
from grids import access
from grids.models import PoliceGridUserObjectPermission
from grids.roles import Role
from incidents.models import Incident
from mediators.models import Mediator, MediatorChoice
from tests.factories import (
    PATH_TO,
    TEST_PASSWORD,
    a_department,
    act,
    choose,
    follow_up_kept,
    make_case,
    person,
)

pytestmark = pytest.mark.django_db

# --- hypothesis profiles -------------------------------------------------------------------

# fuzz-ci (the default): the same examples on every run, a failure reported as found (shrinking
# the known ones again on every run would take most of the module's time; their smallest inputs
# are in FOUND). fuzz-min: the same examples, a failure shrunk to its smallest change.
# fuzz-explore: new examples on every run, shrunk.
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)
settings.register_profile(
    "fuzz-ci", derandomize=True, database=None, deadline=None, print_blob=False, phases=NO_SHRINK,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.large_base_example],
)
settings.register_profile("fuzz-min", settings.get_profile("fuzz-ci"), phases=tuple(Phase))
settings.register_profile("fuzz-explore", settings.get_profile("fuzz-min"), derandomize=False)
PROFILE = settings.get_profile(os.environ.get("FUZZ_PROFILE", "fuzz-ci"))
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))


def fuzz(examples):
    """@given(data=st.data()) with the module's profile and `examples` examples (× FUZZ_SCALE)."""
    def decorate(test):
        return settings(PROFILE, max_examples=max(1, round(examples * SCALE)))(given(data=st.data())(test))
    return decorate


# --- nasty values --------------------------------------------------------------------------


class Missing:
    def __repr__(self):
        return "MISSING"


MISSING = Missing()  # the field is left out of the request

WORDS = [
    "", " ", "\t\r\n", "\x00", "a\x00b", "\u202egnp.exe", "\u200b", "\ufeff", "😀", "👨‍👩‍👧‍👦",
    "𠜎𠜱𠝹", "مرحبا بالعالم", "שלום", "<script>alert(1)</script>", "{{ 7|add:7 }}", "' OR 1=1 --",
    "%s%n%x", "../../etc/passwd", "=cmd|' /C calc'!A0", "\\", "null", "None", "true", "on",
    "[]", "{}", "测试",
]
NUMBERS = [
    "0", "-0", "-1", "1.5", "NaN", "nan", "Infinity", "-inf", "1e309", "1e-309",
    "99999999999999999999", "2147483648", "9223372036854775808", "-9223372036854775809",
    "0x1F", "1_000", "²", "①", "١٢٣", "１２", " 1 ", "+1", "0" * 40 + "1",
]
DATES = [
    "0001-01-01", "0001-01-01T00:00", "9999-12-31", "9999-12-31T23:59", "2026-02-30",
    "2026-02-29", "2026-13-01", "2026-00-10", "2026-01-01T24:00", "2026-01-01T23:60",
    "1900-01-01", "1970-01-01T00:00", "10000-01-01", "2026/01/01", "01/02/2026",
    "2026-01-01T00:00:00+14:00", "2026-01-01 00:00", "2026-1-1", "today", "明天", "0000-00-00",
    "２０２６-０１-０１", "-2026-01-01", "2026-W01", "9999-12-31T23:59:59.999999",
]
LONG = st.builds(lambda unit, n: unit * n, st.sampled_from(["a", "调", "😀", "\u202e", "\x00", "9"]),
                 st.integers(1, 20000))


# Digits that are not what int() takes, or too many of them for a database integer.
ODD_DIGITS = ["²", "①", "١٢٣", "１２", "99999999999999999999", "9223372036854775808", "-9223372036854775809",
              "9" * 4301]
CHOICE_KINDS = ("select", "select-multiple", "checkbox", "radio", "button", "hidden", "number")
DATE_KINDS = ("date", "datetime-local")


def nasty(field, pool):
    """Values for one field, most of them of its kind (ids and numbers for a choice, dates for a
    date, text for text) but any of them anywhere: nasty words, the field's own options, numbers,
    dates, foreign ids, long and random unicode text; the field left out; several values where
    one is expected."""
    kind = field.kind if field else "text"
    options = [st.sampled_from(field.options)] if field and field.options else []
    ids = st.sampled_from(pool)
    words, numbers, dates = st.sampled_from(WORDS), st.sampled_from(NUMBERS), st.sampled_from(DATES)
    text = st.text(max_size=30)
    if kind in CHOICE_KINDS:
        one = [*options, ids, st.sampled_from(ODD_DIGITS), numbers, words, ids, dates, LONG]
    elif kind in DATE_KINDS:
        one = [dates, words, dates, numbers, text, LONG]
    else:
        one = [words, LONG, text, numbers, words, dates, ids]
    single = st.one_of(*one)
    return st.one_of(single, st.just(MISSING), st.lists(single, min_size=2, max_size=4))


EXTRA_NAMES = ["version", "pk", "id", "case", "\x00", "a" * 300, "名字", "__proto__", "csrfmiddlewaretoken"]


@st.composite
def changes(draw, form, pool):
    """Some fields of `form` changed: on average none, one, three or (less often) nearly every one.
    Each field decides on its own (a roll of 0 always keeps it), so that hypothesis shrinks a
    failure to the fields that matter. Now and then a field the form does not have."""
    names = list(form.fields)
    one, three = 100 // max(len(names), 1), 300 // max(len(names), 1)
    percent = draw(st.sampled_from([0, one, one, three, three, 99]))
    changed = {}
    for name in names if percent else ():
        if draw(st.integers(0, 99)) >= 100 - percent:
            changed[name] = draw(nasty(form.fields[name], pool))
    for name in draw(st.lists(st.sampled_from(EXTRA_NAMES), max_size=2, unique=True)):
        changed.setdefault(name, draw(nasty(None, pool)))
    return changed


def apply(base, changed):
    data = dict(base)
    for name, value in changed.items():
        if value is MISSING:
            data.pop(name, None)
        else:
            data[name] = value
    return data


# --- uploads -------------------------------------------------------------------------------

FILE_NAMES = [
    "photo.jpg", "scan.pdf", "notes.txt", ".jpg", "a" * 300 + ".png", "../../../etc/passwd",
    "..\\..\\boot.ini", "x.php", "x.jpg.exe", "x.exe.jpg", "文件.png", "\u202egnp.exe", "CON.txt",
    "😀.gif", "X.JPG", "x.tar.gz", "x.webp", "x.docx", "x.doc", "x.xls", "x.xlsx", "a b.pdf", "x",
    "a\x00.jpg", "x.txt ", "x.", "%00.pdf",
]
HEADS = [b"", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF89a", b"RIFF\x00\x00\x00\x00WEBP", b"RIFF",
         b"%PDF-", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"MZ\x90\x00", b"\x00"]
CONTENT_TYPES = ["image/jpeg", "application/pdf", "text/html", "application/x-msdownload",
                 "", "a" * 500, "image/png; charset=\x00"]
TOO_BIG = 10 * 1024 * 1024 + 1


def an_upload(name, head, body, content_type, big):
    content = head + (b"\x00" * TOO_BIG if big else body)
    return SimpleUploadedFile(name, content, content_type=content_type or None)


def uploads(big):
    return st.builds(an_upload, st.sampled_from(FILE_NAMES), st.sampled_from(HEADS), st.binary(max_size=512),
                     st.sampled_from(CONTENT_TYPES), big)


# Up to three files (one in ten over the size limit), or more files than a request may carry.
UPLOADS = st.one_of(st.lists(uploads(st.integers(0, 9).map(lambda n: n == 9)), max_size=3),
                    st.lists(uploads(st.just(False)), min_size=21, max_size=21))
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


# --- reading the forms on a page -----------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str
    values: list = field(default_factory=list)   # what the page would send as it stands
    options: list = field(default_factory=list)  # every value the page offers


@dataclass
class Form:
    action: str
    method: str
    id: str | None
    fields: dict = field(default_factory=dict)

    def field(self, name, kind):
        return self.fields.setdefault(name, Field(name, kind))

    def baseline(self) -> dict:
        """What a browser sends as the page stands (the first option of a select, the first
        named button)."""
        data = {}
        for f in self.fields.values():
            if f.kind in ("file", "button"):
                if f.kind == "button" and f.options:
                    data[f.name] = f.options[0]
                continue
            values = f.values
            if f.kind == "select" and not any(values):  # "---------" chosen: the first real option
                values = [o for o in f.options if o][:1] or values
            if values:
                data[f.name] = values if f.kind in ("checkbox", "select-multiple") else values[0]
        return data


class Page(HTMLParser):
    """The forms on a page, with their fields (also those outside the form, `form="id"`)."""

    def __init__(self, url, html):
        super().__init__()
        self.url, self.forms = url, []
        self._form = self._select = self._text = self._option = None
        self._option_text = ""
        self.feed(html)
        self.close()

    def _owner(self, attrs):
        if attrs.get("form"):
            return next((f for f in self.forms if f.id == attrs["form"]), None)
        return self._form

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(attrs.get("action") or self.url, (attrs.get("method") or "get").lower(),
                              attrs.get("id"))
            self.forms.append(self._form)
            return
        if tag == "option" and self._select is not None:
            self._option, self._option_text = attrs, ""
            return
        owner, name = self._owner(attrs), attrs.get("name")
        if owner is None or not name:
            return
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                f = owner.field(name, kind)
                f.options.append(attrs.get("value", "on"))
                if "checked" in attrs:
                    f.values.append(attrs.get("value", "on"))
            elif kind in ("submit", "image", "button", "reset"):
                owner.field(name, "button").options.append(attrs.get("value", ""))
            elif kind == "file":
                owner.field(name, "file")
            else:
                owner.field(name, kind).values[:] = [attrs.get("value", "")]
        elif tag == "button":
            owner.field(name, "button").options.append(attrs.get("value", ""))
        elif tag == "textarea":
            self._text = owner.field(name, "textarea")
            self._text.values[:] = [""]
        elif tag == "select":
            self._select = owner.field(name, "select-multiple" if "multiple" in attrs else "select")

    def handle_data(self, data):
        if self._text is not None:
            self._text.values[0] += data
        if self._option is not None:
            self._option_text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._text is not None:
            value = self._text.values[0]
            self._text.values[0] = value[1:] if value.startswith("\n") else value
            self._text = None
        elif tag == "option" and self._option is not None and self._select is not None:
            value = self._option.get("value", self._option_text.strip())
            self._select.options.append(value)
            if "selected" in self._option:
                self._select.values.append(value)
            self._option = None
        elif tag == "select":
            self._select = None

    def form(self, action=None, method="post") -> Form:
        action = action or self.url
        for form in self.forms:
            if form.method == method and urlsplit(form.action).path == urlsplit(action).path:
                return form
        raise LookupError(f"no {method} form to {action} on {self.url}: {[f.action for f in self.forms]}")


# --- running one example -------------------------------------------------------------------


class Rollback(Exception):
    pass


@contextmanager
def rolled_back():
    """A savepoint that is always rolled back: each example starts from the same data."""
    try:
        with transaction.atomic():
            yield
            raise Rollback
    except Rollback:
        pass


def shorten(value):
    if isinstance(value, str) and len(value) > 60:
        return f"{value[:20]!r}…({len(value)} chars)"
    if isinstance(value, list):
        return [shorten(v) for v in value]
    if isinstance(value, dict):
        return {k: shorten(v) for k, v in value.items()}
    if isinstance(value, SimpleUploadedFile):
        return f"<file {value.name!r} {value.size} bytes>"
    return value


def send(client, user, method, url, data, **extra):
    """One request in a rolled-back savepoint; fail on an exception or a status >= 500."""
    if currently_in_test_context():
        note(f"{method.upper()} {url} as {user or 'anonymous'}: "
             f"{shorten(data)}")
    with rolled_back():
        if user is None:
            client.logout()
        else:
            client.force_login(user)
        response = getattr(client, method)(url, data, **extra)
        assert response.status_code < 500, f"{response.status_code} on {method.upper()} {url}"
    return response


# --- the objects the forms act on ----------------------------------------------------------


def today(days=0):
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def soon(days=3):
    return f"{today(days)}T09:00"


@dataclass
class Spec:
    """One form: who uses it, the page that holds it, where it posts, what a user would type
    into its empty fields, and the name of its file field."""

    user: object
    page: str
    action: str | None = None
    fill: dict = field(default_factory=dict)
    files: str | None = None
    headers: dict = field(default_factory=dict)


class Scene:
    """Cases in each state on worker1's grid (built by the administrator, 陈桂兰 = mediator1
    chosen where mediation needs her), and objects the users may not see, built on demand."""

    def __init__(self, world, client):
        self.w, self.client = world, client
        self._memo = {}

    # cases

    @cached_property
    def contact(self):
        user = person("dept_contact_fuzz", Role.DEPARTMENT)
        a_department().contacts.add(user)
        return user

    @cached_property
    def chen(self):
        return Mediator.objects.get(user=self.w.mediator1)

    def case(self, state, *, chosen=True, followed_up=False):
        key = ("case", state, chosen, followed_up)
        if key not in self._memo:
            admin = self.w.admin
            case = make_case(grid=self.w.grid1, actor=admin)
            for action in PATH_TO[state]:
                if action == "start_mediation" or (action == "escalate" and chosen):
                    if not case.mediator_choices.filter(active=True).exists():
                        choose(case, admin, mediator=self.chen)
                extra = {}
                if action == "refer":
                    extra = {"referral": {"department": a_department(), "request": "请依职责处理",
                                          "deadline": today(10), "contact": self.contact}}
                case = act(Case.objects.get(pk=case.pk), action, admin, **extra)
            if state == "triaged" and chosen:
                choose(case, admin, mediator=self.chen)
            if followed_up:
                follow_up_kept(case, admin)
            access.forget(self.contact)
            self._memo[key] = Case.objects.get(pk=case.pk)
        return self._memo[key]

    @cached_property
    def outside_case(self):
        return make_case(grid=self.w.grid_fh, actor=self.w.worker_fh)

    @cached_property
    def task(self):
        case = self.case("triaged")
        return closing.issue_supervision(case=case, actor=self.w.streetlead, text="三日内拿出方案",
                                         deadline=timezone.localdate() + timedelta(days=3),
                                         assignee=self.w.officer1)

    @cached_property
    def call(self):
        return closing.place_call(actor=self.w.worker1, grid=self.w.grid1, message="请民警到场",
                                  case=self.case("triaged"))

    @cached_property
    def meeting(self):
        self.case("escalated")
        return closing.create_meeting(actor=self.w.streetlead, street=self.w.qifeng,
                                      held_on=timezone.now(), place="街道会议室", attendees="街道、派出所")

    @cached_property
    def signer(self):
        """A worker whose password is hashed with the fast test hasher (the demo logins use
        PBKDF2: half a second per sign-in)."""
        return person("fuzz_signer", Role.WORKER, self.w.grid1)

    @cached_property
    def pool(self):
        """Ids as text: of objects the users may not see, of objects of another kind, of none."""
        outside = self.outside_case
        ids = {outside.pk, outside.grid_id, self.w.fenghuang.pk, self.w.worker_fh.pk,
               outside.parties.first().pk, self.w.grid_fh.community_id, self.w.admin.pk,
               self.chen.pk, self.w.qifeng.pk}
        return [str(i) for i in sorted(ids)] + ["0", "-1", "2147483648", "9223372036854775808",
                                                 "99999999999999999999"]

    # pages

    def page(self, user, url) -> Page:
        key = (getattr(user, "pk", None), url)
        if key not in self._memo:
            if user is None:
                self.client.logout()
            else:
                self.client.force_login(user)
            response = self.client.get(url)
            assert response.status_code == 200, f"GET {url} as {user}: {response.status_code}"
            self._memo[key] = Page(url, response.content.decode())
        return self._memo[key]

    def spec(self, name) -> "Spec":
        key = ("spec", name)
        if key not in self._memo:
            self._memo[key] = SPECS[name](self)
        return self._memo[key]

    def form(self, spec) -> Form:
        return self.page(spec.user, spec.page).form(spec.action)


def transition_spec(state, action, **case_options):
    fill = {
        "escalate": {"escalate-escalation_reason": "多次调解未果"},
        "refer": {"refer-request": "请依职责处理"},
        "resolve": {"resolve-resolution": "双方达成协议", "resolve-settled_without_agreement": "on"},
        "reopen": {"reopen-note": "协议未履行"},
        "withdraw": {"withdraw-withdrawal_reason": "双方已自行和解"},
        "settle_on_spot": {"settle_on_spot-resolution": "民警到场劝解，双方当场和解"},
    }.get(action, {})

    def build(s):
        case = s.case(state, **case_options)
        return Spec(s.w.streetlead, case.get_absolute_url(), reverse("cases:transition", args=[case.pk, action]),
                    fill)
    return build


TRANSITIONS = [
    ("reported", "triage"), ("reported", "withdraw"),
    ("triaged", "start_mediation"), ("triaged", "escalate"), ("triaged", "withdraw"),
    ("triaged", "settle_on_spot"),
    ("mediating", "escalate"), ("mediating", "resolve"),
    ("escalated", "refer"), ("escalated", "assign_mediation"), ("escalated", "resolve"),
    ("referred", "refer"), ("referred", "assign_mediation"), ("referred", "resolve"),
    ("resolved", "reopen"),
]


def _case_page(s, user, state, name, *args, **case_options):
    case = s.case(state, **case_options)
    return case, case.get_absolute_url(), reverse(name, args=[case.pk, *args])


def spec_create(s):
    return Spec(s.w.worker1, reverse("cases:create"), fill={
        "title": "楼上装修后楼下漏水", "address": "栖凤社区3幢", "description": "渗水",
        "parties-0-name": "王建国", "parties-0-phone": "13812345678",
        "parties-1-role": "", "parties-2-role": ""}, files="files")


def spec_comment(s):
    _case, page, action = _case_page(s, s.w.worker1, "triaged", "cases:comment")
    return Spec(s.w.worker1, page, action, {"text": "已电话联系双方"})


def spec_attach(s):
    _case, page, action = _case_page(s, s.w.worker1, "triaged", "cases:attach")
    return Spec(s.w.worker1, page, action, files="files")


def spec_reveal(s):
    case = s.case("triaged")
    party = case.parties.first()
    return Spec(s.w.worker1, case.get_absolute_url(), reverse("cases:reveal", args=[case.pk, party.pk]))


def spec_reveal_htmx(s):
    return Spec(**{**spec_reveal(s).__dict__, "headers": {"HTTP_HX_REQUEST": "true"}})


def _referral(s):
    case = s.case("referred")
    return case, Referral.objects.get(case=case)


def spec_referral_receive(s):
    case, referral = _referral(s)
    return Spec(s.contact, case.get_absolute_url(), reverse("cases:referral_receive", args=[case.pk, referral.pk]))


def spec_referral_close(s):
    case, referral = _referral(s)
    return Spec(s.contact, case.get_absolute_url(), reverse("cases:referral_close", args=[case.pk, referral.pk]),
                {f"referral{referral.pk}-feedback": "已责令整改"})


def spec_referral_decide(s):
    """A worker's referral to a department whose referrals wait for a leader's approval."""
    case = s.case("triaged")
    department = a_department("区法院诉调对接中心", "court")
    department.needs_approval = True
    department.save()
    referral = closing.send_referral(case=case, actor=s.w.worker1, department=department,
                                     deadline=timezone.localdate() + timedelta(days=10), request="请求司法确认")
    return Spec(s.w.streetlead, case.get_absolute_url(), reverse("cases:referral_decide", args=[case.pk, referral.pk]),
                {f"decide{referral.pk}-decision": "approve", f"decide{referral.pk}-note": "同意，请法院对接"})


def spec_referral_send(s):
    _case, page, action = _case_page(s, s.w.worker1, "triaged", "cases:referral_send")
    return Spec(s.w.worker1, page, action, {"send_referral-request": "请住建部门责令修复排污管",
                                            "send_referral-contact": "", "send_referral-deadline": today(5)})


def spec_link(s):
    _case, page, action = _case_page(s, s.w.worker1, "triaged", "cases:link")
    return Spec(s.w.worker1, page, action, {"link-number": s.case("mediating").number, "link-note": "同一楼栋漏水"})


def spec_unlink(s):
    case, other = s.case("triaged"), s.case("mediating")
    links.link_cases(case=case, other=other, actor=s.w.worker1)
    return Spec(s.w.worker1, case.get_absolute_url(), reverse("cases:unlink", args=[case.pk, other.pk]))


def spec_merge(s):
    """Merging a triaged duplicate into the case in mediation."""
    url = reverse("cases:merge", args=[s.case("triaged").pk])
    return Spec(s.w.worker1, url, url, {"into": s.case("mediating").number, "note": "重复登记"})


def _incident(s):
    """A new 110 incident on officer1's police grid (which covers worker1's grid)."""
    police_grid = PoliceGridUserObjectPermission.objects.get(user=s.w.officer1).content_object
    address = "栖凤社区3幢2单元502室"
    return Incident.objects.create(
        number=f"J-FUZZ-{Incident.objects.count() + 1}", reported_at=timezone.now() - timedelta(hours=2),
        caller_name="王建国", caller_phone="13812345678", address=address, address_key=address_key(address),
        kind="纠纷", summary="楼上漏水，双方争吵", police_grid=police_grid)


def spec_incident_to_case(s):
    url = reverse("incidents:to_case", args=[_incident(s).pk])
    return Spec(s.w.officer1, url, url, {"title": "楼上漏水引发邻里纠纷", "category": "neighbour",
                                         "parties-1-role": "", "parties-2-role": ""})


def spec_incident_on_spot(s):
    incident = _incident(s)
    return Spec(s.w.officer1, incident.get_absolute_url(), reverse("incidents:on_spot", args=[incident.pk]),
                {"on_spot-note": "民警到场劝解，双方当场和解"})


def _correction(s, user, name, fill, *extra):
    case = s.case("triaged")
    url = reverse(name, args=[case.pk, *extra])
    return Spec(user, url, url, fill)


def spec_case_edit(s):
    return _correction(s, s.w.worker1, "cases:edit", {"title": "楼上卫生间漏水致楼下天花板受损"})


def spec_party_add(s):
    return _correction(s, s.w.worker1, "cases:party_add", {"name": "赵敏", "phone": "13700001111"})


def spec_party_edit(s):
    party = s.case("triaged").parties.first()
    return _correction(s, s.w.worker1, "cases:party_edit", {"address": "栖凤社区3幢201室"}, party.pk)


def spec_hand_over(s):
    return _correction(s, s.w.officer1, "cases:hand_over", {"note": "网格员熟悉双方"})


def spec_move_grid(s):
    return _correction(s, s.w.streetlead, "cases:move_grid", {"note": "纠纷发生地在相邻网格"})


def spec_team(s):
    case = s.case("triaged")
    url = reverse("cases:team", args=[case.pk])
    return Spec(s.w.worker1, url, url, {"team-account": "", "team-name": "刘芳", "team-unit": "栖凤社区居委会",
                                        "team-role": "cadre"})


def spec_team_remove(s):
    case = s.case("triaged")
    member = team.add_member(case=case, actor=s.w.admin, role="cadre", name="刘芳", unit="栖凤社区居委会")
    return Spec(s.w.worker1, reverse("cases:team", args=[case.pk]),
                reverse("cases:team_remove", args=[case.pk, member.pk]))


def spec_supervise(s):
    _case, page, action = _case_page(s, s.w.streetlead, "triaged", "cases:supervise")
    return Spec(s.w.streetlead, page, action, {"text": "三日内拿出化解方案", "deadline": today(3)})


def spec_task_done(s):
    task = s.task
    return Spec(s.w.officer1, task.case.get_absolute_url(),
                reverse("cases:task_done", args=[task.case_id, task.pk]), {"note": "已处理"})


def spec_follow_up(s):
    case = s.case("resolved")
    visit = FollowUp.objects.get(case=case, done_at__isnull=True)
    return Spec(s.w.streetlead, case.get_absolute_url(), reverse("cases:follow_up", args=[case.pk, visit.pk]),
                {"fulfilled": "yes", "note": "协议已履行"})


def spec_call_create(s):
    case = s.case("triaged")
    # The page opened without ?case=, so that the case comes from the body (the view reads both).
    return Spec(s.w.worker1, reverse("cases:call_create"), fill={
        "case": str(case.pk), "grid": str(case.grid_id), "message": "双方在楼道争吵，请民警到场"})


def spec_call_answer(s):
    call = s.call
    return Spec(s.w.officer1, reverse("cases:calls"), reverse("cases:call_answer", args=[call.pk]),
                {"answer": "马上到", "from": "workbench"})


def spec_meeting_create(s):
    return Spec(s.w.streetlead, reverse("cases:meeting_create"), fill={"held_on": soon()})


def spec_meeting_decide(s):
    meeting = s.meeting
    item = meeting.items.first()
    return Spec(s.w.streetlead, reverse("cases:meeting", args=[meeting.pk]),
                reverse("cases:meeting_decide", args=[meeting.pk, item.pk]),
                {f"item{item.pk}-decision": "由社区民警牵头处理", f"item{item.pk}-deadline": today(3)})


def spec_meeting_call(s):
    case = s.case("mediating")
    url = reverse("cases:meeting_call", args=[case.pk])
    return Spec(s.w.worker1, url, url, {"held_on": soon(), "place": "社区议事室",
                                        "attendees": "王建国（居民代表）\n李明（租户）"})


def spec_coordination_decide(s):
    meeting = closing.call_coordination_meeting(actor=s.w.worker1, case=s.case("mediating"), held_on=timezone.now(),
                                                place="社区议事室", attendees="李明（租户）")
    item = meeting.items.get()
    return Spec(s.w.worker1, reverse("cases:meeting", args=[meeting.pk]),
                reverse("cases:meeting_decide", args=[meeting.pk, item.pk]),
                {f"item{item.pk}-decision": "业主单位五日内修复", f"item{item.pk}-deadline": today(5)})


def spec_meeting_drop_item(s):
    meeting = closing.create_meeting(actor=s.w.streetlead, street=s.w.qifeng, held_on=timezone.now(),
                                     place="街道会议室", attendees="街道、派出所", cases=[s.case("escalated")])
    item = meeting.items.get()
    return Spec(s.w.streetlead, reverse("cases:meeting", args=[meeting.pk]),
                reverse("cases:meeting_drop_item", args=[meeting.pk, item.pk]), {})


def spec_meeting_minutes(s):
    meeting = s.meeting
    return Spec(s.w.streetlead, reverse("cases:meeting", args=[meeting.pk]),
                reverse("cases:meeting_minutes", args=[meeting.pk]), {"minutes": "会议纪要"})


def spec_mediator_create(s):
    return Spec(s.w.streetlead, reverse("mediators:create"), fill={
        "name": "新调解员", "organisation": "栖凤人民调解委员会", "capacity": "5",
        "communities": [str(s.w.grid1.community_id)]})


def _their_mediator(s):
    return next(m for m in Mediator.objects.filter(active=True).order_by("pk")
                if set(m.communities.values_list("street_id", flat=True)) == {s.w.qifeng.pk})


def spec_mediator_edit(s):
    mediator = _their_mediator(s)
    return Spec(s.w.streetlead, reverse("mediators:edit", args=[mediator.pk]))


def spec_mediator_retire(s):
    mediator = _their_mediator(s)
    return Spec(s.w.streetlead, reverse("mediators:profile", args=[mediator.pk]),
                reverse("mediators:retire", args=[mediator.pk]))


def spec_choose(s):
    case = s.case("triaged", chosen=False)
    return Spec(s.w.streetlead, reverse("mediators:supermarket") + f"?case={case.pk}",
                reverse("mediators:choose", args=[case.pk]), {"reason": "双方都信任她"})


def spec_replace(s):
    case = s.case("triaged")
    choice = MediatorChoice.objects.get(case=case, active=True)
    return Spec(s.w.streetlead, case.get_absolute_url(), reverse("mediators:replace", args=[case.pk, choice.pk]),
                {"reason": "当事人申请回避"})


def spec_session(s):
    case = s.case("mediating")
    start = timezone.localtime(case.reported_at).strftime("%Y-%m-%dT%H:%M")
    end = timezone.localtime(timezone.now() + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
    return Spec(s.w.mediator1, reverse("mediators:session_create", args=[case.pk]), fill={
        "held_at": start, "ended_at": end, "place": "社区调解室", "attendees": "双方当事人",
        "record": "双方陈述", "mediators": [str(s.chen.pk)]})


def spec_agreement(s):
    case = s.case("mediating")
    return Spec(s.w.mediator1, reverse("mediators:agreement_create", args=[case.pk]), fill={
        "terms": "赔偿维修费用", "fulfilment": "一次性支付", "fulfil_by": today(10), "place": "社区调解室"})


def spec_password_change(s):
    return Spec(s.signer, reverse("password_change"), fill={
        "old_password": TEST_PASSWORD, "new_password1": "Qf-fuzz-2026-long", "new_password2": "Qf-fuzz-2026-long"})


def spec_login(s):
    return Spec(None, reverse("login"), fill={"username": s.signer.username, "password": TEST_PASSWORD})


def spec_set_language(s):
    return Spec(s.w.worker1, reverse("cases:workbench"), reverse("set_language"))


def spec_notification_settings(s):
    return Spec(s.w.worker1, reverse("cases:notification_settings"))


def spec_notifications_read(s):
    return Spec(s.w.worker1, reverse("cases:notifications"), reverse("cases:notifications_read"))


def exists(url_name):
    """Whether the URL is there (the notification centre is being built alongside this test)."""
    try:
        reverse(url_name)
    except NoReverseMatch:
        return False
    return True


SPECS = {
    "cases:create": spec_create,
    **{f"cases:transition {state} {action}": transition_spec(state, action) for state, action in TRANSITIONS},
    "cases:transition resolved close": transition_spec("resolved", "close", followed_up=True),
    "cases:comment": spec_comment,
    "cases:attach": spec_attach,
    "cases:reveal": spec_reveal,
    "cases:reveal (htmx)": spec_reveal_htmx,
    "cases:referral_receive": spec_referral_receive,
    "cases:referral_close": spec_referral_close,
    "cases:referral_send": spec_referral_send,
    "cases:referral_decide": spec_referral_decide,
    "cases:team": spec_team,
    "cases:team_remove": spec_team_remove,
    "cases:link": spec_link,
    "cases:unlink": spec_unlink,
    "cases:merge": spec_merge,
    "incidents:to_case": spec_incident_to_case,
    "incidents:on_spot": spec_incident_on_spot,
    "cases:supervise": spec_supervise,
    "cases:edit": spec_case_edit,
    "cases:party_add": spec_party_add,
    "cases:party_edit": spec_party_edit,
    "cases:hand_over": spec_hand_over,
    "cases:move_grid": spec_move_grid,
    "cases:task_done": spec_task_done,
    "cases:follow_up": spec_follow_up,
    "cases:call_create": spec_call_create,
    "cases:call_answer": spec_call_answer,
    "cases:meeting_create": spec_meeting_create,
    "cases:meeting_decide": spec_meeting_decide,
    "cases:meeting_minutes": spec_meeting_minutes,
    "cases:meeting_call": spec_meeting_call,
    "cases:meeting_drop_item": spec_meeting_drop_item,
    "cases:meeting_decide (coordination)": spec_coordination_decide,
    "mediators:create": spec_mediator_create,
    "mediators:edit": spec_mediator_edit,
    "mediators:retire": spec_mediator_retire,
    "mediators:choose": spec_choose,
    "mediators:replace": spec_replace,
    "mediators:session_create": spec_session,
    "mediators:agreement_create": spec_agreement,
    "password_change": spec_password_change,
    "login": spec_login,
    "set_language": spec_set_language,
}
if exists("cases:notification_settings"):
    SPECS["cases:notification_settings"] = spec_notification_settings
    SPECS["cases:notifications_read"] = spec_notifications_read

# URL patterns that take a POST (a view that does not refuse it: no require_GET, a class-based
# view with a `post`) and are not in SPECS, each with why. A new form endpoint fails
# test_every_url_pattern_that_takes_a_post_is_fuzzed_or_excluded until it is in one of them.
PAGE = "a page: a POST is answered as its GET would be, the body is never read"
NOT_FUZZED = {
    "cases:workbench": PAGE, "cases:list": PAGE, "cases:detail": PAGE, "cases:calls": PAGE,
    "cases:ledger": PAGE, "cases:dashboard": PAGE, "cases:meetings": PAGE, "cases:meeting": PAGE,
    "cases:meeting_print": PAGE, "cases:notifications": PAGE, "grids:street_map": PAGE,
    "grids:grid_detail": PAGE, "mediators:supermarket": PAGE, "mediators:profile": PAGE,
    "cases:attachment": "a download: reads the ids in its path only (test_access_matrix.py tries others')",
    "cases:ledger_export": "a download of the ledger as filtered by the query string (fuzzed in QUERIES)",
    "cases:notification_count": "the bell's count, polled by htmx: reads nothing sent",
    "cases:notification_open": "marks one notice read and goes to what it is about: the id in its path only",
    "logout": "Django's LogoutView: no field but the CSRF token",
    "request_too_large": "the 413 page nginx shows in place of a body it refused: reads nothing sent",
    "incidents:import": "an upload of the dispatch system's export: broken files, missing columns and bad rows "
                        "are tests/incidents/test_import_incidents.py's (every one a listed error, never a 500)",
    "incidents:import_confirm": "a button: no field but the CSRF token; the batch id in its path only",
    "password_reset_confirm": "Django's SetPasswordForm behind a one-time token (first sign-in): Django's own form",
}
# Whole namespaces left out, with why.
NOT_FUZZED_NAMESPACES = {
    "admin": "Django's admin (with django-simple-history and guardian): Django's own forms, for the "
             "administrator only; cases and the timeline are read-only there",
}


def url_names(patterns, prefix=""):
    """(name, view) of every named URL pattern, namespaced (as in test_access_matrix.py)."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from url_names(pattern.url_patterns, f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix)
        elif pattern.name:
            yield prefix + pattern.name, pattern.callback


def takes_post(view) -> bool:
    """Whether a view answers a POST other than with 405: a class-based view with a `post`
    method; a function view unless a require_http_methods wrapper (require_GET, require_safe…)
    leaves POST out."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return "post" in view_class.http_method_names and hasattr(view_class, "post")
    while view is not None:
        allowed = inspect.getclosurevars(view).nonlocals.get("request_method_list")
        if allowed is not None and "POST" not in allowed:
            return False
        view = getattr(view, "__wrapped__", None)
    return True


# Endpoints on which the fuzz (as run here: derandomized) finds a 500: name -> (reason, the
# database vendors on which it fails, None: all). Strict: once it is fixed, remove the entry.
KNOWN_500: dict[str, tuple[str, tuple | None]] = {}


def marked(names, known):
    params = []
    for name in names:
        if name in known:
            reason, vendors = known[name]
            failing = vendors is None or connection.vendor in vendors
            params.append(pytest.param(name, marks=pytest.mark.xfail(failing, strict=True, reason=reason)))
        else:
            params.append(name)
    return params


@pytest.fixture
def scene(world, client):
    return Scene(world, client)


# --- the tests -----------------------------------------------------------------------------


def test_every_url_pattern_that_takes_a_post_is_fuzzed_or_excluded():
    fuzzed = {key.split(" ")[0] for key in SPECS}
    posts = {name for name, view in url_names(get_resolver().url_patterns)
             if name.split(":")[0] not in NOT_FUZZED_NAMESPACES and takes_post(view)}
    assert {"cases:transition", "cases:team_remove", "login", "logout"} <= posts  # the detection works
    assert not {"cases:case_file", "mediators:agreement", "password_change_done"} & posts
    assert sorted(posts - fuzzed - set(NOT_FUZZED)) == [], "POST endpoints neither fuzzed nor excluded"
    assert sorted(set(NOT_FUZZED) - posts) == [], "excluded, but no such URL pattern takes a POST"
    assert sorted(set(NOT_FUZZED) & fuzzed) == [], "both fuzzed and excluded"


@pytest.mark.parametrize("name", list(SPECS))
def test_the_baseline_of_each_form_is_accepted(client, scene, name):
    """The fuzz starts from an input the form accepts, so that changing one field reaches the
    service behind it (a form that always answered 400 would test nothing)."""
    spec = scene.spec(name)
    form = scene.form(spec)
    data = apply(form.baseline(), spec.fill)
    if spec.files:
        data[spec.files] = [SimpleUploadedFile("photo.png", PNG, content_type="image/png")]
    response = send(client, spec.user, "post", form.action, data, **spec.headers)
    expected = 200 if name.startswith("cases:reveal") else 302  # a reveal shows the page again
    assert response.status_code == expected, f"{name}: {response.status_code} for {shorten(data)}"


@pytest.mark.parametrize("name", marked(SPECS, KNOWN_500))
@fuzz(20)
def test_no_form_input_answers_500(client, scene, name, data):
    spec = scene.spec(name)
    form = scene.form(spec)
    changed = data.draw(changes(form, scene.pool), label="changes")
    payload = apply(apply(form.baseline(), spec.fill), changed)
    if spec.files:
        payload[spec.files] = data.draw(UPLOADS, label="files")
    send(client, spec.user, "post", form.action, payload, **spec.headers)


# --- query strings -------------------------------------------------------------------------


@dataclass
class Query:
    """A page read with query-string input: the filter form on it (if any) and further
    parameters the page reads (`params`: name -> the values a link would carry)."""

    user: object
    url: str
    filter_page: str | None = None
    params: dict = field(default_factory=dict)
    fill: dict = field(default_factory=dict)


def query_form(scene, query) -> Form:
    form = Form(query.url, "get", None)
    if query.filter_page:
        page = scene.page(query.user, query.filter_page)
        form.fields.update(page.form(urlsplit(query.filter_page).path, method="get").fields)
    for name, values in query.params.items():
        form.fields.setdefault(name, Field(name, "hidden", options=list(values)))
    return form


def q_list(s):
    return Query(s.w.streetlead, reverse("cases:list"), reverse("cases:list"), {"page": ["1", "2", "last"]})


def q_list_worker(s):
    return Query(s.w.worker1, reverse("cases:list"), reverse("cases:list"), {"page": ["1", "2", "last"]})


def q_ledger(s):
    s.case("escalated")
    return Query(s.w.streetlead, reverse("cases:ledger"), reverse("cases:ledger"), {"page": ["1", "2", "last"]})


def q_ledger_export(s):
    s.case("escalated")
    return Query(s.w.streetlead, reverse("cases:ledger_export"), reverse("cases:ledger"))


def q_supermarket(s):
    case = s.case("triaged", chosen=False)
    url = reverse("mediators:supermarket")
    return Query(s.w.worker1, url, f"{url}?case={case.pk}",
                 {"case": [str(case.pk)], "page": ["1", "2", "last"]}, {"case": str(case.pk)})


def q_call_create(s):
    case = s.case("triaged")
    return Query(s.w.worker1, reverse("cases:call_create"), params={"case": [str(case.pk)]},
                 fill={"case": str(case.pk)})


def q_calls(s):
    s.call
    return Query(s.w.officer1, reverse("cases:calls"), params={"late": ["1", "on"]})


def q_case_detail(s):
    case = s.case("mediating")
    return Query(s.w.streetlead, case.get_absolute_url(), params={"offer": ["escalate", "resolve", "triage"]})


def stats_units(s):
    return [f"street:{s.w.qifeng.pk}", f"street:{s.w.fenghuang.pk}", f"grid:{s.w.grid1.pk}", "province", "mine",
            "community:x", "grid:99999999999999999999"]


def q_stats(s):
    """The statistics page's unit and period picker."""
    url = reverse("stats:index")
    return Query(s.w.streetlead, url, url, {"unit": stats_units(s)})


def q_stats_cases(s):
    """A list behind a figure or a chart segment: the parameters its links carry."""
    s.case("mediating")
    return Query(s.w.streetlead, reverse("stats:cases"), params={
        "unit": stats_units(s), "figure": ["reported", "resolved", "overdue_now", "success_rate", "nothing"],
        "period": ["month", "quarter", "year", "custom"], "month": ["2026-11", "2026-13"], "quarter": ["2026-4"],
        "year": ["2026"], "start": ["2026-01-01"], "end": ["2026-06-30"], "category": ["neighbour", "x"],
        "channel": ["walk_in"], "risk": ["major"], "tier": ["grid", ""], "level": ["street", "x"],
        "by": ["resolved", "reported"], "mediator": ["1", "x"], "page": ["1", "2", "last"]},
        fill={"figure": "reported"})


def q_stats_report(s):
    url = reverse("stats:report")
    return Query(s.w.streetlead, url, url)


def q_stats_report_xlsx(s):
    return Query(s.w.streetlead, reverse("stats:report_xlsx"), reverse("stats:report"))


QUERIES = {
    "cases:list": q_list,
    "cases:list (worker)": q_list_worker,
    "cases:ledger": q_ledger,
    "cases:ledger_export": q_ledger_export,
    "mediators:supermarket": q_supermarket,
    "cases:call_create": q_call_create,
    "cases:calls": q_calls,
    "cases:detail": q_case_detail,
    "stats:index": q_stats,
    "stats:cases": q_stats_cases,
    "stats:report": q_stats_report,
    "stats:report_xlsx": q_stats_report_xlsx,
}
if exists("cases:notifications"):
    QUERIES["cases:notifications"] = lambda s: Query(s.w.worker1, reverse("cases:notifications"),
                                                     reverse("cases:notifications"), {"page": ["1", "2", "last"]})
NUL_IN_JSONB = "DataError: unsupported Unicode escape sequence (\\u0000 cannot be converted to text)"
KNOWN_500_QUERIES: dict[str, tuple[str, tuple | None]] = {}


@pytest.mark.parametrize("name", marked(QUERIES, KNOWN_500_QUERIES))
@fuzz(20)
def test_no_query_string_answers_500(client, scene, name, data):
    key = ("query", name)
    if key not in scene._memo:
        scene._memo[key] = QUERIES[name](scene)
    query = scene._memo[key]
    form = query_form(scene, query)
    params = apply(query.fill, data.draw(changes(form, scene.pool), label="changes"))
    send(client, query.user, "get", query.url, params)


# --- ids in the path -----------------------------------------------------------------------


def path_ids(action):
    match = resolve(urlsplit(action).path)
    return match, sorted(k for k, v in match.kwargs.items() if isinstance(v, int))


# The endpoints with ids in their path (one transition stands for all: they share the view).
PATH_ID_SPECS = [
    "cases:transition reported triage", "cases:transition mediating resolve", "cases:comment", "cases:attach",
    "cases:reveal", "cases:referral_receive", "cases:referral_close", "cases:referral_send", "cases:referral_decide",
    "cases:team_remove", "cases:supervise", "cases:task_done",
    "cases:follow_up", "cases:call_answer", "cases:meeting_decide", "cases:meeting_minutes", "cases:meeting_call", "cases:meeting_drop_item",
    "mediators:edit",
    "mediators:retire", "mediators:choose", "mediators:replace", "mediators:session_create",
    "mediators:agreement_create", "cases:edit", "cases:party_add", "cases:party_edit", "cases:hand_over",
    "cases:move_grid",
]


@pytest.mark.parametrize("name", PATH_ID_SPECS)
@fuzz(6)
def test_no_id_in_the_path_answers_500(client, scene, name, data):
    """The form's baseline posted to the same endpoint with an id in its path swapped for an id
    of something the user may not see, of another kind, or of nothing."""
    spec = scene.spec(name)
    form = scene.form(spec)
    match, ids = path_ids(form.action)
    kwargs = dict(match.kwargs)
    kwargs[data.draw(st.sampled_from(ids), label="which id")] = int(data.draw(
        st.sampled_from([i for i in scene.pool if i.isdigit()]), label="id"))
    url = reverse(f"{match.namespace}:{match.url_name}", kwargs=kwargs)
    payload = apply(form.baseline(), spec.fill)
    if spec.files:
        payload[spec.files] = [SimpleUploadedFile("photo.png", PNG, content_type="image/png")]
    send(client, spec.user, "post", url, payload, **spec.headers)


# --- the inputs the fuzz found -------------------------------------------------------------


@dataclass
class Found:
    """The smallest change from an endpoint's baseline (a SPECS or, for "get", a QUERIES entry)
    on which the fuzz found a 500, sent as it stands on every run. `error`: what it raised.
    `vendors`: the databases on which it still answers 500 (a strict xfail there); None once it
    is fixed: it stays as a regression test."""

    endpoint: str
    changes: dict
    error: str
    vendors: tuple | None = None
    method: str = "post"

    @property
    def id(self):
        return f"{self.method} {self.endpoint} {shorten(self.changes)}"


BIG = "99999999999999999999"  # beyond 64 bits
OVERFLOW = "OverflowError: Python int too large to convert to SQLite INTEGER"
NOT_INT = "ValueError: invalid literal for int() with base 10: '²'"
TOO_MANY_DIGITS = "ValueError: Exceeds the limit (4300 digits) for integer string conversion"
FOUND = [
    # A model multiple choice (a checkbox list of ids) given an id beyond 64 bits: Django's
    # ModelMultipleChoiceField filtered pk__in with it, which SQLite cannot bind (PostgreSQL
    # can). Fixed in 5850720 (cases/fields.py), whose first version answered 500 on "²" (int()
    # of it), fixed in 75f8f9f.
    Found("cases:transition reported triage", {"triage-team": BIG}, OVERFLOW),
    Found("mediators:create", {"communities": BIG}, OVERFLOW),
    Found("mediators:edit", {"communities": BIG}, OVERFLOW),
    Found("mediators:session_create", {"mediators": BIG}, OVERFLOW),
    Found("mediators:agreement_create", {"mediators": BIG}, OVERFLOW),
    Found("mediators:agreement_create", {"parties": BIG}, OVERFLOW),
    Found("cases:transition reported triage", {"triage-team": "²"}, NOT_INT),
    # ?case= checked with str.isdigit(), then int(): "²".isdigit() is True but int("²") fails,
    # and int() refuses more than 4300 digits. Fixed in 2674f10.
    Found("cases:call_create", {"case": "²"}, f"{NOT_INT} (cases/views/loop.py call_create)", None, "get"),
    Found("cases:call_create", {"case": "²"}, f"{NOT_INT} (cases/views/loop.py call_create)", None),
    Found("mediators:supermarket", {"case": "²"}, f"{NOT_INT} (mediators/views.py _case_from_query)", None,
          "get"),
    Found("cases:call_create", {"case": "9" * 4301}, f"{TOO_MANY_DIGITS} (cases/views/loop.py call_create)", None,
          "get"),
    Found("cases:call_create", {"case": "9" * 4301}, f"{TOO_MANY_DIGITS} (cases/views/loop.py call_create)", None),
    Found("mediators:supermarket", {"case": "9" * 4301}, f"{TOO_MANY_DIGITS} (mediators/views.py _case_from_query)",
          None, "get"),
    # PostgreSQL only: the filters of an export were kept in a JSONField as typed, and jsonb
    # refuses "\\u0000". Fixed in fd5d28a.
    Found("cases:ledger_export", {"state": "\x00"}, NUL_IN_JSONB, None, "get"),
]


def found_params():
    for found in FOUND:
        failing = found.vendors is not None and connection.vendor in found.vendors
        marks = pytest.mark.xfail(failing, strict=True, reason=f"500: {found.error} on {found.changes}")
        yield pytest.param(found, id=found.id, marks=marks if found.vendors else ())


@pytest.mark.parametrize("found", list(found_params()))
def test_inputs_the_fuzz_found_answer_no_500(client, scene, found):
    if found.method == "get":
        query = QUERIES[found.endpoint](scene)
        send(client, query.user, "get", query.url, apply(query.fill, found.changes))
        return
    spec = scene.spec(found.endpoint)
    form = scene.form(spec)
    payload = apply(apply(form.baseline(), spec.fill), found.changes)
    if spec.files:
        payload[spec.files] = [SimpleUploadedFile("photo.png", PNG, content_type="image/png")]
    send(client, spec.user, "post", form.action, payload, **spec.headers)
