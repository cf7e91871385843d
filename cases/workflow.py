"""Every write to a case goes through here: one function per write, each in one transaction,
each leaving a CaseEvent on the timeline. Views never call a transition or save a case.

`run_transition` is the only caller of a transition: it reads the step's entry in the registry
(cases/transitions.py) and asks cases/permissions.py whether the actor may take it now."""

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from . import notices, permissions
from .addresses import address_key
from .choices import EventKind
from .due import compute_due
from .errors import DuplicateIntake, StaleCase, TransitionNotAvailable, WorkflowError
from .levels import level_of
from .models import Attachment, Case, CaseSequence, Party, PersonalDataDisclosure, attachment_path
from .timeline import record_event
from .transitions import REGISTRY, unmet_message

__all__ = [
    "DuplicateIntake", "StaleCase", "TransitionNotAvailable", "WorkflowError", "add_attachments", "add_comment",
    "allocate_number", "create_case", "disclose_on_paper", "disclose_party", "record_number_search",
    "run_transition",
]


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


def create_case(*, actor, case: Case, parties: list[Party], files=(), note: str = "") -> Case:
    """Log a new dispute (state: reported) with its parties and attachments.

    `case` and `parties` are unsaved, already validated instances (from the intake forms).
    A form sent twice (a retry after a lost answer) carries the same `intake_token`: the
    second time nothing is created and DuplicateIntake names the case of the first."""
    if not permissions.can_create_in(actor, case.grid):
        raise PermissionDenied
    # The files' guard wraps the transaction, so a failed COMMIT removes them too.
    with _files_removed_on_failure() as stored, transaction.atomic():
        if case.intake_token is not None:
            earlier = Case.objects.filter(intake_token=case.intake_token).first()
            if earlier is not None:
                raise DuplicateIntake(earlier)
        return _create_case(actor=actor, case=case, parties=parties, files=files, note=note, stored=stored)


def _create_case(*, actor, case, parties, files, note, stored) -> Case:
    street = case.grid.community.street
    case.number = allocate_number(
        street=street, year=timezone.localtime(case.reported_at).year
    )
    case.created_by = actor
    case.address_key = address_key(case.address)
    case.due_at = compute_due(risk=case.risk, start=case.reported_at)
    case.full_clean(exclude=["number", "created_by", "state", "intake_token"])  # state is protected (FSM)
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        earlier = Case.objects.filter(intake_token=case.intake_token).first() if case.intake_token else None
        if earlier is None:
            raise
        raise DuplicateIntake(earlier) from None  # the same form, sent twice at once
    for party in parties:
        party.case = case
        party.full_clean()
        party.save()
    record_event(case=case, actor=actor, kind=EventKind.CREATED, to_state=case.state, note=note,
           data={"channel": case.channel, "risk": case.risk})
    for upload in files:
        _store_attachment(case=case, actor=actor, upload=upload, stored=stored)
    return case


@transaction.atomic
def run_transition(*, case_id: int, action: str, actor, version: int, changes=None,
                   note: str = "", reason: str = "", **extra) -> Case:
    """Take transition `action` on the case, as `actor`, against the `version` they saw.

    Locks the row, refuses a stale version (someone else was faster) and any action that is
    not among the actor's capabilities now, applies the form's field changes, checks the
    transition's conditions, runs it, saves, runs its side effects and writes the timeline —
    all or nothing. `extra` holds what the effects need (the joint team, the referral);
    `reason` (EventReason) says on the timeline when a rule, not a person, took the step."""
    changes = dict(changes or {})
    case = Case.objects.select_for_update().select_related("grid").get(pk=case_id)
    if case.version != version:
        raise StaleCase(case, case.events.select_related("actor").order_by("-at", "-id").first())
    spec = REGISTRY.get(action)
    if spec is None or action not in permissions.transitions_for(actor, case):
        raise TransitionNotAvailable(_("That step is not possible for you on this case in its current state."))
    unexpected = set(changes) - spec.fields
    if unexpected:
        raise ValueError(f"fields not set by {action}: {sorted(unexpected)}")
    if spec.note_required and not note.strip():
        raise WorkflowError(_("Say why in the note."))
    for field, value in changes.items():
        setattr(case, field, value)
    for prepare in spec.prepare:
        prepare(case=case, actor=actor, extra=extra)
    method = getattr(case, action)
    if not can_proceed(method):
        raise WorkflowError(unmet_message(case, action))
    from_state = case.state
    method()
    case.version += 1
    case.save()
    data = dict(changes)
    data["level"] = level_of(state=case.state, tier=case.tier, at_district=case.at_district)
    if reason:
        data["reason"] = reason
    extra.setdefault("note", note)
    for effect in spec.effects:
        data.update(effect(case=case, actor=actor, extra=extra, notify=notices.notify) or {})
    record_event(case=case, actor=actor, kind=EventKind.TRANSITION, action=action,
                 from_state=from_state, to_state=case.state, note=note, data=data)
    return case


