"""The access matrix (issue 9): every URL pattern of cases, mediators and grids x every role x
inside / outside its places x GET and POST, per-case grants included.

The rule encoded here:

* Anonymous users are sent to sign in (302 to the login page with ?next=) on every URL but
  the bell's count, which tells htmx to stop polling (286, empty) and reveals nothing.
* A page gated by role before any object is looked at answers 403 to the others: the ledger,
  its export, the dashboard and meetings (leaders only; calling a meeting: street leaders);
  logging a case (a role on some grid); placing a call (a worker, officer or auxiliary
  somewhere, so not leaders, administrators or grant holders); keeping the roster (leaders).
* An outsider — someone who cannot view the object: a case outside their grids and without a
  grant on it; a call, grid or street outside their grids; a meeting of a street where they lead
  no grid; a meeting item whose case they cannot open — gets 404: its existence is not revealed.
* An insider who lacks the capability gets 403. The one designed exception is the transition
  view: a step the user may not take now (by role or by state) answers 409, the case page again
  with a message; a step that does not exist is a 404 for everyone.
* Someone with the capability never gets 403 or 404: the status of the (empty or minimal)
  request is the row's `ok` — 200 for a page, 302 for a write that went through (or a form that
  sends you back with a message), 400 for a form refused for being empty.
* A sub-object named in the URL must belong to the object before it (a party, attachment,
  referral, task, follow-up or choice of another case; an item of another meeting): 404 even
  for the administrator.
* A view that takes only POST answers 405 to a GET from anyone signed in (it reveals nothing);
  so does a printed paper (the agreement, the case file: each showing is logged) to a POST.
* Statistics (stats): nobody's unit (no place at all) is a 403; a unit outside one's places
  (a street one does not lead, a grid one does not work on) a 404.
* Nobody ever gets a 500.

Who holds which role where (PLACED) and which per-case grants exist (GRANTED) are written out
below; the capability table (CAN) restates the rules of docs/architecture.md and
cases/permissions.py as a specification: no predicate of the app is called to compute an
expected status. The interesting (url, user) pairs are also stated one by one (EXPLICIT) and a
test checks that the rule gives exactly those answers.

Every user is checked on every row, except the accounts whose only access is (or was) one grant
on grid1's case (NARROW), which are checked on grid1's and Qifeng's objects. On grid2 and the
other street the GET of a POST-only view, the POST of a GET-and-POST form, the transitions from
states other than triaged and a second write through the same gate (attach beside comment,
close beside receive, choose beside the supermarket opened for the case) are not repeated: same
code path, other people.

Each request runs in a savepoint rolled back afterwards, so a write that goes through (retiring
a mediator, signing for a referral) does not change what the next request sees. An access bug
this matrix finds is fixed in the view or in cases/permissions.py, never excused here.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, URLResolver, get_resolver, reverse
from django.utils import timezone

from cases import grants, links, loop, workflow
from cases.addresses import address_key
from cases.models import Case, CaseTeamMember, Notification, Referral
from cases.uploads import check_upload
from grids import access
from grids.models import Community, GridLink, PoliceGrid, PoliceGridUserObjectPermission, PoliceStation
from grids.roles import Role
from incidents.models import ImportBatch, ImportStatus, Incident
from mediators import services as roster
from mediators.models import Mediator
from tests.conftest import PEOPLE
from tests.factories import a_department, a_mediator, act, case_in_state, choose, person

pytestmark = pytest.mark.django_db

# --- who --------------------------------------------------------------------------------------

W, O, AUX, SL, STL, ADM = "worker", "officer", "auxiliary", "station_leader", "street_leader", "admin"
DL, BL = "district_leader", "bureau_leader"
MED, DEPT, VIEWER = "mediator", "department", "viewer"
LEADERS = {SL, STL, DL, BL, ADM}
GRID_ROLES = {W, O, AUX} | LEADERS
HANDLERS = {W, O} | LEADERS
OPEN = {"reported", "triaged", "mediating", "escalated", "referred", "district"}

PLACES = ("g1", "g2", "fh")  # world.grid1 (QF-01-01), world.grid2 (QF-01-05), world.grid_fh
STREET = {"g1": "qf", "g2": "qf", "fh": "fh"}
COMMUNITY = {"g1": "栖凤社区", "g2": "栖凤社区", "fh": "凤凰社区"}  # QF-01-01..06 are all 栖凤社区

# The role each user holds on each place of the matrix (from grids/demo.py, tests/factories.py
# and the fixtures below): officer1 / auxiliary1 are on police grid 1 (QF-01-01..04), officer2 /
# auxiliary2 on police grid 2 (QF-01-05..), the partial station leader's one police grid covers
# grid1 only.
PLACED = {
    "worker1": {"g1": W}, "worker2": {"g2": W},
    "officer1": {"g1": O}, "officer2": {"g2": O},
    "auxiliary1": {"g1": AUX}, "auxiliary2": {"g2": AUX},
    "stationlead": {"g1": SL, "g2": SL}, "streetlead": {"g1": STL, "g2": STL},
    "mediator1": {},
    "admin": {p: ADM for p in PLACES},
    "worker_fh": {"fh": W}, "officer_fh": {"fh": O},
    "stationlead_fh": {"fh": SL}, "streetlead_fh": {"fh": STL},
    # 临江区 holds both streets (its centre's leader), 临江公安分局 both stations; 东湖区 neither.
    "districtlead": {p: DL for p in PLACES}, "bureaulead": {p: BL for p in PLACES}, "districtlead_dh": {},
    "contact_housing": {}, "contact_labour": {},
    "med_replaced": {}, "med_relinked_old": {}, "med_relinked_new": {}, "med_retired": {},
    "partial_lead": {"g1": SL},
    "invited": {},
}
STREETS_LED = {"streetlead": {"qf"}, "streetlead_fh": {"fh"}, "admin": {"qf", "fh"}}
DISTRICTS_LED = {"districtlead": {"lj"}, "districtlead_dh": {"dh"}, "admin": {"lj", "dh"}}

# Per-case grants that exist when the matrix runs (the replaced, re-linked-away and retired
# mediators' grants ended; the re-linked roster entry's new account holds one).
GRANTED = {
    "mediator1": {"mediating@g1": MED},         # 陈桂兰, chosen on grid1's case in mediation
    "med_relinked_new": {"mediating@g1": MED},  # the account her roster entry now points to
    "contact_housing": {"referred@g1": DEPT},   # 区住建局, contact of referral@g1
    "contact_labour": {"referred@g1": DEPT},    # 区人社局, contact of referral_labour@g1
    "invited": {"mediating@g1": VIEWER},        # a colleague invited to read
}
USERS = list(PLACED)
assert set(PEOPLE) <= set(USERS)
# Accounts whose only access is (or was) one grant on grid1's case in mediation: checked on every
# object of grid1 and of Qifeng; on grid2's and the other street's objects, and on the pages
# without an object, they are what any grant holder is, which mediator1 and the two department
# contacts show on every row.
NARROW = {"med_replaced", "med_relinked_old", "med_relinked_new", "med_retired", "invited"}

# Referrals: department and its contact account. Tasks: their assignee (the lead handler).
REFERRAL_CONTACT = {"referral@g1": "contact_housing", "referral_labour@g1": "contact_labour",
                    "referral@g2": None, "referral@fh": None}
TASK_ASSIGNEE = {"g1": "officer1", "g2": "officer2", "fh": "officer_fh"}
MEDIATOR_SERVES = {"mediator@qf": {"栖凤社区"}, "mediator@fh": {"凤凰社区"}}
NOTICE_RECIPIENT = {"g1": "officer1", "fh": "officer_fh"}  # a notice of the call on their grid


def _has_url(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


# The notification centre's pages are checked when its URL patterns exist (they arrived while
# this matrix was written); the test that every pattern is in the table keeps them in.
NOTIFICATIONS = _has_url("cases:notifications")

# --- the oracle -------------------------------------------------------------------------------

CAN = {  # action -> (roles, states or None for any)
    "view": (GRID_ROLES | {MED, DEPT, VIEWER}, None),
    "comment": (GRID_ROLES, None),
    "attach": (GRID_ROLES | {DEPT}, None),  # a department: photos of the repair, while its referral is open
    "reveal": (HANDLERS, None),
    "choose_mediator": (HANDLERS, {"triaged", "mediating", "escalated", "referred"}),
    "record_session": (GRID_ROLES | {MED}, {"mediating"}),
    "record_agreement": (HANDLERS | {MED}, {"mediating"}),
    "supervise": (LEADERS, OPEN),
    "send_referral": (HANDLERS, {"triaged", "mediating"}),  # 转办 without escalating
    "manage_team": (HANDLERS, OPEN),  # the joint team beyond the grid
    "update_referral": (HANDLERS | {DEPT}, None),  # narrowed per referral: on_referral
    "approve_referral": (LEADERS, OPEN),  # a handler's referral that waits for approval
    "follow_up": (HANDLERS, {"resolved"}),
    "call": ({W, O, AUX}, OPEN),
    # corrections after intake: details and parties by handlers; lead handler and grid (转办) by
    # officers and leaders; a lead handler is handed on once the case is triaged
    "edit_case": (HANDLERS, OPEN),
    "edit_parties": (HANDLERS, OPEN),
    "hand_over": ({O} | LEADERS, {"triaged", "mediating", "escalated", "referred"}),
    "move_grid": ({O} | LEADERS, OPEN),
    # 协调会: a handler calls one on an open case, writes its minutes and its decisions
    "call_meeting": (HANDLERS, OPEN),
    # related cases: linking in any state; merging a duplicate into another case while open
    "link_cases": (HANDLERS, None),
    "merge_case": (HANDLERS, OPEN),
    # the transitions the matrix posts (one from each state it builds)
    "escalate": ({O} | LEADERS, {"triaged"}),
    "resolve": (HANDLERS, {"mediating"}),
    "assign_mediation": (LEADERS, {"referred"}),
    "close": (HANDLERS, {"resolved"}),
}


def place_of(key: str) -> str:
    return key.split("@")[1]


def roles_on(user: str, case: str) -> set[str]:
    """The roles `user` plays on the case `case` ("<state>@<place>")."""
    held = {PLACED[user][place_of(case)]} if place_of(case) in PLACED[user] else set()
    granted = {GRANTED[user][case]} if case in GRANTED.get(user, {}) else set()
    return held | granted


def can(user: str, action: str, case: str) -> bool:
    roles, states = CAN[action]
    state = case.split("@")[0]
    return bool(roles_on(user, case) & roles) and (states is None or state in states)


# Roles held on places outside the matrix: 东湖区's centre leads a district of its own.
ELSEWHERE = {"districtlead_dh": {DL}}


def holds_anywhere(user: str, roles: set[str]) -> bool:
    return bool((set(PLACED[user].values()) | ELSEWHERE.get(user, set())) & roles)


def is_leader(user: str) -> bool:
    return holds_anywhere(user, LEADERS)


def may_place_calls(user: str) -> bool:
    return holds_anywhere(user, {W, O, AUX})


def leads_in(user: str, street: str) -> bool:
    return any(STREET[p] == street and r in LEADERS for p, r in PLACED[user].items())


def may_edit_mediator(user: str, mediator: str) -> bool:
    """Every community she serves is one in which the user leads a grid (administrators: all)."""
    led = {COMMUNITY[p] for p, r in PLACED[user].items() if r in LEADERS}
    return user == "admin" or (is_leader(user) and MEDIATOR_SERVES[mediator] <= led)


Expect = Callable[[str], int]


def everyone(status: int) -> Expect:
    return lambda user: status


POST_ONLY = everyone(405)


def on_case(case: str, cap: str, ok: int, refused: int = 403) -> Expect:
    """404 to who cannot see the case, `refused` to who lacks `cap`, `ok` to the others."""
    def expect(user):
        if not can(user, "view", case):
            return 404
        if not can(user, cap, case):
            return refused
        return ok
    return expect


def correction(case: str, cap: str, ok: int) -> Expect:
    """A correction step: 404 to who cannot see the case, 403 to who may never take the step,
    409 to who may but not in the case's state now (what was typed is shown back), else `ok`."""
    def expect(user):
        if not can(user, "view", case):
            return 404
        if not roles_on(user, case) & CAN[cap][0]:
            return 403
        return ok if can(user, cap, case) else 409
    return expect


