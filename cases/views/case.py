"""Thin views of the case pages: fetch through get_case_for (404 to outsiders, 403 to insiders
lacking the capability), validate with forms, write through cases.workflow. What the page
offers is exactly the user's capabilities (cases/permissions.py)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import links, permissions, selectors, workflow
from ..choices import OPEN_STATES
from ..filters import CaseFilter
from ..forms import (
    AnswerForm,
    AttachmentForm,
    CaseForm,
    CommentForm,
    FollowUpForm,
    PartyFormSet,
    ReferralCloseForm,
    ReferralDecisionForm,
    SendReferralForm,
    SupervisionForm,
    TaskDoneForm,
)
from ..link_forms import LinkForm
from ..models import Case
from ..paging import CappedPaginator
from ..transitions import LABELS, REGISTRY
from ..warning import Warnings

PAGE_SIZE = 25


def id_from(value) -> int | None:
    """An id typed into a query string, or None: ASCII digits only, at most 18 of them (so no
    '²', no 4 301-digit number, nothing beyond a 64-bit integer)."""
    value = str(value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def get_case_for(request, pk, action="view", *, prefetch=True):
    """The case if the user may see it (else 404: do not reveal it exists) and may take
    `action` on it (else 403). With `prefetch`, its parties, attachments and team too (the
    case page and the case file load them with their other lists: selectors.case_detail)."""
    try:
        case = selectors.case_detail(request.user, int(pk), prefetch=prefetch)
    except (Case.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None  # also for ids that are not numbers (?case=abc)
    if not permissions.can(request.user, action, case):
        raise PermissionDenied
    return case


def workbench(request):
    """工作台: what awaits this user."""
    user = request.user
    sections = selectors.workbench(user)
    warnings = Warnings()
    for section in sections:
        section.cases = warnings.mark(section.cases)
    return render(request, "cases/workbench.html", {
        "sections": sections,
        "loop": selectors.workbench_loop(user),
        "answer_form": AnswerForm(),
        "can_create": permissions.may_create_cases(user),
    })


def case_list(request):
    """All visible cases, filtered, searched and paginated, in a fixed number of queries (the
    count capped, a search uncounted)."""
    case_filter = CaseFilter(request.GET or None, queryset=selectors.case_list(request.user),
                             user=request.user, request=request)
    # a search runs once per page, uncounted; other lists count up to the cap (cases/paging.py)
    page = CappedPaginator(case_filter.qs, PAGE_SIZE, counted=not case_filter.searching).get_page(
        request.GET.get("page"))
    page.object_list = Warnings().mark(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "cases/case_list.html", {
        "filter": case_filter, "page": page, "query": query.urlencode(),
    })


def case_create(request):
    """Log a new dispute with its parties (a formset) and attachments."""
    grids = permissions.intake_grids(request.user).select_related("community")
    if not grids.exists():
        raise PermissionDenied
    return intake_response(request, grids=grids)


def intake_response(request, *, grids, initial=None, party_initial=(), on_created=None,
                    template="cases/case_create.html", context=None):
    """The intake form and its POST, for `case_create` and for pages that log a case from another
    record (a 110 incident): `initial` and `party_initial` prefill a blank form (never a sent one:
    what was sent is what was typed); `on_created(case)` runs in the same transaction as the
    intake — a WorkflowError it raises undoes the case and shows the form again, everything
    typed kept, with its message."""
    if request.method == "POST":
        form = CaseForm(request.POST, grids=grids)
        parties = PartyFormSet(request.POST, instance=Case(), prefix="parties")
        attachments = AttachmentForm(request.POST, request.FILES)
        if form.is_valid() and parties.is_valid() and attachments.is_valid():
            try:
                with transaction.atomic():
                    case = workflow.create_case(
                        actor=request.user,
                        case=form.save(commit=False),
                        parties=[f.save(commit=False) for f in parties.forms if f.has_changed()],
                        files=attachments.cleaned_data["files"],
                    )
                    if on_created is not None:
                        _run_undoing_files(on_created, case)
            except workflow.DuplicateIntake as duplicate:
                messages.info(request, str(duplicate))
                return redirect(duplicate.case)
            except workflow.WorkflowError as error:
                messages.error(request, str(error))
                return render(request, template, {
                    **(context or {}), "form": form, "parties": parties, "attachments": attachments,
                }, status=409)
            messages.success(request, _("Case %(number)s logged.") % {"number": case.number})
            return redirect(case)
        if request.FILES and not attachments.errors:
            messages.warning(request, _("Please choose the attachments again: a browser cannot "
                                        "keep selected files when the form is shown again."))
    else:
        form = CaseForm(grids=grids, initial=dict(initial or {}))
        parties = PartyFormSet(instance=Case(), prefix="parties", initial=list(party_initial))
        attachments = AttachmentForm()
    return render(request, template, {
        **(context or {}), "form": form, "parties": parties, "attachments": attachments,
    }, status=400 if request.method == "POST" else 200)


def _run_undoing_files(on_created, case):
    # The intake stored its attachments on disk before `on_created` refused: the rows go with
    # the rolled-back transaction, the files must go too (no file of a real person is left
    # with no row pointing at it).
    try:
        on_created(case)
    except BaseException:
        for attachment in case.attachments.all():
            attachment.file.storage.delete(attachment.file.name)
        raise


def _loop_context(user, case, caps, forms, handlers, lists):
    """Referrals, tasks, calls and follow-up visits on the case page, with the forms this user
    may use (a bound form from a failed POST replaces its blank twin)."""
    for referral in lists.referrals:
        may = referral.is_open and permissions.may_update_referral(user, referral)
        referral.close_form = forms.get(f"referral_{referral.pk}") or (
            ReferralCloseForm(prefix=f"referral{referral.pk}") if may else None)
        referral.decision_form = forms.get(f"decide_{referral.pk}") or (
            ReferralDecisionForm(prefix=f"decide{referral.pk}")
            if referral.is_awaiting and "approve_referral" in caps else None)
    for task in lists.tasks:
        may_finish = task.done_at is None and (task.assignee_id == user.pk or "supervise" in caps)
        task.done_form = forms.get(f"task_{task.pk}") or (TaskDoneForm() if may_finish else None)
    for call in lists.calls:  # answered here too: a notice of a call on a case opens the case
        call.answerable = call.answered_at is None and permissions.may_answer(user, call)
    pending = [f for f in lists.follow_ups if f.done_at is None]
    may_follow_up = bool(pending) and "follow_up" in caps
    return {
        "referrals": lists.referrals, "tasks": lists.tasks, "calls": lists.calls, "follow_ups": lists.follow_ups,
        "supervision_form": forms.get("supervision") or (
            SupervisionForm(candidates=selectors.supervision_candidates(case, handlers, lists.team))
            if "supervise" in caps else None),
        "send_referral_form": forms.get("send_referral") or (
            SendReferralForm() if "send_referral" in caps else None),
        "pending_follow_up": pending[0] if may_follow_up else None,
        "follow_up_form": forms.get("follow_up") or (FollowUpForm() if may_follow_up else None),
    }


def detail_response(request, case, *, forms=None, kept=None, status=200):
    """The case page, with bound forms (from a failed POST) shown where they belong, and
    `kept` — (title, form) of a form that can no longer be offered — shown read-only."""
    return render(request, "cases/case_detail.html",
                  _detail_context(request, case, bound_forms=forms, kept=kept), status=status)


def kept_input(form) -> list[tuple[str, str]]:
    """What the user typed into `form`, as (label, text) for a read-only copy: nothing typed
    is lost when somebody else's change made the step unavailable."""
    rows = []
    for name, field in form.fields.items():
        if field.widget.is_hidden:
            continue
        value = form[name].value()
        values = value if isinstance(value, (list, tuple)) else [value]
        values = [v for v in values if v not in (None, "", False)]
        if not values:
            continue
        choices = {str(k): str(v) for k, v in getattr(field, "choices", ()) if k not in (None, "")}
        shown = [choices.get(str(v), "✓" if v is True else str(v)) for v in values]
        rows.append((str(field.label), "、".join(shown)))
    return rows


