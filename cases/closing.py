"""Closing the loop (闭环): referrals to departments, two-way calls, supervision and meeting
tasks, joint meetings and follow-up visits. One function per write, each in one transaction,
each on the case timeline; access asked of grids.access like every other write."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from grids import access
from grids.roles import POLICE, Role

from .choices import OPEN_STATES, CallDirection, EventKind, ReferralStatus, Risk, State, TaskKind
from .models import Call, Case, FollowUp, Meeting, MeetingItem, Referral, Task
from .workflow import WorkflowError, record_event, run_transition

# --- referrals -----------------------------------------------------------------------------


def create_referral(*, case: Case, actor, department, deadline, request, contact=None) -> Referral:
    """Called by run_transition("refer") inside its transaction: the referral itself, and the
    department contact's access to this one case."""
    referral = Referral.objects.create(case=case, department=department, deadline=deadline,
                                       request=request, contact=contact, sent_by=actor)
    if contact is not None:
        assign_perm("cases.view_case", contact, case)
        access.forget(contact)
    return referral


def _referral_event(referral, actor, note=""):
    record_event(case=referral.case, actor=actor, kind=EventKind.REFERRAL, note=note,
                 data={"department": referral.department.name, "status": referral.status})


@transaction.atomic
def receive_referral(*, referral: Referral, actor) -> Referral:
    """The department signs for the referral (签收)."""
    referral = Referral.objects.select_for_update().select_related("case", "department").get(pk=referral.pk)
    if not access.can(actor, "update_referral", referral.case):
        raise PermissionDenied
    if referral.status != ReferralStatus.SENT:
        raise WorkflowError(_("This referral was already signed for."))
    referral.status, referral.received_at = ReferralStatus.RECEIVED, timezone.now()
    referral.save(update_fields=["status", "received_at"])
    _referral_event(referral, actor)
    return referral


@transaction.atomic
def close_referral(*, referral: Referral, actor, status: str, feedback: str) -> Referral:
    """The department reports back: handled (办结) or returned (退回), with its feedback."""
    referral = Referral.objects.select_for_update().select_related("case", "department").get(pk=referral.pk)
    if not access.can(actor, "update_referral", referral.case):
        raise PermissionDenied
    if status not in (ReferralStatus.HANDLED, ReferralStatus.RETURNED):
        raise ValueError(status)
    if referral.status in (ReferralStatus.HANDLED, ReferralStatus.RETURNED):
        raise WorkflowError(_("This referral is already closed."))
    if not feedback.strip():
        raise WorkflowError(_("Give the department's feedback."))
    referral.status, referral.feedback, referral.closed_at = status, feedback, timezone.now()
    referral.received_at = referral.received_at or referral.closed_at
    referral.save(update_fields=["status", "feedback", "closed_at", "received_at"])
    _referral_event(referral, actor, feedback)
    return referral


# --- two-way calls -------------------------------------------------------------------------


def call_direction_for(user) -> str | None:
    """Grid workers call the police; police call the grid forces. Others do not place calls."""
    if access.has_role(user, Role.WORKER):
        return CallDirection.GRID_TO_POLICE
    if access.has_role(user, *POLICE):
        return CallDirection.POLICE_TO_GRID
    return None


@transaction.atomic
def place_call(*, actor, grid, message: str, case: Case | None = None) -> Call:
    """网格有呼 / 民警有呼: ask the other side for help, with a response deadline."""
    direction = call_direction_for(actor)
    if direction is None or not access.in_scope(actor, grid.pk):
        raise PermissionDenied
    if case is not None and case.grid_id != grid.pk:
        raise ValueError("the case is on another grid")
    now = timezone.now()
    call = Call.objects.create(
        direction=direction, grid=grid, case=case, message=message, caller=actor, created_at=now,
        respond_by=now + timedelta(minutes=settings.FENGQIAO_CALL_RESPONSE_MINUTES),
    )
    if case is not None:
        record_event(case=case, actor=actor, kind=EventKind.CALL, note=message,
                     data={"direction": direction})
    return call