def gated(allowed: Callable[[str], bool], ok: int) -> Expect:
    """A page gated by role before any object: 403 to the others."""
    return lambda user: ok if allowed(user) else 403


def on_referral(case: str, referral: str, ok: int) -> Expect:
    """Leaders of the case's place update any referral; a department only its own; a referral
    to a department without an account here, also its sender and the case's lead handler (the
    referred cases' sender is a leader, their lead handler the grid's officer)."""
    def expect(user):
        status = on_case(case, "update_referral", ok)(user)
        contact = REFERRAL_CONTACT[referral]
        keeper = contact is None and user == TASK_ASSIGNEE[case.split("@")[1]]
        if status == ok and not roles_on(user, case) & LEADERS and contact != user and not keeper:
            return 403
        return status
    return expect


def on_task(case: str, ok: int) -> Expect:
    """Anyone who sees the case reaches the task; its assignee or a supervisor completes it."""
    def expect(user):
        if not can(user, "view", case):
            return 404
        return ok if user == TASK_ASSIGNEE[place_of(case)] or can(user, "supervise", case) else 403
    return expect


def on_call(place: str, ok: int) -> Expect:
    """Calls are seen on one's grids; the police side (and leaders) answer a grid's call."""
    def expect(user):
        if place not in PLACED[user]:
            return 404
        return ok if PLACED[user][place] in {O, AUX} | LEADERS else 403
    return expect


def call_for_case(case: str, ok: int) -> Expect:
    def expect(user):
        return on_case(case, "call", ok)(user) if may_place_calls(user) else 403
    return expect


def on_meeting(street: str, ok: int, *, run: bool = False) -> Expect:
    """Leaders only (403); a meeting of a street where they lead no grid is hidden (404);
    minutes are the street leaders' (403 to a station leader)."""
    def expect(user):
        if not is_leader(user):
            return 403
        if not leads_in(user, street):
            return 404
        if run and street not in STREETS_LED.get(user, set()):
            return 403
        return ok
    return expect


def on_item(street: str, case: str, ok: int) -> Expect:
    """A meeting item: the meeting as above, then the item's case as seen by the user."""
    def expect(user):
        status = on_meeting(street, ok)(user)
        if status != ok:
            return status
        if STREET[place_of(case)] != street or not can(user, "view", case):
            return 404  # an item of another meeting, or of a case the user cannot open
        return ok if can(user, "supervise", case) else 403
    return expect


def on_drop(street: str, case: str, ok: int) -> Expect:
    """Taking an item off a joint meeting's agenda: the item as seen by the user (as on_item),
    then the street's leaders only (403 to a station leader)."""
    def expect(user):
        status = on_meeting(street, ok)(user)
        if status != ok:
            return status
        if STREET[place_of(case)] != street or not can(user, "view", case):
            return 404
        return ok if street in STREETS_LED.get(user, set()) else 403
    return expect


def on_coordination(case: str, ok: int, *, cap: str = "") -> Expect:
    """A coordination meeting on one case: seen by who sees the case (a leader who does not gets
    404; anyone else 403, as meetings are gated by role first); its minutes and decisions are
    for who may call one on the case (403 to the others)."""
    def expect(user):
        if not can(user, "view", case):
            return 404 if is_leader(user) else 403
        if cap and not can(user, cap, case):
            return 403
        return ok
    return expect


