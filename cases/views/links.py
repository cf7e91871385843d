"""Related and merged cases: link another case to this one (by its number), take a link away,
and merge this case, a duplicate, into the case that stays (a confirm page showing what moves).
Writes go through cases/links.py; access as on every case view (outsiders 404, insiders who
may never take the step 403). A case number is looked up only among the cases the user may
see: unknown and out-of-scope numbers get the same answer."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .. import links, permissions
from ..errors import StaleCase, WorkflowError
from ..link_forms import LinkForm, MergeForm
from .case import detail_response, get_case_for

MERGE_TITLE = gettext_lazy("Merge into another case")


@require_POST
def case_link(request, pk):
    case = get_case_for(request, pk, "link_cases")
    form = LinkForm(request.POST, user=request.user, case=case)
    if not form.is_valid():
        return detail_response(request, case, forms={"link": form}, status=400)
    other = form.cleaned_data["number"]
    if links.link_cases(case=case, other=other, actor=request.user, note=form.cleaned_data["note"]):
        messages.success(request, _("Linked with case %(number)s.") % {"number": other.number})
    else:
        messages.info(request, _("The two cases were already linked."))
    return redirect(f"{case.get_absolute_url()}#related")


@require_POST
def case_unlink(request, pk, other_pk):
    case = get_case_for(request, pk, "link_cases")
    other = get_object_or_404(permissions.visible_cases(request.user), pk=other_pk)
    try:
        links.unlink_cases(case=case, other=other, actor=request.user)
    except WorkflowError as error:
        messages.error(request, str(error))
        return detail_response(request, case, status=409)
    messages.success(request, _("The link with case %(number)s was taken away.") % {"number": other.number})
    return redirect(f"{case.get_absolute_url()}#related")


def _merge_page(request, case, form, *, survivor=None, status=200):
    return render(request, "cases/case_merge.html", {
        "case": case, "form": form, "survivor": survivor, "title": MERGE_TITLE,
        "blocker": links.merge_blocker(request.user, case),
    }, status=status)


def case_merge(request, pk):
    """GET: what merging this case into another moves, and the form (the other case's number,
    prefilled from ?into=). POST: merge, against the version of this case the user saw."""
    case = get_case_for(request, pk)
    user = request.user
    if not permissions.may_when_open(user, "merge_case", case):
        raise PermissionDenied
    if request.method != "POST":
        number = request.GET.get("into", "").strip()[:40]
        survivor = permissions.visible_cases(user).filter(number=number).exclude(pk=case.pk).first() if number else None
        form = MergeForm(user=user, case=case, initial={"version": case.version, "into": number})
        return _merge_page(request, case, form, survivor=survivor)
    form = MergeForm(request.POST, user=user, case=case)
    blocker = links.merge_blocker(user, case)
    if blocker:  # usually somebody else was faster (escalated or closed it): keep what was typed
        messages.error(request, blocker)
        return detail_response(request, case, kept=(MERGE_TITLE, form), status=409)
    if not form.is_valid():
        return _merge_page(request, case, form, status=400)
    survivor = form.cleaned_data["into"]
    try:
        links.merge_case(duplicate=case, survivor=survivor, actor=user, note=form.cleaned_data["note"],
                         version=form.cleaned_data["version"])
    except StaleCase as error:
        messages.error(request, str(error))
        case = get_case_for(request, pk)
        if links.merge_blocker(user, case):
            return detail_response(request, case, kept=(MERGE_TITLE, form), status=409)
        data = request.POST.copy()
        data["version"] = str(case.version)  # sent again, it merges the case as it is now
        return _merge_page(request, case, MergeForm(data, user=user, case=case), survivor=survivor, status=409)
    except WorkflowError as error:
        form.add_error(None, str(error))
        return _merge_page(request, case, form, survivor=survivor, status=409)
    messages.success(request, _("Case %(duplicate)s was merged into this case and withdrawn.")
                     % {"duplicate": case.number})
    return redirect(survivor)
