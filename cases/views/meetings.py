"""Meetings on cases: the joint meeting (联席会议) of a street and its station, agenda prefilled
from the ledger, and the coordination meeting (协调会) a handler calls from a case page on one
dispute, with people without accounts. A decision per case (on the case timeline, a task where
it assigns work), minutes, print. Leaders see the joint meetings of streets where they lead
grids; everyone sees the coordination meetings on cases they may open; each agenda is cut to
the cases the user may open. The street's leaders run joint meetings, the cases' handlers
coordination meetings."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids import access
from grids.models import GridLink
from grids.selectors import people_placed_on

from .. import loop as loop_services
from .. import permissions
from ..choices import MeetingKind
from ..errors import WorkflowError
from ..forms import DecisionForm, MinutesForm
from ..meeting_forms import CoordinationMeetingForm, JointMeetingForm
from ..models import Case
from . import races
from .case import get_case_for, kept_input


def _get_meeting(request, pk):
    """A meeting the user may see. Leaders get 404 for the others; everyone else 403, as joint
    meetings are gated by role first (the answer is the same whether the meeting exists)."""
    meetings = permissions.visible_meetings(request.user).select_related("street", "district", "created_by")
    if permissions.may_lead(request.user):
        return get_object_or_404(meetings, pk=pk)
    meeting = meetings.filter(pk=pk).first()
    if meeting is None:
        raise PermissionDenied
    return meeting


def _items(user, meeting):
    """The agenda as this user may see it: a station leader covering part of the street sees
    only the items of the cases he may open."""
    return (meeting.items.filter(case__in=permissions.visible_cases(user))
            .select_related("case__grid__community", "case__lead_handler"))


def _people(user, meeting=None, items=()):
    """Who a decision can assign work to: the people placed on the grids the leader leads; at a
    coordination meeting, the people placed on its cases' grids."""
    scope = access.scope_of(user)
    if meeting is not None and meeting.kind == MeetingKind.COORDINATION:
        grid_ids = {item.case.grid_id for item in items}
        return people_placed_on(grid_ids=grid_ids, police_grid_ids=GridLink.objects.filter(
            community_grid_id__in=grid_ids).values("police_grid_id"))
    if scope.everything:
        return people_placed_on(grid_ids=None, police_grid_ids=None)
    return people_placed_on(grid_ids=scope.grids_where(*permissions.LEADERS),
                            police_grid_ids=scope.police_grid_ids)


def meeting_list(request):
    meetings = permissions.visible_meetings(request.user).select_related("street", "district")
    return render(request, "cases/meeting_list.html", {
        "meetings": meetings[:50], "can_create": permissions.may_call_joint_meetings(request.user)})


def meeting_call(request, pk):
    """协调会: a handler calls a coordination meeting on this case, and one or two more open
    cases of the same grid."""
    case = get_case_for(request, pk, "call_meeting")
    others = Case.objects.open().filter(grid_id=case.grid_id).exclude(pk=case.pk).order_by("-id")
    form = CoordinationMeetingForm(request.POST or None, others=others)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = loop_services.call_coordination_meeting(actor=request.user, case=case, **form.cleaned_data)
        except WorkflowError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Coordination meeting called."))
            return redirect("cases:meeting", pk=meeting.pk)
    return render(request, "cases/meeting_call.html", {"form": form, "case": case},
                  status=400 if request.method == "POST" else 200)


