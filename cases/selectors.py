"""Reads of cases, already cut to what the user may see. Each page's reads cost a fixed number
of queries, whatever the number of cases, parties or events."""

from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial

from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet, ObjectDoesNotExist
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids import access
from grids.compiled import Compiled, prepared
from grids.models import PoliceGrid
from grids.roles import Role
from grids.selectors import leaders_over_grid, police_by_grid, police_rows, worker_rows, workers_by_grid

from . import bundle, links, paging, permissions, timeline
from .choices import OPEN_STATES, DepartmentKind, ReferralStatus, State, TeamRole, Warning
from .grants import roles_by_case as grants_of
from .masking import mask_id_number, mask_phone
from .models import Call, Case, CaseEvent, CaseTeamMember, FollowUp, Party, Referral, Task
from .transitions import LABELS, REGISTRY
from .warning import Warnings

LIST_RELATED = ("grid__community", "lead_handler")
WORKBENCH_ROWS = 10
DASHBOARD_GRIDS = 30  # the dashboard shows the grids with the most open cases (a province has 50 000)


def case_list(user):
    """Visible cases with what a list row shows, newest first."""
    return permissions.visible_cases(user).select_related(*LIST_RELATED)


def handlers_for(case: Case) -> list[tuple]:
    """Who can be lead handler or on the joint team: the grid's workers and the police of the
    police grids covering it, as (user, TeamRole). One query (both kinds of place together)."""
    return _handlers(case, bundle.load(_handler_lists(case)))


def _handler_lists(case: Case) -> dict:
    police_grids = PoliceGrid.objects.filter(links__community_grid_id=case.grid_id).values("id")  # subquery
    return {"handler_workers": worker_rows([case.grid_id]), "handler_police": police_rows(police_grids)}


def _handlers(case: Case, rows: dict) -> list[tuple]:
    """handlers_for from the rows of _handler_lists."""
    people = [(u, TeamRole.GRID_WORKER) for u in workers_by_grid(rows["handler_workers"]).get(case.grid_id, [])]
    for users in police_by_grid(rows["handler_police"]).values():
        for user in users:
            people.append((user, TeamRole.AUXILIARY if user.police_role == Role.AUXILIARY else TeamRole.POLICE))
    seen, unique = set(), []
    for user, role in people:
        if user.pk not in seen:
            seen.add(user.pk)
            unique.append((user, role))
    return unique


def team_candidates(case: Case) -> list[tuple]:
    """Who may join a case's joint team, as (user, TeamRole): the grid's workers and police
    (with their real role), the station leaders and street cadres over the grid, and the
    department contacts (the judicial office as such). Six queries."""
    people = list(handlers_for(case))
    people += [(u, TeamRole.STATION_LEADER) for u in leaders_over_grid(case.grid_id, station=True)]
    people += [(u, TeamRole.STREET_CADRE) for u in leaders_over_grid(case.grid_id, station=False, street=True)]
    contacts = (get_user_model().objects.filter(groups__name=Role.DEPARTMENT, is_active=True)
                .prefetch_related("departments").order_by("username"))
    for user in contacts:
        kinds = {d.kind for d in user.departments.all()}
        people.append((user, TeamRole.JUDICIAL if DepartmentKind.JUSTICE in kinds else TeamRole.UNIT_STAFF))
    seen, unique = set(), []
    for user, role in people:
        if user.pk not in seen:
            seen.add(user.pk)
            unique.append((user, role))
    return unique


def supervision_candidates(case: Case, handlers=None, team=None) -> list[tuple]:
    """Who a 督办 may go to, as (user, role label): the lead handler first, then the joint
    team's colleagues with an account, then the grid's workers and police (`handlers`, from
    handlers_for, when the caller has them already). The team is `team` when the caller has
    loaded it (the case page), else the case's (prefetched by views.get_case_for)."""
    if handlers is None:
        handlers = handlers_for(case)
    if team is None:
        team = case.team.all()
    people = []
    if case.lead_handler_id:
        people.append((case.lead_handler, _("lead handler")))
    people += [(m.user, m.get_role_display()) for m in team if m.user_id]
    people += [(user, TeamRole(role).label) for user, role in handlers]
    seen, unique = set(), []
    for user, label in people:
        if user.pk not in seen and user.is_active:
            seen.add(user.pk)
            unique.append((user, label))
    return unique