def _detail_context(request, case, *, bound_action=None, bound_form=None, revealed_ids=(),
                    bound_forms=None, kept=None):
    """The case page's context: everything it lists read in one query (selectors.case_lists),
    the grid's people with them when a form offers them."""
    user = request.user
    caps = permissions.capabilities(user, case)
    actions = permissions.transitions_for(user, case)
    # the grid's people, read with the lists: offered as lead handler (triage) and as who is to
    # act on a 督办
    lists = selectors.case_lists(user, case, handlers="triage" in actions or "supervise" in caps)
    handlers = lists.handlers
    Warnings().mark([case])
    forms = []
    for action in actions:
        if action == bound_action and bound_form is not None:
            form = bound_form
        else:
            form = REGISTRY[action].form(
                case=case, handlers=handlers, prefix=action, initial={"version": case.version}
            )
        forms.append((action, LABELS[action], form))
    if bound_action is None and request.GET.get("offer") in actions:
        bound_action = request.GET["offer"]  # e.g. escalation offered after a failed session
    bound = [*(bound_forms or {}).values(), *([bound_form] if bound_form is not None else [])]
    return {
        **_loop_context(user, case, caps, bound_forms or {}, handlers, lists),
        "has_errors": any(form.errors for form in bound),  # the page title says so (base.html)
        "case": case,
        "caps": caps,
        "mediation": selectors.case_mediation(case, lists),
        "parties": selectors.party_views(lists.parties, revealed_ids=set(revealed_ids)),
        "attachments": lists.attachments,
        "team": lists.team,
        "can_reveal": "reveal_personal_data" in caps,
        "events": selectors.case_timeline(case, lists.events),
        "transition_forms": forms,
        "steps_for_others": permissions.steps_for_others(user, case) if case.state in OPEN_STATES else (),
        "open_action": bound_action,
        "kept": (kept[0], kept_input(kept[1])) if kept else None,
        "comment_form": (bound_forms or {}).get("comment") or (CommentForm() if "comment" in caps else None),
        "attachment_form": (bound_forms or {}).get("attachment") or (
            AttachmentForm() if "attach" in caps else None),
        "related": links.related(case, lists.linked),  # linked cases, and the one it was merged into
        "link_form": (bound_forms or {}).get("link") or (
            LinkForm(user=user, case=case) if "link_cases" in caps else None),
    }


