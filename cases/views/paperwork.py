"""The case file (卷宗) as an A4 paper: the case, its parties, timeline, sessions, agreement,
referrals and follow-up visits. Full identity of the parties only for those who may reveal it,
each opening logged (cases/printing.py); everyone else who may see the case gets it masked."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from .. import selectors
from ..models import PersonalDataDisclosure
from ..printing import parties_on_paper
from .case import get_case_for


@require_GET
def case_file(request, pk):
    case = get_case_for(request, pk, prefetch=False)  # its lists come with the others
    file = selectors.case_file(case)
    paper = parties_on_paper(case=case, parties=file.parties, actor=request.user,
                             how=PersonalDataDisclosure.How.CASE_FILE, ip_address=request.META.get("REMOTE_ADDR"))
    return render(request, "cases/case_file.html", {
        "case": case, "parties": paper.parties, "full": paper.full,
        "events": selectors.case_timeline(case, file.events), "file": file,
    })
