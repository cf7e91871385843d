"""Closing the loop on a case page (referrals, supervision, tasks, follow-up visits) and the
two-way calls between grid and police. Writes go through cases.loop; access is asked of
cases.permissions."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.roles import Role

from .. import loop as loop_services
from .. import permissions, selectors
from ..choices import ReferralStatus
from ..errors import WorkflowError
from ..forms import (
    AnswerForm,
    CallForm,
    FollowUpForm,
    ReferralCloseForm,
    ReferralDecisionForm,
    SendReferralForm,
    SupervisionForm,
    TaskDoneForm,
)
from ..models import Call, FollowUp, Referral, Task
from .case import detail_response, get_case_for, id_from


def _kept(request, case, error, title, form):
    """Somebody else was faster: say so, and show what was typed (read-only) on the case page."""
    messages.error(request, str(error))
    case = get_case_for(request, case.pk)
    return detail_response(request, case, kept=(title, form), status=409)


def _done(request, case, message):
    messages.success(request, message)
    return redirect(case)


def _get_referral(request, pk, referral_pk):
    """A referral the user may update: a department contact only their own (else 403)."""
    case = get_case_for(request, pk, "update_referral")
    referral = get_object_or_404(Referral.objects.select_related("department"), pk=referral_pk, case=case)
    if not loop_services.may_update_referral(request.user, referral):
        raise PermissionDenied
    return case, referral


@require_POST
def referral_receive(request, pk, referral_pk):
    case, referral = _get_referral(request, pk, referral_pk)
    try:
        loop_services.receive_referral(referral=referral, actor=request.user)
    except WorkflowError as error:
        messages.error(request, str(error))
        return redirect(case)
    return _done(request, case, _("Referral signed for."))


@require_POST
def referral_close(request, pk, referral_pk):
    case, referral = _get_referral(request, pk, referral_pk)
    form = ReferralCloseForm(request.POST, prefix=f"referral{referral.pk}")
    if form.is_valid():
        try:
            loop_services.close_referral(referral=referral, actor=request.user, **form.cleaned_data)
        except WorkflowError as error:
            return _kept(request, case, error, _("Record the department's feedback"), form)
        if permissions.roles_on_case(request.user, case) <= {Role.DEPARTMENT} and not case.referrals.filter(
                contact=request.user, status__in=(ReferralStatus.SENT, ReferralStatus.RECEIVED)).exists():
            # a department contact's access ended with their last open referral: back to the bench
            messages.success(request, _("The department's feedback is recorded."))
            return redirect("cases:workbench")
        return _done(request, case, _("The department's feedback is recorded."))
    return detail_response(request, case, forms={f"referral_{referral.pk}": form}, status=400)


@require_POST
def referral_decide(request, pk, referral_pk):
    """A leader approves a handler's referral (it goes to the department) or declines it."""
    case = get_case_for(request, pk, "approve_referral")
    referral = get_object_or_404(Referral, pk=referral_pk, case=case)
    form = ReferralDecisionForm(request.POST, prefix=f"decide{referral.pk}")
    if form.is_valid():
        decide = (loop_services.approve_referral if form.cleaned_data["decision"] == "approve"
                  else loop_services.decline_referral)
        try:
            decide(referral=referral, actor=request.user, note=form.cleaned_data["note"])
        except WorkflowError as error:
            return _kept(request, case, error, _("Approve the referral"), form)
        if form.cleaned_data["decision"] == "approve":
            return _done(request, case, _("Approved: sent to %(department)s.") % {"department": referral.department.name})
        return _done(request, case, _("The referral is not approved; its sender is told why."))
    return detail_response(request, case, forms={f"decide_{referral.pk}": form}, status=400)


@require_POST
def referral_send(request, pk):
    """转办 without escalating, from the case page's loop card."""
    case = get_case_for(request, pk, "send_referral")
    form = SendReferralForm(request.POST)
    if form.is_valid():
        try:
            referral = loop_services.send_referral(case=case, actor=request.user, **form.referral())
        except WorkflowError as error:
            form.add_error(None, str(error))
        else:
            if referral.is_awaiting:
                return _done(request, case, _("Waiting for a leader's approval before it goes to %(department)s.")
                             % {"department": referral.department.name})
            return _done(request, case, _("Sent to %(department)s.") % {"department": referral.department.name})
    return detail_response(request, case, forms={"send_referral": form}, status=400)