# 110 incidents (incidents/permissions.py): an incident of a police grid is seen by its officers
# and auxiliaries, its station's leaders, the leaders of the streets it covers and the
# administrator — not by community workers, and not by a station leader whose own police grid
# merely covers one of the same community grids (partial_lead).
INCIDENT_SEEN_BY = {
    "g1": {"officer1", "auxiliary1", "stationlead", "streetlead", "districtlead", "bureaulead", "admin"},
    "g2": {"officer2", "auxiliary2", "stationlead", "streetlead", "districtlead", "bureaulead", "admin"},
    "fh": {"officer_fh", "stationlead_fh", "streetlead_fh", "districtlead", "bureaulead", "admin"},
}
# The incidents pages are for whoever holds a police grid, leads a station, a street, a police
# bureau or a district's centre (东湖区's sees its own district's, none of these).
SEES_INCIDENTS = {"officer1", "officer2", "auxiliary1", "auxiliary2", "stationlead", "streetlead", "admin",
                  "officer_fh", "stationlead_fh", "streetlead_fh", "partial_lead",
                  "districtlead", "bureaulead", "districtlead_dh"}
IMPORTERS = SEES_INCIDENTS - {"auxiliary1", "auxiliary2"}  # officers and leaders import
BATCH_OWNER = {"batch@g1": "officer1"}  # an import is its uploader's (and the administrator's)


def on_incident(place: str, ok: int) -> Expect:
    """An incident outside what the user sees is not found (404)."""
    return lambda user: ok if user in INCIDENT_SEEN_BY[place] else 404


def on_batch(batch: str, ok: int) -> Expect:
    """Importing is for officers and leaders (403 to the others); a batch is its uploader's."""
    def expect(user):
        if user not in IMPORTERS:
            return 403
        return ok if user in (BATCH_OWNER[batch], "admin") else 404
    return expect


def on_mediator(mediator: str, ok: int) -> Expect:
    return lambda user: ok if may_edit_mediator(user, mediator) else 403


def for_recipient(place: str, ok: int) -> Expect:
    """A notification is its recipient's alone: anyone else, the administrator too, gets 404."""
    return lambda user: ok if user == NOTICE_RECIPIENT[place] else 404


DISTRICT_OF = {"qf": "lj", "fh": "lj"}  # both streets of the matrix are 临江区's


def on_unit(key: str) -> Expect:
    """Statistics (stats.figures.unit_from_key): nobody's unit (no place) is a 403; a street is
    seen by who leads it or its district (and the administrator), a community grid by everyone
    placed on it; any other unit is not found (404)."""
    kind, place = key.split("@")

    def expect(user):
        if not has_unit(user):
            return 403
        if kind == "street":
            sees = place in STREETS_LED.get(user, set()) or DISTRICT_OF[place] in DISTRICTS_LED.get(user, set())
        else:
            sees = place in PLACED[user]
        return 200 if sees else 404
    return expect


def has_unit(user: str) -> bool:
    """Someone with a place (here or elsewhere) has statistics to see."""
    return bool(PLACED[user]) or user in ELSEWHERE


def on_grid(place: str) -> Expect:
    return lambda user: 200 if place in PLACED[user] else 404


def on_street(street: str) -> Expect:
    return lambda user: 200 if any(STREET[p] == street for p in PLACED[user]) else 404


# --- the table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    name: str                   # the URL pattern's name
    args: tuple[str, ...] = ()  # object keys, in the URL's order
    get: Expect | None = None   # expected status of a GET, per user (None: not checked)
    post: Expect | None = None  # expected status of a POST, per user (None: not checked)
    action: str = ""            # the transition slug, for cases:transition
    query: str = ""             # an object key passed as ?case=
    data: dict = field(default_factory=dict)  # the POST body
    refusals_only: bool = False  # nobody gets through (a sub-object of another object, a step
                                 # that does not exist, a call on a resolved case)
    unit: str = ""              # a place key whose statistics are asked for: ?unit=<kind>:<pk>
    params: str = ""            # further query parameters, as they stand

    @property
    def keys(self) -> list[str]:
        """The object keys the URL names (path, ?case=, ?unit=)."""
        return [key for key in (*self.args, self.query, self.unit) if key]

    @property
    def id(self) -> str:
        where = ",".join(self.args) + (f"/{self.action}" if self.action else "")
        query = "&".join(part for part in ((f"case={self.query}" if self.query else ""),
                                           (f"unit={self.unit}" if self.unit else ""), self.params) if part)
        return f"{self.name} {where}{'?' + query if query else ''}".strip()

    def url(self, objects) -> str:
        args = [objects[key].pk for key in self.args] + ([self.action] if self.action else [])
        url = reverse(self.name, args=args)
        query = "&".join(part for part in (
            (f"case={objects[self.query].pk}" if self.query else ""),
            (f"unit={self.unit.split('@')[0]}:{objects[self.unit].pk}" if self.unit else ""), self.params) if part)
        return f"{url}?{query}" if query else url

    def checks(self):
        yield from (("GET", self.get), ("POST", self.post))


# A second write through the same gate as another row: checked on grid1 only.
ONCE = {"cases:attach", "cases:referral_close", "mediators:choose"}
TRANSITION_FROM = {"triaged": "escalate", "mediating": "resolve", "referred": "assign_mediation",
                   "resolved": "close"}
STATES = list(TRANSITION_FROM)


