"""Correcting and extending a case after intake, one page per step: its details, a new party, a
party's details, another lead handler, the right grid (转办). Each page is a form against the
version of the case the user saw; writes go through cases/corrections.py.

Access as everywhere on a case: outsiders get 404, insiders who may never take the step 403.
A step refused only because of the case's state now (somebody closed it meanwhile) answers 409
with the case page and what was typed shown read-only; a stale version answers 409 with the form
as typed, the values the case has now beside it, ready to be sent again."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import corrections, permissions, selectors
from ..correction_forms import CaseEditForm, HandOverForm, MoveGridForm, PartyAddForm, PartyEditForm
from ..errors import StaleCase, WorkflowError
from .case import detail_response, get_case_for


def _page(request, case, form, step, *, status=200, now=None):
    return render(request, "cases/case_change.html", {
        "case": case, "form": form, "step": step, "now": now, "action_url": request.path,
    }, status=status)


def _differences(typed, current) -> list[tuple[str, str]]:
    """The fields whose value on the case now differs from what was typed, as (label, value
    now): shown beside the form after a conflict."""
    rows = []
    for name, field in typed.fields.items():
        if field.widget.is_hidden or name == "note":
            continue
        before, after = (_as_text(field.widget.format_value(field.prepare_value(f[name].value())))
                         for f in (current, typed))
        if before != after:
            choices = {str(k): str(v) for k, v in getattr(field, "choices", ()) if k not in (None, "")}
            if isinstance(field, forms.DateTimeField):
                before = before.replace("T", " ")
            rows.append((str(field.label), choices.get(before, before) or "—"))
    return rows


def _as_text(value) -> str:
    """A widget's value as text (a select's is a list of the chosen values)."""
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value if v not in (None, ""))
    return "" if value is None else str(value)


class Step:
    """One correction: its capability, title, form and write."""

    def __init__(self, action, title, submit, done, intro=""):
        self.action, self.title, self.submit, self.done, self.intro = action, title, submit, done, intro

    def run(self, request, case, build, write):
        user = request.user
        if request.method != "POST":
            if not permissions.can(user, self.action, case):
                raise PermissionDenied
            return _page(request, case, build(case, None), self)
        form = build(case, request.POST)
        if not permissions.can(user, self.action, case):
            # Usually somebody else was faster (closed the case): say so, keep what was typed.
            messages.error(request, _("“%(step)s” is not possible for you on this case now (it is “%(state)s”). "
                                      "What you typed is shown below.")
                           % {"step": self.title, "state": case.get_state_display()})
            return detail_response(request, case, kept=(self.title, form), status=409)
        if not form.is_valid():
            return _page(request, case, form, self, status=400)
        try:
            write(case, form)
        except StaleCase as error:
            messages.error(request, str(error))
            case = get_case_for(request, case.pk)
            if not permissions.can(user, self.action, case):
                return detail_response(request, case, kept=(self.title, form), status=409)
            data = request.POST.copy()
            data[form.add_prefix("version")] = str(case.version)
            again = build(case, data)
            return _page(request, case, again, self, status=409, now=_differences(again, build(case, None)))
        except corrections.NothingChanged as error:
            form.add_error(None, str(error))
            return _page(request, case, form, self, status=400)
        except WorkflowError as error:
            form.add_error(None, str(error))
            return _page(request, case, form, self, status=409)
        messages.success(request, self.done)
        return redirect(case)


def _gate(request, pk, action):
    """The case (404 to outsiders), and 403 to insiders who may not take `action` in any state."""
    case = get_case_for(request, pk)
    if not permissions.may_when_open(request.user, action, case):
        raise PermissionDenied
    return case


def _note(form) -> str:
    return form.cleaned_data.get("note", "")


EDIT = Step("edit_case", gettext_lazy("Correct the case details"), gettext_lazy("Save the corrections"),
            gettext_lazy("The case details were corrected."))
ADD_PARTY = Step("edit_parties", gettext_lazy("Add a party"), gettext_lazy("Add the party"),
                 gettext_lazy("The party was added."))
EDIT_PARTY = Step("edit_parties", gettext_lazy("Correct a party's details"), gettext_lazy("Save the corrections"),
                  gettext_lazy("The party's details were corrected."))
HAND_OVER = Step("hand_over", gettext_lazy("Hand to another lead handler"), gettext_lazy("Hand over"),
                 gettext_lazy("The case was handed over; the new lead handler was told."),
                 gettext_lazy("The new lead handler carries the case from now on and is told on their work bench."))
MOVE = Step("move_grid", gettext_lazy("Move to the right grid"), gettext_lazy("Move the case"),
            gettext_lazy("The case was moved; the people of its new grid were told."),
            gettext_lazy("转办: the case goes to the grid it belongs to, and with it who sees and handles it. "
                         "It keeps its number. A lead handler who does not work on the new grid no longer "
                         "carries it."))


def case_edit(request, pk):
    case = _gate(request, pk, EDIT.action)
    return EDIT.run(
        request, case,
        lambda case, data: CaseEditForm(data, case=case),
        lambda case, form: corrections.edit_case(
            case_id=case.pk, actor=request.user, version=form.cleaned_data["version"],
            values=form.values(), note=_note(form)))


def party_add(request, pk):
    case = _gate(request, pk, ADD_PARTY.action)
    return ADD_PARTY.run(
        request, case,
        lambda case, data: PartyAddForm(data, case=case),
        lambda case, form: corrections.add_party(
            case_id=case.pk, actor=request.user, version=form.cleaned_data["version"],
            party=form.save(commit=False), note=_note(form)))


def party_edit(request, pk, party_pk):
    case = _gate(request, pk, EDIT_PARTY.action)
    get_object_or_404(case.parties.all(), pk=party_pk)  # a party of this case, else 404

    def build(case, data):
        return PartyEditForm(data, case=case, party=get_object_or_404(case.parties.all(), pk=party_pk))

    return EDIT_PARTY.run(
        request, case, build,
        lambda case, form: corrections.change_party(
            case_id=case.pk, party_id=party_pk, actor=request.user, version=form.cleaned_data["version"],
            values=form.values(), note=_note(form)))


def hand_over(request, pk):
    case = _gate(request, pk, HAND_OVER.action)
    return HAND_OVER.run(
        request, case,
        lambda case, data: HandOverForm(data, case=case, handlers=selectors.handlers_for(case)),
        lambda case, form: corrections.hand_over(
            case_id=case.pk, actor=request.user, version=form.cleaned_data["version"],
            lead_handler=form.cleaned_data["lead_handler"], note=_note(form)))


def move_grid(request, pk):
    case = _gate(request, pk, MOVE.action)
    return MOVE.run(
        request, case,
        lambda case, data: MoveGridForm(data, case=case, grids=permissions.move_targets(request.user, case)),
        lambda case, form: corrections.move_grid(
            case_id=case.pk, actor=request.user, version=form.cleaned_data["version"],
            grid=form.cleaned_data["grid"], note=_note(form)))
