"""Services of the closing loop (闭环): referrals to departments, two-way calls, supervision and
meeting tasks, joint meetings and follow-up visits. One function per write, each in one
transaction, each on the case timeline; each asks cases/permissions.py before it writes.
(The referral itself and the follow-up visit are created by the refer / resolve transitions:
their side effects in cases/transitions.py.)"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.selectors import leaders_over_grid

from . import grants, notices, permissions
from .choices import EventKind, EventReason, MeetingKind, NoticeKind, ReferralStatus, Risk, State, TaskKind
from .errors import WorkflowError
from .models import Call, Case, FollowUp, Meeting, MeetingItem, Referral, Task
from .selectors import supervision_candidates
from .timeline import record_event
from .transitions import hand_to_department, open_referral
from .workflow import run_transition

# --- referrals -----------------------------------------------------------------------------


def needs_approval(*, case: Case, department, actor) -> bool:
    """Whether a handler's direct referral waits for a leader's approval: a serious-risk case,
    or a department whose referrals need one (Department.needs_approval). Leaders' own
    referrals never wait (cases/permissions.py `refers_without_approval`). (A major-risk case
    is not referred directly at all: it is escalated.)"""
    if permissions.refers_without_approval(actor, case):
        return False
    return case.risk == Risk.SERIOUS or department.needs_approval


def _end_department_grant(referral) -> None:
    """A department contact reads the case while a referral of theirs on it is open and the
    case is open. The grant ends with whichever comes first: the contact's last open referral
    on the case is closed (handled or returned, here), or the case is closed or withdrawn
    (cases/transitions.py `end_with_the_case`, which also ends every referral still awaiting a
    leader's approval as not approved, "the case ended", so it leaves the leaders' work bench).
    A referral still open when its case ends stays open: the leaders (or, for a department
    without an account, its sender) may still record the answer; the contact no longer opens
    the case."""
    if referral.contact_id is None:
        return
    still_open = Referral.objects.filter(
        case_id=referral.case_id, contact_id=referral.contact_id,
        status__in=[ReferralStatus.SENT, ReferralStatus.RECEIVED]).exists()
    if not still_open:
        grants.revoke(user=referral.contact, case=referral.case, reason=grants.DEPARTMENT)


def _referral_event(referral, actor, note=""):
    record_event(case=referral.case, actor=actor, kind=EventKind.REFERRAL, note=note,
                 data={"department": referral.department.name, "status": referral.status})


@transaction.atomic
def send_referral(*, case: Case, actor, department, deadline, request: str, contact=None) -> Referral:
    """转办 without escalating: the handler asks a department to do its part (a repair, a
    certificate) while the case stays with them, in its state. A major-risk case goes up the
    escalation path instead: the station and street leaders decide what to send where."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not permissions.can(actor, "send_referral", case):
        raise PermissionDenied
    if case.risk == Risk.MAJOR and not permissions.refers_without_approval(actor, case):
        raise WorkflowError(_("A major-risk case is referred by the station or street leaders: "
                              "escalate it, and they will refer it."))
    waits = needs_approval(case=case, department=department, actor=actor)
    referral = open_referral(
        case=case, actor=actor, notify=notices.notify,
        status=ReferralStatus.AWAITING if waits else ReferralStatus.SENT,
        referral={"department": department, "deadline": deadline, "request": request, "contact": contact})
    _referral_event(referral, actor, note=request)
    if waits:
        notices.notify(recipients=leaders_over_grid(case.grid_id, street=True), kind=NoticeKind.APPROVAL,
                       case=case, key=f"approve:{referral.pk}", text=f"{department.name}：{request}")
    return referral


def _awaiting(referral, actor) -> Referral:
    # Lock the referral row only: PostgreSQL cannot lock the nullable side of the contact join.
    referral = (Referral.objects.select_for_update(of=("self",))
                .select_related("case", "department", "contact", "sent_by").get(pk=referral.pk))
    if not permissions.can(actor, "approve_referral", referral.case):
        raise PermissionDenied
    if referral.status != ReferralStatus.AWAITING:
        raise WorkflowError(_("This referral was already decided."))
    return referral


