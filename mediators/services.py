"""Writes of the mediation supermarket: keeping the roster, choosing and replacing a case's
mediator, recording sessions and the agreement. Each in one transaction; each write on a case
goes on its timeline. A mediator's account holds a per-case grant (cases/grants.py) exactly
while she is an active choice on that case: replaced, re-linked or retired ends it."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from cases import grants, notices, permissions
from cases.choices import OPEN_STATES, EventKind, NoticeKind, State
from cases.errors import WorkflowError
from cases.models import Case
from cases.permissions import CHOOSABLE_STATES
from cases.timeline import record_event

from . import permissions as roster_permissions
from .models import Agreement, MediationSession, Mediator, MediatorChoice, SessionPart, Specialty
from .selectors import FINISHED, SUCCEEDED, recount

__all__ = ["CHOOSABLE_STATES", "MediatorRefused", "choose_mediator", "count_case_move", "record_agreement",
           "record_session", "recount_figures", "replace_mediator", "save_mediator", "set_active"]


class MediatorRefused(WorkflowError):
    """The mediator cannot take this case (full, retired, conflict of interest)."""


def open_load(mediator: Mediator) -> int:
    """Open cases this mediator is currently chosen for."""
    return (
        MediatorChoice.objects.filter(mediator=mediator, active=True, case__state__in=OPEN_STATES)
        .values("case_id").distinct().count()
    )


def _figures_of(state) -> tuple[int, int, int]:
    """What one case in `state` adds to each of its current mediators' open load, cases
    mediated and successes."""
    return int(state in OPEN_STATES), int(state in FINISHED), int(state in SUCCEEDED)


def _count(mediator_ids, *, before=None, after=None) -> None:
    """A case's contribution to its mediators' figures goes from state `before` to `after`
    (None: not counted, as before a choice or after it ends). One UPDATE, in the caller's
    transaction."""
    old = _figures_of(before) if before else (0, 0, 0)
    new = _figures_of(after) if after else (0, 0, 0)
    delta = [n - o for n, o in zip(new, old, strict=True)]
    if mediator_ids and any(delta):
        Mediator.objects.filter(pk__in=mediator_ids).update(**{
            name: F(name) + d for name, d in zip(("open_load", "mediated", "succeeded"), delta, strict=True) if d})


def count_case_move(sender, instance, source, target, **kwargs) -> None:
    """A case moved between states (django-fsm's post_transition, connected in
    mediators/apps.py): its current mediators' figures move with it, in the transition's
    transaction."""
    if _figures_of(source) != _figures_of(target):
        mediators = MediatorChoice.objects.filter(case_id=instance.pk, active=True).values_list("mediator_id", flat=True)
        _count(list(mediators), before=source, after=target)


def recount_figures(mediator_ids=None) -> None:
    """Compute the figures again from the cases (all mediators, or those given): a repair after
    cases were changed outside the workflow."""
    ids = list(Mediator.objects.values_list("pk", flat=True)) if mediator_ids is None else list(mediator_ids)
    for pk, f in recount(ids).items():
        Mediator.objects.filter(pk=pk).update(open_load=f.open_load, mediated=f.mediated, succeeded=f.succeeded)


def conflict_of_interest(mediator: Mediator, case: Case) -> str | None:
    """Why the mediator may not mediate this case, or None. A mediator who is a party, or who
    shares a party's phone or ID number, has a conflict."""
    for party in case.parties.all():
        if mediator.id_number and party.id_number and mediator.id_number.upper() == party.id_number.upper():
            return _("%(mediator)s has the same ID number as the party %(party)s.") % {
                "mediator": mediator.name, "party": party.name}
        if mediator.phone and party.phone and mediator.phone == party.phone:
            return _("%(mediator)s has the same phone number as the party %(party)s.") % {
                "mediator": mediator.name, "party": party.name}
        if mediator.name == party.name and not (party.phone or party.id_number):
            return _("%(mediator)s has the same name as the party %(party)s.") % {
                "mediator": mediator.name, "party": party.name}
    return None


def _grant(user, case_ids) -> None:
    for case in Case.objects.filter(pk__in=case_ids):
        grants.grant(user=user, case=case, reason=grants.MEDIATOR)


def _revoke(user, case_ids) -> None:
    """End the account's mediator grant on the cases where it has no active choice left."""
    still = set(MediatorChoice.objects.filter(case_id__in=case_ids, mediator__user=user, active=True)
                .values_list("case_id", flat=True))
    for case in Case.objects.filter(pk__in=set(case_ids) - still):
        grants.revoke(user=user, case=case, reason=grants.MEDIATOR)


