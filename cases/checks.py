"""The periodic checks (run by the task worker every few minutes, see cases/tasks.py):
deadlines near and passed (cases, 督办 and meeting tasks, referrals), follow-up visits due,
calls unanswered past their deadline, cases overdue past the margin.

Each is idempotent — a notice, an escalation or an automatic 督办 is made once however often
the check runs, on one worker or two (the notice's unique key, the call's claimed row, the
task's unique automatic key) — and each selects only the rows that still need it: a row
already reminded is excluded in SQL (`~Exists` of its notice), so a run costs the same
number of queries however many cases, tasks or referrals it has already dealt with."""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from grids.selectors import leaders_over_grid, people_on_police_grids

from . import notices
from .choices import OPEN_STATES, EventKind, EventReason, NoticeKind, ReferralStatus, State, TaskKind
from .due import add_working_days
from .models import Call, Case, CheckMark, FollowUp, Referral, Task, WarningSettings
from .timeline import record_event

SYSTEM_USERNAME = "system"


def system_user():
    """The account automatic steps are recorded under on the timeline (no password)."""
    user, _created = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"first_name": "系统", "is_active": False, "password": "!"})
    return user


def _stamp(value) -> str:
    return value.strftime("%Y%m%d%H%M")


def _noticed_since(prefix, since):
    """The check marked the outer case done under a key that starts with `prefix` + its id, at
    or after the outer row's `since` expression: that deadline has been dealt with (a later due
    date gets its own reminder)."""
    return Exists(CheckMark.objects.filter(
        at__gte=since,
        key__startswith=Concat(Value(prefix), Cast(OuterRef("pk"), CharField()), Value(":"),
                               output_field=CharField())))


def _noticed_key(prefix):
    """The check marked the outer row done under `prefix` + its id."""
    return Exists(CheckMark.objects.filter(
        key=Concat(Value(prefix), Cast(OuterRef("pk"), CharField()), output_field=CharField())))


def _done(key: str) -> None:
    """Mark one item of a check done, whether or not anybody could be told (an inactive handler,
    a grid with no police yet): the next run does not look at it again. Two workers marking the
    same item at once is fine (the key is unique)."""
    CheckMark.objects.bulk_create([CheckMark(key=key[:120])], ignore_conflicts=True)


def _handlers_of(case) -> list:
    """Who is told about a case's deadline: its lead handler, or, before triage gave it one,
    the police covering its grid (they triage it)."""
    if case.lead_handler_id:
        return [case.lead_handler]
    police_grids = case.grid.police_links.values_list("police_grid_id", flat=True)
    return [u for users in people_on_police_grids(list(police_grids)).values() for u in users]


def deadlines(now) -> int:
    """Tell a case's handlers once that its deadline is near, and once that it has passed; a
    passed deadline also puts the case on its leaders' ledger, and they are told."""
    hours = timedelta(hours=WarningSettings.current().notice_hours_before_due)
    sent = 0
    open_cases = Case.objects.open().filter(due_at__isnull=False).select_related("lead_handler", "grid")
    near = open_cases.filter(due_at__gt=now, due_at__lte=now + hours).exclude(
        _noticed_since("due-near:", OuterRef("due_at") - hours))
    for case in near:
        key = f"due-near:{case.pk}:{_stamp(case.due_at)}"
        sent += notices.notify(recipients=_handlers_of(case), kind=NoticeKind.DEADLINE_NEAR, case=case, key=key)
        _done(key)
    passed = open_cases.filter(due_at__lte=now).exclude(
        _noticed_since("due-passed:", OuterRef("due_at")))
    for case in passed:
        key = f"due-passed:{case.pk}:{_stamp(case.due_at)}"
        sent += notices.notify(recipients=_handlers_of(case), kind=NoticeKind.DEADLINE_PASSED, case=case, key=key)
        notices.notify(recipients=leaders_over_grid(case.grid_id, street=True), kind=NoticeKind.LEDGER,
                       case=case, key=f"ledger:{case.pk}:{_stamp(case.due_at)}")
        _done(key)
    return sent


def task_deadlines(now) -> int:
    """督办 and meeting decisions: the assignee is told the day before the deadline (unless the
    task came that same day: its own notice is fresh) and once it has passed."""
    today, sent = timezone.localdate(now), 0
    start_of_today = timezone.make_aware(datetime.combine(today, time.min))
    open_tasks = Task.objects.filter(done_at__isnull=True).select_related("case", "assignee")
    near = open_tasks.filter(deadline=today + timedelta(days=1), issued_at__lt=start_of_today)
    for task in near.exclude(_noticed_key("task-near:")):
        sent += notices.notify(recipients=[task.assignee], kind=NoticeKind.DEADLINE_NEAR, case=task.case,
                               key=f"task-near:{task.pk}", text=task.text)
        _done(f"task-near:{task.pk}")
    for task in open_tasks.filter(deadline__lt=today).exclude(_noticed_key("task-late:")):
        sent += notices.notify(recipients=[task.assignee], kind=NoticeKind.DEADLINE_PASSED, case=task.case,
                               key=f"task-late:{task.pk}", text=task.text)
        _done(f"task-late:{task.pk}")
    return sent


