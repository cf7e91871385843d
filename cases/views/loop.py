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
from ..choices import EventKind, ReferralStatus
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
from . import races
from .case import detail_response, get_case_for, id_from, kept_input


def _kept(request, case, error, title, form):
    """Somebody else was faster: say so, and show what was typed (read-only) on the case page."""
    messages.error(request, str(error))
    case = get_case_for(request, case.pk)
    return detail_response(request, case, kept=(title, form), status=409)


def _lost(request, case, action, title, form, **changed):
    """Somebody else was faster (closed or reopened the case, recorded the visit first): say
    who and when (`changed`: who= and when=, or event=; else the last status change) and show
    what was typed, read-only, on the case as it is now, with 409. If `action` is no longer
    possible, an insider who never had the right gets 403 instead (races.check_lost_race)."""
    case = get_case_for(request, case.pk)
    if action is not None and not permissions.can(request.user, action, case):
        races.check_lost_race(request, case, action)
    messages.error(request, races.message(case, title, **changed))
    return detail_response(request, case, kept=(title, form), status=409)


def _done(request, case, message):
    messages.success(request, message)
    return redirect(case)


def _get_referral(request, pk, referral_pk):
    """A referral the user may update: a department contact only their own (else 403)."""
    case = get_case_for(request, pk, "update_referral")
    referral = get_object_or_404(Referral.objects.select_related("department"), pk=referral_pk, case=case)
    if not permissions.may_update_referral(request.user, referral):
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
    case = get_case_for(request, pk)
    form = SupervisionForm(request.POST, candidates=selectors.supervision_candidates(case))
    if not permissions.can(request.user, "supervise", case):  # e.g. the case closed meanwhile
        return _lost(request, case, "supervise", _("Issue a supervision instruction (督办)"), form)
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
    title = _("Mark done")
    if task.assignee_id != request.user.pk and not permissions.can(request.user, "supervise", case):
        return _lost(request, case, "supervise", title, form)  # a leader's, on a case closed meanwhile
    if task.done_at is None and form.is_valid():
        try:
            loop_services.complete_task(task=task, actor=request.user, note=form.cleaned_data["note"])
        except WorkflowError as error:
            task.refresh_from_db()
            if task.done_at is None:
                return _kept(request, case, error, title, form)
        else:
            return _done(request, case, _("Task done."))
    if task.done_at is not None:  # somebody else marked it done first
        return _lost(request, case, None, title, form,
                     event=races.last_change(case, kind=EventKind.TASK_DONE, since=task.done_at))
    return detail_response(request, case, forms={f"task_{task.pk}": form}, status=400)


@require_POST
def follow_up(request, pk, follow_up_pk):
    case = get_case_for(request, pk)
    available = permissions.can(request.user, "follow_up", case)
    if not available:
        races.check_lost_race(request, case, "follow_up")  # 403 to who never records follow-ups
    visit = get_object_or_404(FollowUp.objects.select_related("done_by"), pk=follow_up_pk, case=case)
    form = FollowUpForm(request.POST)
    title = _("Record the follow-up visit")
    if not available:  # e.g. a broken agreement, recorded by someone else, reopened the case
        return _lost(request, case, "follow_up", title, form)
    if visit.done_at is not None:  # recorded by someone else (the agreement was kept)
        return _lost(request, case, "follow_up", title, form, who=visit.done_by, when=visit.done_at)
    if form.is_valid():
        try:
            loop_services.record_follow_up(follow_up=visit, actor=request.user, **form.cleaned_data)
        except PermissionDenied:  # the case left "resolved" while this was on its way
            return _lost(request, case, "follow_up", title, form)
        except WorkflowError as error:
            visit.refresh_from_db()
            if visit.done_at is not None:
                return _lost(request, case, "follow_up", title, form, who=visit.done_by, when=visit.done_at)
            return _kept(request, case, error, title, form)
        if form.cleaned_data["fulfilled"]:
            return _done(request, case, _("Follow-up recorded: the case can be closed."))
        messages.warning(request, _("Follow-up recorded: the agreement was broken, the case is back in mediation."))
        return redirect(case)
    return detail_response(request, case, forms={"follow_up": form}, status=400)


# --- two-way calls -------------------------------------------------------------------------


def calls(request, *, kept=None, status=200):
    """网格有呼、民警有应: calls I must answer, calls of my scope, and response figures.
    `kept`: (call, typed) of an answer that came too late, shown read-only (call_answer)."""
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
        "kept": kept,
    }, status=status)


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
    if not permissions.may_answer(request.user, call):
        raise PermissionDenied
    form = AnswerForm(request.POST)
    back = "cases:workbench" if request.POST.get("from") == "workbench" else "cases:calls"
    if request.POST.get("from") == "case" and call.case_id and permissions.can(request.user, "view", call.case):
        back = call.case  # answered on the case page (where a notice of it leads): back to it
    if call.answered_at is None:
        if not form.is_valid():
            messages.error(request, _("Say how the call was answered."))
            return redirect(back)
        try:
            loop_services.answer_call(call=call, actor=request.user, answer=form.cleaned_data["answer"])
        except WorkflowError as error:
            call.refresh_from_db()
            if call.answered_at is None:
                messages.error(request, str(error))
                return redirect(back)
        else:
            messages.success(request, _("Call answered."))
            return redirect(back)
    # Somebody answered first: the call as it is now (who answered, what, when) and, read-only,
    # what this user typed.
    messages.error(request, _("This call was already answered."))
    return calls(request, kept=(call, kept_input(form)), status=409)
