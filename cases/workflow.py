"""Every write to a case goes through here: one function per write, each in one transaction,
each leaving a CaseEvent on the timeline. Views never call a transition or save a case."""


from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from grids import access

from .choices import EventKind
from .due import compute_due
from .models import (
    Attachment,
    Case,
    CaseEvent,
    CaseSequence,
    CaseTeamMember,
    Party,
    PersonalDataDisclosure,
)

# The case fields each transition's form may set (nothing else is taken from the request).
TRANSITION_FIELDS = {
    "triage": {"category", "risk", "tier", "lead_handler"},
    "start_mediation": set(),
    "escalate": {"escalation_reason"},
    "refer": {"referred_to"},
    "assign_mediation": set(),
    "resolve": {"resolution", "settled_without_agreement"},
    "reopen": set(),
    "close": set(),
    "withdraw": {"withdrawal_reason"},
}
NOTE_REQUIRED = {"reopen"}


class WorkflowError(Exception):
    """A write refused with a message for the user; nothing was changed."""


class StaleCase(WorkflowError):
    def __init__(self, case: Case, last_event: CaseEvent | None):
        self.case = case
        self.last_event = last_event
        if last_event is not None:
            message = _(
                "This case was already changed by %(who)s at %(when)s. Your input is kept "
                "below; check the current status and submit again if it still applies."
            ) % {
                "who": last_event.actor.get_full_name() or last_event.actor.get_username(),
                "when": timezone.localtime(last_event.at).strftime("%Y-%m-%d %H:%M:%S"),
            }
        else:
            message = _("This case was changed in the meantime. Check it and submit again.")
        super().__init__(message)


class TransitionNotAvailable(WorkflowError):
    pass


def _unmet_conditions_message(case: Case, method) -> str:
    """Say which condition of the transition is not met, in the user's words."""
    messages = {
        "mediator_chosen": _("Choose a mediator from the mediation supermarket first."),
        "follow_up_done": _("Record a follow-up visit that found the agreement kept first."),
        "has_resolution": _("Record the mediation agreement, or that the parties settled without one, and the resolution summary."),
    }
    conditions = method._django_fsm.get_transition(case.state).conditions
    unmet = [c.__name__ for c in conditions if not c(case)]
    return " ".join(str(messages[name]) for name in unmet if name in messages) or _(
        "The case is not ready for this step: fill in what it asks for.")


