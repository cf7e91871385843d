"""Thin views for the supermarket, the roster and mediation on a case."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cases.choices import State
from cases.errors import WorkflowError
from cases.models import PersonalDataDisclosure
from cases.permissions import visible_cases
from cases.printing import chinese_numeral, parties_on_paper
from cases.selectors import LIST_RELATED, supervision_candidates
from cases.views import get_case_for, id_from, races
from cases.views.case import kept_input
from cases.warning import Warnings
from grids import access
from grids.roles import Role

from . import permissions, selectors, services
from .filters import MediatorFilter
from .forms import AgreementForm, ChooseMediatorForm, MediatorForm, ReplaceMediatorForm, SessionForm
from .models import Agreement, Mediator, MediatorChoice

PAGE_SIZE = 24


def _case_from_query(request, action):
    """The case named by ?case= (opened from a case page); anything but a number is a 404."""
    value = request.GET.get("case", "")
    if not value:
        return None
    if id_from(value) is None:
        raise Http404
    return get_case_for(request, id_from(value), action)


def supermarket(request):
    """调解超市: browse and filter the roster a page at a time; opened from a case, the best
    matches for it first and choose for it. A fixed number of queries however many mediators."""
    case = _case_from_query(request, "choose_mediator")
    mediator_filter = MediatorFilter(request.GET, queryset=selectors.roster())  # bound: hides retired
    mediators = mediator_filter.qs
    if case is not None:
        mediators = selectors.ranked(case, mediators)
    page = Paginator(mediators, PAGE_SIZE).get_page(request.GET.get("page"))
    suggestions = selectors.suggestions(case, mediators=page.object_list) if case else None
    rows = ([(s.mediator, s.figures, s) for s in suggestions] if case else
            [(m, selectors.Figures.of(m), None) for m in page.object_list])
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "mediators/supermarket.html", {
        "filter": mediator_filter, "page": page, "rows": rows, "case": case, "query": query.urlencode(),
        "choose_form": ChooseMediatorForm(case=case) if case else None,
        "can_manage": permissions.may_keep_roster(request.user),
    })


def profile(request, pk):
    mediator = get_object_or_404(selectors.roster(), pk=pk)
    recent = (visible_cases(request.user)
              .filter(mediator_choices__mediator=mediator, mediator_choices__active=True)
              .select_related(*LIST_RELATED).distinct().order_by("-updated_at")[:10])
    recent = Warnings().mark(recent)
    return render(request, "mediators/profile.html", {
        "mediator": mediator, "figures": selectors.figures([mediator.pk])[mediator.pk],
        "recent": recent, "can_manage": permissions.may_edit(request.user, mediator),
    })


def _roster_form(request, instance=None):
    may = permissions.may_edit(request.user, instance) if instance else permissions.may_keep_roster(request.user)
    if not may:
        raise PermissionDenied
    # Only mediator accounts not linked to another roster entry can be linked.
    free = Q(mediator__isnull=True) | (Q(mediator=instance) if instance else Q())
    users = get_user_model().objects.filter(free, groups__name=Role.MEDIATOR).order_by("username")
    form = MediatorForm(request.POST or None, instance=instance,
                        communities=permissions.roster_communities(request.user), users=users)
    # A mediator belongs to the communities she serves: that is whose leaders keep her entry.
    form.fields["communities"].required = not access.scope_of(request.user).everything
    if request.method == "POST" and form.is_valid():
        mediator = services.save_mediator(
            actor=request.user, mediator=form.save(commit=False),
            specialties=form.cleaned_data["specialties"], communities=form.cleaned_data["communities"])
        messages.success(request, _("Saved %(name)s.") % {"name": mediator.name})
        return redirect(mediator)
    return render(request, "mediators/mediator_form.html", {"form": form, "mediator": instance},
                  status=400 if request.method == "POST" else 200)


def mediator_create(request):
    return _roster_form(request)


def mediator_edit(request, pk):
    return _roster_form(request, get_object_or_404(selectors.roster(), pk=pk))


@require_POST
def mediator_retire(request, pk):
    mediator = get_object_or_404(selectors.roster(), pk=pk)
    if not permissions.may_edit(request.user, mediator):
        raise PermissionDenied
    mediator = services.set_active(actor=request.user, mediator=mediator, active=request.POST.get("active") == "1")
    messages.success(request, _("%(name)s is back on the roster.") % {"name": mediator.name}
                     if mediator.active else _("%(name)s has retired from the roster.") % {"name": mediator.name})
    return redirect(mediator)


@require_POST
def choose(request, case_pk):
    case = get_case_for(request, case_pk, "choose_mediator")
    form = ChooseMediatorForm(request.POST, case=case)
    back = f"{reverse('mediators:supermarket')}?case={case.pk}"
    if not form.is_valid():
        messages.error(request, _("Choose a mediator from the list."))
        return redirect(back)
    try:
        services.choose_mediator(case=case, actor=request.user, **form.cleaned_data)
    except WorkflowError as error:
        messages.error(request, str(error))
        return redirect(back)
    messages.success(request, _("%(name)s will mediate this case.") % {"name": form.cleaned_data["mediator"].name})
    return redirect(case)


@require_POST
def replace(request, case_pk, choice_pk):
    case = get_case_for(request, case_pk, "choose_mediator")
    choice = get_object_or_404(MediatorChoice, pk=choice_pk, case=case)
    form = ReplaceMediatorForm(request.POST)
    if form.is_valid():
        try:
            services.replace_mediator(choice=choice, actor=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("%(name)s was taken off the case.") % {"name": choice.mediator.name})
        except WorkflowError as error:
            messages.error(request, str(error))
    else:
        messages.error(request, _("Say why the mediator is replaced."))
    return redirect(case)


NOT_MEDIATING = gettext_lazy("Sessions and agreements are recorded while the case is in mediation.")


def _not_mediating(request, case, action):
    """Sessions and the agreement belong to a case in mediation. Opening the form of a case that
    is not (nothing typed yet): back to the case, saying so. Sending it: a race lost (the case
    left mediation after the form was opened) is answered by the view with what was typed
    (`_kept`); an insider who may never record this gets 403."""
    if case.state == State.MEDIATING:
        get_case_for(request, case.pk, action)  # 403 to who may not record it
        return None
    if request.method != "POST":
        messages.error(request, NOT_MEDIATING)
        return redirect(case)
    races.check_lost_race(request, case, action)
    return None


def _kept(request, case, form, template, step, why, **changed):
    """Somebody else was faster (took the case out of mediation, recorded the agreement): the
    form's page again with what was typed, read-only, why it cannot be saved and, in the
    message, who changed the case and when; 409."""
    messages.error(request, races.message(case, step, **changed))
    typed = kept_input(form) if form.is_bound else []
    return render(request, template, {"form": form, "case": case, "kept": (step, typed, why),
                                      "parts": _typed_parts(form)}, status=409)


def _typed_parts(form) -> list[list[tuple[str, str]]]:
    """The rooms of a back-to-back session as typed, leaving out those with nothing but their
    pre-filled room name."""
    parts = getattr(form, "parts", None)
    if parts is None or not parts.is_bound:
        return []
    typed = [(str(part.fields["room"].label), kept_input(part)) for part in parts]
    return [rows for room, rows in typed if any(label != room for label, _value in rows)]


def _changed_meanwhile(request, case_pk, action):
    """The case as it is now, after the service refused `action` on it: a race lost, or 403 if
    the user no longer holds a role that records it (a mediator replaced meanwhile)."""
    case = get_case_for(request, case_pk)
    races.check_lost_race(request, case, action)
    return case


def _case_mediators(case):
    return Mediator.objects.filter(choices__case=case, choices__active=True).distinct()


def session_create(request, case_pk):
    case = get_case_for(request, case_pk)
    if refused := _not_mediating(request, case, "record_session"):
        return refused
    form = SessionForm(request.POST or None, mediators=_case_mediators(case), case=case,
                       people=supervision_candidates(case))
    kept = ("mediators/session_form.html", _("Record a mediation session"), NOT_MEDIATING)
    if case.state != State.MEDIATING:
        return _kept(request, case, form, *kept)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        mediators, participants = data.pop("mediators"), data.pop("participants")
        try:
            session = services.record_session(case=case, actor=request.user, mediators=mediators,
                                              participants=participants, parts=form.filled_parts(), **data)
        except PermissionDenied:  # the case left mediation while this was on its way
            return _kept(request, _changed_meanwhile(request, case_pk, "record_session"), form, *kept)
        except WorkflowError as error:
            messages.error(request, str(error))
        else:
            if session.outcome == "failed":
                messages.warning(request, _("Mediation failed. If it cannot be solved here, escalate "
                                            "the case to the station and street (提级化解)."))
                return redirect(f"{case.get_absolute_url()}?offer=escalate#act-escalate")
            messages.success(request, _("Session recorded."))
            return redirect(case)
    return render(request, "mediators/session_form.html", {"form": form, "case": case},
                  status=400 if request.method == "POST" else 200)


def agreement_create(request, case_pk):
    case = get_case_for(request, case_pk)
    if refused := _not_mediating(request, case, "record_agreement"):
        return refused
    form = AgreementForm(request.POST or None, case=case, mediators=_case_mediators(case))
    kept = ("mediators/agreement_form.html", _("Record the mediation agreement"))
    if case.state != State.MEDIATING:
        return _kept(request, case, form, *kept, NOT_MEDIATING)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        parties, mediators = data.pop("parties"), data.pop("mediators")
        try:
            services.record_agreement(case=case, actor=request.user, parties=parties,
                                      mediators=mediators, **data)
        except PermissionDenied:  # the case left mediation while this was on its way
            return _kept(request, _changed_meanwhile(request, case_pk, "record_agreement"), form, *kept,
                         NOT_MEDIATING)
        except WorkflowError as error:
            recorded = Agreement.objects.select_related("recorded_by").filter(case=case).first()
            if recorded is not None:  # somebody else recorded it first
                return _kept(request, case, form, *kept, _("This case already has a mediation agreement."),
                             who=recorded.recorded_by, when=recorded.created_at)
            messages.error(request, str(error))
        else:
            messages.success(request, _("Agreement recorded. It can be printed for signing."))
            return redirect("mediators:agreement", case_pk=case.pk)
    return render(request, "mediators/agreement_form.html", {"form": form, "case": case},
                  status=400 if request.method == "POST" else 200)


@require_GET
def agreement_print(request, case_pk):
    """调解协议书 as an A4 page to print and sign. It carries the parties' full identity for those
    who may reveal it (each opening logged: printing is a disclosure, and the browser's print
    preview prints this same page); everyone else who may see the case gets it masked and
    marked as not for signing."""
    case = get_case_for(request, case_pk)
    agreement = get_object_or_404(Agreement.objects.prefetch_related("parties", "mediators"), case=case)
    paper = parties_on_paper(case=case, parties=agreement.parties.all(), actor=request.user,
                             how=PersonalDataDisclosure.How.AGREEMENT, ip_address=request.META.get("REMOTE_ADDR"))
    return render(request, "mediators/agreement_print.html", {
        "agreement": agreement, "case": case, "parties": paper.parties, "full": paper.full,
        # one copy for each party and one for the mediation committee
        "copies": chinese_numeral(len(paper.parties) + 1),
    })
