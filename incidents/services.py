"""Writes on 110 incidents: into a case, or handled on the spot. Each locks the incident, checks
that it is still new and that the actor may handle it (incidents/permissions.py), and writes in
one transaction. Somebody faster gets IncidentAlreadyHandled, a message naming who was."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.errors import WorkflowError

from . import permissions
from .models import Incident, IncidentStatus


class IncidentAlreadyHandled(WorkflowError):
    """The incident was dealt with by somebody else after the page was shown."""

    def __init__(self, incident):
        self.incident = incident
        who = (incident.handled_by.get_full_name() or incident.handled_by.get_username()) if incident.handled_by else "—"
        when = timezone.localtime(incident.handled_at).strftime("%Y-%m-%d %H:%M") if incident.handled_at else "—"
        super().__init__(_("110 incident %(number)s was already dealt with (%(status)s) by %(who)s at %(when)s. "
                           "Nothing was changed; what you typed is kept.")
                         % {"number": incident.number, "status": incident.get_status_display(), "who": who,
                            "when": when})


def _locked_new(incident_id: int, actor) -> Incident:
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
    incident = Incident.objects.select_for_update(of=("self",)).select_related("handled_by").get(pk=incident_id)
    if incident.status != IncidentStatus.NEW:
        raise IncidentAlreadyHandled(incident)
    if not permissions.may_handle(actor, incident):
        raise PermissionDenied
    return incident


@transaction.atomic
def link_case(*, incident_id: int, case, actor) -> Incident:
    """Record that the incident became `case` (just logged from it, in the same transaction:
    called by the intake as its on_created step, so a refusal here undoes the case too)."""
    incident = _locked_new(incident_id, actor)
    incident.status = IncidentStatus.CASE
    incident.case = case
    incident.handled_by = actor
    incident.handled_at = timezone.now()
    incident.save(update_fields=["status", "case", "handled_by", "handled_at"])
    return incident


@transaction.atomic
def handle_on_spot(*, incident_id: int, actor, note: str) -> Incident:
    """Close the incident as handled on the spot (当场处置), with how it was handled."""
    incident = _locked_new(incident_id, actor)
    incident.status = IncidentStatus.ON_SPOT
    incident.handled_by = actor
    incident.handled_at = timezone.now()
    incident.handled_note = note
    incident.save(update_fields=["status", "handled_by", "handled_at", "handled_note"])
    return incident
