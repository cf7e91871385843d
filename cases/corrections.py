"""Correcting and extending a case after intake: its details, its parties, its lead handler and
its grid (转办 to the right grid). One function per write, each in one transaction, each
against the version of the case the user saw (a stale form is refused with StaleCase and the
user's input is kept by the view), each leaving a timeline event with only what changed,
before → after. Who may do what: cases/permissions.py ACTIONS (edit_case, edit_parties,
hand_over, move_grid).

Personal data: phone and ID numbers are written to the timeline masked (everyone who may read
the case reads its timeline); a form that shows them masked hands back the stored value when
the mask comes back unchanged (cases/correction_forms.py)."""

from django.db import transaction
from django.utils.translation import gettext as _

from grids import access

from . import notices, permissions, selectors
from .addresses import address_key
from .choices import EventKind, NoticeKind
from .errors import StaleCase, WorkflowError
from .masking import mask_id_number, mask_phone
from .models import Case, Party
from .timeline import change, record_event

CASE_FIELDS = ("title", "category", "channel", "incident_number", "address", "occurred_at", "description")
PARTY_FIELDS = ("name", "role", "phone", "id_number", "address", "notes")
PARTY_KEYS = {"role": "party_role"}  # a party field's key on the timeline, where it differs
MASKS = {"phone": mask_phone, "id_number": mask_id_number}


class StepNotAvailable(WorkflowError):
    """The user may no longer take this step on the case (its state changed)."""


class NothingChanged(WorkflowError):
    """The form was sent with the values the case already has."""


def _locked(*, case_id: int, version: int, actor, action: str) -> Case:
    """The case row, locked, if it is still at `version` and `actor` may take `action` now."""
    # Lock the case row only: PostgreSQL cannot lock the nullable side of an outer join.
    case = Case.objects.select_for_update(of=("self",)).select_related("grid", "lead_handler").get(pk=case_id)
    if case.version != version:
        raise StaleCase(case, case.events.select_related("actor").order_by("-at", "-id").first())
    if not permissions.can(actor, action, case):
        raise StepNotAvailable(_("That step is not possible for you on this case in its current state."))
    return case


def _saved(case: Case, fields) -> None:
    case.version += 1
    case.save(update_fields=[*fields, "version", "updated_at"])


@transaction.atomic
def edit_case(*, case_id: int, actor, version: int, values: dict, note: str = "") -> Case:
    """Correct the case's details (CASE_FIELDS). Only the fields whose value differs are saved
    and shown on the timeline, each as before → after."""
    unexpected = set(values) - set(CASE_FIELDS)
    if unexpected:
        raise ValueError(f"fields not corrected here: {sorted(unexpected)}")
    case = _locked(case_id=case_id, version=version, actor=actor, action="edit_case")
    changed = {name: change(getattr(case, name), value) for name, value in values.items()
               if getattr(case, name) != value}
    if not changed:
        raise NothingChanged(_("Nothing was changed: the case already has these details."))
    for name in changed:
        setattr(case, name, values[name])
    case.full_clean(exclude=["number", "created_by", "state", "intake_token", "grid", "lead_handler"])
    if "address" in changed:
        case.address_key = address_key(case.address)
    _saved(case, [*changed, "address_key"] if "address" in changed else changed)
    record_event(case=case, actor=actor, kind=EventKind.CASE_EDITED, note=note, data=changed)
    return case


def _party_payload(party: Party, fields, before: dict | None = None) -> dict:
    """Timeline payload of a party: its name always (which party), the other fields given;
    phone and ID numbers masked. With `before`, each given field as before → after."""
    def shown(name, value):
        return MASKS[name](value) if name in MASKS else value

    data = {"name": party.name}
    for name in fields:
        after = shown(name, getattr(party, name))
        data[PARTY_KEYS.get(name, name)] = after if before is None else change(shown(name, before[name]), after)
    return data


@transaction.atomic
def add_party(*, case_id: int, actor, version: int, party: Party, note: str = "") -> Party:
    """Add a party (a fourth, a fifth…) to the case: `party` is an unsaved, validated Party."""
    case = _locked(case_id=case_id, version=version, actor=actor, action="edit_parties")
    party.case = case
    party.full_clean()
    party.save()
    _saved(case, [])
    record_event(case=case, actor=actor, kind=EventKind.PARTY_ADDED, note=note,
                 data=_party_payload(party, [f for f in PARTY_FIELDS if f != "name" and getattr(party, f)]))
    return party