@transaction.atomic
def add_comment(*, case: Case, actor, text: str):
    """A comment on the case timeline (does not change the case, so no version bump)."""
    if not permissions.can(actor, "comment", case):
        raise PermissionDenied
    if not text.strip():
        raise WorkflowError(_("The comment is empty."))
    return record_event(case=case, actor=actor, kind=EventKind.COMMENT, note=text.strip())


@contextmanager
def _files_removed_on_failure():
    """Files are written before their rows; if the transaction fails, remove them again so no
    file of a real person is left on disk with no row pointing at it. Enter it before the
    transaction (`with _files_removed_on_failure() as stored, transaction.atomic():`) so that
    a failed COMMIT — the database restarting at that moment — removes them as well."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        for name in stored:
            Attachment.file.field.storage.delete(name)
        raise


def _store_attachment(*, case, actor, upload, stored: list) -> Attachment:
    storage = Attachment.file.field.storage
    name = storage.save(attachment_path(None, upload.name), upload)
    stored.append(name)
    attachment = Attachment.objects.create(
        case=case, kind=upload.fengqiao_kind, file=name, original_name=upload.name[:255],
        content_type=upload.fengqiao_content_type, size=upload.size, uploaded_by=actor,
    )
    record_event(case=case, actor=actor, kind=EventKind.ATTACHMENT,
           data={"file": attachment.original_name})
    return attachment


def add_attachments(*, case: Case, actor, files) -> list[Attachment]:
    """Attach already validated uploads (see cases.forms.AttachmentForm) to the case."""
    if not permissions.can(actor, "attach", case):
        raise PermissionDenied
    with _files_removed_on_failure() as stored, transaction.atomic():
        return [_store_attachment(case=case, actor=actor, upload=f, stored=stored) for f in files]


@transaction.atomic
def disclose_party(*, party: Party, actor, ip_address=None) -> Party:
    """Record that `actor` looked at the party's full phone and ID number, then return it."""
    if not permissions.can(actor, "reveal_personal_data", party.case):
        raise PermissionDenied
    PersonalDataDisclosure.objects.create(
        case=party.case, party=party, user=actor, ip_address=ip_address
    )
    return party


@transaction.atomic
def disclose_on_paper(*, case: Case, parties, actor, how: str, ip_address=None) -> None:
    """A paper printed with full identity (the signed agreement, the case file) shows each
    party's whole phone and ID number: log it like a reveal, one row per party whose numbers
    it shows, every time it is shown (printing twice is two disclosures)."""
    if not permissions.can(actor, "reveal_personal_data", case):
        raise PermissionDenied
    PersonalDataDisclosure.objects.bulk_create([
        PersonalDataDisclosure(case=case, party=p, user=actor, ip_address=ip_address, how=how)
        for p in parties if p.phone or p.id_number])


@transaction.atomic
def record_number_search(*, actor, parties, ip_address=None) -> None:
    """A search by a whole phone or ID number told the actor whose it is: log it like a reveal,
    one row per party found. The caller found them among the cases the actor may reveal."""
    PersonalDataDisclosure.objects.bulk_create([
        PersonalDataDisclosure(case=p.case, party=p, user=actor, ip_address=ip_address,
                               how=PersonalDataDisclosure.How.SEARCH) for p in parties])


