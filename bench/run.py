"""Time every page for each role at size, beside a one-query floor and the Django admin (issue 14).

    .venv/bin/python bench/run.py --db postgres://postgres@127.0.0.1:5432/fq_bench \
        [--repeat 15] [--warmup 3] [--roles worker,officer] [--pages list,detail] [--markdown out.md]

Runs against a database grown by bench/generate.py (its bench_* accounts), in this process,
with production-like settings (DEBUG=0, the connection pool, the cached template loader; static
URLs from the plain storage, since no `collectstatic` manifest is needed to time a page).
Each request goes through django.test.Client (force_login) and the whole middleware stack; its
time is time.perf_counter() around client.get: the server's work — middleware, session,
queries, rendering — without any network, TLS, nginx or browser. After `--warmup` untimed
requests, one request is counted (queries with CaptureQueriesContext, response size), then
`--repeat` timed ones give p50 and p95 (nearest rank).

Beside each page, where one exists:
- the floor: a view that runs ONE hand-written SQL query (prepared, as the app's own hot
  statements are: grids.compiled.fetch_all) selecting the same page of rows for the user's scope
  (the scope's grid ids computed once, beforehand — as a warm scope cache would) and renders
  them with a minimal template string; it is served through the same middleware (session and
  user included), so "×floor" is what the page costs beyond the least any page of this app
  costs. List floors select the rows only (no count for the pager).
- the admin: Django's admin changelist (/admin/cases/case/) as bench_admin on the same filter
  (?state__exact=, ?q=; the role's grids as ?grid__in=), the admin change page for the case
  detail, the mediator changelist for the supermarket. The admin searches case number and title
  only (CaseAdmin.search_fields), so its name, address, phone and ID searches find nothing.
Targets (informational, never asserted) are printed as ✓/✗; a page that answers neither 200 nor
403 (a role without the page) makes the run exit 1, so CI notices a broken page.

Searches by a whole phone or ID number are recorded like a reveal (PersonalDataDisclosure rows);
the rows this run wrote are deleted at the end, as are its sessions. Before timing, with
`--refresh-stats auto` (the default), the statistics tables are filled by
`manage.py refresh_statistics --full` when they are empty.
"""

import argparse
import logging
import math
import os
import platform
import signal
import sys
import time
import types
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROLES = {  # role: the bench account (generate.py's first place of each kind)
    "worker": "bench_worker_1_1",
    "officer": "bench_officer_1",
    "station": "bench_station_1",
    "street": "bench_street_1",
    "district": "bench_district_1",
    "admin": "bench_admin",
}
LIST_ROWS, LEDGER_ROWS = 25, 50  # cases.views.case.PAGE_SIZE, cases.views.ledger.PAGE_SIZE
STATE_FILTER = "mediating"  # the list filtered by one open state


def _parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("DATABASE_URL"),
                        help="postgres://user@host:port/name, a database grown by bench/generate.py")
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per page (default 15)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first (default 3)")
    parser.add_argument("--roles", default=",".join(ROLES), help=f"comma-separated, of {', '.join(ROLES)}")
    parser.add_argument("--pages", default="", help="comma-separated page keys (default: all)")
    parser.add_argument("--markdown", help="also write the machine and the table to this file")
    parser.add_argument("--refresh-stats", choices=["auto", "always", "never"], default="auto",
                        help="run refresh_statistics --full first: when its tables are empty (auto)")
    parser.add_argument("--migrate", action="store_true", help="apply unapplied migrations first")
    args = parser.parse_args(argv)
    if not args.db or not args.db.startswith(("postgres://", "postgresql://")):
        parser.error("--db must be a postgres:// URL (the bench data is loaded with COPY)")
    return args


if __name__ == "__main__":
    ARGS = _parse_args()
    os.environ.update({
        "DATABASE_URL": ARGS.db, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0",
        "ALLOWED_HOSTS": "testserver", "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-" + "x" * 50,
    })
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# whitenoise warns that STATIC_ROOT does not exist (no collectstatic): irrelevant here
warnings.filterwarnings("ignore", message="No directory at")

import django  # noqa: E402

django.setup()
# a role's 403 on the leaders' pages is an expected answer, not a warning with a traceback
logging.getLogger("django.request").setLevel(logging.ERROR)

