"""Per-case grants: the exceptions to "scope comes from grids". A grant is a django-guardian
object permission on one case whose codename says why it exists, and so which role its holder
plays on that case:

  cases.mediate_case          the account of a mediator chosen for the case   -> Role.MEDIATOR
  cases.handle_referral_case  the contact account of a department it was referred to -> DEPARTMENT
  cases.view_case             a colleague invited to read it                  -> read only

Only the services that start or end the reason write these rows (mediators.services,
cases.transitions, cases.loop). Read with the user's places (one query, grids.access.also_read)."""

from guardian.shortcuts import assign_perm, remove_perm

from grids import access
from grids.roles import Role

from .models import CaseUserObjectPermission

MEDIATOR, DEPARTMENT, VIEWER = "mediate_case", "handle_referral_case", "view_case"
VIEWER_ROLE = "case_viewer"
GRANT_ROLES = {MEDIATOR: Role.MEDIATOR, DEPARTMENT: Role.DEPARTMENT, VIEWER: VIEWER_ROLE}


def grant(*, user, case, reason: str) -> None:
    """Give `user` the per-case role for `reason` (one of the codenames above). Idempotent."""
    assign_perm(f"cases.{reason}", user, case)
    access.forget(user)


def revoke(*, user, case, reason: str) -> None:
    remove_perm(f"cases.{reason}", user, case)
    access.forget(user)


def revoke_all(*, case, reason: str) -> list:
    """End every grant for `reason` on the case (its reason ended for all of them: a department
    contact's when the case is closed or withdrawn). One row at a time, so each removal is in
    the grants' history. Returns the accounts that held one."""
    rows = (CaseUserObjectPermission.objects.filter(content_object=case, permission__codename=reason)
            .select_related("user"))
    holders = [row.user for row in rows]
    for user in holders:
        revoke(user=user, case=case, reason=reason)
    return holders


def roles_by_case(user) -> dict[int, frozenset[str]]:
    """{case id: roles granted on it} for the user: read with the user's places, in the same
    query (grids.access.also_read, registered in cases/apps.py), cached for the request."""
    if not user.is_authenticated:
        return {}
    cache = access.request_cache(user)
    if "case_grants" not in cache:
        roles: dict[int, set[str]] = {}
        for codename, case_ids in access.held_objects(user).items():
            if codename in GRANT_ROLES:
                for case_id in case_ids:
                    roles.setdefault(case_id, set()).add(GRANT_ROLES[codename])
        cache["case_grants"] = {case_id: frozenset(r) for case_id, r in roles.items()}
    return cache["case_grants"]