def table() -> list[Row]:
    rows = [
        Row("cases:workbench", get=everyone(200)),
        Row("cases:list", get=everyone(200)),
        Row("cases:create", get=gated(lambda u: holds_anywhere(u, GRID_ROLES), 200),
            post=gated(lambda u: holds_anywhere(u, GRID_ROLES), 400)),
        Row("cases:calls", get=everyone(200)),
        Row("cases:call_create", get=gated(may_place_calls, 200), post=gated(may_place_calls, 400)),
        Row("cases:ledger", get=gated(is_leader, 200)),
        Row("cases:ledger_export", get=gated(is_leader, 200)),
        Row("cases:dashboard", get=gated(is_leader, 200)),
        Row("cases:meetings", get=everyone(200)),  # joint meetings for leaders, coordination meetings for all
        Row("cases:meeting_create", get=gated(lambda u: u in STREETS_LED or u in DISTRICTS_LED, 200),
            post=gated(lambda u: u in STREETS_LED or u in DISTRICTS_LED, 400)),
        Row("mediators:supermarket", get=everyone(200)),
        Row("mediators:create", get=gated(is_leader, 200), post=gated(is_leader, 400)),
        # search pickers and the street index: each answers with what the user may see (an
        # outsider finds nothing), so everyone signed in gets 200; GET only
        Row("grids:grid_search", get=everyone(200), post=POST_ONLY, params="q=QF"),
        Row("grids:community_search", get=everyone(200), post=POST_ONLY, params="q=社区"),
        Row("grids:street_index", get=everyone(200), post=POST_ONLY),
        Row("cases:transition", ("triaged@g1",), action="fly",  # no such step: not found, for anyone
            post=everyone(404), refusals_only=True),
        Row("cases:call_create", query="resolved@g1",  # no calls on a resolved case
            get=call_for_case("resolved@g1", 200), post=call_for_case("resolved@g1", 400), refusals_only=True),
        # not in mediation: opened, sent back to the case; sent, what was typed is shown back (409,
        # a race lost) to who may record sessions, 403 to the others
        Row("mediators:session_create", ("triaged@g1",),
            get=on_case("triaged@g1", "view", 302), post=correction("triaged@g1", "record_session", 409)),
    ]
    for p in PLACES:
        # On grid1 every state and method; on grid2 and the other street (whose people and
        # outsiders differ, not the code path) the POST of a GET-and-POST form, the GET of a
        # POST-only view (405), the transitions from the other states and the ONCE rows are not
        # repeated.
        first = p == "g1"
        only = POST_ONLY if first else None
        triaged, mediating, referred, resolved = (f"{s}@{p}" for s in STATES)
        street = STREET[p]

        def also(expect):
            return expect if first else None

        rows += [Row("cases:detail", (f"{s}@{p}",), get=on_case(f"{s}@{p}", "view", 200)) for s in STATES]
        # the case file: for everyone who sees the case (in full or masked), with or without an agreement
        file_states = ("triaged", "mediating") if first else ("mediating",)
        rows += [Row("cases:case_file", (f"{s}@{p}",), get=on_case(f"{s}@{p}", "view", 200),
                     post=only if s == "mediating" else None) for s in file_states]
        rows += [Row("cases:transition", (f"{s}@{p}",), action=TRANSITION_FROM[s], get=only if s == "triaged" else None,
                     post=on_case(f"{s}@{p}", TRANSITION_FROM[s], 400, refused=409))
                 for s in (STATES if first else STATES[:1])]
        rows += [row for row in [
            Row("cases:comment", (mediating,), get=only, post=on_case(mediating, "comment", 400)),
            Row("cases:attach", (mediating,), get=only, post=on_case(mediating, "attach", 400)),
            Row("cases:attachment", (mediating, f"attachment@{p}"), get=on_case(mediating, "view", 200)),
            Row("cases:reveal", (mediating, f"party@{p}"), get=only, post=on_case(mediating, "reveal", 200)),
            Row("cases:referral_receive", (referred, f"referral@{p}"), get=only,
                post=on_referral(referred, f"referral@{p}", 302)),
            Row("cases:referral_close", (referred, f"referral@{p}"), get=only,
                post=on_referral(referred, f"referral@{p}", 400)),
            Row("cases:referral_send", (mediating,), get=only, post=on_case(mediating, "send_referral", 400)),
            Row("cases:referral_decide", (mediating, f"awaiting@{p}"), get=only,
                post=on_case(mediating, "approve_referral", 400)),
            Row("cases:team", (mediating,), get=on_case(mediating, "manage_team", 200),
                post=also(on_case(mediating, "manage_team", 400))),
            # a successful removal is in tests/cases/test_joint_team.py; here its GET
            Row("cases:team_remove", (mediating, f"member@{p}"), get=only),
            Row("cases:supervise", (mediating,), get=only, post=on_case(mediating, "supervise", 400)),
            Row("cases:task_done", (mediating, f"task@{p}"), get=only, post=on_task(mediating, 302),
                data={"note": "已上门核实并答复当事人"}),
            Row("cases:follow_up", (resolved, f"follow_up@{p}"), get=only, post=on_case(resolved, "follow_up", 400)),
            Row("cases:call_create", query=triaged, get=call_for_case(triaged, 200),
                post=also(call_for_case(triaged, 400))),
            Row("cases:call_answer", (f"call@{p}",), get=only, post=on_call(p, 302), data={"answer": "民警已到场"}),
            Row("mediators:supermarket", query=triaged, get=on_case(triaged, "choose_mediator", 200)),
            Row("mediators:choose", (triaged,), get=only, post=on_case(triaged, "choose_mediator", 302)),
            Row("mediators:replace", (mediating, f"choice@{p}"), get=only,
                post=on_case(mediating, "choose_mediator", 302)),
            Row("mediators:session_create", (mediating,), get=on_case(mediating, "record_session", 200),
                post=also(on_case(mediating, "record_session", 400))),
            Row("mediators:agreement_create", (mediating,), get=on_case(mediating, "record_agreement", 200),
                post=also(on_case(mediating, "record_agreement", 400))),
            Row("mediators:agreement", (mediating,), get=on_case(mediating, "view", 200), post=only),
            Row("cases:meeting_decide", (f"meeting@{street}", f"item@{p}"), get=only,
                post=on_item(street, referred, 400)),
            Row("cases:meeting_call", (mediating,), get=on_case(mediating, "call_meeting", 200),
                post=also(on_case(mediating, "call_meeting", 400))),
            Row("cases:meeting", (f"coord@{p}",), get=on_coordination(mediating, 200)),
            Row("cases:meeting_print", (f"coord@{p}",), get=on_coordination(mediating, 200)),
            Row("cases:meeting_minutes", (f"coord@{p}",), post=on_coordination(mediating, 302, cap="call_meeting")),
            Row("cases:meeting_decide", (f"coord@{p}", f"coord_item@{p}"),
                post=on_coordination(mediating, 400, cap="call_meeting")),
            Row("cases:meeting_drop_item", (f"meeting@{street}", f"item@{p}"), get=only,
                post=on_drop(street, referred, 302)),
            # its only case stays (a message), the answer is the same redirect
            Row("cases:meeting_drop_item", (f"coord@{p}", f"coord_item@{p}"),
                post=on_coordination(mediating, 302, cap="call_meeting")),
            Row("grids:grid_detail", (f"grid@{p}",), get=on_grid(p)),
            Row("cases:edit", (mediating,), get=correction(mediating, "edit_case", 200),
                post=also(correction(mediating, "edit_case", 400))),
            Row("cases:party_add", (mediating,), get=correction(mediating, "edit_parties", 200),
                post=also(correction(mediating, "edit_parties", 400))),
            Row("cases:party_edit", (mediating, f"party@{p}"), get=correction(mediating, "edit_parties", 200),
                post=also(correction(mediating, "edit_parties", 400))),
            Row("cases:hand_over", (mediating,), get=correction(mediating, "hand_over", 200),
                post=also(correction(mediating, "hand_over", 400))),
            Row("cases:move_grid", (mediating,), get=correction(mediating, "move_grid", 200),
                post=also(correction(mediating, "move_grid", 400))),
            Row("cases:link", (mediating,), get=only, post=on_case(mediating, "link_cases", 400)),
            Row("cases:unlink", (mediating, triaged), get=only, post=on_case(mediating, "link_cases", 302)),
            # a triaged duplicate: the confirm page, and an empty form refused
            Row("cases:merge", (triaged,), get=on_case(triaged, "merge_case", 200),
                post=also(on_case(triaged, "merge_case", 400))),
        ] if first or row.name not in ONCE]
        if first:  # a resolved case is no longer corrected: refused (409 with the input kept)
            rows.append(Row("cases:meeting_call", (resolved,), get=on_case(resolved, "call_meeting", 200),
                            post=on_case(resolved, "call_meeting", 400), refusals_only=True))
            rows += [Row(name, (resolved,), get=on_case(resolved, cap, 200), post=correction(resolved, cap, 400),
                         refusals_only=True)
                     for name, cap in (("cases:edit", "edit_case"), ("cases:hand_over", "hand_over"),
                                       ("cases:move_grid", "move_grid"))]
    for street in ("qf", "fh"):
        first = street == "qf"
        rows += [
            Row("cases:meeting", (f"meeting@{street}",), get=on_meeting(street, 200)),
            Row("cases:meeting_print", (f"meeting@{street}",), get=on_meeting(street, 200)),
            Row("cases:meeting_minutes", (f"meeting@{street}",), get=POST_ONLY if first else None,
                post=on_meeting(street, 302, run=True)),
            Row("mediators:profile", (f"mediator@{street}",), get=everyone(200)),
            Row("mediators:edit", (f"mediator@{street}",), get=on_mediator(f"mediator@{street}", 200),
                post=on_mediator(f"mediator@{street}", 400)),
            Row("mediators:retire", (f"mediator@{street}",), get=POST_ONLY if first else None,
                post=on_mediator(f"mediator@{street}", 302)),
            Row("grids:street_map", (f"street@{street}",), get=on_street(street)),
        ]
    # A sub-object of grid_fh's case (or meeting) named under a grid1 case (or the Qifeng meeting):
    # as the case (or meeting) for whoever is stopped there, then 404 for everyone else.
    mismatched = [
        ("cases:attachment", ("mediating@g1", "attachment@fh"), "GET", on_case("mediating@g1", "view", 404), {}),
        ("cases:reveal", ("mediating@g1", "party@fh"), "POST", on_case("mediating@g1", "reveal", 404), {}),
        ("cases:referral_receive", ("referred@g1", "referral@fh"), "POST",
         on_case("referred@g1", "update_referral", 404), {}),
        ("cases:referral_close", ("referred@g1", "referral@fh"), "POST",
         on_case("referred@g1", "update_referral", 404), {}),
        ("cases:referral_decide", ("mediating@g1", "awaiting@fh"), "POST",
         on_case("mediating@g1", "approve_referral", 404), {}),
        ("cases:task_done", ("mediating@g1", "task@fh"), "POST", on_case("mediating@g1", "view", 404),
         {"note": "已办"}),
        ("cases:follow_up", ("resolved@g1", "follow_up@fh"), "POST", on_case("resolved@g1", "follow_up", 404), {}),
        ("cases:team_remove", ("mediating@g1", "member@fh"), "POST", on_case("mediating@g1", "manage_team", 404), {}),
        ("mediators:replace", ("mediating@g1", "choice@fh"), "POST",
         on_case("mediating@g1", "choose_mediator", 404), {}),
        ("cases:meeting_decide", ("meeting@qf", "item@fh"), "POST", on_item("qf", "referred@fh", 400), {}),
        ("cases:meeting_decide", ("coord@g1", "coord_item@fh"), "POST", on_coordination("mediating@g1", 404), {}),
        ("cases:meeting_drop_item", ("meeting@qf", "item@fh"), "POST", on_drop("qf", "referred@fh", 302), {}),
    ]
    rows += [Row(name, args, data=data, refusals_only=True, **{method.lower(): expect})
             for name, args, method, expect, data in mismatched]
    rows.append(Row("cases:party_edit", ("mediating@g1", "party@fh"), refusals_only=True,
                    get=on_case("mediating@g1", "edit_parties", 404),
                    post=correction("mediating@g1", "edit_parties", 404)))
    rows += [
        # the second department's referral on grid1's case
        Row("cases:referral_receive", ("referred@g1", "referral_labour@g1"),
            post=on_referral("referred@g1", "referral_labour@g1", 302)),
        Row("cases:referral_close", ("referred@g1", "referral_labour@g1"),
            post=on_referral("referred@g1", "referral_labour@g1", 400)),
    ]
    rows += [
        Row("incidents:list", get=gated(lambda u: u in SEES_INCIDENTS, 200), post=POST_ONLY),  # 405: GET only
        Row("incidents:repeats", get=gated(lambda u: u in SEES_INCIDENTS, 200)),
        Row("incidents:repeats_export", get=gated(lambda u: u in SEES_INCIDENTS, 200)),
        Row("incidents:intake_radar", get=gated(lambda u: holds_anywhere(u, GRID_ROLES), 200), post=POST_ONLY),
        Row("incidents:import", get=gated(lambda u: u in IMPORTERS, 200), post=gated(lambda u: u in IMPORTERS, 400)),
        Row("incidents:import_template", get=gated(lambda u: u in IMPORTERS, 200)),
        Row("incidents:import_detail", ("batch@g1",), get=on_batch("batch@g1", 200)),
        Row("incidents:import_progress", ("batch@g1",), get=on_batch("batch@g1", 200)),
        Row("incidents:import_confirm", ("batch@g1",), get=POST_ONLY, post=on_batch("batch@g1", 302)),
    ]
    for p in PLACES:
        first = p == "g1"
        rows += [
            Row("incidents:detail", (f"incident@{p}",), get=on_incident(p, 200)),
            Row("incidents:to_case", (f"incident@{p}",), get=on_incident(p, 200),
                post=on_incident(p, 400) if first else None),
            Row("incidents:on_spot", (f"incident@{p}",), get=POST_ONLY if first else None,
                post=on_incident(p, 400)),
            Row("incidents:case_radar", (f"mediating@{p}",), get=on_case(f"mediating@{p}", "view", 200),
                post=POST_ONLY if first else None),
        ]
    rows += [  # statistics: everyone with a place sees their own units' (require_safe: a POST is 405)
        Row("stats:index", get=gated(has_unit, 200), post=POST_ONLY),
        Row("stats:index", unit="street@qf", get=on_unit("street@qf")),
        Row("stats:index", unit="grid@g1", get=on_unit("grid@g1")),
        Row("stats:index", unit="grid@fh", get=on_unit("grid@fh")),
        Row("stats:cases", params="figure=reported", get=gated(has_unit, 200), post=POST_ONLY),
        Row("stats:cases", unit="grid@g1", params="figure=settled", get=on_unit("grid@g1")),
        Row("stats:cases", unit="street@qf", params="figure=reported&category=neighbour", get=on_unit("street@qf")),
        Row("stats:report", get=gated(has_unit, 200), post=POST_ONLY),
        Row("stats:report", unit="street@qf", get=on_unit("street@qf")),
        Row("stats:report_xlsx", get=gated(has_unit, 200)),
        Row("stats:report_xlsx", unit="grid@g1", get=on_unit("grid@g1")),
    ]
    if NOTIFICATIONS:
        rows += [
            Row("cases:notifications", get=everyone(200)),
            Row("cases:notification_count", get=everyone(200)),
            Row("cases:notifications_read", get=POST_ONLY, post=everyone(302)),
            Row("cases:notification_settings", get=everyone(200), post=everyone(400)),
            *[Row("cases:notification_open", (f"notice@{p}",), get=for_recipient(p, 302)) for p in ("g1", "fh")],
        ]
    return rows


