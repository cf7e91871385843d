"""Writes of the mediation supermarket: choosing and replacing a case's mediator, recording
sessions and the agreement. Each in one transaction, each on the case timeline."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from cases.choices import OPEN_STATES, EventKind, State
from cases.models import Case
from cases.workflow import WorkflowError, record_event
from grids import access

from .models import Agreement, MediationSession, Mediator, MediatorChoice

CHOOSABLE_STATES = (State.TRIAGED, State.MEDIATING, State.ESCALATED, State.REFERRED)


class MediatorRefused(WorkflowError):
    """The mediator cannot take this case (full, retired, conflict of interest)."""


def open_load(mediator: Mediator) -> int:
    """Open cases this mediator is currently chosen for."""
    return (
        MediatorChoice.objects.filter(mediator=mediator, active=True, case__state__in=OPEN_STATES)
        .values("case_id").distinct().count()
    )


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


def _grant(mediator: Mediator, case: Case) -> None:
    if mediator.user_id:
        assign_perm("cases.view_case", mediator.user, case)
        access.forget(mediator.user)


def _revoke(mediator: Mediator, case: Case) -> None:
    still_chosen = MediatorChoice.objects.filter(case=case, mediator=mediator, active=True).exists()
    if mediator.user_id and not still_chosen:
        remove_perm("cases.view_case", mediator.user, case)
        access.forget(mediator.user)


@transaction.atomic
def choose_mediator(*, case: Case, mediator: Mediator, actor, method: str, party=None,
                    reason: str = "") -> MediatorChoice:
    """Record the parties' choice of mediator (or the handler's assignment) on the case.

    Refuses a retired or full mediator and one with a conflict of interest, with a message for
    the user; grants the mediator's account access to this case only."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not access.can(actor, "choose_mediator", case):
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
    _grant(mediator, case)
    data = {"mediator": mediator.name, "method": choice.method}
    if party is not None:
        data["party"] = party.name
    record_event(case=case, actor=actor, kind=EventKind.MEDIATOR_CHOSEN, note=reason, data=data)
    return choice


@transaction.atomic
def replace_mediator(*, choice: MediatorChoice, actor, reason: str) -> None:
    """Take a mediator off the case; their account loses access to it."""
    choice = MediatorChoice.objects.select_for_update().select_related("case", "mediator").get(pk=choice.pk)
    if not access.can(actor, "choose_mediator", choice.case):
        raise PermissionDenied
    if not choice.active:
        raise WorkflowError(_("This mediator was already taken off the case."))
    if not reason.strip():
        raise WorkflowError(_("Say why the mediator is replaced."))
    choice.active = False
    choice.ended_at = timezone.now()
    choice.ended_reason = reason
    choice.save(update_fields=["active", "ended_at", "ended_reason"])
    _revoke(choice.mediator, choice.case)
    record_event(case=choice.case, actor=actor, kind=EventKind.MEDIATOR_REPLACED, note=reason,
                 data={"mediator": choice.mediator.name})


def _check_mediating(actor, case: Case, action: str) -> None:
    if not access.can(actor, action, case):
        raise PermissionDenied
    if case.state != State.MEDIATING:
        raise WorkflowError(_("Sessions and agreements are recorded while the case is in mediation."))


@transaction.atomic
def record_session(*, case: Case, actor, mediators, **fields) -> MediationSession:
    """A mediation session (joint or back-to-back) with its record and outcome."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    _check_mediating(actor, case, "record_session")
    session = MediationSession(case=case, recorded_by=actor, **fields)
    session.full_clean(exclude=["mediators"])
    session.save()
    session.mediators.set(mediators)
    record_event(case=case, actor=actor, kind=EventKind.SESSION, note=session.record, data={
        "held_at": timezone.localtime(session.held_at).strftime("%Y-%m-%d %H:%M"),
        "place": session.place, "format": session.format, "outcome": session.outcome,
        "mediators": "、".join(m.name for m in mediators),
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
        "signed_on": agreement.signed_on.isoformat(), "fulfil_by": agreement.fulfil_by.isoformat(),
    })
    return agreement