import django.contrib.admin  # noqa: E402, F401  (the admin's URLs)
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.template import Context, Template  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import clear_url_caches, path, reverse  # noqa: E402
from django.utils.http import urlencode  # noqa: E402

from cases import permissions  # noqa: E402
from cases.choices import OPEN_STATES, TAKEN_UP_STATES, Risk  # noqa: E402
from cases.models import Case, CaseEvent, Party, PersonalDataDisclosure  # noqa: E402
from grids import access  # noqa: E402
from grids.compiled import fetch_all  # noqa: E402
from grids.lookups import id_array  # noqa: E402
from grids.models import Community, CommunityGrid, District, Street  # noqa: E402
from stats.models import CaseFact  # noqa: E402

User = get_user_model()
CASE, PARTY, EVENT = Case._meta.db_table, Party._meta.db_table, CaseEvent._meta.db_table
GRID, COMMUNITY, STREET, USER = (CommunityGrid._meta.db_table, Community._meta.db_table, Street._meta.db_table,
                                 User._meta.db_table)


# --- targets (issue 14), printed, never asserted ---------------------------------------------------


@dataclass(frozen=True)
class Target:
    p50_ms: float
    queries: int | None = None
    floor_ratio: float | None = None   # page p50 at most this many times the floor's
    admin_speedup: float | None = None  # the admin's p50 at least this many times the page's


LIST_TARGET = Target(50, 10, 1.5, 2.0)
TARGETS = {
    "list": LIST_TARGET, "list_state": LIST_TARGET, "workbench": Target(50, 10, 1.5), "detail": LIST_TARGET,
    "search_phone": Target(50), "search_id": Target(50), "search_name": Target(200), "search_address": Target(200),
    "ledger": Target(200), "dashboard": Target(200), "supermarket": Target(100),
    "stats": Target(200), "stats_district": Target(200), "report": Target(200),
}


# --- what each role's pages show: chosen from the data, outside the timing --------------------------


@dataclass
class Subject:
    """A role's account and the realistic targets of its pages."""

    role: str
    user: object
    grid_ids: list[int] | None  # None: everything (the administrator)
    led_grid_ids: list[int] | None
    case_id: int | None = None
    phone: str = ""
    id_number: str = ""
    name_fragment: str = ""
    address_fragment: str = ""
    district_id: int | None = None
    stats_unit: str = ""  # ?unit= of the statistics pages ("" = the user's own unit)


def subject_for(role: str) -> Subject | None:
    """The role's account and, from its most recent cases: a case with the most parties, a
    phone and an ID number of a party there, 2 characters of a party's name and an address up to
    its house number. None when the account does not exist (no district in the data)."""
    user = User.objects.filter(username=ROLES[role]).first()
    if user is None:
        return None
    scope = access.scope_of(user)
    grid_ids = None if scope.everything else sorted(scope.community_grid_ids)
    led = None if scope.everything else sorted(scope.grids_where(*permissions.LEADERS))
    subject = Subject(role=role, user=user, grid_ids=grid_ids, led_grid_ids=led)
    recent = Case.objects.all() if grid_ids is None else Case.objects.filter(grid_id__in=grid_ids)
    recent_ids = list(recent.order_by("-reported_at", "-id").values_list("id", flat=True)[:200])
    parties = list(Party.objects.filter(case_id__in=recent_ids).order_by("-case_id", "id"))
    by_case = {}
    for party in parties:
        by_case.setdefault(party.case_id, []).append(party)
    if by_case:
        subject.case_id = max(by_case, key=lambda pk: (len(by_case[pk]), pk))
        with_id = [p for p in parties if p.id_number] or parties
        subject.phone, subject.id_number = with_id[0].phone, with_id[0].id_number
        subject.name_fragment = next((p.name[:2] for p in parties if len(p.name) >= 2), "")
        address = Case.objects.get(pk=subject.case_id).address
        subject.address_fragment = address[: address.index("号") + 1] if "号" in address else address[:6]
    if scope.everything:
        subject.stats_unit = "province"
        subject.district_id = _first_district_id()
    elif scope.led_district_ids:
        subject.district_id = min(scope.led_district_ids)
        subject.stats_unit = f"district:{subject.district_id}"
    return subject