def _active_case_ids(mediator: Mediator) -> list[int]:
    return list(MediatorChoice.objects.filter(mediator=mediator, active=True).values_list("case_id", flat=True))


@transaction.atomic
def save_mediator(*, actor, mediator: Mediator, specialties, communities) -> Mediator:
    """Add or edit a roster entry (validated by MediatorForm). Communities the actor does not
    keep stay as they were; re-linking the account moves the per-case grants with it."""
    if mediator.pk is None:
        if not roster_permissions.may_keep_roster(actor):
            raise PermissionDenied
        before_user_id, kept = None, set()
    else:
        current = Mediator.objects.select_for_update().get(pk=mediator.pk)
        if not roster_permissions.may_edit(actor, current):
            raise PermissionDenied
        before_user_id = current.user_id
        mine = set(roster_permissions.roster_communities(actor).values_list("id", flat=True))
        kept = set(current.communities.values_list("id", flat=True)) - mine
    mediator._history_user = actor
    mediator.save()
    mediator.communities.set(kept | {c.pk for c in communities})
    wanted = set(specialties)
    mediator.specialties.exclude(category__in=wanted).delete()
    have = set(mediator.specialties.values_list("category", flat=True))
    # with history rows, like every other roster change (a plain bulk_create sends no signals)
    bulk_create_with_history([Specialty(mediator=mediator, category=c) for c in wanted - have], Specialty,
                             default_user=actor)
    if before_user_id != mediator.user_id:
        cases = _active_case_ids(mediator)
        if before_user_id is not None:
            _revoke(get_user_model().objects.get(pk=before_user_id), cases)
        if mediator.user_id is not None:
            _grant(mediator.user, cases)
    return mediator


@transaction.atomic
def set_active(*, actor, mediator: Mediator, active: bool) -> Mediator:
    """Retire a mediator from the roster (or bring her back). Retiring takes her off the open
    cases she was chosen for, on their timelines, and ends her account's grants."""
    mediator = Mediator.objects.select_for_update().get(pk=mediator.pk)
    if not roster_permissions.may_edit(actor, mediator):
        raise PermissionDenied
    mediator.active = active
    mediator._history_user = actor
    mediator.save(update_fields=["active"])
    if not active:
        reason = _("%(name)s retired from the roster.") % {"name": mediator.name}
        for choice in MediatorChoice.objects.filter(mediator=mediator, active=True).select_related("case"):
            _end_choice(choice, actor=actor, reason=reason)
    return mediator


def _end_choice(choice: MediatorChoice, *, actor, reason: str) -> None:
    choice.active = False
    choice.ended_at = timezone.now()
    choice.ended_reason = reason
    choice.save(update_fields=["active", "ended_at", "ended_reason"])
    _count([choice.mediator_id], before=choice.case.state)
    if choice.mediator.user_id:
        _revoke(choice.mediator.user, [choice.case_id])
    record_event(case=choice.case, actor=actor, kind=EventKind.MEDIATOR_REPLACED, note=reason,
                 data={"mediator": choice.mediator.name})