@dataclass
class PartyView:
    party: Party
    phone: str
    id_number: str
    revealed: bool


def party_views(parties, *, revealed_ids=frozenset()) -> list[PartyView]:
    """Parties with phone and ID number masked unless this party was deliberately revealed."""
    views = []
    for party in parties:
        shown = party.pk in revealed_ids
        views.append(PartyView(
            party=party,
            phone=party.phone if shown else mask_phone(party.phone),
            id_number=party.id_number if shown else mask_id_number(party.id_number),
            revealed=shown,
        ))
    return views


def case_detail(user, pk, *, prefetch=True):
    """The case (raises DoesNotExist outside the user's scope) with its place, people and
    agreement joined in (the agreement by its reverse one-to-one name: the cases app does not
    import the mediators app): one query. With `prefetch`, its parties, attachments and team
    too, which most case views read (four queries); the case page and the case file load them
    with their other lists (case_lists, case_file)."""
    cases = permissions.visible_cases(user).select_related(
        "grid__community__street", "lead_handler", "created_by", "agreement")
    if prefetch:
        cases = cases.prefetch_related(
            "parties", "attachments", Prefetch("team", queryset=CaseTeamMember.objects.select_related("user")))
    with prepared(cases.db):  # every case view reads it: planned once per connection
        return cases.get(pk=pk)


def case_timeline(case, events=None) -> list[timeline.EventView]:
    """The case's timeline as its page shows it, in the reader's language. One query, none when
    `events` (the case's events with their actors, oldest first) were loaded already."""
    if events is None:
        events = case.events.select_related("actor").order_by("at", "id")
    return timeline.views(events, step_labels=LABELS)


def _agreement(case):
    try:
        return case.agreement
    except ObjectDoesNotExist:
        return None


def _in_order_of(model, name: str, **owners):
    """The rows of the many-to-many table `model.name` of `owners` (lookups from that table),
    with the object each points to, in its model's order — the order `.all()` lists them in;
    by its id when that model has none (as SQLite reads them by the table's unique index)."""
    field = model._meta.get_field(name)
    target = field.m2m_reverse_field_name()
    ordering = [f"-{target}__{term[1:]}" if term.startswith("-") else f"{target}__{term}"
                for term in field.related_model._meta.ordering] or [f"{target}_id"]
    return field.remote_field.through.objects.filter(**owners).select_related(target).order_by(*ordering)


def _grouped(rows, model, name: str) -> dict[int, list]:
    """{owner id: [objects]} from the rows of _in_order_of."""
    field = model._meta.get_field(name)
    owner, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    grouped = defaultdict(list)
    for row in rows:
        grouped[getattr(row, f"{owner}_id")].append(getattr(row, target))
    return grouped


def _session_lists(case) -> dict:
    """The lists that make a case's sessions: the sessions, their mediators and other
    participants, their back-to-back parts and the parties in each (cases/bundle.py)."""
    session = case.sessions.model  # the mediators app's model: the cases app does not import it
    part = session._meta.get_field("parts").related_model
    return {
        "sessions": case.sessions.order_by("held_at", "id"),
        "session_mediators": _in_order_of(session, "mediators", mediationsession__case=case),
        "session_participants": _in_order_of(session, "participants", mediationsession__case=case),
        "session_parts": part.objects.filter(session__case=case),
        "part_parties": _in_order_of(part, "parties", sessionpart__session__case=case),
    }


def _record_lists(case) -> dict:
    """What both the case page and the case file list: parties, attachments, the team with their
    accounts, the timeline's events with their actors (oldest first) and the sessions."""
    return {
        "parties": case.parties.all(),
        "attachments": case.attachments.all(),
        "team": case.team.select_related("user").order_by("id"),
        "events": case.events.select_related("actor").order_by("at", "id"),
        **_session_lists(case),
    }