TABLE = table()
ROWS = {row.id: row for row in TABLE}
assert len(ROWS) == len(TABLE), "row ids must be unique"
NAMES = list(dict.fromkeys(row.name for row in TABLE))

# One test item per family of URL patterns (each builds the objects once and signs each user in
# once); every pattern of the table is in exactly one family.
FAMILIES = {
    "case page and transitions": ("cases:detail", "cases:transition", "cases:case_file"),
    "writes on a case": ("cases:comment", "cases:attach", "cases:attachment", "cases:reveal", "cases:supervise"),
    "referrals, tasks, follow-ups": ("cases:referral_send", "cases:referral_receive", "cases:referral_close",
                                     "cases:referral_decide",
                                     "cases:task_done", "cases:follow_up", "cases:team", "cases:team_remove"),
    "calls": ("cases:calls", "cases:call_create", "cases:call_answer"),
    "leaders and meetings": ("cases:ledger", "cases:ledger_export", "cases:dashboard", "cases:meetings",
                             "cases:meeting_create", "cases:meeting", "cases:meeting_decide",
                             "cases:meeting_minutes", "cases:meeting_print", "cases:meeting_call",
                             "cases:meeting_drop_item"),
    "mediation on a case": ("mediators:supermarket", "mediators:choose", "mediators:replace",
                            "mediators:session_create", "mediators:agreement_create", "mediators:agreement"),
    "corrections after intake": ("cases:edit", "cases:party_add", "cases:party_edit", "cases:hand_over",
                                 "cases:move_grid", "cases:link", "cases:unlink", "cases:merge"),
    "roster, places, lists": ("mediators:create", "mediators:profile", "mediators:edit", "mediators:retire",
                              "grids:street_map", "grids:grid_detail", "grids:street_index",
                              "grids:grid_search", "grids:community_search", "cases:workbench", "cases:list",
                              "cases:create"),
}
FAMILIES["110 incidents and the radar"] = (
    "incidents:list", "incidents:repeats", "incidents:repeats_export", "incidents:intake_radar", "incidents:import",
    "incidents:import_template", "incidents:import_detail", "incidents:import_progress", "incidents:import_confirm",
    "incidents:detail", "incidents:to_case", "incidents:on_spot", "incidents:case_radar")
FAMILIES["statistics"] = ("stats:index", "stats:cases", "stats:report", "stats:report_xlsx")
if NOTIFICATIONS:
    FAMILIES["notifications"] = ("cases:notifications", "cases:notification_count", "cases:notifications_read",
                                 "cases:notification_settings", "cases:notification_open")