@transaction.atomic
def approve_referral(*, referral: Referral, actor, note: str = "") -> Referral:
    """A leader approves a handler's referral: it goes to the department now."""
    referral = _awaiting(referral, actor)
    referral.status, referral.decision_note = ReferralStatus.SENT, note.strip()
    referral.save(update_fields=["status", "decision_note"])
    hand_to_department(referral, notify=notices.notify)
    _referral_event(referral, actor, note=note)
    notices.notify(recipients=[referral.sent_by], kind=NoticeKind.APPROVAL, case=referral.case,
                   key=f"approved:{referral.pk}", text=note)
    return referral


@transaction.atomic
def decline_referral(*, referral: Referral, actor, note: str) -> Referral:
    """A leader does not approve a handler's referral, and says why; the department never
    receives it."""
    referral = _awaiting(referral, actor)
    if not note.strip():
        raise WorkflowError(_("Say why the referral is not approved."))
    referral.status, referral.closed_at = ReferralStatus.DECLINED, timezone.now()
    referral.decision_note = note.strip()
    referral.save(update_fields=["status", "closed_at", "decision_note"])
    _referral_event(referral, actor, note=note)
    notices.notify(recipients=[referral.sent_by], kind=NoticeKind.APPROVAL, case=referral.case,
                   key=f"declined:{referral.pk}", text=note)
    return referral


@transaction.atomic
def receive_referral(*, referral: Referral, actor) -> Referral:
    """The department signs for the referral (签收)."""
    referral = Referral.objects.select_for_update().select_related("case", "department").get(pk=referral.pk)
    if not permissions.may_update_referral(actor, referral):
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
    if not permissions.may_update_referral(actor, referral):
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
    _end_department_grant(referral)
    return referral


# --- two-way calls -------------------------------------------------------------------------


@transaction.atomic
def place_call(*, actor, grid, message: str, case: Case | None = None) -> Call:
    """网格有呼 / 民警有呼: ask the other side for help, with a response deadline."""
    direction = permissions.call_direction(actor, grid.pk)
    if direction is None:
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
    notices.notify(recipients=notices.answerers_of(call), kind=NoticeKind.CALL, call=call, case=case,
                   key=f"call:{call.pk}", text=message)
    return call


@transaction.atomic
def answer_call(*, call: Call, actor, answer: str) -> Call:
    call = Call.objects.select_for_update().get(pk=call.pk)
    if not permissions.may_answer(actor, call):
        raise PermissionDenied
    if call.answered_at:
        raise WorkflowError(_("This call was already answered."))
    if not answer.strip():
        raise WorkflowError(_("Say how the call was answered."))
    call.answered_at, call.answered_by, call.answer = timezone.now(), actor, answer
    call.save(update_fields=["answered_at", "answered_by", "answer"])
    if call.case_id:
        record_event(case=call.case, actor=actor, kind=EventKind.CALL_ANSWERED, note=answer,
                     data={"direction": call.direction, "response_minutes": call.response_minutes})
    notices.call_answered(call)
    return call


# --- tasks: supervision instructions and meeting decisions ---------------------------------


def _check_assignee(assignee, case) -> None:
    """Work goes only to someone who can open the case (else it could never be done)."""
    if not permissions.can(assignee, "view", case):
        raise WorkflowError(_("%(name)s cannot open this case: assign the work to someone who can.")
                            % {"name": assignee.get_full_name() or assignee.get_username()})


@transaction.atomic
def issue_supervision(*, case: Case, actor, text: str, deadline, assignee=None) -> Task:
    """督办: a leader's instruction with a deadline, on the handler's work bench."""
    if not permissions.can(actor, "supervise", case):
        raise PermissionDenied
    assignee = assignee or case.lead_handler
    if assignee is None:
        raise WorkflowError(_("The case has no lead handler yet: choose who is to act."))
    _check_assignee(assignee, case)
    if assignee.pk not in {user.pk for user, _label in supervision_candidates(case)}:
        raise WorkflowError(_("%(name)s is not on this case: a supervision instruction goes to its lead handler, "
                              "its joint team or the people of its grid.")
                            % {"name": assignee.get_full_name() or assignee.get_username()})
    task = Task.objects.create(case=case, kind=TaskKind.SUPERVISION, text=text, deadline=deadline,
                               assignee=assignee, issued_by=actor)
    notices.notify(recipients=[assignee], kind=NoticeKind.TASK, case=case, key=f"task:{task.pk}", text=text)
    record_event(case=case, actor=actor, kind=EventKind.SUPERVISION, note=text,
                 data={"assignee": assignee, "deadline": deadline})
    return task


