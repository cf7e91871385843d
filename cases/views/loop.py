"""Closing the loop on a case page (referrals, supervision, tasks, follow-up visits) and the
two-way calls between grid and police. Writes go through cases.closing."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids import access

from .. import closing
from ..forms import (
    AnswerForm,
    CallForm,
    FollowUpForm,
    ReferralCloseForm,
    SupervisionForm,
    TaskDoneForm,
)
from ..models import Call, FollowUp, Referral, Task
from ..workflow import WorkflowError
from .case import detail_response, get_case_for


def _done(request, case, message):
    messages.success(request, message)
    return redirect(case)


@require_POST
def referral_receive(request, pk, referral_pk):
    case = get_case_for(request, pk, "update_referral")
    referral = get_object_or_404(Referral, pk=referral_pk, case=case)
    try:
        closing.receive_referral(referral=referral, actor=request.user)
    except WorkflowError as error:
        messages.error(request, str(error))
        return redirect(case)
    return _done(request, case, _("Referral signed for."))


@require_POST
def referral_close(request, pk, referral_pk):
    case = get_case_for(request, pk, "update_referral")
    referral = get_object_or_404(Referral, pk=referral_pk, case=case)
    form = ReferralCloseForm(request.POST, prefix=f"referral{referral.pk}")
    if form.is_valid():
        try:
            closing.close_referral(referral=referral, actor=request.user, **form.cleaned_data)
        except WorkflowError as error:
            messages.error(request, str(error))
            return redirect(case)
        return _done(request, case, _("The department's feedback is recorded."))
    return detail_response(request, case, forms={f"referral_{referral.pk}": form}, status=400)


@require_POST
def supervise(request, pk):
    case = get_case_for(request, pk, "supervise")
    form = SupervisionForm(request.POST)
    if form.is_valid():
        try:
            closing.issue_supervision(case=case, actor=request.user, **form.cleaned_data)
        except WorkflowError as error:
            form.add_error(None, str(error))
        else:
            return _done(request, case, _("Supervision instruction issued."))
    return detail_response(request, case, forms={"supervision": form}, status=400)


@require_POST
def task_done(request, pk, task_pk):
    case = get_case_for(request, pk)
    task = get_object_or_404(Task, pk=task_pk, case=case)
    form = TaskDoneForm(request.POST)
    if form.is_valid():
        try:
            closing.complete_task(task=task, actor=request.user, note=form.cleaned_data["note"])
        except WorkflowError as error:
            messages.error(request, str(error))
            return redirect(case)
        return _done(request, case, _("Task done."))
    return detail_response(request, case, forms={f"task_{task.pk}": form}, status=400)


@require_POST
def follow_up(request, pk, follow_up_pk):
    case = get_case_for(request, pk, "follow_up")
    visit = get_object_or_404(FollowUp, pk=follow_up_pk, case=case)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            closing.record_follow_up(follow_up=visit, actor=request.user, **form.cleaned_data)
        except WorkflowError as error:
            messages.error(request, str(error))
            return redirect(case)
        if form.cleaned_data["fulfilled"]:
            return _done(request, case, _("Follow-up recorded: the case can be closed."))
        messages.warning(request, _("Follow-up recorded: the agreement was broken, the case is back in mediation."))
        return redirect(case)
    return detail_response(request, case, forms={"follow_up": form}, status=400)


# --- two-way calls -------------------------------------------------------------------------


def calls(request):
    """网格有呼、民警有应: calls I must answer, calls of my scope, and response figures."""
    user = request.user
    scope = access.scope_of(user)
    in_scope = Call.objects.all() if scope.everything else Call.objects.filter(grid_id__in=scope.community_grid_ids)
    now = timezone.now()
    late = closing.late_calls(now)
    if request.GET.get("late"):
        in_scope = in_scope.filter(late)
    figures = in_scope.aggregate(
        total=Count("id"), open=Count("id", filter=Q(answered_at__isnull=True)),
        late=Count("id", filter=late),
        avg=Avg(ExpressionWrapper(F("answered_at") - F("created_at"), output_field=DurationField()),
                filter=Q(answered_at__isnull=False)),
    )
    related = ("grid__community", "caller", "answered_by", "case")
    return render(request, "cases/calls.html", {
        "to_answer": list(closing.calls_to_answer(user).select_related(*related).order_by("respond_by")[:50]),
        "recent": list(in_scope.select_related(*related).order_by("-created_at")[:50]),
        "figures": figures,
        "avg_minutes": round(figures["avg"].total_seconds() / 60) if figures["avg"] else None,
        "can_call": closing.call_direction_for(user) is not None,
        "answer_form": AnswerForm(),
        "late_only": bool(request.GET.get("late")),
    })


def call_create(request):
    user = request.user
    direction = closing.call_direction_for(user)
    if direction is None:
        raise PermissionDenied
    case = None
    if request.GET.get("case") or request.POST.get("case"):
        case = get_case_for(request, request.GET.get("case") or request.POST.get("case"), "call")
    grids = access.visible_community_grids(user).select_related("community")
    if case is not None:
        grids = grids.filter(pk=case.grid_id)
    form = CallForm(request.POST or None, grids=grids, initial={"grid": case.grid_id if case else None})
    if request.method == "POST" and form.is_valid():
        closing.place_call(actor=user, case=case, **form.cleaned_data)
        messages.success(request, _("Call placed. The other side sees it on their work bench."))
        return redirect(case or "cases:calls")
    return render(request, "cases/call_form.html", {"form": form, "case": case, "direction": direction},
                  status=400 if request.method == "POST" else 200)


@require_POST
def call_answer(request, call_pk):
    call = get_object_or_404(Call, pk=call_pk)
    if not access.in_scope(request.user, call.grid_id):
        raise Http404  # outsiders: 404, like every other object
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say how the call was answered."))
        return redirect("cases:calls")
    try:
        closing.answer_call(call=call, actor=request.user, answer=form.cleaned_data["answer"])
    except WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Call answered."))
    return redirect("cases:workbench" if request.POST.get("from") == "workbench" else "cases:calls")