# The interesting pairs, stated one by one (row id, method, user, status).
EXPLICIT = [
    # mediators: the chosen one and the account her entry was re-linked to read the case; the
    # replaced one, the old account of the re-linked entry and the retired one do not
    ("cases:detail mediating@g1", "GET", "mediator1", 200),
    ("cases:detail mediating@g1", "GET", "med_replaced", 404),
    ("cases:detail mediating@g1", "GET", "med_relinked_old", 404),
    ("cases:detail mediating@g1", "GET", "med_relinked_new", 200),
    ("cases:detail mediating@g1", "GET", "med_retired", 404),
    ("mediators:session_create mediating@g1", "GET", "mediator1", 200),
    ("mediators:session_create mediating@g1", "GET", "med_replaced", 404),
    ("mediators:agreement mediating@g1", "GET", "med_retired", 404),
    ("mediators:agreement mediating@g1", "GET", "med_relinked_old", 404),
    ("mediators:agreement mediating@g1", "GET", "mediator1", 200),  # masked, not for signing
    ("mediators:agreement mediating@g1", "POST", "officer1", 405),
    ("cases:case_file mediating@g1", "GET", "mediator1", 200),  # masked
    ("cases:case_file mediating@g1", "GET", "med_retired", 404),
    ("cases:case_file mediating@g1", "POST", "officer1", 405),
    ("cases:case_file triaged@g1", "GET", "auxiliary1", 200),
    ("cases:case_file mediating@g2", "GET", "worker1", 404),
    ("cases:comment mediating@g1", "POST", "mediator1", 403),
    ("cases:reveal mediating@g1,party@g1", "POST", "mediator1", 403),
    ("cases:detail mediating@g2", "GET", "mediator1", 404),
    # departments: each reads the case and updates only its own referral
    ("cases:detail referred@g1", "GET", "contact_labour", 200),
    ("cases:detail referred@g1", "GET", "contact_housing", 200),
    ("cases:referral_receive referred@g1,referral@g1", "POST", "contact_labour", 403),
    ("cases:referral_close referred@g1,referral@g1", "POST", "contact_labour", 403),
    ("cases:referral_receive referred@g1,referral@g1", "POST", "contact_housing", 302),
    ("cases:referral_close referred@g1,referral@g1", "POST", "contact_housing", 400),
    ("cases:referral_receive referred@g1,referral_labour@g1", "POST", "contact_labour", 302),
    ("cases:referral_receive referred@g1,referral_labour@g1", "POST", "contact_housing", 403),
    ("cases:referral_receive referred@g2,referral@g2", "POST", "contact_housing", 404),  # her department, no grant
    ("cases:transition referred@g1/assign_mediation", "POST", "contact_housing", 409),
    ("cases:comment mediating@g1", "POST", "contact_housing", 404),
    ("grids:grid_detail grid@g1", "GET", "contact_housing", 404),
    # an invited colleague reads, nothing more
    ("cases:detail mediating@g1", "GET", "invited", 200),
    ("cases:comment mediating@g1", "POST", "invited", 403),
    ("cases:task_done mediating@g1,task@g1", "POST", "invited", 403),
    # the station leader whose one police grid covers only grid1
    ("cases:detail referred@g1", "GET", "partial_lead", 200),
    ("cases:detail referred@g2", "GET", "partial_lead", 404),
    ("cases:meeting meeting@qf", "GET", "partial_lead", 200),
    ("cases:meeting_print meeting@qf", "GET", "partial_lead", 200),
    ("cases:meeting_decide meeting@qf,item@g1", "POST", "partial_lead", 400),
    ("cases:meeting_decide meeting@qf,item@g2", "POST", "partial_lead", 404),
    ("cases:meeting_minutes meeting@qf", "POST", "partial_lead", 403),
    ("cases:meeting_create", "GET", "partial_lead", 403),
    ("grids:grid_detail grid@g2", "GET", "partial_lead", 404),
    ("grids:street_map street@qf", "GET", "partial_lead", 200),
    ("mediators:edit mediator@qf", "GET", "partial_lead", 200),  # 陈桂兰 serves 栖凤社区 only
    # the other street
    ("cases:detail triaged@g1", "GET", "worker_fh", 404),
    ("cases:call_answer call@g1", "POST", "worker_fh", 404),
    ("grids:street_map street@qf", "GET", "worker_fh", 404),
    ("mediators:supermarket ?case=triaged@g1", "GET", "worker_fh", 404),
    ("cases:call_create ?case=triaged@g1", "GET", "worker_fh", 404),
    ("cases:meeting meeting@qf", "GET", "worker_fh", 403),  # meetings are gated by role first
    ("cases:meeting meeting@qf", "GET", "streetlead_fh", 404),
    ("mediators:profile mediator@qf", "GET", "streetlead_fh", 200),  # the roster is shared
    ("mediators:edit mediator@qf", "GET", "streetlead_fh", 403),
    ("mediators:edit mediator@qf", "POST", "streetlead_fh", 403),
    ("mediators:retire mediator@qf", "POST", "streetlead_fh", 403),
    ("mediators:edit mediator@fh", "POST", "streetlead", 403),
    # a role holds only where it is placed
    ("cases:detail triaged@g2", "GET", "officer1", 404),
    ("cases:detail triaged@g1", "GET", "officer2", 404),
    ("cases:transition triaged@g1/escalate", "POST", "officer1", 400),
    ("cases:transition triaged@g1/escalate", "POST", "worker1", 409),
    ("cases:transition triaged@g1/escalate", "POST", "officer2", 404),
    # calls: the police side answers the grid's call; leaders do not place calls
    ("cases:call_answer call@g1", "POST", "officer1", 302),
    ("cases:call_answer call@g1", "POST", "worker1", 403),
    ("cases:call_answer call@g1", "POST", "mediator1", 404),
    ("cases:call_create ?case=triaged@g1", "GET", "stationlead", 403),
    ("cases:call_create ?case=resolved@g1", "GET", "worker1", 403),
    # corrections after intake: details and parties by handlers, lead handler and grid by
    # officers and leaders; nothing on a resolved case (409: the input is shown back)
    ("cases:edit mediating@g1", "GET", "worker1", 200),
    ("cases:edit mediating@g1", "GET", "auxiliary1", 403),
    ("cases:edit mediating@g1", "GET", "mediator1", 403),
    ("cases:edit mediating@g1", "GET", "worker2", 404),
    ("cases:party_edit mediating@g1,party@g1", "POST", "worker1", 400),
    ("cases:party_edit mediating@g1,party@fh", "GET", "admin", 404),
    ("cases:hand_over mediating@g1", "GET", "worker1", 403),
    ("cases:hand_over mediating@g1", "GET", "officer1", 200),
    ("cases:move_grid mediating@g1", "GET", "worker1", 403),
    ("cases:move_grid mediating@g1", "GET", "partial_lead", 200),
    ("cases:move_grid mediating@g2", "GET", "officer1", 404),
    ("cases:edit resolved@g1", "GET", "worker1", 403),
    ("cases:edit resolved@g1", "POST", "worker1", 409),
    ("cases:move_grid resolved@g1", "POST", "worker1", 403),
    # 110 incidents: by police grid, not by community grid; workers see none
    ("incidents:detail incident@g1", "GET", "officer1", 200),
    ("incidents:detail incident@g1", "GET", "auxiliary1", 200),
    ("incidents:detail incident@g1", "GET", "officer2", 404),
    ("incidents:detail incident@g1", "GET", "worker1", 404),
    ("incidents:detail incident@g1", "GET", "partial_lead", 404),
    ("incidents:detail incident@g1", "GET", "streetlead_fh", 404),
    ("incidents:list", "GET", "worker1", 403),
    ("incidents:list", "GET", "mediator1", 403),
    ("incidents:list", "GET", "partial_lead", 200),
    ("incidents:import", "GET", "auxiliary1", 403),
    ("incidents:import_detail batch@g1", "GET", "officer2", 404),
    ("incidents:import_detail batch@g1", "GET", "stationlead", 404),
    ("incidents:case_radar mediating@g1", "GET", "mediator1", 200),
    ("incidents:case_radar mediating@g1", "GET", "worker2", 404),
    # related cases: handlers link and merge; readers of the case do not
    ("cases:link mediating@g1", "POST", "worker1", 400),
    ("cases:link mediating@g1", "POST", "auxiliary1", 403),
    ("cases:link mediating@g1", "POST", "mediator1", 403),
    ("cases:merge triaged@g1", "GET", "worker2", 404),
    # leaders' pages
    ("cases:ledger", "GET", "worker1", 403),
    ("cases:ledger", "GET", "partial_lead", 200),
    ("cases:meeting_minutes meeting@qf", "POST", "stationlead", 403),
    # statistics: no place, no statistics; a street's for who leads it, a grid's for who works on it
    ("stats:index", "GET", "mediator1", 403),
    ("stats:index", "GET", "contact_housing", 403),
    ("stats:index", "GET", "worker1", 200),
    ("stats:index ?unit=street@qf", "GET", "streetlead", 200),
    ("stats:index ?unit=street@qf", "GET", "stationlead", 404),
    ("stats:index ?unit=street@qf", "GET", "worker1", 404),
    ("stats:index ?unit=grid@g1", "GET", "partial_lead", 200),
    ("stats:index ?unit=grid@g1", "GET", "worker2", 404),
    ("stats:index ?unit=grid@fh", "GET", "streetlead", 404),
    ("stats:report_xlsx ?unit=grid@g1", "GET", "officer1", 200),
    # a sub-object of another case is not found, even by the administrator
    ("cases:attachment mediating@g1,attachment@fh", "GET", "admin", 404),
    ("cases:meeting_decide meeting@qf,item@fh", "POST", "admin", 404),
]
if NOTIFICATIONS:
    EXPLICIT += [
        ("cases:notification_open notice@g1", "GET", "officer1", 302),
        ("cases:notification_open notice@g1", "GET", "worker1", 404),
        ("cases:notification_open notice@g1", "GET", "admin", 404),
    ]

