"""Incidents: list, detail, into a case, handled on the spot; the radar; the repeat list.

Thin views. An incident is fetched through `get_incident_for`: outside the user's scope it is a
404 (its existence is not revealed). The pages themselves are for the officers and leaders
(`may_see_incidents`, else 403); the case radar is for whoever may view the case, the intake
radar for whoever may log one.
"""

import tempfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases import permissions as case_permissions
from cases.errors import WorkflowError
from cases.models import ExportRecord
from cases.views.case import get_case_for, intake_response

from .. import permissions, radar, selectors, services
from ..filters import IncidentFilter
from ..incident_forms import OnSpotForm
from ..models import Incident, IncidentStatus

PAGE_SIZE = 25


def get_incident_for(request, pk) -> Incident:
    """The incident if the user may see it, else 404."""
    try:
        return selectors.incident_detail(request.user, int(pk))
    except (Incident.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def _officers_and_leaders(user):
    if not permissions.may_see_incidents(user):
        raise PermissionDenied


@require_GET
def incident_list(request):
    """The incidents of the user's police grids, filtered, searched and paginated."""
    _officers_and_leaders(request.user)
    building = request.GET.get("building", "").strip()[:255]
    incident_filter = IncidentFilter(request.GET or None,
                                     queryset=selectors.incident_list(request.user, building=building))
    page = Paginator(incident_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "incidents/incident_list.html", {
        "filter": incident_filter, "page": page, "query": query.urlencode(), "building": building,
        "may_import": permissions.may_import(request.user),
    })


def _detail(request, incident, *, on_spot_form=None, kept_note="", status=200):
    phone, phone_in_full = selectors.caller_phone(request.user, incident)
    may_handle = incident.status == IncidentStatus.NEW and permissions.may_handle(request.user, incident)
    return render(request, "incidents/incident_detail.html", {
        "incident": incident,
        "caller_phone": phone,
        "caller_phone_in_full": phone_in_full,
        "case_visible": selectors.case_visible(request.user, incident),
        "may_handle": may_handle,
        "on_spot_form": on_spot_form or (OnSpotForm() if may_handle else None),
        "kept_note": kept_note,
    }, status=status)


@require_GET
def incident_detail(request, pk):
    return _detail(request, get_incident_for(request, pk))


def incident_to_case(request, pk):
    """Log the incident as a case in one step: the intake form prefilled from it, the community
    grids limited to those its police grid covers on which the user may log a case; the case
    and the incident's new status are written together."""
    incident = get_incident_for(request, pk)
    if incident.status != IncidentStatus.NEW:
        if request.method != "POST":
            messages.info(request, _("This incident was already dealt with."))
            return redirect(incident)
        # sent: the intake runs and link_case refuses, so what was typed is shown back (409)
    elif not permissions.may_handle(request.user, incident):
        raise PermissionDenied
    grids = selectors.case_grids(request.user, incident)
    if not grids.exists():
        raise PermissionDenied
    initial, parties = selectors.case_prefill(incident)
    return intake_response(
        request, grids=grids, initial=initial, party_initial=parties,
        on_created=lambda case: services.link_case(incident_id=incident.pk, case=case, actor=request.user),
        template="incidents/incident_to_case.html", context={"incident": incident},
    )


@require_POST
def incident_on_spot(request, pk):
    """Close the incident as handled on the spot, with a short note."""
    incident = get_incident_for(request, pk)
    if incident.status == IncidentStatus.NEW and not permissions.may_handle(request.user, incident):
        raise PermissionDenied
    form = OnSpotForm(request.POST)
    if not form.is_valid():
        if incident.status != IncidentStatus.NEW:
            return _detail(request, incident, status=409)
        return _detail(request, incident, on_spot_form=form, status=400)
    try:
        services.handle_on_spot(incident_id=incident.pk, actor=request.user, note=form.cleaned_data["note"])
    except WorkflowError as error:
        messages.error(request, str(error))
        return _detail(request, get_incident_for(request, pk), kept_note=form.cleaned_data["note"], status=409)
    messages.success(request, _("Marked as handled on the spot."))
    return redirect(incident)


# --- the radar ----------------------------------------------------------------------------------


@require_GET
def case_radar(request, pk):
    """The radar on a case page (loaded by htmx): for whoever may view the case."""
    case = get_case_for(request, pk)
    return render(request, "incidents/partials/radar.html", {
        "radar": radar.for_case(user=request.user, case=case), "on_case": True,
    })


def _typed(request, name: str) -> list[str]:
    """Values of `name`, and of the intake form's party fields ending in -`name`."""
    values = request.GET.getlist(name)
    for key in request.GET:
        if key.startswith("parties-") and key.endswith(f"-{name}"):
            values += request.GET.getlist(key)
    return values[: radar.MAX_VALUES * 2]


@require_GET
def intake_radar(request):
    """The radar on the intake form, for what was typed (address, the parties' phones and ID
    numbers): for whoever may log a case."""
    if not case_permissions.intake_grids(request.user).exists():
        raise PermissionDenied
    found = radar.for_intake(
        user=request.user, address=request.GET.get("address", "")[:255],
        phones=_typed(request, "phone"), id_numbers=_typed(request, "id_number"),
        ip_address=request.META.get("REMOTE_ADDR"),
    )
    return render(request, "incidents/partials/radar.html", {"radar": found, "on_case": False})


# --- the repeat list ----------------------------------------------------------------------------


@require_GET
def repeats(request):
    """重复警情: buildings and phones with several records in the window, within the user's scope."""
    _officers_and_leaders(request.user)
    found = radar.repeats_for(request.user)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "incidents/repeats.html", {
        "page": page, "days": found.days, "threshold": found.threshold, "query": "",
    })


@require_GET
def repeats_export(request):
    """The repeat list as an Excel file (phones masked), recorded like every export."""
    _officers_and_leaders(request.user)
    found = radar.repeats_for(request.user)
    out = tempfile.TemporaryFile()
    rows = radar.write_repeats(found, out)
    out.seek(0)
    ExportRecord.objects.create(
        user=request.user, what=ExportRecord.What.REPEATS, rows=rows, ip_address=request.META.get("REMOTE_ADDR"),
        filters={"radar_days": [str(found.days)], "repeat_threshold": [str(found.threshold)]})
    name = _("repeat-disputes") + f"-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(out, as_attachment=True, filename=name, content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