@require_POST
def supervise(request, pk):
    case = get_case_for(request, pk, "supervise")
    form = SupervisionForm(request.POST, candidates=selectors.supervision_candidates(case))
    if form.is_valid():
        try:
            loop_services.issue_supervision(case=case, actor=request.user, **form.cleaned_data)
        except WorkflowError as error:  # no lead handler to default to, or one who cannot act
            form.add_error("assignee", str(error))
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
            loop_services.complete_task(task=task, actor=request.user, note=form.cleaned_data["note"])
        except WorkflowError as error:
            return _kept(request, case, error, _("Mark done"), form)
        return _done(request, case, _("Task done."))
    return detail_response(request, case, forms={f"task_{task.pk}": form}, status=400)


@require_POST
def follow_up(request, pk, follow_up_pk):
    case = get_case_for(request, pk, "follow_up")
    visit = get_object_or_404(FollowUp, pk=follow_up_pk, case=case)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            loop_services.record_follow_up(follow_up=visit, actor=request.user, **form.cleaned_data)
        except WorkflowError as error:
            return _kept(request, case, error, _("Record the follow-up visit"), form)
        if form.cleaned_data["fulfilled"]:
            return _done(request, case, _("Follow-up recorded: the case can be closed."))
        messages.warning(request, _("Follow-up recorded: the agreement was broken, the case is back in mediation."))
        return redirect(case)
    return detail_response(request, case, forms={"follow_up": form}, status=400)


# --- two-way calls -------------------------------------------------------------------------


def calls(request):
    """网格有呼、民警有应: calls I must answer, calls of my scope, and response figures."""
    user = request.user
    in_scope = permissions.visible_calls(user)
    now = timezone.now()
    late_ids = Call.objects.late(now).values("id")
    if request.GET.get("late"):
        in_scope = in_scope.filter(id__in=late_ids)
    figures = in_scope.aggregate(
        total=Count("id"), open=Count("id", filter=Q(answered_at__isnull=True)),
        late=Count("id", filter=Q(id__in=late_ids)),
        avg=Avg(ExpressionWrapper(F("answered_at") - F("created_at"), output_field=DurationField()),
                filter=Q(answered_at__isnull=False)),
    )
    related = ("grid__community", "caller", "answered_by", "case")
    return render(request, "cases/calls.html", {
        "to_answer": list(permissions.calls_to_answer(user).select_related(*related).order_by("respond_by")[:50]),
        "recent": list(in_scope.select_related(*related).order_by("-created_at")[:50]),
        "figures": figures,
        "avg_minutes": round(figures["avg"].total_seconds() / 60) if figures["avg"] else None,
        "can_call": permissions.may_place_calls(user),
        "answer_form": AnswerForm(),
        "late_only": bool(request.GET.get("late")),
    })


def call_create(request):
    user = request.user
    if not permissions.may_place_calls(user):
        raise PermissionDenied
    case = None
    case_pk = request.GET.get("case") or request.POST.get("case")
    if case_pk:
        if id_from(case_pk) is None:
            raise Http404
        case = get_case_for(request, id_from(case_pk), "call")
    grids = permissions.call_grids(user).select_related("community")
    if case is not None:
        grids = grids.filter(pk=case.grid_id)
    form = CallForm(request.POST or None, grids=grids, initial={"grid": case.grid_id if case else None})
    if case is not None:  # about a case: its grid, already chosen, is the only one offered
        form.fields["grid"].empty_label = None
    if request.method == "POST" and form.is_valid():
        loop_services.place_call(actor=user, case=case, **form.cleaned_data)
        messages.success(request, _("Call placed. The other side sees it on their work bench."))
        return redirect(case or "cases:calls")
    directions = {permissions.call_direction(user, g.pk) for g in grids}
    direction = directions.pop() if len(directions) == 1 else None
    return render(request, "cases/call_form.html", {"form": form, "case": case, "direction": direction},
                  status=400 if request.method == "POST" else 200)


@require_POST
def call_answer(request, call_pk):
    call = get_object_or_404(permissions.visible_calls(request.user), pk=call_pk)  # outsiders: 404
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say how the call was answered."))
        return redirect("cases:calls")
    try:
        loop_services.answer_call(call=call, actor=request.user, answer=form.cleaned_data["answer"])
    except WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Call answered."))
    return redirect("cases:workbench" if request.POST.get("from") == "workbench" else "cases:calls")