def allocate_number(*, street, year: int) -> str:
    """Next case number for the street and year, e.g. 栖凤-2026-000123. Call inside a
    transaction: the sequence row stays locked until commit, so parallel intakes queue."""
    CaseSequence.objects.bulk_create(
        [CaseSequence(street=street, year=year)], ignore_conflicts=True
    )
    sequence = CaseSequence.objects.select_for_update().get(street=street, year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"{street.prefix}-{year}-{sequence.last:06d}"


def record_event(*, case, actor, kind, action="", from_state="", to_state="", note="", data=None):
    """Append to the case timeline. Call only inside the transaction of the change it records."""
    return CaseEvent.objects.create(
        case=case, actor=actor, kind=kind, action=action, from_state=from_state,
        to_state=to_state, note=note, data=data or {},
    )


def _describe(value):
    if hasattr(value, "get_full_name"):
        return value.get_full_name() or value.get_username()
    return value


@transaction.atomic
def create_case(*, actor, case: Case, parties: list[Party], files=(), note: str = "") -> Case:
    """Log a new dispute (state: reported) with its parties and attachments.

    `case` and `parties` are unsaved, already validated instances (from the intake forms)."""
    if not access.can_create_in(actor, case.grid):
        raise PermissionDenied
    street = case.grid.community.street
    case.number = allocate_number(
        street=street, year=timezone.localtime(case.reported_at).year
    )
    case.created_by = actor
    case.due_at = compute_due(risk=case.risk, start=case.reported_at)
    case.full_clean(exclude=["number", "created_by", "state"])  # state is protected (FSM)
    case.save()
    for party in parties:
        party.case = case
        party.full_clean()
        party.save()
    record_event(case=case, actor=actor, kind=EventKind.CREATED, to_state=case.state, note=note,
           data={"channel": case.channel, "risk": case.risk})
    for upload in files:
        _store_attachment(case=case, actor=actor, upload=upload)
    return case


@transaction.atomic
def run_transition(*, case_id: int, action: str, actor, version: int, changes=None,
                   team=(), referral=None, note: str = "") -> Case:
    """Take transition `action` on the case, as `actor`, against the `version` they saw.

    Locks the row, refuses a stale version (someone else was faster) and any action that is
    not among the actor's available transitions, applies the form's field changes, checks the
    transition's conditions, runs it, saves and writes the timeline — all or nothing. Its side
    effects run in the same transaction: the joint team (triage), the referral to a department
    (refer: `referral` holds department, deadline, request and contact), the follow-up visit
    (resolve)."""
    changes = dict(changes or {})
    case = Case.objects.select_for_update().select_related("grid").get(pk=case_id)
    if case.version != version:
        raise StaleCase(case, case.events.select_related("actor").order_by("-at", "-id").first())
    if action not in access.available_transitions(actor, case):
        raise TransitionNotAvailable(
            _("“%(action)s” is not possible for you on this case in its current state.")
            % {"action": action}
        )
    unexpected = set(changes) - TRANSITION_FIELDS[action]
    if unexpected:
        raise ValueError(f"fields not set by {action}: {sorted(unexpected)}")
    if action in NOTE_REQUIRED and not note.strip():
        raise WorkflowError(_("Say why in the note."))
    for field, value in changes.items():
        setattr(case, field, value)
    if action == "triage":
        case.due_at = compute_due(risk=case.risk, tier=case.tier, start=timezone.now())
    method = getattr(case, action)
    if not can_proceed(method):
        raise WorkflowError(_unmet_conditions_message(case, method))
    from_state = case.state
    method()
    case.version += 1
    case.save()
    data = {field: str(_describe(value)) for field, value in changes.items()}
    if action == "triage":
        for member, role in team:
            CaseTeamMember.objects.get_or_create(case=case, user=member, defaults={"role": role})
        if team:
            data["team"] = "、".join(_describe(m) for m, _r in team)
        data["due_at"] = timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M")
    if action == "refer":
        from .closing import create_referral

        if not referral:
            raise WorkflowError(_("Choose the department and the deadline."))
        create_referral(case=case, actor=actor, **referral)
    elif action == "resolve":
        from .closing import schedule_follow_up

        schedule_follow_up(case=case)
    record_event(case=case, actor=actor, kind=EventKind.TRANSITION, action=action,
                 from_state=from_state, to_state=case.state, note=note, data=data)
    return case


@transaction.atomic
def add_comment(*, case: Case, actor, text: str) -> CaseEvent:
    """A comment on the case timeline (does not change the case, so no version bump)."""
    if not access.can(actor, "comment", case):
        raise PermissionDenied
    if not text.strip():
        raise WorkflowError(_("The comment is empty."))
    return record_event(case=case, actor=actor, kind=EventKind.COMMENT, note=text.strip())


def _store_attachment(*, case, actor, upload) -> Attachment:
    attachment = Attachment.objects.create(
        case=case, kind=upload.fengqiao_kind, file=upload, original_name=upload.name[:255],
        content_type=upload.fengqiao_content_type, size=upload.size, uploaded_by=actor,
    )
    record_event(case=case, actor=actor, kind=EventKind.ATTACHMENT,
           data={"file": attachment.original_name})
    return attachment


@transaction.atomic
def add_attachments(*, case: Case, actor, files) -> list[Attachment]:
    """Attach already validated uploads (see cases.forms.AttachmentForm) to the case."""
    if not access.can(actor, "attach", case):
        raise PermissionDenied
    return [_store_attachment(case=case, actor=actor, upload=f) for f in files]


@transaction.atomic
def disclose_party(*, party: Party, actor, ip_address=None) -> Party:
    """Record that `actor` looked at the party's full phone and ID number, then return it."""
    if not access.can(actor, "reveal_personal_data", party.case):
        raise PermissionDenied
    PersonalDataDisclosure.objects.create(
        case=party.case, party=party, user=actor, ip_address=ip_address
    )
    return party


