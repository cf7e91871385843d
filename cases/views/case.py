"""Thin views: fetch through grids.access, validate with forms, write through cases.workflow."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids import access
from mediators.selectors import case_mediation
from mediators.services import CHOOSABLE_STATES

from .. import selectors, workflow
from ..filters import CaseFilter
from ..forms import (
    TRANSITION_FORMS,
    TRANSITION_LABELS,
    AnswerForm,
    AttachmentForm,
    CaseForm,
    CommentForm,
    FollowUpForm,
    PartyFormSet,
    ReferralCloseForm,
    SupervisionForm,
    TaskDoneForm,
)
from ..models import Case

PAGE_SIZE = 25


def get_case_for(request, pk, action="view"):
    """The case if the user may see it (else 404: do not reveal it exists) and may take
    `action` on it (else 403)."""
    try:
        case = selectors.case_detail(request.user, pk)
    except Case.DoesNotExist:
        raise Http404 from None
    if action != "view" and not access.can(request.user, action, case):
        raise PermissionDenied
    return case


def workbench(request):
    """工作台: what awaits this user."""
    user = request.user
    return render(request, "cases/workbench.html", {
        "sections": selectors.workbench(user),
        "loop": selectors.workbench_loop(user),
        "answer_form": AnswerForm(),
        "can_create": access.has_role(user, *access.ACTION_ROLES["create"])
        and bool(access.scope_of(user).community_grid_ids or access.scope_of(user).everything),
    })


def case_list(request):
    """All visible cases, filtered, searched and paginated."""
    case_filter = CaseFilter(request.GET or None, queryset=selectors.case_list(request.user),
                             user=request.user)
    page = Paginator(case_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "cases/case_list.html", {
        "filter": case_filter, "page": page, "query": query.urlencode(),
    })


def case_create(request):
    """Log a new dispute with its parties (a formset) and attachments."""
    grids = access.visible_community_grids(request.user).select_related("community")
    if not access.has_role(request.user, *access.ACTION_ROLES["create"]) or not grids.exists():
        raise PermissionDenied
    if request.method == "POST":
        form = CaseForm(request.POST, grids=grids)
        parties = PartyFormSet(request.POST, instance=Case(), prefix="parties")
        attachments = AttachmentForm(request.POST, request.FILES)
        if form.is_valid() and parties.is_valid() and attachments.is_valid():
            case = workflow.create_case(
                actor=request.user,
                case=form.save(commit=False),
                parties=[f.save(commit=False) for f in parties.forms if f.has_changed()],
                files=attachments.cleaned_data["files"],
            )
            messages.success(request, _("Case %(number)s logged.") % {"number": case.number})
            return redirect(case)
        if request.FILES and not attachments.errors:
            messages.warning(request, _("Please choose the attachments again: a browser cannot "
                                        "keep selected files when the form is shown again."))
    else:
        form = CaseForm(grids=grids)
        parties = PartyFormSet(instance=Case(), prefix="parties")
        attachments = AttachmentForm()
    return render(request, "cases/case_create.html", {
        "form": form, "parties": parties, "attachments": attachments,
    }, status=400 if request.method == "POST" else 200)


def _loop_context(user, case, forms):
    """Referrals, tasks, calls and follow-up visits on the case page, with the forms this user
    may use (a bound form from a failed POST replaces its blank twin)."""
    loop = selectors.case_loop(case)
    may_update_referral = access.can(user, "update_referral", case)
    for referral in loop["referrals"]:
        referral.close_form = forms.get(f"referral_{referral.pk}") or (
            ReferralCloseForm(prefix=f"referral{referral.pk}") if may_update_referral else None)
    for task in loop["tasks"]:
        may_finish = task.done_at is None and (task.assignee_id == user.pk or access.can(user, "supervise", case))
        task.done_form = forms.get(f"task_{task.pk}") or (TaskDoneForm() if may_finish else None)
    pending = [f for f in loop["follow_ups"] if f.done_at is None]
    may_follow_up = case.state == "resolved" and pending and access.can(user, "follow_up", case)
    return {
        **loop,
        "may_update_referral": may_update_referral,
        "supervision_form": forms.get("supervision") or (
            SupervisionForm() if case.is_open and access.can(user, "supervise", case) else None),
        "pending_follow_up": pending[0] if may_follow_up else None,
        "follow_up_form": forms.get("follow_up") or (FollowUpForm() if may_follow_up else None),
        "may_call": case.is_open and access.can(user, "call", case),
    }


def detail_response(request, case, *, forms=None, status=200):
    """The case page, with bound forms (from a failed POST) shown where they belong."""
    return render(request, "cases/case_detail.html",
                  _detail_context(request, case, bound_forms=forms), status=status)


def _detail_context(request, case, *, bound_action=None, bound_form=None, revealed_ids=(),
                    bound_forms=None):
    user = request.user
    actions = access.available_transitions(user, case)
    handlers = selectors.handlers_for(case) if "triage" in actions else ()
    forms = []
    for action in actions:
        if action == bound_action and bound_form is not None:
            form = bound_form
        else:
            form = TRANSITION_FORMS[action](
                case=case, handlers=handlers, prefix=action, initial={"version": case.version}
            )
        forms.append((action, TRANSITION_LABELS[action], form))
    if bound_action is None and request.GET.get("offer") in actions:
        bound_action = request.GET["offer"]  # e.g. escalation offered after a failed session
    return {
        **_loop_context(user, case, bound_forms or {}),
        "case": case,
        "mediation": case_mediation(case),
        "can_choose_mediator": case.state in CHOOSABLE_STATES and access.can(user, "choose_mediator", case),
        "can_record_session": case.state == "mediating" and access.can(user, "record_session", case),
        "can_record_agreement": case.state == "mediating" and access.can(user, "record_agreement", case),
        "parties": selectors.party_views(case.parties.all(), revealed_ids=set(revealed_ids)),
        "can_reveal": access.can(user, "reveal_personal_data", case),
        "events": selectors.timeline(case),
        "transition_forms": forms,
        "open_action": bound_action,
        "comment_form": (bound_forms or {}).get("comment") or (
            CommentForm() if access.can(user, "comment", case) else None),
        "attachment_form": (bound_forms or {}).get("attachment") or (
            AttachmentForm() if access.can(user, "attach", case) else None),
    }


def case_detail(request, pk):
    case = get_case_for(request, pk)
    return render(request, "cases/case_detail.html", _detail_context(request, case))


@require_POST
def case_transition(request, pk, action):
    """The one view for every transition. The action must be one the user may take now."""
    case = get_case_for(request, pk)
    if action not in TRANSITION_FORMS or action not in access.available_transitions(request.user, case):
        messages.error(request, _("That step is not possible for you on this case in its current state."))
        return render(request, "cases/case_detail.html", _detail_context(request, case), status=409)
    handlers = selectors.handlers_for(case) if action == "triage" else ()
    form = TRANSITION_FORMS[action](request.POST, case=case, handlers=handlers, prefix=action)
    if form.is_valid():
        try:
            workflow.run_transition(
                case_id=case.pk, action=action, actor=request.user,
                version=form.cleaned_data["version"], changes=form.changes(),
                note=form.cleaned_data["note"], **form.extra(),
            )
        except workflow.WorkflowError as error:
            messages.error(request, str(error))
            case = get_case_for(request, pk)  # show the case as it is now, with the input kept
            return render(request, "cases/case_detail.html", _detail_context(
                request, case, bound_action=action, bound_form=form), status=409)
        messages.success(request, _("Done: %(step)s.") % {"step": TRANSITION_LABELS[action]})
        return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/case_detail.html", _detail_context(
        request, case, bound_action=action, bound_form=form), status=400)


@require_POST
def case_comment(request, pk):
    case = get_case_for(request, pk, "comment")
    form = CommentForm(request.POST)
    if form.is_valid():
        workflow.add_comment(case=case, actor=request.user, text=form.cleaned_data["text"])
        return redirect(f"{case.get_absolute_url()}#timeline")
    return detail_response(request, case, forms={"comment": form}, status=400)


@require_POST
def case_attach(request, pk):
    case = get_case_for(request, pk, "attach")
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid() and form.cleaned_data["files"]:
        workflow.add_attachments(case=case, actor=request.user, files=form.cleaned_data["files"])
        messages.success(request, _("Attachments added."))
        return redirect(case)
    if form.is_valid():
        form.add_error("files", _("Choose at least one file."))
    return detail_response(request, case, forms={"attachment": form}, status=400)


@require_POST
def party_reveal(request, pk, party_pk):
    """Show one party's full phone and ID number: a deliberate, logged act."""
    case = get_case_for(request, pk, "reveal_personal_data")
    party = get_object_or_404(case.parties.all(), pk=party_pk)
    workflow.disclose_party(party=party, actor=request.user, ip_address=request.META.get("REMOTE_ADDR"))
    if request.htmx:
        view = selectors.party_views([party], revealed_ids={party.pk})[0]
        return render(request, "cases/partials/party_row.html", {"p": view, "case": case, "can_reveal": True})
    return render(request, "cases/case_detail.html", _detail_context(request, case, revealed_ids={party.pk}))


def attachment_download(request, pk, attachment_pk):
    """Attachments are served only through this view, to people who may see the case."""
    case = get_case_for(request, pk)
    attachment = get_object_or_404(case.attachments.all(), pk=attachment_pk)
    inline = attachment.content_type.startswith("image/") or attachment.content_type == "application/pdf"
    return FileResponse(
        attachment.file.open("rb"), as_attachment=not inline, filename=attachment.original_name,
        content_type=attachment.content_type,
    )