# --- the objects ------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def account_for(username):
    """A mediator's roster entry linked to a new mediator account."""
    user = person(username, Role.MEDIATOR)
    mediator = Mediator.objects.create(name=f"调解员{username}", team="peoples", organisation="测试人民调解委员会",
                                       profession="elder", capacity=10, user=user)
    return user, mediator


def fresh(case):
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def matrix(world, settings, tmp_path):
    """Every object of the table and every user of the matrix, built through the services."""
    settings.MEDIA_ROOT = tmp_path
    users = {name: getattr(world, name) for name in PEOPLE}
    today = timezone.localdate()
    admin = world.admin

    housing, labour = a_department(), a_department("区人社局", "labour")
    court = a_department("区人民法院", "court")
    court.needs_approval = True  # a handler's referral to it waits for a leader
    court.save()
    users["contact_housing"] = person("matrix_housing", Role.DEPARTMENT)
    users["contact_labour"] = person("matrix_labour", Role.DEPARTMENT)
    housing.contacts.add(users["contact_housing"])
    labour.contacts.add(users["contact_labour"])
    users["invited"] = person("matrix_invited", Role.WORKER)  # labelled a worker, placed nowhere

    station = PoliceStation.objects.create(name="局部派出所")
    police_grid = PoliceGrid.objects.create(station=station, name="局部警务区", code="PART-1", post_name="局部警务室")
    GridLink.objects.create(police_grid=police_grid, community_grid=world.grid1)
    users["partial_lead"] = person("matrix_partial_lead", Role.STATION_LEADER, station)

    chen = Mediator.objects.get(user=world.mediator1)
    mediator_fh = Mediator.objects.create(name="凤凰调解员", team="peoples", organisation="凤凰社区人民调解委员会",
                                          profession="elder", capacity=10)
    mediator_fh.communities.set([Community.objects.get(name="凤凰社区")])
    objects = {"mediator@qf": chen, "mediator@fh": mediator_fh,
               "street@qf": world.qifeng, "street@fh": world.fenghuang}

    setting = {
        "g1": (world.grid1, world.worker1, world.officer1, world.stationlead, chen),
        "g2": (world.grid2, world.worker2, world.officer2, world.stationlead, a_mediator()),
        "fh": (world.grid_fh, world.worker_fh, world.officer_fh, world.stationlead_fh, mediator_fh),
    }
    for p, (grid, worker, officer, leader, mediator) in setting.items():
        objects[f"grid@{p}"] = grid
        objects[f"triaged@{p}"] = case_in_state("triaged", grid=grid, actor=officer)

        mediating = case_in_state("triaged", grid=grid, actor=officer)
        objects[f"choice@{p}"] = choose(mediating, officer, mediator=mediator)
        mediating = act(fresh(mediating), "start_mediation", officer)
        parties = list(mediating.parties.order_by("pk"))
        objects[f"party@{p}"] = parties[0]
        upload = SimpleUploadedFile("现场.png", PNG, "image/png")
        check_upload(upload)
        objects[f"attachment@{p}"] = workflow.add_attachments(case=mediating, actor=officer, files=[upload])[0]
        roster.record_agreement(case=mediating, actor=officer, parties=parties, mediators=[mediator],
                                facts="楼上装修漏水", terms="楼上赔偿维修费3000元", fulfilment="一次性支付",
                                fulfil_by=today + timedelta(days=30), signed_on=today, place="调解室")
        objects[f"task@{p}"] = loop.issue_supervision(case=fresh(mediating), actor=leader, text="请三日内答复",
                                                      deadline=today + timedelta(days=3))
        objects[f"mediating@{p}"] = mediating
        objects[f"awaiting@{p}"] = loop.send_referral(case=fresh(mediating), actor=officer, department=court,
                                                      deadline=today + timedelta(days=10), request="诉调对接")
        objects[f"member@{p}"] = CaseTeamMember.objects.create(case=mediating, name="刘芳", unit="社区居委会",
                                                               role="cadre")

        referred = case_in_state("escalated", grid=grid, actor=officer)
        referral = {"department": housing, "request": "请认定漏水责任", "deadline": today + timedelta(days=10),
                    "contact": users["contact_housing"] if p == "g1" else None}
        objects[f"referred@{p}"] = act(referred, "refer", leader, referral=referral)
        links.link_cases(case=fresh(mediating), other=objects[f"triaged@{p}"], actor=officer)
        objects[f"referral@{p}"] = Referral.objects.get(case=referred)

        resolved = case_in_state("resolved", grid=grid, actor=officer)
        objects[f"resolved@{p}"] = resolved
        objects[f"follow_up@{p}"] = resolved.follow_ups.get()

        objects[f"call@{p}"] = loop.place_call(actor=worker, grid=grid, message="请民警到场")

        police_grid_of_officer = PoliceGridUserObjectPermission.objects.get(user=officer).content_object
        objects[f"incident@{p}"] = Incident.objects.create(
            number=f"J2026{p}", reported_at=timezone.now() - timedelta(days=1), caller_name="王建国",
            caller_phone="13812345678", address="栖凤社区3幢2单元502室", address_key=address_key("栖凤社区3幢2单元502室"),
            kind="纠纷", summary="楼上漏水，双方争吵", police_grid=police_grid_of_officer)

    # The second department's own referral on grid1's referred case (as in test_audit_findings).
    referred_g1 = objects["referred@g1"]
    objects["referral_labour@g1"] = Referral.objects.create(
        case=referred_g1, department=labour, request="请核查欠薪", sent_by=world.stationlead,
        deadline=today + timedelta(days=10), contact=users["contact_labour"])
    grants.grant(user=users["contact_labour"], case=referred_g1, reason=grants.DEPARTMENT)

    # Mediators whose grant on grid1's case in mediation ended, and the one invited to read it.
    mediating_g1 = objects["mediating@g1"]
    users["med_replaced"], replaced = account_for("matrix_med_replaced")
    roster.replace_mediator(choice=choose(mediating_g1, world.officer1, mediator=replaced),
                            actor=world.officer1, reason="当事人要求更换")
    users["med_relinked_old"], relinked = account_for("matrix_med_relinked_old")
    choose(mediating_g1, world.officer1, mediator=relinked)
    users["med_relinked_new"] = person("matrix_med_relinked_new", Role.MEDIATOR)
    relinked.user = users["med_relinked_new"]
    roster.save_mediator(actor=admin, mediator=relinked, specialties=[], communities=[])
    users["med_retired"], retired = account_for("matrix_med_retired")
    choose(mediating_g1, world.officer1, mediator=retired)
    roster.set_active(actor=admin, mediator=retired, active=False)
    grants.grant(user=users["invited"], case=mediating_g1, reason=grants.VIEWER)

    for street, leader, place in (("qf", world.streetlead, world.qifeng), ("fh", world.streetlead_fh, world.fenghuang)):
        objects[f"meeting@{street}"] = loop.create_meeting(actor=leader, street=place, held_on=timezone.now(),
                                                           place="街道综治中心会议室", attendees="街道、派出所")
    for p, street in STREET.items():
        objects[f"item@{p}"] = objects[f"meeting@{street}"].items.get(case=objects[f"referred@{p}"])
    for p, worker in (("g1", world.worker1), ("g2", world.worker2), ("fh", world.worker_fh)):
        objects[f"coord@{p}"] = loop.call_coordination_meeting(
            actor=worker, case=objects[f"mediating@{p}"], held_on=timezone.now(), place="社区议事室",
            attendees="王建国（居民代表）\n李明（租户）")
        objects[f"coord_item@{p}"] = objects[f"coord@{p}"].items.get()

    objects["batch@g1"] = ImportBatch.objects.create(
        file="imports/matrix.csv", original_name="警情.csv", uploaded_by=world.officer1, status=ImportStatus.CHECKED,
        total_rows=1, processed_rows=1, new_rows=1,
        police_grid_ids=[objects["incident@g1"].police_grid_id])

    for p, recipient in NOTICE_RECIPIENT.items():
        objects[f"notice@{p}"] = Notification.objects.create(
            recipient=users[recipient], kind="call", call=objects[f"call@{p}"], text="请民警到场", key=f"matrix-{p}")

    for user in users.values():
        access.forget(user)
    assert set(users) == set(USERS)
    return users, objects