def _sessions(rows: dict) -> list:
    """The sessions of _session_lists, each with `mediator_list`, `participant_list` and
    `part_list` (each part with `party_list`), as a prefetch `to_attr` would give them."""
    sessions = rows["sessions"]
    if not sessions:
        return []
    session = type(sessions[0])
    part = session._meta.get_field("parts").related_model
    mediators = _grouped(rows["session_mediators"], session, "mediators")
    participants = _grouped(rows["session_participants"], session, "participants")
    parties = _grouped(rows["part_parties"], part, "parties")
    parts = defaultdict(list)
    for each in rows["session_parts"]:
        each.party_list = parties[each.pk]
        parts[each.session_id].append(each)
    for each in sessions:
        each.mediator_list, each.participant_list = mediators[each.pk], participants[each.pk]
        each.part_list = parts[each.pk]
    return sessions


@dataclass
class CaseLists:
    """Everything a case page lists beside the case itself."""

    parties: list
    attachments: list
    team: list            # with their accounts
    referrals: list       # with department, contact and sender
    tasks: list           # with assignee and issuer
    calls: list           # with grid and community, caller and answerer
    follow_ups: list      # with who visited
    choices: list         # the mediators chosen now, with the party who chose
    sessions: list        # see _sessions
    events: list          # the timeline's events with their actors, oldest first
    linked: list          # the linked cases the user may see, each with `link_note` (cases/links.py)
    handlers: list = field(default_factory=list)  # handlers_for(case), when asked for


def _page_lists(*, case, grid, user, handlers) -> dict:
    """The case page's lists that follow from ids alone (see case_lists): `case` and `user` an
    unsaved instance with that primary key, which their related managers filter by."""
    case, user = Case(pk=case, grid_id=grid), get_user_model()(pk=user)
    return {
        **(_handler_lists(case) if handlers else {}),
        **_record_lists(case),
        "referrals": case.referrals.select_related("department", "contact", "sent_by"),
        "tasks": case.tasks.select_related("assignee", "issued_by"),
        "calls": case.calls.select_related("grid__community", "caller", "answered_by"),
        "follow_ups": case.follow_ups.select_related("done_by"),
        "choices": case.mediator_choices.filter(active=True).select_related("mediator", "party"),
        "contact_departments": permissions.contact_departments(user),
    }


# Built and compiled once per process (bundle.Prepared), with and without the grid's people.
_PAGE_LISTS = {with_handlers: bundle.Prepared(Case, partial(_page_lists, handlers=with_handlers))
               for with_handlers in (False, True)}


def case_lists(user, case, *, handlers=False) -> CaseLists:
    """What the case page lists, in one query whatever their number (cases/bundle.py; built
    from the case's, its grid's and the user's ids, compiled once: `_page_lists`). The user's
    departments as a contact account are read with them (permissions.contact_department_ids
    asks for them for each referral); with `handlers`, the grid's people too (handlers_for)."""
    rows = _PAGE_LISTS[handlers].load(case=case.pk, grid=case.grid_id, user=user.pk, known=[case],
                                      extra={"linked": links.linked_cases(user, case)})
    permissions.contact_department_ids(user, loaded=rows["contact_departments"])
    return CaseLists(
        parties=rows["parties"], attachments=rows["attachments"], team=rows["team"],
        referrals=rows["referrals"], tasks=rows["tasks"], calls=rows["calls"], follow_ups=rows["follow_ups"],
        choices=rows["choices"], sessions=_sessions(rows), events=rows["events"], linked=rows["linked"],
        handlers=_handlers(case, rows) if handlers else [],
    )


@dataclass
class CaseMediation:
    choices: list
    sessions: list
    agreement: object | None


def case_mediation(case, lists: CaseLists) -> CaseMediation:
    """The mediation part of a case page: current mediators, sessions, agreement (joined in
    with the case: a reverse relation, the cases app does not import the mediators app)."""
    return CaseMediation(choices=lists.choices, sessions=lists.sessions, agreement=_agreement(case))


@dataclass
class CaseFile:
    parties: list
    attachments: list
    team: list
    events: list          # the timeline's events with their actors, oldest first
    sessions: list        # see _sessions
    agreement: object | None  # with `party_list` and `mediator_list`
    referrals: list
    follow_ups: list
    settled_on_spot: object | None = None  # the standing resolution's event, when on the spot


