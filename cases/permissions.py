"""The only place that decides access to cases: what a user may see, and what they may do.

`visible_cases(user)` is every case the user may see (their grids, plus per-case grants).
`capabilities(user, case)` is the set of actions — transition names from the registry
(cases/transitions.py) and the actions below — the user may take on the case now, from
  the roles held on the case's place (grids.access: a worker's row on grid A gives worker
  powers on grid A only) and the roles granted on the case itself (cases/grants.py)
  × the case's state.
Computed once per request and case. Views show exactly these buttons; services assert the same
capability before they write. The other questions (calls, meetings, the ledger) are small
predicates below, built on the same roles.
"""

from dataclasses import dataclass

from django.db.models import Q

from grids import access
from grids.roles import Role

from . import grants
from .choices import OPEN_STATES, CallDirection, MeetingKind, State
from .models import Call, Case, Meeting, MeetingItem
from .transitions import from_state

W, O, AUX, SL, STL, ADM = (
    Role.WORKER, Role.OFFICER, Role.AUXILIARY, Role.STATION_LEADER, Role.STREET_LEADER, Role.ADMIN,
)
DL, BL = Role.DISTRICT_LEADER, Role.BUREAU_LEADER
MED, DEPT, VIEWER = Role.MEDIATOR, Role.DEPARTMENT, grants.VIEWER_ROLE
LEADERS = frozenset({SL, STL, DL, BL, ADM})  # station, street, police bureau, district centre
GRID_ROLES = frozenset({W, O, AUX}) | LEADERS  # every role held on a place
HANDLERS = frozenset({W, O}) | LEADERS         # may carry a case and see personal data in full
CHOOSABLE_STATES = (State.TRIAGED, State.MEDIATING, State.ESCALATED, State.REFERRED, State.DISTRICT)


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    states: tuple | None = None  # None: in any state

    def allows(self, roles: frozenset[str], state: str) -> bool:
        return bool(roles & self.roles) and (self.states is None or state in self.states)


# Every action on a case that is not a transition: who (roles on the case's place or granted on
# the case) and when (states).
ACTIONS: dict[str, Rule] = {
    "view": Rule(GRID_ROLES | {MED, DEPT, VIEWER}),
    "comment": Rule(GRID_ROLES),
    # A department contact adds photos of the repair while a referral of theirs is open (the
    # grant lasts that long: cases/loop.py).
    "attach": Rule(GRID_ROLES | {DEPT}),
    "reveal_personal_data": Rule(HANDLERS),
    "choose_mediator": Rule(HANDLERS, CHOOSABLE_STATES),
    "record_session": Rule(GRID_ROLES | {MED}, (State.MEDIATING,)),
    "record_agreement": Rule(HANDLERS | {MED}, (State.MEDIATING,)),
    "supervise": Rule(LEADERS, OPEN_STATES),
    # The joint team beyond the grid (cases/team.py): station, street, departments, named people.
    "manage_team": Rule(HANDLERS, OPEN_STATES),
    # 转办 without escalating (a repair, a certificate): the case stays with its handler.
    "send_referral": Rule(HANDLERS, (State.TRIAGED, State.MEDIATING)),
    # A handler's direct referral that needs approval (cases/loop.py needs_approval) waits for
    # the station or street leaders.
    "approve_referral": Rule(LEADERS, OPEN_STATES),
    # Signing for a referral and recording the department's feedback: the leaders, the
    # department's contact for their own; for a referral to a department without an account
    # here (its answer comes by phone or on paper), its sender and the lead handler: cases/loop.py.
    "update_referral": Rule(HANDLERS | {DEPT}),
    "follow_up": Rule(HANDLERS, (State.RESOLVED,)),
    # Calls go between the grid and the police: only they place them (leaders issue 督办).
    "call": Rule(frozenset({W, O, AUX}), OPEN_STATES),  # must match CALLER below
    # Correcting and extending an open case after intake (cases/corrections.py): its details and
    # its parties, by those who carry cases and see personal data in full. Handing the case to
    # another lead handler and moving it to the right grid (转办) decide who carries it and who
    # sees it: officers and leaders, as at triage (a grid worker asks them). A case without a
    # lead handler yet gets one at triage, so handing over starts once it is triaged. The grids
    # a case may move to are those where the actor holds the same power (move_targets).
    "edit_case": Rule(HANDLERS, OPEN_STATES),
    "edit_parties": Rule(HANDLERS, OPEN_STATES),
    # Related cases (cases/links.py): linking is a note between two cases, in any state; merging
    # a duplicate needs it on both cases, and the duplicate must be one that can be withdrawn.
    "link_cases": Rule(HANDLERS),
    "merge_case": Rule(HANDLERS, OPEN_STATES),
    "hand_over": Rule(frozenset({O}) | LEADERS, CHOOSABLE_STATES),
    "move_grid": Rule(frozenset({O}) | LEADERS, OPEN_STATES),
    # 协调会: a handler calls a coordination meeting on an open case (with one or two more of the
    # same grid), records its minutes and its decision on each case.
    "call_meeting": Rule(HANDLERS, OPEN_STATES),
}
CREATE_ROLES = GRID_ROLES  # who may log a case on a grid