def referral_deadlines(now) -> int:
    """A referral still open past its deadline: the department's contact and whoever sent it
    are told once."""
    sent = 0
    # A case that ended (closed, withdrawn) took its department's access with it: no reminders.
    late = (Referral.objects.filter(status__in=[ReferralStatus.SENT, ReferralStatus.RECEIVED],
                                    deadline__lt=timezone.localdate(now), case__state__in=OPEN_STATES)
            .exclude(_noticed_key("referral-late:")).select_related("case", "contact", "sent_by", "department"))
    for referral in late:
        sent += notices.notify(recipients=[referral.contact, referral.sent_by], kind=NoticeKind.DEADLINE_PASSED,
                               case=referral.case, key=f"referral-late:{referral.pk}",
                               text=f"{referral.department.name}：{referral.request}")
        _done(f"referral-late:{referral.pk}")
    return sent


def follow_ups(now) -> int:
    """Follow-up visits due today or earlier: tell the case's lead handler, once per visit."""
    sent = 0
    due = (FollowUp.objects.filter(done_at__isnull=True, due_on__lte=timezone.localdate(now),
                                   case__state=State.RESOLVED, case__lead_handler__isnull=False)
           .exclude(_noticed_key("follow-up:")))
    for visit in due.select_related("case__lead_handler", "case__grid"):
        sent += notices.notify(recipients=[visit.case.lead_handler], kind=NoticeKind.FOLLOW_UP_DUE,
                               case=visit.case, key=f"follow-up:{visit.pk}")
        _done(f"follow-up:{visit.pk}")
    return sent


def unanswered_calls(now) -> int:
    """A call unanswered past its deadline goes to the station leaders over its grid, once."""
    escalated = 0
    late = Call.objects.filter(answered_at__isnull=True, respond_by__lt=now, escalated_at__isnull=True)
    for call in late.select_related("grid", "case"):
        with transaction.atomic():
            if not Call.objects.filter(pk=call.pk, escalated_at__isnull=True).update(escalated_at=now):
                continue  # another worker took it
            notices.notify(recipients=leaders_over_grid(call.grid_id),
                           kind=NoticeKind.CALL_ESCALATED, call=call, case=call.case,
                           key=f"call-escalated:{call.pk}", text=call.message)
            if call.case_id:
                record_event(case=call.case, actor=system_user(), kind=EventKind.CALL_ESCALATED,
                             data={"direction": call.direction, "reason": EventReason.CALL_LATE})
            escalated += 1
    return escalated


def overdue_supervision(now) -> int:
    """A case overdue past the margin gets an automatic 督办 to its handler (once per due date),
    due the next working day, on its timeline as done by the system. (Its leaders were told it
    is on their ledger when the deadline passed.)"""
    margin = timedelta(hours=WarningSettings.current().overdue_margin_hours)
    made = 0
    already = Exists(Task.objects.filter(case_id=OuterRef("pk"), auto_key__isnull=False,
                                         issued_at__gte=OuterRef("due_at")))
    overdue = (Case.objects.open().filter(due_at__lte=now - margin, lead_handler__isnull=False)
               .exclude(already).select_related("lead_handler", "grid"))
    for case in overdue:
        key = f"auto:{case.pk}:{_stamp(case.due_at)}"
        text = str(EventReason.OVERDUE.label)  # the task's text, in the language of the check
        try:
            with transaction.atomic():
                task = Task.objects.create(
                    case=case, kind=TaskKind.SUPERVISION, text=text, assignee=case.lead_handler,
                    deadline=add_working_days(timezone.localdate(now), 1), issued_by=system_user(), auto_key=key)
                record_event(case=case, actor=system_user(), kind=EventKind.SUPERVISION,
                             data={"assignee": case.lead_handler, "deadline": task.deadline,
                                   "reason": EventReason.OVERDUE})
                notices.notify(recipients=[case.lead_handler], kind=NoticeKind.TASK, case=case,
                               key=f"task:{task.pk}", text=text)
                notices.notify(recipients=leaders_over_grid(case.grid_id, street=True),
                               kind=NoticeKind.LEDGER, case=case, key=f"ledger:{case.pk}:{_stamp(case.due_at)}")
        except IntegrityError:
            continue  # another worker made it first
        made += 1
    return made


def run(now=None) -> dict:
    """Every periodic check once; returns what each did."""
    now = now or timezone.now()
    return {"deadlines": deadlines(now), "tasks": task_deadlines(now), "referrals": referral_deadlines(now),
            "follow_ups": follow_ups(now), "calls": unanswered_calls(now),
            "supervision": overdue_supervision(now)}