def case_file(case) -> CaseFile:
    """What the case file (卷宗) prints beside the case: parties, attachments, the team, the
    timeline, sessions, the agreement with who signed it, referrals, follow-up visits. One
    query, whatever their number (cases/bundle.py)."""
    agreement = _agreement(case)
    agreement_lists = {}
    if agreement is not None:
        model = type(agreement)
        agreement_lists = {"agreement_parties": _in_order_of(model, "parties", agreement=agreement),
                           "agreement_mediators": _in_order_of(model, "mediators", agreement=agreement)}
    rows = bundle.load({
        **_record_lists(case),
        **agreement_lists,
        "referrals": case.referrals.select_related("department"),
        "follow_ups": case.follow_ups.select_related("done_by"),
    }, known=[case])
    if agreement is not None:
        agreement.party_list = _grouped(rows["agreement_parties"], model, "parties")[agreement.pk]
        agreement.mediator_list = _grouped(rows["agreement_mediators"], model, "mediators")[agreement.pk]
    events = rows["events"]
    settled = case.resolved_at and next(
        (e for e in events if e.action == "settle_on_spot" and e.at >= case.resolved_at), None)
    return CaseFile(
        parties=rows["parties"], attachments=rows["attachments"], team=rows["team"], events=events,
        sessions=_sessions(rows), agreement=agreement, referrals=rows["referrals"],
        follow_ups=rows["follow_ups"], settled_on_spot=settled,
    )


@dataclass
class Section:
    key: str
    cases: list
    more: bool = False  # more than the rows shown: the page says "10+" and links to the list

    @property
    def total(self) -> int:
        """How many the badge shows (with "+" when `more`): never a count over every case."""
        return len(self.cases)


def _first_ids_sql(parts: list[tuple[str, object]], limit: int) -> tuple[str, list]:
    """SQL of (key, case id) of the first `limit` + 1 rows of each part, in one query: each part
    (an ordered queryset, or a function giving the SQL and parameters of its ids) keeps its own
    index-friendly ORDER BY ... LIMIT in a derived table, joined by UNION ALL (SQLite refuses
    LIMIT directly in a compound statement, so Django's union() cannot). A part's key is written
    into the SQL (the sections' own names). EmptyResultSet when no part can match anything."""
    selects, params = [], []
    for number, (key, part) in enumerate(parts):
        if not key.isidentifier():
            raise ValueError(f"a work bench section's key is a plain name, not {key!r}")
        try:
            sql, part_params = part() if callable(part) else \
                part.values_list("id")[:limit + 1].query.sql_with_params()
        except EmptyResultSet:  # a filter that matches nothing (no grids, no grants)
            continue
        selects.append(f"SELECT '{key}' AS part, part{number}.id FROM ({sql}) part{number}")
        params += part_params
    if not selects:
        raise EmptyResultSet
    return " UNION ALL ".join(selects), params


def _sections(*, everywhere: bool, mediated: bool, triage: bool) -> list[str]:
    """The work bench's sections, in order: those of the cases I mediate and of those awaiting
    triage only for whoever has them."""
    return ["my_mediations"] * mediated + ["awaiting_triage"] * (everywhere or triage) + [
        "mine", "reported_by_me", "overdue", "recent"]


def _workbench_ids(*, user, now, grids=None, granted=None, mediated=None, triage=None):
    """The SQL of the work bench's first case ids per section (`_first_ids_sql`), from ids alone
    (grids None: every grid, an administrator's): compiled once per process (`_WORKBENCH_IDS`).
    The sections of all the user's grids (awaiting triage, overdue, recent) ask each grid for its
    first rows (`paging.first_ids`); those of the user's own cases follow the user's index."""
    everywhere = grids is None
    visible = Case.objects.all() if everywhere else permissions.visible_cases_in(grids, granted)
    limit = WORKBENCH_ROWS + 1

    def in_grids(queryset, grid_ids, extra_ids=()):
        if everywhere:
            return queryset
        return lambda: paging.first_ids(queryset, limit, grid_field="grid_id", grid_ids=grid_ids,
                                        extra_ids=extra_ids)

    parts = {
        "my_mediations": lambda: visible.open().filter(id__any=mediated).order_by("due_at", "id"),
        "awaiting_triage": lambda: in_grids(Case.objects.filter(state=State.REPORTED).order_by("due_at", "id"), triage),
        "mine": lambda: visible.open().filter(lead_handler=user).order_by("due_at", "id"),
        "reported_by_me": lambda: (visible.open().filter(created_by=user).exclude(lead_handler=user)
                                   .order_by("-reported_at", "-id")),
        "overdue": lambda: in_grids(Case.objects.overdue(now).order_by("due_at", "id"), grids, granted),
        "recent": lambda: in_grids(Case.objects.order_by("-updated_at", "-id"), grids, granted),
    }
    keys = _sections(everywhere=everywhere, mediated=mediated is not None, triage=triage is not None)
    return _first_ids_sql([(key, parts[key]()) for key in keys], WORKBENCH_ROWS)