@transaction.atomic
def choose_mediator(*, case: Case, mediator: Mediator, actor, method: str, party=None,
                    reason: str = "") -> MediatorChoice:
    """Record the parties' choice of mediator (or the handler's assignment) on the case.

    Refuses a retired or full mediator and one with a conflict of interest, with a message for
    the user; grants the mediator's account access to this case only."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not permissions.can(actor, "choose_mediator", case):
        raise PermissionDenied
    if case.state not in CHOOSABLE_STATES:
        raise WorkflowError(_("A mediator can be chosen once the case is triaged and until it is resolved."))
    # Lock the mediator too: two cases choosing the last free place must queue.
    mediator = Mediator.objects.select_for_update().get(pk=mediator.pk)
    if not mediator.active:
        raise MediatorRefused(_("%(name)s has retired from the roster and cannot take cases.")
                              % {"name": mediator.name})
    if MediatorChoice.objects.filter(case=case, mediator=mediator, active=True).exists():
        raise MediatorRefused(_("%(name)s is already a mediator on this case.") % {"name": mediator.name})
    load = open_load(mediator)
    if load >= mediator.capacity:
        raise MediatorRefused(
            _("%(name)s is full: %(load)s open cases of %(capacity)s. Choose another mediator.")
            % {"name": mediator.name, "load": load, "capacity": mediator.capacity})
    conflict = conflict_of_interest(mediator, case)
    if conflict:
        raise MediatorRefused(_("Conflict of interest: %(why)s") % {"why": conflict})
    if party is not None and party.case_id != case.pk:
        raise ValueError("the party belongs to another case")
    choice = MediatorChoice.objects.create(case=case, mediator=mediator, party=party, method=method,
                                           reason=reason, recorded_by=actor)
    _count([mediator.pk], after=case.state)
    if mediator.user_id:
        _grant(mediator.user, [case.pk])
        if mediator.user_id != actor.pk:  # after the grant: notify tells only those who may see the case
            notices.notify(recipients=[mediator.user], kind=NoticeKind.ASSIGNED, case=case,
                           key=f"mediator:{choice.pk}")
    data = {"mediator": mediator.name, "method": choice.method}
    if party is not None:
        data["party"] = party.name
    record_event(case=case, actor=actor, kind=EventKind.MEDIATOR_CHOSEN, note=reason, data=data)
    return choice


@transaction.atomic
def replace_mediator(*, choice: MediatorChoice, actor, reason: str) -> None:
    """Take a mediator off the case; their account loses access to it."""
    choice = MediatorChoice.objects.select_for_update().select_related("case", "mediator").get(pk=choice.pk)
    if not permissions.can(actor, "choose_mediator", choice.case):
        raise PermissionDenied
    if not choice.active:
        raise WorkflowError(_("This mediator was already taken off the case."))
    if not reason.strip():
        raise WorkflowError(_("Say why the mediator is replaced."))
    _end_choice(choice, actor=actor, reason=reason)


def _check_mediating(actor, case: Case, action: str) -> None:
    if not permissions.can(actor, action, case):
        raise PermissionDenied
    if case.state != State.MEDIATING:
        raise WorkflowError(_("Sessions and agreements are recorded while the case is in mediation."))


def _rooms_text(parts) -> str:
    """调解室一：张三；调解室二：李四、王五 — for the timeline."""
    return "；".join(f"{part['room']}：{'、'.join(p.name for p in part['parties'])}" for part in parts)


@transaction.atomic
def record_session(*, case: Case, actor, mediators, participants=(), parts=(), **fields) -> MediationSession:
    """A mediation session (joint or back-to-back) with its start and end, record and outcome.
    `participants`: accounts other than the mediators who took part (each must be able to see
    the case); `parts`: for a back-to-back session, dicts of room, parties and optional
    started_at / ended_at, in order."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    _check_mediating(actor, case, "record_session")
    for person in participants:
        if not permissions.visible_cases(person).filter(pk=case.pk).exists():
            raise WorkflowError(_("%(name)s cannot see this case and cannot be recorded as taking part.")
                                % {"name": person.get_full_name() or person.username})
    if any(party.case_id != case.pk for part in parts for party in part["parties"]):
        raise WorkflowError(_("Only the parties of this case can be in its rooms."))
    session = MediationSession(case=case, recorded_by=actor, **fields)
    # The form says so next to the field; the service holds the rule for every caller.
    if session.held_at < case.reported_at.replace(second=0, microsecond=0):
        raise WorkflowError(_("A session cannot be dated before the case was logged."))
    session.full_clean(exclude=["mediators", "participants"])
    session.save()
    session.mediators.set(mediators)
    session.participants.set(participants)
    for order, part in enumerate(parts, start=1):
        row = SessionPart(session=session, order=order, room=part["room"],
                          started_at=part.get("started_at"), ended_at=part.get("ended_at"))
        row.full_clean(exclude=["session", "parties"])
        row.save()
        row.parties.set(part["parties"])
    others = [f"{p.get_full_name() or p.username}" for p in participants] + session.others_present_list
    record_event(case=case, actor=actor, kind=EventKind.SESSION, note=session.record, data={
        "held_at": session.held_at, "ended_at": session.ended_at, "duration": session.duration_minutes,
        "place": session.place, "format": session.format, "rooms": _rooms_text(parts),
        "outcome": session.outcome, "mediators": "、".join(m.name for m in mediators),
        "participants": "、".join(others),
    })
    return session


@transaction.atomic
def record_agreement(*, case: Case, actor, parties, mediators, **fields) -> Agreement:
    """The written mediation agreement (调解协议书); one per case."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    _check_mediating(actor, case, "record_agreement")
    if Agreement.objects.filter(case=case).exists():
        raise WorkflowError(_("This case already has a mediation agreement."))
    agreement = Agreement(case=case, recorded_by=actor, **fields)
    agreement.full_clean(exclude=["parties", "mediators"])
    agreement.save()
    agreement.parties.set(parties)
    agreement.mediators.set(mediators)
    record_event(case=case, actor=actor, kind=EventKind.AGREEMENT, note=agreement.terms, data={
        "signed_on": agreement.signed_on, "fulfil_by": agreement.fulfil_by,
    })
    return agreement