# Who answers each kind of call (besides the leaders of its grid).
ANSWERED_BY = {CallDirection.GRID_TO_POLICE: POLICE, CallDirection.POLICE_TO_GRID: {Role.WORKER}}


def late_calls(now=None) -> Q:
    """Calls not answered by their deadline: still open past it, or answered after it."""
    now = now or timezone.now()
    return Q(answered_at__isnull=True, respond_by__lt=now) | Q(answered_at__gt=F("respond_by"))


def may_answer(user, call: Call) -> bool:
    """The other side of the call, in its grid (leaders of the grid may answer too)."""
    if not access.in_scope(user, call.grid_id):
        return False
    return access.has_role(user, *access.LEAD) or access.has_role(user, *ANSWERED_BY[call.direction])


@transaction.atomic
def answer_call(*, call: Call, actor, answer: str) -> Call:
    call = Call.objects.select_for_update().get(pk=call.pk)
    if not may_answer(actor, call):
        raise PermissionDenied
    if call.answered_at:
        raise WorkflowError(_("This call was already answered."))
    if not answer.strip():
        raise WorkflowError(_("Say how the call was answered."))
    call.answered_at, call.answered_by, call.answer = timezone.now(), actor, answer
    call.save(update_fields=["answered_at", "answered_by", "answer"])
    if call.case_id:
        record_event(case=call.case, actor=actor, kind=EventKind.CALL, note=answer,
                     data={"direction": call.direction})
    return call


def calls_to_answer(user):
    """Open calls this user is expected to answer (a fixed number of queries)."""
    scope = access.scope_of(user)
    calls = Call.objects.filter(answered_at__isnull=True)
    if not scope.everything:
        calls = calls.filter(grid_id__in=scope.community_grid_ids)
    if access.has_role(user, *access.LEAD):
        return calls
    return calls.filter(direction__in=[d for d, roles in ANSWERED_BY.items() if access.has_role(user, *roles)])


# --- tasks: supervision instructions and meeting decisions ---------------------------------


@transaction.atomic
def issue_supervision(*, case: Case, actor, text: str, deadline, assignee=None) -> Task:
    """督办: a leader's instruction with a deadline, on the handler's work bench."""
    if not access.can(actor, "supervise", case):
        raise PermissionDenied
    assignee = assignee or case.lead_handler
    if assignee is None:
        raise WorkflowError(_("The case has no lead handler yet: choose who is to act."))
    task = Task.objects.create(case=case, kind=TaskKind.SUPERVISION, text=text, deadline=deadline,
                               assignee=assignee, issued_by=actor)
    record_event(case=case, actor=actor, kind=EventKind.SUPERVISION, note=text, data={
        "assignee": assignee.get_full_name() or assignee.username, "deadline": deadline.isoformat()})
    return task


@transaction.atomic
def complete_task(*, task: Task, actor, note: str) -> Task:
    task = Task.objects.select_for_update().select_related("case").get(pk=task.pk)
    if actor != task.assignee and not access.can(actor, "supervise", task.case):
        raise PermissionDenied
    if task.done_at:
        raise WorkflowError(_("This task is already done."))
    if not note.strip():
        raise WorkflowError(_("Say what was done."))
    task.done_at, task.done_note = timezone.now(), note
    task.save(update_fields=["done_at", "done_note"])
    record_event(case=task.case, actor=actor, kind=EventKind.SUPERVISION, note=note,
                 data={"done": task.get_kind_display()})
    return task


# --- the ledger and joint meetings ---------------------------------------------------------


def ledger_filter(now=None):
    """重点疑难矛盾纠纷台账: escalated or referred, or open and of major risk, or open and overdue."""
    now = now or timezone.now()
    return (Q(state__in=[State.ESCALATED, State.REFERRED])
            | Q(state__in=OPEN_STATES, risk=Risk.MAJOR)
            | Q(state__in=OPEN_STATES, due_at__lt=now))


def why_on_ledger(case, now=None) -> str:
    now = now or timezone.now()
    reasons = []
    if case.state in (State.ESCALATED, State.REFERRED):
        reasons.append(str(case.get_state_display()))
    if case.risk == Risk.MAJOR:
        reasons.append(_("Major risk"))
    if case.due_at and case.due_at < now:
        reasons.append(_("Overdue"))
    return "、".join(reasons)