def meeting_create(request):
    if not permissions.may_call_joint_meetings(request.user):
        raise PermissionDenied  # joint meetings are the street's to call
    streets = permissions.joint_meeting_streets(request.user)
    districts = permissions.joint_meeting_districts(request.user)
    ledger = (permissions.led_cases(request.user).on_ledger(timezone.now())
              .filter(Q(grid__community__street__in=streets) | Q(grid__community__street__district__in=districts))
              .select_related("grid__community__street").order_by("due_at", "id"))
    form = JointMeetingForm(request.POST or None, streets=streets, districts=districts, ledger=ledger)
    if request.method == "POST" and form.is_valid():
        meeting = loop_services.create_meeting(actor=request.user, **form.cleaned_data)
        messages.success(request, _("Meeting created; its agenda holds %(n)s cases.") % {"n": meeting.items.count()})
        return redirect("cases:meeting", pk=meeting.pk)
    return render(request, "cases/meeting_form.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


def meeting_detail(request, pk, *, bound=None, minutes_form=None, status=200):
    meeting = _get_meeting(request, pk)
    items = list(_items(request.user, meeting))
    people = _people(request.user, meeting, items)
    decide = permissions.decision_action(meeting)
    for item in items:
        if bound is not None and bound.item_pk == item.pk:
            item.form = bound
        elif permissions.can(request.user, decide, item.case):
            item.form = DecisionForm(people=people, prefix=f"item{item.pk}", initial={"decision": item.decision})
        else:
            item.form = None
    may_run = permissions.may_run_meeting(request.user, meeting)
    return render(request, "cases/meeting_detail.html", {
        "meeting": meeting, "items": items, "participants": meeting.attendees.splitlines(), "may_run": may_run,
        "minutes_form": (minutes_form or MinutesForm(initial={"minutes": meeting.minutes})) if may_run else None,
    }, status=status)


@require_POST
def meeting_decide(request, pk, item_pk):
    meeting = _get_meeting(request, pk)
    item = get_object_or_404(_items(request.user, meeting), pk=item_pk)
    action = permissions.decision_action(meeting)
    form = DecisionForm(request.POST, people=_people(request.user, meeting, [item]), prefix=f"item{item.pk}")
    form.item_pk = item.pk
    if not permissions.can(request.user, action, item.case):  # e.g. the case closed meanwhile
        return _decision_lost(request, pk, item, form, action)
    if form.is_valid():
        try:
            loop_services.record_decision(item=item, actor=request.user, **form.cleaned_data)
        except PermissionDenied:  # the case closed while this was on its way
            return _decision_lost(request, pk, item, form, action)
        except WorkflowError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Decision recorded on case %(number)s.") % {"number": item.case.number})
            return redirect(f"{meeting_url(meeting)}#item-{item.pk}")
    return meeting_detail(request, pk, bound=form, status=400)


def _decision_lost(request, pk, item, form, action):
    """`action` (the decision) is no longer possible on the item's case: 403 to who never had
    the right; a race lost (the case closed meanwhile), the meeting page again (409) with the
    decision as typed, read-only, and who changed the case."""
    case = Case.objects.get(pk=item.case_id)
    races.check_lost_race(request, case, action, prefix=form.prefix)
    messages.error(request, races.message(case, _("Record the decision")))
    form.kept = kept_input(form)
    return meeting_detail(request, pk, bound=form, status=409)


@require_POST
def meeting_drop_item(request, pk, item_pk):
    """Take a case off the agenda of a meeting that has not decided on it."""
    meeting = _get_meeting(request, pk)
    item = get_object_or_404(_items(request.user, meeting), pk=item_pk)
    if not permissions.may_run_meeting(request.user, meeting):
        raise PermissionDenied
    try:
        loop_services.drop_meeting_item(item=item, actor=request.user)
    except WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Case %(number)s taken off the agenda.") % {"number": item.case.number})
    return redirect(meeting_url(meeting))


@require_POST
def meeting_minutes(request, pk):
    meeting = _get_meeting(request, pk)
    if not permissions.may_run_meeting(request.user, meeting):
        raise PermissionDenied
    form = MinutesForm(request.POST)
    if form.is_valid():
        loop_services.save_minutes(meeting=meeting, actor=request.user, minutes=form.cleaned_data["minutes"])
        messages.success(request, _("Minutes saved."))
        return redirect(meeting_url(meeting))
    return meeting_detail(request, pk, minutes_form=form, status=400)


def meeting_print(request, pk):
    meeting = _get_meeting(request, pk)
    items = _items(request.user, meeting).prefetch_related("tasks__assignee")
    return render(request, "cases/meeting_print.html", {"meeting": meeting, "items": items})


def meeting_url(meeting):
    return reverse("cases:meeting", args=[meeting.pk])