_WORKBENCH_IDS = Compiled(Case, _workbench_ids)
_WORKBENCH_CASES = Compiled(Case, lambda ids: Case.objects.select_related(*LIST_RELATED).filter(pk__any=ids).order_by())


def workbench(user) -> list[Section]:
    """工作台: what awaits this user, each section its first rows (and whether there are more).
    Two queries whatever the number of sections and cases, each compiled once per process and
    run with this user's ids (grids/compiled.py): the ids of each section's first rows
    (`_workbench_ids`), then those cases."""
    scope = access.scope_of(user)
    grants = grants_of(user)  # {case id: roles} of the cases granted one by one
    args = {"user": user.pk, "now": timezone.now()}
    if not scope.everything:
        args.update(grids=scope.community_grid_ids, granted=list(grants))
        triage = scope.grids_where(*REGISTRY["triage"].roles)
        if triage:
            args["triage"] = triage
    mediated = [case_id for case_id, roles in grants.items() if Role.MEDIATOR in roles]
    if mediated:
        args["mediated"] = mediated
    ids = _WORKBENCH_IDS.rows(**args)
    cases = {case.pk: case for case in _WORKBENCH_CASES.objects(ids=list({case_id for _key, case_id in ids}))} \
        if ids else {}
    sections = []
    for key in _sections(everywhere=scope.everything, mediated=bool(mediated), triage="triage" in args):
        rows = [cases[case_id] for part, case_id in ids if part == key]
        sections.append(Section(key, rows[:WORKBENCH_ROWS], len(rows) > WORKBENCH_ROWS))
    return sections


# --- closing the loop ----------------------------------------------------------------------


def ledger(user):
    """重点疑难矛盾纠纷台账 of the grids the user leads: escalated / referred, major risk, overdue."""
    return permissions.led_cases(user).on_ledger().select_related(*LIST_RELATED)


@dataclass
class Dashboard:
    by_state: list          # [(state, label, count)]
    by_grid: list           # [(grid, count)]
    by_warning: list        # [(colour, label, count)] of open cases
    open_total: int
    resolved_this_month: int
    success_rate: float | None  # 化解率: resolved or closed / accepted this year (not withdrawn)
    overdue: int
    escalated_waiting: int
    late_calls: int
    settled_on_spot: int  # this year, by the handler on the spot
    month_start: object
    year_start: object
    by_grid_more: bool = False  # more grids have open cases than by_grid shows
    as_of: object = None  # when the period figures come from the statistics: their last refresh
    open_as_of: object = None  # when the open cases do too (the whole province's): the same

    @property
    def success_percent(self) -> int | None:
        return None if self.success_rate is None else round(self.success_rate * 100)


# Where the dashboard's figures come from when something keeps them: the statistics app
# registers its tables (stats/apps.py). A function (the places led — {"district_id": ids,
# "street_id": ids, "grid_id": ids}, any of which holds — or None for all, year start, month
# start, province_grids=n) -> {"reported", "accepted", "settled", "settled_on_spot",
# "resolved_this_month", "as_of"} and, for all, "open": the province's open cases {"overdue",
# "by_state", "by_warning", "by_grid" (its n grids with the most)}; None while it has nothing yet
# (the figures are then counted here, from the cases).
_kept = {"figures": None}


def keep_dashboard_figures_in(source) -> None:
    _kept["figures"] = source


