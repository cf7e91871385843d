"""Joint meetings (联席会议) of a street and its station: agenda prefilled from the ledger,
a decision per case (on the case timeline, a task where it assigns work), minutes, print."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids import access
from grids.models import CommunityGridUserObjectPermission, PoliceGridUserObjectPermission

from .. import closing
from ..forms import DecisionForm, MeetingForm, MinutesForm
from ..models import Meeting, MeetingItem
from ..workflow import WorkflowError
from .ledger import leaders_only


def _get_meeting(request, pk):
    leaders_only(request.user)
    meeting = get_object_or_404(Meeting.objects.select_related("street", "created_by"), pk=pk)
    if meeting.street_id not in access.scope_of(request.user).street_ids and not access.is_admin(request.user):
        raise Http404
    return meeting


def _people(user):
    """Who a decision can assign work to: the people placed in the leader's scope."""
    scope = access.scope_of(user)
    workers = CommunityGridUserObjectPermission.objects.values("user_id")
    police = PoliceGridUserObjectPermission.objects.values("user_id")
    if not scope.everything:
        workers = workers.filter(content_object_id__in=scope.community_grid_ids)
        police = police.filter(content_object_id__in=scope.police_grid_ids)
    return get_user_model().objects.filter(pk__in=workers.union(police)).order_by("username")


def meeting_list(request):
    leaders_only(request.user)
    meetings = Meeting.objects.filter(street__in=access.visible_streets(request.user)).select_related("street")
    return render(request, "cases/meeting_list.html", {"meetings": meetings[:50]})


def meeting_create(request):
    leaders_only(request.user)
    form = MeetingForm(request.POST or None, streets=access.visible_streets(request.user))
    if request.method == "POST" and form.is_valid():
        meeting = closing.create_meeting(actor=request.user, **form.cleaned_data)
        messages.success(request, _("Meeting created; its agenda holds %(n)s cases.") % {"n": meeting.items.count()})
        return redirect("cases:meeting", pk=meeting.pk)
    return render(request, "cases/meeting_form.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


def meeting_detail(request, pk, *, bound=None, minutes_form=None, status=200):
    meeting = _get_meeting(request, pk)
    people = _people(request.user)
    items = list(meeting.items.select_related("case__grid__community", "case__lead_handler"))
    for item in items:
        item.form = bound if bound is not None and bound.item_pk == item.pk else DecisionForm(
            people=people, prefix=f"item{item.pk}", initial={"decision": item.decision})
    return render(request, "cases/meeting_detail.html", {
        "meeting": meeting, "items": items,
        "minutes_form": minutes_form or MinutesForm(initial={"minutes": meeting.minutes}),
    }, status=status)


@require_POST
def meeting_decide(request, pk, item_pk):
    meeting = _get_meeting(request, pk)
    item = get_object_or_404(MeetingItem, pk=item_pk, meeting=meeting)
    form = DecisionForm(request.POST, people=_people(request.user), prefix=f"item{item.pk}")
    form.item_pk = item.pk
    if form.is_valid():
        try:
            closing.record_decision(item=item, actor=request.user, **form.cleaned_data)
        except WorkflowError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Decision recorded on case %(number)s.") % {"number": item.case.number})
            return redirect(f"{meeting_url(meeting)}#item-{item.pk}")
    return meeting_detail(request, pk, bound=form, status=400)


@require_POST
def meeting_minutes(request, pk):
    meeting = _get_meeting(request, pk)
    form = MinutesForm(request.POST)
    if form.is_valid():
        meeting.minutes = form.cleaned_data["minutes"]
        meeting.save(update_fields=["minutes"])
        messages.success(request, _("Minutes saved."))
        return redirect(meeting_url(meeting))
    return meeting_detail(request, pk, minutes_form=form, status=400)


def meeting_print(request, pk):
    meeting = _get_meeting(request, pk)
    items = meeting.items.select_related("case__grid__community", "case__lead_handler").prefetch_related(
        "tasks__assignee")
    return render(request, "cases/meeting_print.html", {"meeting": meeting, "items": items})


def meeting_url(meeting):
    return reverse("cases:meeting", args=[meeting.pk])