def _first_district_id():
    return District.objects.order_by("id").values_list("id", flat=True).first()


# --- the floor: one hand-written query, a minimal template ----------------------------------------

FLOORS: dict[str, tuple[str, list, Template]] = {}

LIST_TEMPLATE = Template(
    "<!doctype html><html lang=\"zh-hans\"><meta charset=\"utf-8\"><title>floor</title><table>"
    "{% for r in rows %}<tr><td><a href=\"/cases/{{ r.0 }}/\">{{ r.1 }}</a></td><td>{{ r.2 }}</td>"
    "<td>{{ r.3 }}</td><td>{{ r.4 }}</td><td>{{ r.5|date:'Y-m-d H:i' }}</td><td>{{ r.6|date:'Y-m-d' }}</td>"
    "<td>{{ r.8 }} · {{ r.7 }}</td><td>{{ r.9|default:'' }}</td></tr>{% endfor %}</table></html>")
DETAIL_TEMPLATE = Template(
    "<!doctype html><html lang=\"zh-hans\"><meta charset=\"utf-8\"><title>floor</title>"
    "{% for r in rows %}<h1>{{ r.1 }} {{ r.2 }}</h1><p>{{ r.3 }} · {{ r.4 }} · {{ r.5|date:'Y-m-d' }}</p>"
    "<p>{{ r.6 }}</p><p>{{ r.7 }}</p><p>{{ r.10 }} · {{ r.9 }} · {{ r.8 }} · {{ r.11|default:'' }}</p><ul>"
    "{% for p in r.12 %}<li>{{ p.0 }} {{ p.1 }} {{ p.2|slice:':3' }}****{{ p.2|slice:'7:' }} "
    "{{ p.3|slice:':4' }}**********{{ p.3|slice:'14:' }} {{ p.4 }}</li>{% endfor %}</ul><ol>"
    "{% for e in r.13 %}<li>{{ e.0 }} {{ e.1 }} {{ e.2 }} {{ e.3 }} {{ e.4 }} {{ e.5 }}</li>{% endfor %}</ol>"
    "{% endfor %}</html>")
COUNTS_TEMPLATE = Template(
    "<!doctype html><html lang=\"zh-hans\"><meta charset=\"utf-8\"><title>floor</title>"
    "{% for r in rows %}<dl><dt>open</dt><dd>{{ r.0 }}</dd><dt>overdue</dt><dd>{{ r.1 }}</dd>"
    "<dt>major</dt><dd>{{ r.2 }}</dd><dt>taken up</dt><dd>{{ r.3 }}</dd></dl>{% endfor %}</html>")

LIST_SELECT = (
    f"SELECT c.id, c.number, c.title, c.state, c.risk, c.reported_at, c.due_at, g.name, m.name, u.username "
    f"FROM {CASE} c JOIN {GRID} g ON g.id = c.grid_id JOIN {COMMUNITY} m ON m.id = g.community_id "
    f"LEFT JOIN {USER} u ON u.id = c.lead_handler_id WHERE ")


def _in_scope(grid_ids) -> tuple[str, list]:
    # the ids as the app sends them (grids/lookups.py id_array): one string, not a list to dump
    return ("TRUE", []) if grid_ids is None else ("c.grid_id = ANY(%s::bigint[])", [id_array(grid_ids)])


def _states(states) -> str:
    """A list of states written into the SQL, as the app's prepared statements write them
    (grids/compiled.py `inlined`): planned once for any parameters, a statement finds the open
    cases' partial indexes only when it shows the states their predicate names."""
    return "(" + ", ".join(f"'{state}'" for state in states) + ")"


def _like(column: str) -> str:
    # as the ORM writes `icontains` on PostgreSQL, so that the same indexes serve both
    return f"UPPER({column}::text) LIKE UPPER(%s)"