def dashboard(user) -> Dashboard:
    """The leaders' figures for the grids they lead. Now (live, from the cases): the open cases
    (a small part of all) once for the states, colours and overdue, the grids with the most open
    cases (`DASHBOARD_GRIDS`), the late calls. The period — this month's resolutions, this year's
    cases, settled and settled on the spot — from the statistics rollups, as of their last refresh:
    counting a province's year from its cases reads a million rows; for the same reason the whole
    province's open cases (hundreds of thousands) come from the statistics' open cases per grid
    (`keep_dashboard_figures_in`). Six queries. (The open cases are counted by their grid, never
    empty: their index holds it and what the filters read, so the table itself is not read.)"""
    now = timezone.now()
    local = timezone.localtime(now)
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    year_start = month_start.replace(month=1)
    scope = access.scope_of(user)
    visible = permissions.led_cases(user)
    kept = _kept["figures"] and _kept["figures"](_led_places(scope), year_start.date(), month_start.date(),
                                                 province_grids=DASHBOARD_GRIDS + 1)
    period = kept or _period_figures(visible, year_start, month_start)
    now_figures = kept and kept.get("open") or _open_figures(visible.open(), now)
    grid_counts = now_figures["by_grid"]
    grids = access.visible_community_grids(user).select_related("community").in_bulk([g for g, _n in grid_counts])
    calls = permissions.visible_calls(user).late(now)
    by_state = [(s, State(s).label, now_figures["by_state"][s]) for s in OPEN_STATES]
    return Dashboard(
        by_state=by_state, by_grid=[(grids[g], n) for g, n in grid_counts[:DASHBOARD_GRIDS] if g in grids],
        by_grid_more=len(grid_counts) > DASHBOARD_GRIDS,
        by_warning=[(c, Warning(c).label, now_figures["by_warning"][c]) for c in Warning.values],
        open_total=sum(n for _s, _label, n in by_state), resolved_this_month=period["resolved_this_month"],
        success_rate=period["settled"] / period["accepted"] if period["accepted"] else None,
        overdue=now_figures["overdue"], escalated_waiting=now_figures["by_state"][State.ESCALATED],
        late_calls=calls.count(), settled_on_spot=period["settled_on_spot"],
        month_start=month_start, year_start=year_start, as_of=period["as_of"],
        open_as_of=period["as_of"] if kept and "open" in kept else None,
    )


def _led_places(scope) -> dict | None:
    """The places whose grids a leader leads, as coarse as they come (a district's year of
    rollups is read by its district, not by its hundreds of grid ids); None for everywhere."""
    if scope.everything:
        return None
    return {"district_id": scope.led_district_ids, "street_id": scope.led_street_ids,
            "grid_id": scope.grids_where(Role.STATION_LEADER, Role.BUREAU_LEADER)}


def _open_figures(open_cases, now) -> dict:
    """The dashboard's open-case figures counted from the cases (two queries)."""
    warnings = Warnings(now)
    totals = open_cases.aggregate(
        **{f"warning_{colour}": Count("grid", filter=warnings.q(colour)) for colour in Warning.values},
        **{f"state_{state}": Count("grid", filter=Q(state=state)) for state in OPEN_STATES},
        overdue=Count("grid", filter=Q(due_at__lt=now)),
    )
    by_grid = (open_cases.values("grid").annotate(n=Count("*")).order_by("-n", "grid_id")
               .values_list("grid", "n")[:DASHBOARD_GRIDS + 1])
    return {"overdue": totals["overdue"], "by_grid": list(by_grid),
            "by_state": {state: totals[f"state_{state}"] for state in OPEN_STATES},
            "by_warning": {colour: totals[f"warning_{colour}"] for colour in Warning.values}}


def _period_figures(visible, year_start, month_start) -> dict:
    """The dashboard's period figures counted from the cases (before the statistics have any),
    with the statistics' meaning (stats/facts.py): this year's cases, those accepted (not
    withdrawn), settled (resolved or closed) and settled on the spot (the step that resolved
    them last was 当场化解: an event at or after the resolution); this month's resolutions."""
    done = [State.RESOLVED, State.CLOSED]
    year = visible.filter(reported_at__gte=year_start).aggregate(
        reported=Count("id"), settled=Count("id", filter=Q(state__in=done)),
        withdrawn=Count("id", filter=Q(state=State.WITHDRAWN)),
        settled_on_spot=Count("id", filter=Q(state__in=done) & Exists(
            CaseEvent.objects.filter(action="settle_on_spot", case=OuterRef("pk"), at__gte=OuterRef("resolved_at")))))
    return {**year, "accepted": year["reported"] - year["withdrawn"], "as_of": None,
            "resolved_this_month": visible.filter(resolved_at__gte=month_start, state__in=done).count()}


