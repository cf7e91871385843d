"""The joint team page of a case: who is on it (with their real role and unit), add a colleague
from beyond the grid or a named person without an account, take someone off. Writes go
through cases/team.py; access as on every case view (outsiders 404, others 403)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import selectors, team
from ..errors import WorkflowError
from ..forms import TeamMemberForm
from ..models import CaseTeamMember
from .case import get_case_for


def team_page(request, pk):
    case = get_case_for(request, pk, "manage_team")
    candidates = selectors.team_candidates(case)
    on_team = {m.user_id for m in case.team.all() if m.user_id}
    form = TeamMemberForm(request.POST if request.method == "POST" else None, candidates=[(u, r) for u, r in candidates if u.pk not in on_team])
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                team.add_member(case=case, actor=request.user, **form.member())
            except WorkflowError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Added to the joint team."))
                return redirect("cases:team", pk=case.pk)
        status = 400
    return render(request, "cases/team.html", {"case": case, "form": form}, status=status)


@require_POST
def team_remove(request, pk, member_pk):
    case = get_case_for(request, pk, "manage_team")
    member = get_object_or_404(CaseTeamMember, pk=member_pk, case=case)
    team.remove_member(case=case, actor=request.user, member=member)
    messages.success(request, _("Taken off the joint team."))
    return redirect("cases:team", pk=case.pk)