def floor_list(subject: Subject, *, state: str = "", q: str = "", whole: bool = False):
    """The list's page of rows: the scope, the filter or the search, newest first. A search is
    a UNION of the matching ids of each column, each restricted to the scope (so that each can
    use its own index), with `icontains` written as the ORM writes it on PostgreSQL; for 2
    characters, the bigram condition of cases.filters.has_pair (served by migration 0025)."""
    where, params = _in_scope(subject.grid_ids)
    if state:
        where += f" AND c.state IN {_states([state])}"
    if q:
        scope, scope_params = _in_scope(subject.grid_ids)
        scope = scope.replace("c.", "x.")
        if len(q) == 2 and not whole:
            match, fragment = "fq_bigrams(UPPER({}::text)) @> ARRAY[UPPER(%s)]".format, q
        else:
            match, fragment = _like, f"%{q}%"
        columns = ("number", "incident_number") if whole else ("number", "incident_number", "title", "address")
        arms = [f"SELECT x.id FROM {CASE} x WHERE {scope} AND {match('x.' + column)}" for column in columns]
        arm_params = [p for _column in columns for p in (*scope_params, fragment)]
        if whole:  # a phone or an ID number: whole, by equality
            arms.append(f"SELECT x.id FROM {CASE} x JOIN {PARTY} p ON p.case_id = x.id WHERE {scope} "
                        "AND (p.phone = %s OR p.id_number IN (%s, %s))")
            arm_params += [*scope_params, q, q.upper(), q.lower()]
        else:
            arms.append(f"SELECT x.id FROM {CASE} x JOIN {PARTY} p ON p.case_id = x.id WHERE {scope} "
                        f"AND {match('p.name')}")
            arm_params += [*scope_params, fragment]
        where += " AND c.id IN (" + " UNION ".join(arms) + ")"
        params += arm_params
    sql = LIST_SELECT + where + f" ORDER BY c.reported_at DESC, c.id DESC LIMIT {LIST_ROWS}"
    return sql, params, LIST_TEMPLATE


def floor_workbench(subject: Subject):
    """What awaits: the open cases of the scope, the nearest due first (one list, not sections)."""
    where, params = _in_scope(subject.grid_ids)
    sql = (LIST_SELECT + where + f" AND c.state IN {_states(OPEN_STATES)} ORDER BY c.due_at ASC NULLS LAST, c.id "
           f"LIMIT {LIST_ROWS}")
    return sql, params, LIST_TEMPLATE


def floor_detail(subject: Subject):
    """The case with its place, its parties and its timeline, in one query (JSON aggregates)."""
    where, params = _in_scope(subject.grid_ids)
    sql = (
        f"SELECT c.id, c.number, c.title, c.state, c.risk, c.due_at, c.description, c.address, g.name, m.name, "
        f"s.name, u.username, "
        f"(SELECT json_agg(json_build_array(p.name, p.role, p.phone, p.id_number, p.address) ORDER BY p.id) "
        f"FROM {PARTY} p WHERE p.case_id = c.id), "
        f"(SELECT json_agg(json_build_array(e.at, e.kind, e.action, e.from_state, e.to_state, e.note) "
        f"ORDER BY e.at, e.id) FROM {EVENT} e WHERE e.case_id = c.id) "
        f"FROM {CASE} c JOIN {GRID} g ON g.id = c.grid_id JOIN {COMMUNITY} m ON m.id = g.community_id "
        f"JOIN {STREET} s ON s.id = m.street_id LEFT JOIN {USER} u ON u.id = c.lead_handler_id "
        f"WHERE c.id = %s AND {where}")
    return sql, [subject.case_id] + params, DETAIL_TEMPLATE


def _ledger_where(subject: Subject) -> tuple[str, list]:
    where, params = _in_scope(subject.led_grid_ids)
    # taken up, or open and major or overdue; the taken-up states are open ones, so written as
    # "open and (...)": the open cases' index by due date then serves the order and the filter
    assert set(TAKEN_UP_STATES) <= set(OPEN_STATES)
    where += (f" AND c.state IN {_states(OPEN_STATES)} AND (c.state IN {_states(TAKEN_UP_STATES)} "
              f"OR c.risk = '{Risk.MAJOR}' OR c.due_at < now())")
    return where, params


def floor_ledger(subject: Subject):
    where, params = _ledger_where(subject)
    return LIST_SELECT + where + f" ORDER BY c.due_at, c.id LIMIT {LEDGER_ROWS}", params, LIST_TEMPLATE