@transaction.atomic
def change_party(*, case_id: int, party_id: int, actor, version: int, values: dict, note: str = "") -> Party:
    """Correct a party's details (PARTY_FIELDS); only what differs is saved and shown."""
    unexpected = set(values) - set(PARTY_FIELDS)
    if unexpected:
        raise ValueError(f"party fields not corrected here: {sorted(unexpected)}")
    case = _locked(case_id=case_id, version=version, actor=actor, action="edit_parties")
    party = case.parties.select_for_update().get(pk=party_id)
    before = {name: getattr(party, name) for name in PARTY_FIELDS}
    changed = [name for name, value in values.items() if before[name] != value]
    if not changed:
        raise NothingChanged(_("Nothing was changed: the party already has these details."))
    for name in changed:
        setattr(party, name, values[name])
    party.full_clean()
    party.save(update_fields=changed)
    _saved(case, [])
    data = _party_payload(party, [n for n in changed if n != "name"], before)
    if "name" in changed:
        data["name"] = change(before["name"], party.name)
    record_event(case=case, actor=actor, kind=EventKind.PARTY_CHANGED, note=note, data=data)
    return party


@transaction.atomic
def hand_over(*, case_id: int, actor, version: int, lead_handler, note: str = "") -> Case:
    """Hand the case to another lead handler, one of the people of its grid (selectors.
    handlers_for); the new handler is told."""
    case = _locked(case_id=case_id, version=version, actor=actor, action="hand_over")
    if lead_handler.pk not in {user.pk for user, _role in selectors.handlers_for(case)}:
        raise WorkflowError(_("Choose one of the workers or police of the case's grid."))
    if lead_handler.pk == case.lead_handler_id:
        raise NothingChanged(_("This person is already the lead handler."))
    before = case.lead_handler
    case.lead_handler = lead_handler
    _saved(case, ["lead_handler"])
    record_event(case=case, actor=actor, kind=EventKind.HANDED_OVER, note=note,
                 data={"lead_handler": change(before, lead_handler)})
    if lead_handler.pk != actor.pk:
        notices.notify(recipients=[lead_handler], kind=NoticeKind.ASSIGNED, case=case,
                       key=f"assigned:{case.pk}:{case.version}", text=note)
    return case


@transaction.atomic
def move_grid(*, case_id: int, actor, version: int, grid, note: str) -> Case:
    """转办 to the right grid: the case moves to `grid` (one of permissions.move_targets), and
    with it who may see and act on it (grids/access.py). A lead handler who holds no role on
    the new grid no longer carries it: the field is cleared for the new grid's officer or
    leader to hand it on. The people of the new grid are told. The case keeps its number."""
    if not note.strip():
        raise WorkflowError(_("Say why the case belongs to that grid."))
    case = _locked(case_id=case_id, version=version, actor=actor, action="move_grid")
    if not permissions.move_targets(actor, case).filter(pk=grid.pk).exists():
        raise WorkflowError(_("Choose one of the grids listed: you may move a case only to grids you act on."))
    before_grid, before_handler = case.grid, case.lead_handler
    case.grid = grid
    data = {"grid": change(_grid_name(before_grid), _grid_name(grid))}
    fields = ["grid"]
    if before_handler is not None and not access.roles_on_grid(before_handler, grid.pk):
        case.lead_handler = None
        data["lead_handler"] = change(before_handler, None)
        fields.append("lead_handler")
    _saved(case, fields)
    record_event(case=case, actor=actor, kind=EventKind.GRID_MOVED, note=note, data=data)
    people = [user for user, _role in selectors.handlers_for(case)]
    notices.notify(recipients=[u for u in people if u.pk != actor.pk], kind=NoticeKind.MOVED_IN, case=case,
                   key=f"moved:{case.pk}:{case.version}", text=note)
    return case


def _grid_name(grid) -> str:
    return f"{grid.community.name} {grid.name}"
