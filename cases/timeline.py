"""The case timeline: the one writer of CaseEvent rows, and how each event reads.

Each event kind declares its payload: which keys it may carry, each with a label and a way to
show its value (a vocabulary, a date, yes / no, or free text such as a person's name). Values
are stored raw (slugs, booleans, ISO dates) and rendered in the reader's language, so a
timeline written in Chinese reads in English too. `record_event` refuses an undeclared key:
a service that writes one fails its tests. This module sits at the bottom of the cases app:
it imports models and vocabularies only.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .choices import (
    CallDirection,
    Category,
    Channel,
    ChoiceMethod,
    EventKind,
    EventReason,
    MeetingKind,
    Outcome,
    PartyRole,
    ReferralStatus,
    Risk,
    Satisfaction,
    SessionFormat,
    State,
    TaskKind,
    Tier,
)
from .levels import Level
from .models import CaseEvent


@dataclass(frozen=True)
class Field:
    label: str
    show: object  # callable(value) -> str

    def render(self, value) -> str:
        return self.show(value)


def _text(value) -> str:
    return str(value)


def _yes_no(value) -> str:
    # Early events stored "yes" / "no" / "True" / "False" as text.
    truthy = value is True or str(value).lower() in ("yes", "true", "1")
    return _("Yes") if truthy else _("No")


def _date(value) -> str:
    parsed = value if isinstance(value, date) else (parse_date(str(value)[:10]) if value else None)
    return parsed.strftime("%Y-%m-%d") if parsed else str(value)


def _datetime(value) -> str:
    parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
    if parsed is None:
        return str(value)
    if timezone.is_aware(parsed):
        parsed = timezone.localtime(parsed)
    return parsed.strftime("%Y-%m-%d %H:%M")


def _minutes(value) -> str:
    return _("%(n)s min") % {"n": value}


def duration_text(minutes) -> str:
    """How long something lasted, as people say it: 1小时20分钟, 2小时, 45分钟."""
    hours, mins = divmod(int(minutes), 60)
    if hours and mins:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": mins}
    if hours:
        return _("%(h)s h") % {"h": hours}
    return _minutes(mins)


def _choice(vocabulary):
    labels = dict(vocabulary.choices)
    return lambda value: str(labels.get(value, value))


def field(label, show=_text) -> Field:
    return Field(label, show)


# Every payload key any service writes, with its label and rendering.
FIELDS = {
    "category": field(gettext_lazy("category"), _choice(Category)),
    "channel": field(gettext_lazy("discovery channel"), _choice(Channel)),
    "risk": field(gettext_lazy("risk level"), _choice(Risk)),
    "tier": field(gettext_lazy("tier"), _choice(Tier)),
    "lead_handler": field(gettext_lazy("lead handler")),
    "team": field(gettext_lazy("joint team")),
    "added": field(gettext_lazy("joined the team")),
    "removed": field(gettext_lazy("left the team")),
    "due_at": field(gettext_lazy("due"), _datetime),
    "escalation_reason": field(gettext_lazy("reason for escalation")),
    "referred_to": field(gettext_lazy("referred to")),
    "level": field(gettext_lazy("now held at"), _choice(Level)),
    "resolution": field(gettext_lazy("resolution summary")),
    "settled_without_agreement": field(gettext_lazy("settled without a written agreement"), _yes_no),
    "withdrawal_reason": field(gettext_lazy("reason for withdrawal")),
    "file": field(gettext_lazy("file")),
    "mediator": field(gettext_lazy("mediator")),
    "method": field(gettext_lazy("how"), _choice(ChoiceMethod)),
    "party": field(gettext_lazy("chosen by party")),
    "held_at": field(gettext_lazy("started at"), _datetime),
    "ended_at": field(gettext_lazy("ended at"), _datetime),
    "duration": field(gettext_lazy("duration"), duration_text),
    "rooms": field(gettext_lazy("who was in which room")),
    "participants": field(gettext_lazy("other participants")),
    "place": field(gettext_lazy("where")),
    "format": field(gettext_lazy("format"), _choice(SessionFormat)),
    "outcome": field(gettext_lazy("outcome"), _choice(Outcome)),
    "mediators": field(gettext_lazy("mediators")),
    "signed_on": field(gettext_lazy("date"), _date),
    "fulfil_by": field(gettext_lazy("to be fulfilled by"), _date),
    "department": field(gettext_lazy("department")),
    "status": field(gettext_lazy("status"), _choice(ReferralStatus)),
    "direction": field(gettext_lazy("direction"), _choice(CallDirection)),
    "response_minutes": field(gettext_lazy("response time"), _minutes),
    "assignee": field(gettext_lazy("assigned to")),
    "deadline": field(gettext_lazy("deadline"), _date),
    "task_kind": field(gettext_lazy("task"), _choice(TaskKind)),
    "meeting": field(gettext_lazy("meeting date"), _date),
    "meeting_kind": field(gettext_lazy("kind of meeting"), _choice(MeetingKind)),
    "fulfilled": field(gettext_lazy("agreement fulfilled"), _yes_no),
    "satisfaction": field(gettext_lazy("parties' satisfaction"), _choice(Satisfaction)),
    # corrections after intake (cases/corrections.py): values are {"from": …, "to": …}; phone
    # and ID numbers are stored masked, as everyone who reads the timeline may see them
    "title": field(gettext_lazy("title")),
    "description": field(gettext_lazy("description")),
    "address": field(gettext_lazy("address")),
    "occurred_at": field(gettext_lazy("when it happened"), _datetime),
    "incident_number": field(gettext_lazy("110 incident number")),
    "grid": field(gettext_lazy("community grid")),
    "name": field(gettext_lazy("full name")),
    "party_role": field(gettext_lazy("party role"), _choice(PartyRole)),
    "phone": field(gettext_lazy("phone")),
    "id_number": field(gettext_lazy("ID number")),
    "notes": field(gettext_lazy("notes")),
    # what a rule or the system did (cases/checks.py, a broken agreement): EventReason
    "reason": field(gettext_lazy("why"), _choice(EventReason)),
    # related and merged cases (cases/links.py): the other case, and what a merge moved
    "case_number": field(gettext_lazy("case number")),
    "parties": field(gettext_lazy("parties moved")),
    "attachments": field(gettext_lazy("attachments moved")),
}

# Kinds whose note is a named thing: shown under its name on the timeline.
NOTE_LABELS = {
    EventKind.CALL: gettext_lazy("message"),
    EventKind.CALL_ANSWERED: gettext_lazy("answer"),
}

TRANSITION_KEYS = ("category", "risk", "tier", "lead_handler", "team", "due_at",
                   "escalation_reason", "referred_to", "resolution", "settled_without_agreement",
                   "withdrawal_reason", "reason", "level")

PARTY_KEYS = ("name", "party_role", "phone", "id_number", "address", "notes")

# Kept for the statistics (time at each level: cases/levels.py), not shown on the timeline: the
# step itself says where the case went.
UNSHOWN = frozenset({"level"})

# Which keys each kind of event may carry.
PAYLOADS: dict[str, tuple[str, ...]] = {
    EventKind.CREATED: ("channel", "risk"),
    EventKind.TRANSITION: TRANSITION_KEYS,
    EventKind.COMMENT: (),
    EventKind.ATTACHMENT: ("file",),
    EventKind.MEDIATOR_CHOSEN: ("mediator", "method", "party"),
    EventKind.MEDIATOR_REPLACED: ("mediator",),
    EventKind.SESSION: ("held_at", "ended_at", "duration", "place", "format", "rooms", "outcome",
                        "mediators", "participants"),
    EventKind.AGREEMENT: ("signed_on", "fulfil_by"),
    EventKind.REFERRAL: ("department", "status", "reason"),
    EventKind.SUPERVISION: ("assignee", "deadline", "reason"),
    EventKind.TASK_DONE: ("task_kind",),
    EventKind.MEETING_DECISION: ("meeting_kind", "meeting", "assignee", "deadline"),
    EventKind.FOLLOW_UP: ("fulfilled", "satisfaction"),
    EventKind.CALL: ("direction",),
    EventKind.CALL_ANSWERED: ("direction", "response_minutes"),
    EventKind.CALL_ESCALATED: ("direction", "reason"),
    EventKind.CASE_EDITED: ("title", "category", "channel", "incident_number", "address", "occurred_at",
                            "description"),
    EventKind.PARTY_ADDED: PARTY_KEYS,
    EventKind.PARTY_CHANGED: PARTY_KEYS,
    EventKind.HANDED_OVER: ("lead_handler",),
    EventKind.GRID_MOVED: ("grid", "lead_handler"),
    EventKind.TEAM_CHANGED: ("added", "removed"),  # names with their role and unit
    EventKind.CASES_LINKED: ("case_number",),
    EventKind.CASES_UNLINKED: ("case_number",),
    EventKind.MERGED_INTO: ("case_number", "parties", "attachments"),
    EventKind.MERGED_FROM: ("case_number", "parties", "attachments"),
}


def change(before, after) -> dict:
    """A corrected value, shown on the timeline as before → after."""
    return {"from": before, "to": after}


def _is_change(value) -> bool:
    return isinstance(value, dict) and set(value) == {"from", "to"}


def _json_value(value):
    """Store dates as ISO text and people as their names; keep booleans and numbers; a change
    (see `change`) keeps both sides."""
    if _is_change(value):
        return {"from": _json_value(value["from"]), "to": _json_value(value["to"])}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "get_full_name"):
        return value.get_full_name() or value.get_username()
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    return str(value)


def record_event(*, case, actor, kind, action="", from_state="", to_state="", note="", data=None):
    """Append to the case timeline. Call only inside the transaction of the change it records.
    Refuses a payload key the event kind does not declare."""
    data = {key: _json_value(value) for key, value in (data or {}).items()}
    undeclared = set(data) - set(PAYLOADS[kind])
    if undeclared:
        raise ValueError(f"{kind} events do not declare {sorted(undeclared)} (cases/timeline.py)")
    return CaseEvent.objects.create(
        case=case, actor=actor, kind=kind, action=action, from_state=from_state,
        to_state=to_state, note=note, data=data,
    )


@dataclass
class EventView:
    event: CaseEvent
    title: str
    details: list  # [(label, value)]
    note_label: str = ""  # what the note is, where it is more than a remark (a call's answer)


def details(event: CaseEvent) -> list[tuple[str, str]]:
    """The event's payload as (label, value) pairs in the reader's language. Keys no longer
    declared for the kind are left out rather than shown raw."""
    declared = PAYLOADS.get(event.kind, ())
    return [(FIELDS[key].label, _render(FIELDS[key], value))
            for key, value in event.data.items()
            if key in declared and key not in UNSHOWN and value not in ("", None)]


def _render(spec: Field, value) -> str:
    if _is_change(value):
        before, after = ((spec.render(v) if v not in ("", None) else "—") for v in (value["from"], value["to"]))
        return f"{before} → {after}"
    return spec.render(value)


def title(event: CaseEvent, step_labels: dict) -> str:
    if event.kind == EventKind.TRANSITION:
        step = step_labels.get(event.action)
        states = f"{State(event.from_state).label} → {State(event.to_state).label}"
        return f"{step}: {states}" if step else states
    return str(EventKind(event.kind).label)


def views(events, *, step_labels: dict) -> list[EventView]:
    """The timeline as the case page shows it; `step_labels` names each transition."""
    return [EventView(e, title(e, step_labels), details(e), str(NOTE_LABELS.get(e.kind, ""))) for e in events]