def case_detail(request, pk):
    case = get_case_for(request, pk, prefetch=False)  # its lists come with the others
    return render(request, "cases/case_detail.html", _detail_context(request, case))


@require_POST
def case_transition(request, pk, action):
    """The one view for every transition. The action must be one the user may take now."""
    case = get_case_for(request, pk)
    if action not in REGISTRY:
        raise Http404
    handlers = selectors.handlers_for(case) if action == "triage" else ()
    form = REGISTRY[action].form(request.POST, case=case, handlers=handlers, prefix=action)
    if action not in permissions.transitions_for(request.user, case):
        # Usually somebody else was faster: say what happened, and keep what was typed.
        messages.error(request, _("“%(step)s” is not possible for you on this case now (it is “%(state)s”). "
                                  "What you typed is shown below.")
                       % {"step": LABELS[action], "state": case.get_state_display()})
        return detail_response(request, case, kept=(LABELS[action], form), status=409)
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
            if action in permissions.transitions_for(request.user, case):
                return render(request, "cases/case_detail.html", _detail_context(
                    request, case, bound_action=action, bound_form=form), status=409)
            return detail_response(request, case, kept=(LABELS[action], form), status=409)
        messages.success(request, _("Done: %(step)s.") % {"step": LABELS[action]})
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
        return render(request, "cases/partials/party_row.html", {
            "p": view, "case": case, "can_reveal": True, "caps": permissions.capabilities(request.user, case)})
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
