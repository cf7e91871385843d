"""The periodic checks (run by the task worker every few minutes, see cases/tasks.py):
deadlines near and passed, follow-up visits due, calls unanswered past their deadline, cases
overdue past the margin. Each is idempotent — a notice, an escalation or an automatic 督办 is
made once however often the check runs, on one worker or two — and reads only the rows it acts
on, so its cost does not grow with the cases it leaves alone."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.selectors import leaders_over_grid

from . import notices
from .choices import EventKind, NoticeKind, State, TaskKind
from .models import Call, Case, FollowUp, Task, WarningSettings
from .timeline import record_event

SYSTEM_USERNAME = "system"


def system_user():
    """The account automatic steps are recorded under on the timeline (no password)."""
    user, _created = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"first_name": "系统", "is_active": False, "password": "!"})
    return user


def _stamp(value) -> str:
    return value.strftime("%Y%m%d%H%M")


def deadlines(now) -> int:
    """Tell each lead handler once that a deadline is near, and once that it has passed."""
    hours = WarningSettings.current().notice_hours_before_due
    sent = 0
    open_cases = Case.objects.open().filter(lead_handler__isnull=False).select_related("lead_handler", "grid")
    for case in open_cases.filter(due_at__gt=now, due_at__lte=now + timedelta(hours=hours)):
        sent += notices.notify(recipients=[case.lead_handler], kind=NoticeKind.DEADLINE_NEAR, case=case,
                               key=f"due-near:{case.pk}:{_stamp(case.due_at)}")
    for case in open_cases.filter(due_at__lte=now, due_at__gt=now - timedelta(days=30)):
        sent += notices.notify(recipients=[case.lead_handler], kind=NoticeKind.DEADLINE_PASSED, case=case,
                               key=f"due-passed:{case.pk}:{_stamp(case.due_at)}")
    return sent


def follow_ups(now) -> int:
    """Follow-up visits due today or earlier: tell the case's lead handler."""
    sent = 0
    due = FollowUp.objects.filter(done_at__isnull=True, due_on__lte=timezone.localdate(now),
                                  case__state=State.RESOLVED, case__lead_handler__isnull=False)
    for visit in due.select_related("case__lead_handler", "case__grid"):
        sent += notices.notify(recipients=[visit.case.lead_handler], kind=NoticeKind.FOLLOW_UP_DUE,
                               case=visit.case, key=f"follow-up:{visit.pk}")
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
                             note=_("Not answered within the deadline: sent to the station leaders."),
                             data={"direction": call.direction})
            escalated += 1
    return escalated


def overdue_supervision(now) -> int:
    """A case overdue past the margin gets an automatic 督办 to its handler (once per due date),
    on its timeline as done by the system, and its leaders are told it is on their ledger."""
    margin = timedelta(hours=WarningSettings.current().overdue_margin_hours)
    made = 0
    overdue = Case.objects.open().filter(due_at__lte=now - margin, lead_handler__isnull=False)
    for case in overdue.select_related("lead_handler", "grid"):
        key = f"auto:{case.pk}:{_stamp(case.due_at)}"
        if Task.objects.filter(auto_key=key).exists():
            continue
        text = _("Automatic supervision: this case is overdue. Report the progress and a plan.")
        try:
            with transaction.atomic():
                task = Task.objects.create(
                    case=case, kind=TaskKind.SUPERVISION, text=text, assignee=case.lead_handler,
                    deadline=timezone.localdate(now) + timedelta(days=1), issued_by=system_user(), auto_key=key)
                record_event(case=case, actor=system_user(), kind=EventKind.SUPERVISION, note=text,
                             data={"assignee": case.lead_handler, "deadline": task.deadline})
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
    return {"deadlines": deadlines(now), "follow_ups": follow_ups(now),
            "calls": unanswered_calls(now), "supervision": overdue_supervision(now)}