@transaction.atomic
def complete_task(*, task: Task, actor, note: str) -> Task:
    task = Task.objects.select_for_update().select_related("case").get(pk=task.pk)
    if actor != task.assignee and not permissions.can(actor, "supervise", task.case):
        raise PermissionDenied
    if task.done_at:
        raise WorkflowError(_("This task is already done."))
    if not note.strip():
        raise WorkflowError(_("Say what was done."))
    task.done_at, task.done_note = timezone.now(), note
    task.save(update_fields=["done_at", "done_note"])
    record_event(case=task.case, actor=actor, kind=EventKind.TASK_DONE, note=note,
                 data={"task_kind": task.kind})
    return task


# --- the ledger and joint meetings ---------------------------------------------------------


@transaction.atomic
def create_meeting(*, actor, street=None, district=None, station=None, held_on, place: str, attendees: str,
                   cases=None) -> Meeting:
    """A joint meeting of a street or of a district's centre; its agenda is that place's ledger
    as the actor sees it, or the items of it the leaders chose (`cases`: whatever is not on
    that ledger is left out)."""
    if (street is None) == (district is None):
        raise ValueError("a joint meeting is a street's or a district's")
    if not (permissions.may_run_meetings(actor, street) if street else
            permissions.may_run_district_meetings(actor, district)):
        raise PermissionDenied
    meeting = Meeting.objects.create(street=street, district=district, station=station, held_on=held_on,
                                     place=place, attendees=attendees, created_by=actor)
    now = timezone.now()
    chosen = cases
    where = {"grid__community__street": street} if street else {"grid__community__street__district": district}
    cases = permissions.led_cases(actor).on_ledger(now).filter(**where).order_by("due_at", "id")
    if chosen is not None:
        cases = cases.filter(pk__in=[case.pk for case in chosen])
    MeetingItem.objects.bulk_create([
        MeetingItem(meeting=meeting, case=case, why=case.ledger_reason_labels(now)[:100]) for case in cases
    ])
    return meeting


@transaction.atomic
def call_coordination_meeting(*, actor, case: Case, others=(), held_on, place: str, attendees: str) -> Meeting:
    """协调会: a handler calls a meeting on one dispute (and at most two more open cases of the
    same grid) with the people concerned who have no account (residents' representatives, the
    tenant, the owner unit), one per line in `attendees`. Its agenda is exactly these cases."""
    cases = [case, *[other for other in others if other.pk != case.pk]]
    if len(cases) > 1 + MAX_OTHER_CASES:
        raise WorkflowError(_("A coordination meeting takes at most %(n)s more cases.") % {"n": MAX_OTHER_CASES})
    for each in cases:
        if each.grid_id != case.grid_id or not permissions.can(actor, "call_meeting", each):
            raise PermissionDenied
    if not attendees.strip():
        raise WorkflowError(_("Name the participants."))
    street = case.grid.community.street
    meeting = Meeting.objects.create(kind=MeetingKind.COORDINATION, street=street, held_on=held_on,
                                     place=place, attendees=attendees, created_by=actor)
    why = _("Called by %(name)s") % {"name": actor.get_full_name() or actor.get_username()}
    MeetingItem.objects.bulk_create([MeetingItem(meeting=meeting, case=each, why=why[:100]) for each in cases])
    return meeting


MAX_OTHER_CASES = 2


@transaction.atomic
def drop_meeting_item(*, item: MeetingItem, actor) -> Meeting:
    """Take a case off a meeting's agenda before anything is decided on it; the meeting's history
    keeps who took which case off, and when. A coordination meeting keeps at least one case."""
    item = MeetingItem.objects.select_for_update().select_related("case", "meeting").get(pk=item.pk)
    meeting = item.meeting
    if not permissions.may_run_meeting(actor, meeting):
        raise PermissionDenied
    if item.decided_at is not None:
        raise WorkflowError(_("The meeting has decided on this case: it stays on the agenda."))
    if meeting.kind == MeetingKind.COORDINATION and meeting.items.count() == 1:
        raise WorkflowError(_("A coordination meeting keeps at least one case."))
    item.delete()
    meeting._history_user = actor
    meeting._change_reason = _("Taken off the agenda: %(number)s") % {"number": item.case.number}
    meeting.save()
    return meeting