def floor_dashboard(subject: Subject):
    """The dashboard's headline counts of the led grids, in one pass."""
    where, params = _in_scope(subject.led_grid_ids)
    open_ = _states(OPEN_STATES)
    sql = (f"SELECT count(*) FILTER (WHERE c.state IN {open_}), "
           f"count(*) FILTER (WHERE c.state IN {open_} AND c.due_at < now()), "
           f"count(*) FILTER (WHERE c.state IN {open_} AND c.risk = '{Risk.MAJOR}'), "
           f"count(*) FILTER (WHERE c.state IN {_states(TAKEN_UP_STATES)}) FROM {CASE} c WHERE {where}")
    return sql, params, COUNTS_TEMPLATE


def floor_view(request, token):
    sql, params, template = FLOORS[token]
    rows = fetch_all(connection.alias, sql, params)  # prepared, as the app's hot statements are
    return HttpResponse(template.render(Context({"rows": rows})))


def floor_urlconf() -> str:
    """A URLconf: the floor's view, then every URL of the app. Returns its module name (for
    ROOT_URLCONF)."""
    name = "bench_floor_urls"
    app = import_module("config.urls")
    module = types.ModuleType(name)
    module.urlpatterns = [path("bench-floor/<str:token>/", floor_view, name="bench_floor"), *app.urlpatterns]
    for handler in ("handler400", "handler403", "handler404", "handler500"):
        if hasattr(app, handler):
            setattr(module, handler, getattr(app, handler))
    sys.modules[name] = module
    clear_url_caches()
    return name


def _floor_url(token: str, spec) -> str:
    FLOORS[token] = spec
    return reverse("bench_floor", args=[token])


# --- the pages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    url: object                 # (subject) -> URL, or None when the role has no such page
    floor: object = None        # (subject) -> (sql, params, template)
    admin: object = None        # (subject) -> URL of the admin equivalent (as bench_admin)


def _admin_cases(subject: Subject, **query) -> str:
    if subject.grid_ids is not None:
        query["grid__in"] = ",".join(map(str, subject.grid_ids)) or "0"
    return reverse("admin:cases_case_changelist") + ("?" + urlencode(query) if query else "")


def _list(**query):
    return lambda s: reverse("cases:list") + ("?" + urlencode(query) if query else "")


def _search(attr):
    return lambda s: (reverse("cases:list") + "?" + urlencode({"q": getattr(s, attr)})) if getattr(s, attr) else None


def _stats(name, *, district=False):
    def url(s):
        if district:
            return reverse(name) + "?" + urlencode({"unit": f"district:{s.district_id}"}) if s.district_id else None
        return reverse(name) + ("?" + urlencode({"unit": s.stats_unit}) if s.stats_unit else "")
    return url


PAGES = [
    Page("list", "case list", _list(), lambda s: floor_list(s), lambda s: _admin_cases(s)),
    Page("list_state", f"case list, state={STATE_FILTER}", _list(state=STATE_FILTER),
         lambda s: floor_list(s, state=STATE_FILTER), lambda s: _admin_cases(s, state__exact=STATE_FILTER)),
    Page("search_phone", "search: whole phone", _search("phone"),
         lambda s: floor_list(s, q=s.phone, whole=True), lambda s: _admin_cases(s, q=s.phone)),
    Page("search_id", "search: ID number", _search("id_number"),
         lambda s: floor_list(s, q=s.id_number, whole=True), lambda s: _admin_cases(s, q=s.id_number)),
    Page("search_name", "search: 2 characters of a name", _search("name_fragment"),
         lambda s: floor_list(s, q=s.name_fragment), lambda s: _admin_cases(s, q=s.name_fragment)),
    Page("search_address", "search: address fragment", _search("address_fragment"),
         lambda s: floor_list(s, q=s.address_fragment), lambda s: _admin_cases(s, q=s.address_fragment)),
    Page("workbench", "work bench", lambda s: reverse("cases:workbench"), floor_workbench),
    Page("detail", "case detail", lambda s: reverse("cases:detail", args=[s.case_id]) if s.case_id else None,
         floor_detail, lambda s: reverse("admin:cases_case_change", args=[s.case_id])),
    Page("ledger", "ledger", lambda s: reverse("cases:ledger"), floor_ledger),
    Page("dashboard", "dashboard", lambda s: reverse("cases:dashboard"), floor_dashboard),
    Page("supermarket", "mediation supermarket", lambda s: reverse("mediators:supermarket"),
         admin=lambda s: reverse("admin:mediators_mediator_changelist")),
    Page("stats", "statistics (own unit; district, province)", _stats("stats:index")),
    Page("stats_district", "statistics, district level", _stats("stats:index", district=True)),
    Page("report", "monthly report (own unit)", _stats("stats:report")),
]
PAGE_KEYS = [p.key for p in PAGES]


