"""Cases with known histories for the statistics tests: walked through the real workflow now,
then moved back in time (the case's dates and its timeline's times, with queryset updates)."""

from datetime import datetime, time
from itertools import count
from zoneinfo import ZoneInfo

from django.db import connection

from cases import workflow
from cases.models import Case, CaseEvent, Referral
from tests.factories import NOTES, TRANSITION_CHANGES, choose, follow_up_kept, make_case, transition_extra

LOCAL = ZoneInfo("Asia/Shanghai")
_numbers = count(1)


def at(day, hour=10, minute=0) -> datetime:
    """A local time on `day` (a date)."""
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL)


def step(case, action, actor, **changes):
    """One transition through the real workflow, with what its form would send (and `changes`
    on top, e.g. another tier)."""
    if action in ("start_mediation", "assign_mediation", "district_take") and not case.mediator_choices.filter(
            active=True).exists():
        choose(case, actor)
    if action == "close" and not case.follow_up_done():
        follow_up_kept(case, actor)
    fields = {**TRANSITION_CHANGES.get(action, lambda c, a: {})(case, actor), **changes}
    return workflow.run_transition(case_id=case.pk, action=action, actor=actor, version=case.version,
                                   changes=fields, note=NOTES.get(action, ""),
                                   **transition_extra(action, case, actor))


def a_case(*, grid, actor, address=None, **fields):
    """A new case at an address of its own unless `address` is given."""
    address = address or f"栖凤社区{next(_numbers)}幢1单元101室"
    return make_case(grid=grid, actor=actor, address=address, **fields)


def walk(case, *steps):
    """Take each (action, actor[, changes]) in turn."""
    for action, actor, *changes in steps:
        case = step(case, action, actor, **(changes[0] if changes else {}))
    return case


def backdate(case, reported, *times, due=None):
    """Move the case back in time: reported at `reported`, its status changes at `times` (in
    order); triaged_at, resolved_at and closed_at follow the steps that set them."""
    if connection.vendor == "postgresql":
        # The timeline is append-only in PostgreSQL (a trigger, cases/migrations/0002): moving a
        # test's history back in time lifts it for the rest of this test's transaction only.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    events = list(CaseEvent.objects.filter(case=case, kind__in=["created", "transition"]).order_by("at", "id"))
    created = [e for e in events if e.kind == "created"]
    changes = [e for e in events if e.kind == "transition"]
    assert len(changes) == len(times), (case.state, [e.action for e in changes])
    CaseEvent.objects.filter(pk__in=[e.pk for e in created]).update(at=reported)
    fields = {"reported_at": reported}
    for event, when in zip(changes, times, strict=True):
        CaseEvent.objects.filter(pk=event.pk).update(at=when)
        if event.action == "triage" and "triaged_at" not in fields:
            fields["triaged_at"] = when
        if event.to_state == "resolved":
            fields["resolved_at"] = when
        if event.to_state in ("closed", "withdrawn"):
            fields["closed_at"] = when
    if due is not None:
        fields["due_at"] = due
    Case.objects.filter(pk=case.pk).update(**fields)
    case.refresh_from_db()
    return case


def referral_answered(case):
    Referral.objects.filter(case=case).update(status="handled", feedback="已处理")