# --- running ----------------------------------------------------------------------------------


def status_of(client, method, url, data):
    """The status of one request, in a savepoint rolled back afterwards; an exception is a 500."""
    savepoint = transaction.savepoint_create()
    try:
        response = client.get(url) if method == "GET" else client.post(url, data)
        if response.streaming:  # a file: reading it to the end closes it, as a WSGI server would
            b"".join(response.streaming_content)
        return response.status_code
    except Exception as error:  # reported as the 500 it would be
        return f"500 ({type(error).__name__}: {error})"
    finally:
        transaction.savepoint_rollback(savepoint)


def checked(username, row) -> bool:
    keys = row.keys
    return username not in NARROW or bool(keys) and all(place_of(key) in ("g1", "qf") for key in keys)


def checks_of(rows):
    for row in rows:
        for method, expect in row.checks():
            if expect is not None:
                yield row, method, expect


@pytest.mark.parametrize("family", FAMILIES)
def test_every_user_gets_exactly_the_status_the_rule_gives(matrix, family):
    users, objects = matrix
    rows = [row for row in TABLE if row.name in FAMILIES[family]]
    failures, count = [], 0
    for username in USERS:
        client = Client()
        client.force_login(users[username])
        for row, method, expect in checks_of(rows):
            if not checked(username, row):
                continue
            url = row.url(objects)
            expected, got = expect(username), status_of(client, method, url, row.data)
            count += 1
            if got != expected:
                failures.append(f"{method} {url} [{row.id}] as {username}: expected {expected}, got {got}")
    assert count
    assert not failures, f"{len(failures)} of {count} checks failed:\n" + "\n".join(failures)


def test_anonymous_users_are_sent_to_sign_in_everywhere(matrix):
    _users, objects = matrix
    keys = {key for row in TABLE for key in row.keys}
    assert sorted(keys - set(objects)) == [], "objects of the table the fixture does not build"
    client, login, failures = Client(), reverse("login") + "?next=", []
    for row in TABLE:
        url = row.url(objects)
        if row.id == "cases:notification_count":
            for response in (client.get(url), client.post(url)):
                if (response.status_code, response.content) != (286, b""):
                    failures.append(f"{url} as anonymous: expected an empty 286, got {response.status_code}")
            continue
        if row.id == "incidents:import_progress batch@g1":  # polled by htmx: told to stop, nothing more
            response = client.get(url)
            if (response.status_code, response.content) != (286, b"") or client.post(url).status_code != 405:
                failures.append(f"{url} as anonymous: expected an empty 286 (and 405 to a POST)")
            continue
        for method in ("GET", "POST"):
            savepoint = transaction.savepoint_create()
            response = client.get(url) if method == "GET" else client.post(url, row.data)
            transaction.savepoint_rollback(savepoint)
            if response.status_code != 302 or not response["Location"].startswith(login):
                failures.append(f"{method} {url} [{row.id}] as anonymous: expected 302 to sign in, "
                                f"got {response.status_code} {response.get('Location', '')}")
    assert not failures, "\n".join(failures)


@dataclass(frozen=True)
class Missing:
    pk: int


@pytest.mark.parametrize("pk", [99_999_999, 2**63], ids=["missing", "beyond-bigint"])
def test_an_id_that_does_not_exist_is_not_found(world, pk):
    """Every object URL with ids that name nothing (or overflow the column) answers 404 to the
    administrator, who passes every gate (or the gate's own 403 / 405), never a 500."""
    client, failures = Client(), []
    client.force_login(world.admin)
    nothing = {key: Missing(pk) for row in TABLE for key in row.keys}
    seen = set()
    for row, method, expect in checks_of(TABLE):
        shape = (row.name, method, bool(row.args), bool(row.query))
        if shape in seen or not nothing.keys() & set(row.keys):
            continue
        seen.add(shape)
        expected = expect("admin") if expect("admin") in (403, 405) else 404
        got = status_of(client, method, row.url(nothing), row.data)
        if got != expected:
            failures.append(f"{method} {row.url(nothing)} [{row.id}] as admin: expected {expected}, got {got}")
    assert len(seen) > 30
    assert not failures, "\n".join(failures)


# --- the table itself -------------------------------------------------------------------------


def url_names(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from url_names(pattern.url_patterns, f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix)
        elif pattern.name:
            yield prefix + pattern.name


def test_every_url_pattern_of_the_apps_is_in_the_table():
    apps = {name for name in url_names(get_resolver().url_patterns)
            if name.split(":")[0] in ("cases", "mediators", "grids", "incidents", "stats")}
    assert apps, "no URL patterns found"
    assert sorted(apps - set(NAMES)) == [], "URL patterns missing from the access matrix"
    assert sorted(set(NAMES) - apps) == [], "the table names URL patterns that no longer exist"


def test_each_url_pattern_is_in_exactly_one_family():
    families = [name for names in FAMILIES.values() for name in names]
    assert sorted(families) == sorted(NAMES)


@pytest.mark.parametrize("row_id,method,username,status", EXPLICIT)
def test_the_rule_gives_the_explicit_answers(row_id, method, username, status):
    row = ROWS[row_id]
    expect = row.get if method == "GET" else row.post
    assert expect is not None, f"{row_id} has no {method} check"
    assert expect(username) == status


# Pages that ask for a role before they look at the object: a 403 there reveals nothing.
GATED_FIRST = {"cases:meeting", "cases:meeting_print", "cases:meeting_minutes", "cases:meeting_decide",
               "cases:meeting_drop_item", "incidents:import_detail", "incidents:import_progress",
               "incidents:import_confirm",
               "cases:call_create", "mediators:edit", "mediators:retire"}


@pytest.mark.parametrize("username", ["worker_fh", "officer_fh", "stationlead_fh", "streetlead_fh"])
def test_the_other_street_finds_nothing_of_qifeng(username):
    """Every object of Qifeng is a 404 to the second street's people (a 403 only where the page is
    gated by role before any object, a 405 for a GET of a POST-only view); only the shared
    mediator roster's profile page opens."""
    for row, method, expect in checks_of(TABLE):
        keys = row.keys
        if not keys or not all(place_of(k) in ("g1", "g2", "qf") for k in keys) or row.name == "mediators:profile":
            continue
        allowed = {405} if expect is POST_ONLY else {403, 404} if row.name in GATED_FIRST else {404}
        assert expect(username) in allowed, f"{method} {row.id} as {username}"


def test_every_row_is_open_to_someone():
    """Each check reaches its view's success path for at least one user (else the row only
    proves refusals), except the rows that are there to be refused (refusals_only)."""
    for row, method, expect in checks_of(TABLE):
        if expect is POST_ONLY or row.refusals_only:
            continue
        statuses = {expect(username) for username in USERS}
        assert statuses - {403, 404, 405}, f"{method} {row.id}: nobody gets through ({statuses})"