@transaction.atomic
def save_minutes(*, meeting: Meeting, actor, minutes: str) -> Meeting:
    """The meeting's minutes; each version is kept in the meeting's history (who, when)."""
    if not permissions.may_run_meeting(actor, meeting):
        raise PermissionDenied
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    meeting.minutes = minutes
    meeting._history_user = actor
    meeting.save(update_fields=["minutes"])
    return meeting


@transaction.atomic
def record_decision(*, item: MeetingItem, actor, decision: str, assignee=None, deadline=None) -> MeetingItem:
    """The meeting's decision on one case: on the case timeline, and a task if it assigns work."""
    item = MeetingItem.objects.select_for_update().select_related("case", "meeting").get(pk=item.pk)
    if not permissions.can(actor, permissions.decision_action(item.meeting), item.case):
        raise PermissionDenied
    if not decision.strip():
        raise WorkflowError(_("Write down the decision."))
    item.decision, item.decided_at = decision, timezone.now()
    item.save(update_fields=["decision", "decided_at"])
    data = {"meeting": timezone.localdate(item.meeting.held_on), "meeting_kind": item.meeting.kind}
    if assignee is not None:
        if deadline is None:
            raise WorkflowError(_("Give a deadline for the assigned work."))
        _check_assignee(assignee, item.case)
        task = Task.objects.create(case=item.case, kind=TaskKind.MEETING, text=decision, deadline=deadline,
                                   assignee=assignee, issued_by=actor, meeting_item=item)
        notices.notify(recipients=[assignee], kind=NoticeKind.TASK, case=item.case, key=f"task:{task.pk}",
                       text=decision)
        data.update({"assignee": assignee, "deadline": deadline})
    record_event(case=item.case, actor=actor, kind=EventKind.MEETING_DECISION, note=decision, data=data)
    return item


# --- follow-up visits ----------------------------------------------------------------------


def keep_follow_up_due(cases) -> int:
    """Write `Case.follow_up_due` (the earliest visit not yet made) of `cases` (a queryset) from
    their follow-up visits, in one UPDATE. Called whenever a visit is saved or deleted, however
    (the signal in cases/apps.py), and by bench/generate.py after its COPY; returns the rows."""
    first_due = (FollowUp.objects.filter(case=OuterRef("pk"), done_at__isnull=True)
                 .order_by("due_on").values("due_on")[:1])
    return cases.update(follow_up_due=Subquery(first_due))


def on_follow_up_saved_or_deleted(sender, instance, **kwargs) -> None:
    keep_follow_up_due(Case.objects.filter(pk=instance.case_id))


@transaction.atomic
def record_follow_up(*, follow_up: FollowUp, actor, fulfilled: bool, satisfaction: str, note: str) -> FollowUp:
    """回访: was the agreement kept, and are the parties satisfied? A broken agreement reopens
    the case for mediation; a kept one lets it close."""
    follow_up = FollowUp.objects.select_for_update().select_related("case").get(pk=follow_up.pk)
    case = follow_up.case
    if not permissions.can(actor, "follow_up", case):
        raise PermissionDenied
    if follow_up.done_at:
        raise WorkflowError(_("This follow-up visit is already recorded."))
    if case.state != State.RESOLVED:
        raise WorkflowError(_("Follow-up visits are recorded on resolved cases."))
    follow_up.done_at, follow_up.done_by = timezone.now(), actor
    follow_up.fulfilled, follow_up.satisfaction, follow_up.note = fulfilled, satisfaction, note
    follow_up.save(update_fields=["done_at", "done_by", "fulfilled", "satisfaction", "note"])
    record_event(case=case, actor=actor, kind=EventKind.FOLLOW_UP, note=note,
                 data={"fulfilled": fulfilled, "satisfaction": satisfaction})
    if not fulfilled:
        run_transition(case_id=case.pk, action="reopen", actor=actor, version=case.version,
                       note=note, reason=EventReason.AGREEMENT_BROKEN)
    return follow_up