def visible_cases(user):
    """Every case the user may see: those in their grids, plus per-case grants (a chosen
    mediator, a referred department). Constant number of queries, whatever the data size."""
    scope = access.scope_of(user)
    if scope.everything:
        return Case.objects.all()
    return visible_cases_in(scope.community_grid_ids, grants.roles_by_case(user))


def visible_cases_in(grids, granted):
    """The cases in the community grids `grids` and those `granted` one by one (ids only: the
    work bench compiles it once and runs it with each user's, grids/compiled.py)."""
    return Case.objects.filter(Q(grid_id__any=grids) | Q(id__any=granted))


def revealable_cases(user):
    """Cases whose parties' full phone and ID numbers the user may see (the grids where they
    hold a role that reveals; per-case grants never do)."""
    scope = access.scope_of(user)
    if scope.everything:
        return Case.objects.all()
    return Case.objects.filter(grid_id__any=scope.grids_where(*ACTIONS["reveal_personal_data"].roles))


def roles_on_case(user, case) -> frozenset[str]:
    """The roles `user` plays on `case`: held on its grid, or granted on the case itself."""
    if not user.is_authenticated:
        return frozenset()
    return access.roles_on_grid(user, case.grid_id) | grants.roles_by_case(user).get(case.pk, frozenset())


def capabilities(user, case) -> frozenset[str]:
    """What `user` may do on `case` in its current state (actions and transition names)."""
    if not user.is_authenticated:
        return frozenset()
    memo = access.request_cache(user).setdefault("case_capabilities", {})
    key = (case.pk, case.grid_id, case.state)
    if key not in memo:
        roles = roles_on_case(user, case)
        caps = {name for name, rule in ACTIONS.items() if rule.allows(roles, case.state)}
        if "view" in caps:
            caps.update(spec.name for spec in from_state(case.state) if roles & spec.roles_for(case.state))
        memo[key] = frozenset(caps)
    return memo[key]


def can(user, action: str, case) -> bool:
    return action in capabilities(user, case)


def may_when_open(user, action: str, case) -> bool:
    """Whether `user` holds a role that may take `action` on the case in some state: a step
    refused only because of the case's state now (somebody else closed it) rather than who
    the user is."""
    return bool(roles_on_case(user, case) & ACTIONS[action].roles)


def move_targets(user, case):
    """The community grids to which `user` may move `case` (转办 to the right grid): those on
    which they hold a role that may move cases — an officer the grids of their police grids,
    a leader those of their station or street, an administrator any — other than its own."""
    return access.grids_where(user, *ACTIONS["move_grid"].roles).exclude(pk=case.grid_id)


def transitions_for(user, case) -> list[str]:
    """The transitions this user may take from the case's current state, in registry order.
    Conditions (a reason, a resolution…) are not checked: they are what each form asks for."""
    caps = capabilities(user, case)
    return [spec.name for spec in from_state(case.state) if spec.name in caps]


def steps_for_others(user, case) -> list[tuple[str, list[str]]]:
    """The next steps of the case that this user cannot take, with who can, as (label, role
    labels): a handler whose case was escalated still sees where it is and who acts next."""
    mine = set(transitions_for(user, case))
    steps = []
    for spec in from_state(case.state):
        roles = spec.roles_for(case.state) - {ADM}
        if spec.name not in mine and roles:
            steps.append((spec.label, [role.label for role in Role if role in roles]))
    return steps