def workbench_loop(user) -> dict:
    """What the closing loop puts on a work bench: referrals sent to me as a department contact,
    my tasks (督办, meeting decisions), calls I must answer, follow-up visits due on the grids
    where I may record them. Each its first rows and whether there are more (`<key>_more`), one
    query each, none for a list the user cannot have. Each query is built from ids alone
    (`_LOOP`), compiled once per process and run with this user's (grids/compiled.py)."""
    scope = access.scope_of(user)
    everywhere = scope.everything
    lists = {"tasks": _LOOP["tasks"].objects(assignee=user.pk)}
    answering = {} if everywhere else permissions.answering_grids(scope)
    if everywhere or any(answering.values()):  # no query for a user who answers on no grid
        lists["calls"] = _LOOP["calls"].objects(**answering)
    visiting = {} if everywhere else {"grids": scope.grids_where(*permissions.ACTIONS["follow_up"].roles)}
    if everywhere or visiting["grids"]:
        lists["follow_ups"] = _LOOP["follow_ups"].objects(**visiting)
    if permissions.has_open_referral_grant(user):  # a department contact: what was sent to me
        lists["referrals"] = _LOOP["referrals"].objects(contact=user.pk)
    if permissions.may_lead(user):  # handlers' referrals waiting for my approval
        lists["approvals"] = _LOOP["approvals"].objects(**({} if everywhere else {"led": permissions.led_grids(scope)}))
    loop = {}
    for key in ("approvals", "referrals", "tasks", "calls", "follow_ups"):
        rows = lists.get(key, [])
        loop[key], loop[f"{key}_more"] = rows[:WORKBENCH_ROWS], len(rows) > WORKBENCH_ROWS
    return loop


def _first(queryset):
    return queryset[:WORKBENCH_ROWS + 1]  # one more: whether there are more


def _approvals(led=None):
    """Referrals awaiting approval on the cases of the grids `led` (all for None), only while
    the case is open: a leader can no longer decide on a case that ended."""
    referrals = Referral.objects.filter(status=ReferralStatus.AWAITING, case__state__in=OPEN_STATES)
    if led is not None:
        referrals = referrals.filter(case__grid_id__any=led)
    return _first(referrals.select_related("case", "department", "sent_by").order_by("sent_at", "id"))


def _referrals(contact):
    """Referrals sent to the department contact `contact`, on open cases only: a contact's grant
    ends with the case (cases/loop.py _end_department_grant)."""
    return _first(Referral.objects.filter(contact_id=contact, status__in=(ReferralStatus.SENT, ReferralStatus.RECEIVED),
                                          case__state__in=OPEN_STATES)
                  .select_related("case", "department", "sent_by").order_by("deadline", "id"))


def _tasks(assignee):
    return _first(Task.objects.filter(assignee_id=assignee, done_at__isnull=True)
                  .select_related("case", "issued_by").order_by("deadline", "id"))


def _calls(**grids):
    """The calls to answer on the grids `permissions.answering_grids` gives (every open call for
    none: an administrator)."""
    return _first(permissions.calls_to_answer_on(**grids).select_related("grid__community", "caller", "case")
                  .order_by("respond_by", "id"))


def _follow_ups(grids=None):
    """The visits due of the cases first due one on the grids `grids` (every grid for None), each
    grid asked for its first (paging.first_ids) from the case index alone (Case.follow_up_due):
    not every resolved case's visits read."""
    follow_ups = FollowUp.objects.filter(done_at__isnull=True, case__state=State.RESOLVED).select_related("case")
    if grids is not None:
        awaiting = Case.objects.filter(state=State.RESOLVED, follow_up_due__isnull=False)
        try:
            follow_ups = follow_ups.filter(case_id__in=RawSQL(*paging.first_ids(
                awaiting.order_by("follow_up_due", "id"), WORKBENCH_ROWS + 1, grid_field="grid_id", grid_ids=grids)))
        except EmptyResultSet:  # no grid
            return follow_ups.none()
    return _first(follow_ups.order_by("due_on", "id"))


_LOOP = {"approvals": Compiled(Referral, _approvals), "referrals": Compiled(Referral, _referrals),
         "tasks": Compiled(Task, _tasks), "calls": Compiled(Call, _calls), "follow_ups": Compiled(FollowUp, _follow_ups)}
