"""Reads of 110 incidents for pages, already cut to what the user may see (incidents/
permissions.py), each a fixed number of queries."""

from cases import permissions as case_permissions
from cases.choices import Channel, PartyRole
from cases.masking import mask_phone

from . import permissions


def incident_list(user, *, building: str = ""):
    """Visible incidents with what a list row shows, newest first; `building` (an address key,
    from the repeat list) keeps those of one building and unit."""
    incidents = permissions.visible_incidents(user).select_related("police_grid")
    return incidents.filter(address_key=building) if building else incidents


def incident_detail(user, pk: int):
    """The incident with what its page shows (raises DoesNotExist outside the user's scope)."""
    return (permissions.visible_incidents(user)
            .select_related("police_grid__station", "case", "handled_by")
            .get(pk=pk))


def caller_phone(user, incident) -> tuple[str, bool]:
    """The caller's phone as this user sees it, and whether it is in full: in full for the
    officers and leaders of the incident's police grid, masked for everyone else."""
    if not incident.caller_phone:
        return "", False
    full = permissions.caller_revealable_incidents(user).filter(pk=incident.pk).exists()
    return (incident.caller_phone, True) if full else (mask_phone(incident.caller_phone), False)


def case_visible(user, incident) -> bool:
    """Whether the case made of the incident may be opened by the user (a link, or only its number)."""
    return incident.case_id is not None and case_permissions.visible_cases(user).filter(pk=incident.case_id).exists()


def case_grids(user, incident):
    """The community grids a case made of the incident may be logged on: those its police grid
    covers on which the user may log a case."""
    return (case_permissions.intake_grids(user)
            .filter(police_links__police_grid_id=incident.police_grid_id)
            .select_related("community").order_by("community__name", "code"))


def case_prefill(incident) -> tuple[dict, list[dict]]:
    """The intake form's initial values for a case made of the incident, and its first party
    (the caller, as applicant)."""
    title = "：".join(part for part in (incident.kind, incident.address) if part)
    initial = {
        "title": title[:200],
        "channel": Channel.INCIDENT_110,
        "incident_number": incident.number,
        "address": incident.address,
        "description": incident.summary or incident.kind,
        "reported_at": incident.reported_at,
    }
    caller = {"name": incident.caller_name, "phone": incident.caller_phone, "role": PartyRole.APPLICANT}
    return initial, [caller] if incident.caller_name or incident.caller_phone else []