# --- referrals ------------------------------------------------------------------------------


def may_update_referral(user, referral) -> bool:
    """Signing for a referral with the department and recording its feedback. Leaders of the
    case's place: any referral of the case. A department contact: only their own department's.
    A referral to a department without a contact account (its answer comes by phone or on
    paper, and someone must write it down): also whoever sent it, and the case's lead handler."""
    if not can(user, "update_referral", referral.case):
        return False
    roles = roles_on_case(user, referral.case)
    if roles & LEADERS:
        return True
    if referral.contact_id == user.pk or referral.department_id in contact_department_ids(user):
        return True
    return (referral.contact_id is None and bool(roles & HANDLERS)
            and user.pk in (referral.sent_by_id, referral.case.lead_handler_id))


def contact_departments(user):
    """The departments the user is a contact account of (a queryset)."""
    return user.departments.all()


def contact_department_ids(user, *, loaded=None) -> frozenset[int]:
    """The ids of contact_departments: one query, once per request (a case page asks it for each
    of its referrals); none when the page read them with its other rows (`loaded`)."""
    cache = access.request_cache(user)
    if loaded is not None:
        cache["contact_departments"] = frozenset(department.pk for department in loaded)
    if "contact_departments" not in cache:
        cache["contact_departments"] = frozenset(contact_departments(user).values_list("id", flat=True))
    return cache["contact_departments"]


def refers_without_approval(user, case) -> bool:
    """The station and street leaders of the case's place refer on their own authority: their
    referrals never wait for an approval, and they alone refer a major-risk case."""
    return bool(roles_on_case(user, case) & LEADERS)


def has_open_referral_grant(user) -> bool:
    """A department contact with a referral of theirs still open (their per-case grant lasts
    that long): their work bench lists what was sent to them."""
    return any(DEPT in roles for roles in grants.roles_by_case(user).values())


# --- intake ---------------------------------------------------------------------------------


def intake_grids(user):
    """Community grids on which the user may log a case."""
    return access.grids_where(user, *CREATE_ROLES)


def may_create_cases(user) -> bool:
    """Whether the user may log a case on some grid (from the scope: no query of its own)."""
    scope = access.scope_of(user)
    return scope.everything or bool(scope.grids_where(*CREATE_ROLES))


def can_create_in(user, grid) -> bool:
    return bool(access.roles_on_grid(user, grid.pk) & CREATE_ROLES)


# --- two-way calls --------------------------------------------------------------------------

# Who places and who answers each kind of call, by the role held on the call's grid.
CALLER = {CallDirection.GRID_TO_POLICE: {W}, CallDirection.POLICE_TO_GRID: {O, AUX}}
ANSWERER = {CallDirection.GRID_TO_POLICE: {O, AUX}, CallDirection.POLICE_TO_GRID: {W}}
CALLERS = frozenset({W, O, AUX})


def call_direction(user, grid_id: int) -> str | None:
    """Grid workers call the police, police call the grid forces, each on their own grid."""
    roles = access.roles_on_grid(user, grid_id)
    for direction, callers in CALLER.items():
        if roles & callers:
            return direction
    return None


def call_grids(user):
    """Community grids on which the user may place a call (administrators place none)."""
    scope = access.scope_of(user)
    grids = access.visible_community_grids(user)
    return grids.none() if scope.everything else grids.filter(id__any=scope.grids_where(*CALLERS))


def may_place_calls(user) -> bool:
    scope = access.scope_of(user)
    return not scope.everything and bool(scope.grids_where(*CALLERS))


def may_see_call(user, call) -> bool:
    """A call is seen by everyone placed on its grid (see `visible_calls`)."""
    scope = access.scope_of(user)
    return scope.everything or bool(scope.roles_on(call.grid_id))


def visible_calls(user):
    """Calls on the user's grids."""
    scope = access.scope_of(user)
    return Call.objects.all() if scope.everything else Call.objects.filter(grid_id__any=scope.community_grid_ids)


def calls_to_answer(user):
    """Open calls this user is expected to answer: the other side, on their own grids (and
    leaders for every grid they lead). A fixed number of queries."""
    scope = access.scope_of(user)
    return calls_to_answer_on() if scope.everything else calls_to_answer_on(**answering_grids(scope))