# --- measuring ------------------------------------------------------------------------------------


@dataclass
class Sample:
    status: int
    queries: int = 0
    size: int = 0
    times: list[float] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == 200

    def quantile(self, q: float) -> float | None:
        """Nearest rank, in milliseconds."""
        if not self.times:
            return None
        ordered = sorted(self.times)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000

    @property
    def p50(self):
        return self.quantile(0.5)

    @property
    def p95(self):
        return self.quantile(0.95)


def measure(client: Client, url: str, *, warmup: int, repeat: int) -> Sample:
    for _ in range(warmup):
        client.get(url, secure=True)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, secure=True)
    sample = Sample(status=response.status_code, queries=len(queries), size=len(response.content))
    if sample.ok:
        for _ in range(repeat):
            started = time.perf_counter()
            client.get(url, secure=True)
            sample.times.append(time.perf_counter() - started)
    return sample


@dataclass
class Row:
    page: Page
    role: str
    url: str | None
    page_sample: Sample | None = None
    floor_sample: Sample | None = None
    admin_sample: Sample | None = None

    @property
    def floor_ratio(self):
        if self.page_sample and self.page_sample.ok and self.floor_sample and self.floor_sample.ok:
            return self.page_sample.p50 / self.floor_sample.p50
        return None

    @property
    def admin_speedup(self):
        if self.page_sample and self.page_sample.ok and self.admin_sample and self.admin_sample.ok:
            return self.admin_sample.p50 / self.page_sample.p50
        return None

    def verdict(self) -> str:
        """✓ or ✗ against the page's targets, with what missed."""
        target, sample = TARGETS.get(self.page.key), self.page_sample
        if target is None or sample is None or not sample.ok:
            return ""
        missed = []
        if sample.p50 > target.p50_ms:
            missed.append(f"p50>{target.p50_ms:g}")
        if target.queries is not None and sample.queries > target.queries:
            missed.append(f"q>{target.queries}")
        if target.floor_ratio is not None and self.floor_ratio is not None and self.floor_ratio > target.floor_ratio:
            missed.append(f"×floor>{target.floor_ratio:g}")
        if (target.admin_speedup is not None and self.admin_speedup is not None
                and self.admin_speedup < target.admin_speedup):
            missed.append(f"admin<{target.admin_speedup:g}×")
        return "✓" if not missed else "✗ " + ", ".join(missed)

    @property
    def broken(self) -> bool:
        """Answered neither 200 nor 403 (a role without the page): an error, not a figure."""
        samples = [s for s in (self.page_sample, self.floor_sample, self.admin_sample) if s is not None]
        return any(s.status not in (200, 403) for s in samples)


def run(*, roles, pages, repeat: int, warmup: int, progress=print) -> tuple[list[Row], dict]:
    """Measure `pages` for `roles`; the rows, and the subjects' chosen targets by role."""
    admin_user = User.objects.get(username=ROLES["admin"])
    admin_client = Client()
    admin_client.force_login(admin_user)
    rows, chosen, clients = [], {}, [admin_client]
    for role in roles:
        subject = subject_for(role)
        if subject is None:
            progress(f"{role}: no account {ROLES[role]} in this database, skipped")
            continue
        chosen[role] = subject
        client = Client()
        client.force_login(subject.user)
        clients.append(client)
        for page in pages:
            url = page.url(subject)
            row = Row(page=page, role=role, url=url)
            rows.append(row)
            if url is None:
                continue
            row.page_sample = measure(client, url, warmup=warmup, repeat=repeat)
            if row.page_sample.ok and page.floor is not None:
                floor = _floor_url(f"{role}-{page.key}", page.floor(subject))
                row.floor_sample = measure(client, floor, warmup=warmup, repeat=repeat)
            if row.page_sample.ok and page.admin is not None:
                row.admin_sample = measure(admin_client, page.admin(subject), warmup=warmup, repeat=repeat)
            progress(_line(row))
    for client in clients:
        client.logout()
    return rows, chosen


