"""The joint team (联合调处) after triage: colleagues from the grid, the station and street or a
department, and named people without an account with their unit. Who may change it:
cases/permissions.py ACTIONS["manage_team"]. A colleague who could not open the case before
is granted it (cases/grants.py VIEWER) while on the team."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from . import grants, permissions
from .choices import EventKind
from .errors import WorkflowError
from .models import Case, CaseTeamMember
from .timeline import record_event


def _described(member: CaseTeamMember) -> str:
    """How the timeline names a member: their name, and the unit of someone without an account."""
    if member.user_id:
        return member.user.get_full_name() or member.user.get_username()
    return f"{member.name}（{member.unit}）" if member.unit else member.name


@transaction.atomic
def add_member(*, case: Case, actor, role: str, user=None, name: str = "", unit: str = "") -> CaseTeamMember:
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not permissions.can(actor, "manage_team", case):
        raise PermissionDenied
    if user is not None:
        if CaseTeamMember.objects.filter(case=case, user=user).exists():
            raise WorkflowError(_("%(name)s is already on the joint team.")
                                % {"name": user.get_full_name() or user.get_username()})
        if not permissions.can(user, "view", case):
            grants.grant(user=user, case=case, reason=grants.VIEWER)
    member = CaseTeamMember.objects.create(case=case, user=user, name=name, unit=unit, role=role)
    record_event(case=case, actor=actor, kind=EventKind.TEAM_CHANGED, data={"added": _described(member)})
    return member


@transaction.atomic
def remove_member(*, case: Case, actor, member: CaseTeamMember) -> None:
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not permissions.can(actor, "manage_team", case):
        raise PermissionDenied
    member = CaseTeamMember.objects.select_related("user").get(pk=member.pk, case=case)
    described = _described(member)
    member.delete()
    if member.user_id:
        grants.revoke(user=member.user, case=case, reason=grants.VIEWER)  # if the team gave it
    record_event(case=case, actor=actor, kind=EventKind.TEAM_CHANGED, data={"removed": described})