def answering_grids(scope) -> dict[str, frozenset[int]]:
    """The grids where a scope answers calls: {"led": every call (the grids it leads), each
    direction: the calls that way (the grids where it holds that direction's answering role)}."""
    return {"led": scope.grids_where(*LEADERS),
            **{direction: scope.grids_where(*answerers) for direction, answerers in ANSWERER.items()}}


def calls_to_answer_on(led=None, **by_direction):
    """Open calls expected of whoever answers on these grids (`answering_grids`), or every open
    call (`led` None: an administrator). Ids only: the work bench compiles it once and runs it
    with each user's (grids/compiled.py)."""
    calls = Call.objects.filter(answered_at__isnull=True)
    if led is None:
        return calls
    expected = Q(grid_id__any=led)
    for direction, grids in by_direction.items():
        expected |= Q(direction=direction, grid_id__any=grids)
    return calls.filter(expected)


def may_answer(user, call) -> bool:
    roles = access.roles_on_grid(user, call.grid_id)
    return bool(roles & (ANSWERER[call.direction] | LEADERS))


# --- the ledger, the dashboard and meetings -------------------------------------------------


def may_lead(user) -> bool:
    """Station and street leaders (and administrators): the ledger, the dashboard, meetings."""
    return access.is_leader(user)


def led_cases(user):
    """The cases of the grids the user leads (all of them for administrators)."""
    scope = access.scope_of(user)
    if scope.everything:
        return Case.objects.all()
    return Case.objects.filter(grid_id__any=led_grids(scope))


def led_grids(scope) -> frozenset[int]:
    """The grids a scope leads (its leaders' roles held there)."""
    return scope.grids_where(*LEADERS)


def visible_meetings(user):
    """Joint meetings of the streets (and districts) in which the user leads at least one grid,
    and the coordination meetings on a case the user may open."""
    scope = access.scope_of(user)
    if scope.everything:
        return Meeting.objects.all()
    coordination = Q(kind=MeetingKind.COORDINATION,
                     id__in=MeetingItem.objects.filter(case__in=visible_cases(user)).values("meeting_id"))
    if not may_lead(user):
        return Meeting.objects.filter(coordination)
    streets = access.visible_streets(user).filter(
        communities__grids__id__any=scope.grids_where(*LEADERS)).values("id")
    districts = access.visible_districts(user).filter(
        streets__communities__grids__id__any=scope.grids_where(*LEADERS)).values("id")
    return Meeting.objects.filter(Q(kind=MeetingKind.JOINT, street__in=streets)
                                  | Q(kind=MeetingKind.JOINT, district__in=districts) | coordination)


def decision_action(meeting) -> str:
    """The capability on an item's case that records the meeting's decision on it: the leaders'
    督办 at a joint meeting, the handlers' at the coordination meeting they called."""
    return "call_meeting" if meeting.kind == MeetingKind.COORDINATION else "supervise"


def may_run_meeting(user, meeting) -> bool:
    """Writing the minutes (and dropping an undecided item): a joint meeting's street leaders;
    for a coordination meeting, a handler of one of its cases."""
    if meeting.kind != MeetingKind.COORDINATION:
        if meeting.district_id:
            return may_run_district_meetings(user, meeting.district)
        return may_run_meetings(user, meeting.street)
    return any(can(user, "call_meeting", item.case)
               for item in meeting.items.select_related("case"))


def joint_meeting_streets(user):
    """The streets whose joint meetings the user may call: those they lead."""
    return access.led_streets(user)


def joint_meeting_districts(user):
    """The districts whose centre's joint meetings the user may call: those they lead."""
    return access.led_districts(user)


def may_call_joint_meetings(user) -> bool:
    scope = access.scope_of(user)
    return scope.everything or bool(scope.led_street_ids or scope.led_district_ids)


def may_run_district_meetings(user, district) -> bool:
    """Creating a district centre's joint meeting and writing its minutes: its leaders."""
    scope = access.scope_of(user)
    return scope.everything or district.pk in scope.led_district_ids


def may_run_meetings(user, street) -> bool:
    """Creating a street's joint meeting and writing its minutes: the street's leaders."""
    scope = access.scope_of(user)
    return scope.everything or street.pk in scope.led_street_ids