# --- the machine and the table --------------------------------------------------------------------


def machine() -> dict:
    """Where the figures come from: the machine, PostgreSQL, the database, the settings."""
    info = {"date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"), "cpus": os.cpu_count(),
            "cpu": "", "ram": "", "load": "%.2f %.2f %.2f" % os.getloadavg(), "python": platform.python_version(),
            "django": django.get_version()}
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            info["cpu"] = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
        with open("/proc/meminfo") as meminfo:
            kb = int(next(line.split()[1] for line in meminfo if line.startswith("MemTotal")))
            info["ram"] = f"{kb / 2**20:.1f} GiB"
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        info["postgres"] = cursor.fetchone()[0]
        cursor.execute("SELECT current_database(), pg_size_pretty(pg_database_size(current_database()))")
        info["database"], info["db_size"] = cursor.fetchone()
        cursor.execute("SHOW shared_buffers")
        info["shared_buffers"] = cursor.fetchone()[0]
        # estimates: an exact count of 10 M rows is a benchmark of its own
        cursor.execute("SELECT relname, reltuples::bigint FROM pg_class WHERE relname = ANY(%s)",
                       [[CASE, PARTY, EVENT, GRID]])
        estimates = dict(cursor.fetchall())
    info["cases"], info["parties"] = estimates.get(CASE, 0), estimates.get(PARTY, 0)
    info["events"], info["grids"] = estimates.get(EVENT, 0), estimates.get(GRID, 0)
    info.update(yardsticks())
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    info["settings"] = (f"DEBUG={int(settings.DEBUG)}, pool={'on' if pool else 'off'}, "
                        f"scope cache={settings.FENGQIAO_SCOPE_CACHE or 'per request'}, "
                        f"cache={settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}")
    return info


def yardsticks() -> dict:
    """How busy the machine is while measuring (other jobs on the same cores slow every page):
    the median time of a fixed piece of Python and of a `SELECT 1` round trip to PostgreSQL."""
    def median_ms(fn, times):
        spent = []
        for _ in range(times):
            started = time.perf_counter()
            fn()
            spent.append(time.perf_counter() - started)
        return sorted(spent)[times // 2] * 1000

    def select_one():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    return {"python_ms": median_ms(lambda: sum(i * i for i in range(200_000)), 9),
            "select1_ms": median_ms(select_one, 51)}


def machine_text(info: dict) -> str:
    return (f"{info['date']} · {info['cpus']} CPU ({info['cpu']}), {info['ram']} RAM, load {info['load']} · "
            f"PostgreSQL {info['postgres']} (shared_buffers {info['shared_buffers']}) · database {info['database']} "
            f"{info['db_size']}: ~{info['cases']:,} cases, ~{info['parties']:,} parties, ~{info['events']:,} "
            f"events, ~{info['grids']:,} community grids · Python {info['python']}, Django {info['django']}, "
            f"{info['settings']} · yardsticks: Python loop {info['python_ms']:.1f} ms, SELECT 1 "
            f"{info['select1_ms']:.2f} ms")


HEADERS = ["page", "role", "p50 ms", "p95 ms", "queries", "KB", "floor p50", "×floor", "admin p50",
           "admin÷page", "target"]


def _ms(value) -> str:
    return "" if value is None else (f"{value:.1f}" if value < 100 else f"{value:.0f}")


def cells(row: Row) -> list[str]:
    s = row.page_sample
    if row.url is None:
        return [row.page.key, row.role, "n/a", "", "", "", "", "", "", "", ""]
    if not s.ok:
        return [row.page.key, row.role, f"HTTP {s.status}", "", str(s.queries), "", "", "", "", "", ""]
    floor, admin = row.floor_sample, row.admin_sample
    return [
        row.page.key, row.role, _ms(s.p50), _ms(s.p95), str(s.queries), f"{s.size / 1024:.0f}",
        _ms(floor.p50) if floor and floor.ok else (f"HTTP {floor.status}" if floor else ""),
        f"{row.floor_ratio:.1f}" if row.floor_ratio is not None else "",
        _ms(admin.p50) if admin and admin.ok else (f"HTTP {admin.status}" if admin else ""),
        f"{row.admin_speedup:.1f}" if row.admin_speedup is not None else "",
        row.verdict(),
    ]


def _line(row: Row) -> str:
    return "  ".join(f"{h}={c}" for h, c in zip(HEADERS, cells(row)) if c)


def text_table(rows: list[Row]) -> str:
    table = [HEADERS] + [cells(r) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in table)


def markdown_table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells(r)) + " |" for r in rows]
    return "\n".join(lines)