@transaction.atomic
def create_meeting(*, actor, street, station=None, held_on, place: str, attendees: str) -> Meeting:
    """A joint meeting; its agenda is prefilled with the street's ledger as the actor sees it."""
    scope = access.scope_of(actor)
    if not access.has_role(actor, *access.LEDGER_ROLES) or not (
            scope.everything or street.pk in scope.street_ids):
        raise PermissionDenied
    meeting = Meeting.objects.create(street=street, station=station, held_on=held_on, place=place,
                                     attendees=attendees, created_by=actor)
    now = timezone.now()
    cases = (access.visible_cases(actor).filter(ledger_filter(now), grid__community__street=street)
             .order_by("due_at", "id"))
    MeetingItem.objects.bulk_create([
        MeetingItem(meeting=meeting, case=case, why=why_on_ledger(case, now)[:100]) for case in cases
    ])
    return meeting


@transaction.atomic
def record_decision(*, item: MeetingItem, actor, decision: str, assignee=None, deadline=None) -> MeetingItem:
    """The meeting's decision on one case: on the case timeline, and a task if it assigns work."""
    item = MeetingItem.objects.select_for_update().select_related("case", "meeting").get(pk=item.pk)
    if not access.can(actor, "supervise", item.case):
        raise PermissionDenied
    if not decision.strip():
        raise WorkflowError(_("Write down the decision."))
    item.decision, item.decided_at = decision, timezone.now()
    item.save(update_fields=["decision", "decided_at"])
    data = {"meeting": timezone.localtime(item.meeting.held_on).strftime("%Y-%m-%d")}
    if assignee is not None:
        if deadline is None:
            raise WorkflowError(_("Give a deadline for the assigned work."))
        Task.objects.create(case=item.case, kind=TaskKind.MEETING, text=decision, deadline=deadline,
                            assignee=assignee, issued_by=actor, meeting_item=item)
        data.update({"assignee": assignee.get_full_name() or assignee.username,
                     "deadline": deadline.isoformat()})
    record_event(case=item.case, actor=actor, kind=EventKind.MEETING_DECISION, note=decision, data=data)
    return item


# --- follow-up visits ----------------------------------------------------------------------


def schedule_follow_up(*, case: Case) -> FollowUp:
    """Called by run_transition("resolve"): a follow-up visit N days later (default 7)."""
    resolved_on = timezone.localdate(case.resolved_at or timezone.now())
    return FollowUp.objects.create(
        case=case, due_on=resolved_on + timedelta(days=settings.FENGQIAO_FOLLOW_UP_DAYS))


@transaction.atomic
def record_follow_up(*, follow_up: FollowUp, actor, fulfilled: bool, satisfaction: str, note: str) -> FollowUp:
    """回访: was the agreement kept, and are the parties satisfied? A broken agreement reopens
    the case for mediation; a kept one lets it close."""
    follow_up = FollowUp.objects.select_for_update().select_related("case").get(pk=follow_up.pk)
    case = follow_up.case
    if not access.can(actor, "follow_up", case):
        raise PermissionDenied
    if follow_up.done_at:
        raise WorkflowError(_("This follow-up visit is already recorded."))
    if case.state != State.RESOLVED:
        raise WorkflowError(_("Follow-up visits are recorded on resolved cases."))
    follow_up.done_at, follow_up.done_by = timezone.now(), actor
    follow_up.fulfilled, follow_up.satisfaction, follow_up.note = fulfilled, satisfaction, note
    follow_up.save(update_fields=["done_at", "done_by", "fulfilled", "satisfaction", "note"])
    record_event(case=case, actor=actor, kind=EventKind.FOLLOW_UP, note=note,
                 data={"fulfilled": "yes" if fulfilled else "no", "satisfaction": satisfaction})
    if not fulfilled:
        run_transition(case_id=case.pk, action="reopen", actor=actor, version=case.version,
                       note=_("Follow-up visit: the agreement was not kept. %(note)s") % {"note": note})
    return follow_up