def chosen_text(chosen: dict) -> str:
    return "\n".join(
        f"- {role} ({s.user.username}): {'all' if s.grid_ids is None else len(s.grid_ids)} grids; case {s.case_id}; "
        f"phone {s.phone}; ID {s.id_number}; name «{s.name_fragment}»; address «{s.address_fragment}»; "
        f"statistics unit {s.stats_unit or 'own'}" for role, s in chosen.items())


NOTES = ("Server time in-process (django.test.Client, the whole middleware stack, no network); p50/p95 "
         "nearest rank over the timed requests; queries and size from one counted request. floor: one "
         "hand-written SQL query + a template string, same middleware; admin: /admin/ as bench_admin on the "
         "same filter and grids (it searches number and title only). admin÷page: how many times faster the "
         "page is. Targets are informational.")


# --- the command ----------------------------------------------------------------------------------


def prepare(*, refresh_stats: str, migrate: bool) -> None:
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending and not migrate:
        sys.exit(f"{len(pending)} migrations not applied to {connection.settings_dict['NAME']}: run with "
                 "--migrate, `manage.py migrate`, or `make bench` (bench/generate.py migrates).")
    if pending:
        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        print(f"migrated in {time.perf_counter() - started:.1f} s")
    if refresh_stats == "always" or (refresh_stats == "auto" and not CaseFact.objects.exists()):
        started = time.perf_counter()
        call_command("refresh_statistics", full=True)
        print(f"statistics refreshed in {time.perf_counter() - started:.1f} s")


def main():
    args = ARGS
    # killed (timeout, CI, Ctrl-C): still remove this run's disclosure rows (the `finally` below)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    roles = [r.strip() for r in args.roles.split(",") if r.strip()]
    keys = [p.strip() for p in args.pages.split(",") if p.strip()] or PAGE_KEYS
    unknown = [r for r in roles if r not in ROLES] + [k for k in keys if k not in PAGE_KEYS]
    if unknown:
        sys.exit(f"unknown role or page {unknown}; roles: {', '.join(ROLES)}; pages: {', '.join(PAGE_KEYS)}")
    pages = [p for p in PAGES if p.key in keys]
    prepare(refresh_stats=args.refresh_stats, migrate=args.migrate)
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    settings.ROOT_URLCONF = floor_urlconf()
    started_disclosures = PersonalDataDisclosure.objects.order_by("-id").values_list("id", flat=True).first() or 0
    info = machine()
    print(machine_text(info), flush=True)
    started = time.perf_counter()
    try:
        rows, chosen = run(roles=roles, pages=pages, repeat=args.repeat, warmup=args.warmup,
                           progress=lambda line: print(line, flush=True))
    finally:
        PersonalDataDisclosure.objects.filter(id__gt=started_disclosures,
                                              user__username__startswith="bench_").delete()
    info["load_after"] = "%.2f %.2f %.2f" % os.getloadavg()
    print(f"\nmeasured in {time.perf_counter() - started:.0f} s; load average after: {info['load_after']}")
    print(chosen_text(chosen))
    print()
    print(text_table(rows))
    print("\n" + NOTES)
    if args.markdown:
        Path(args.markdown).write_text(
            f"Machine: {machine_text(info)}; load average after {info['load_after']}. "
            f"--repeat {args.repeat} --warmup {args.warmup}.\n\n{chosen_text(chosen)}\n\n"
            f"{markdown_table(rows)}\n\n{NOTES}\n", encoding="utf-8")
        print(f"written to {args.markdown}")
    broken = [r for r in rows if r.broken]
    if broken:
        sys.exit("pages that failed: " + ", ".join(f"{r.page.key} as {r.role}" for r in broken))


if __name__ == "__main__":
    main()
