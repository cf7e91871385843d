from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.choices import Category, SessionFormat
from cases.fields import BoundedModelMultipleChoiceField
from cases.forms import DATE, DATETIME
from cases.validators import CLOCK_SKEW, FULFIL_YEARS_AHEAD, check_between, years_before

from .models import Agreement, ChoiceMethod, MediationSession, Mediator

CHECKS = forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})


def _name(obj):
    return obj.name


class MediatorForm(forms.ModelForm):
    specialties = forms.MultipleChoiceField(label=_("specialties"), choices=Category.choices,
                                           widget=CHECKS, required=False)

    class Meta:
        model = Mediator
        fields = ["name", "team", "organisation", "profession", "specialties", "dialects",
                  "communities", "capacity", "introduction", "phone", "id_number", "user"]
        widgets = {"communities": CHECKS, "introduction": forms.Textarea(attrs={"rows": 3})}
        field_classes = {"communities": BoundedModelMultipleChoiceField}

    def __init__(self, *args, communities, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["communities"].queryset = communities
        self.fields["user"].queryset = users
        self.fields["user"].label_from_instance = lambda u: f"{u.get_full_name() or u.username} ({u.username})"
        if self.instance.pk and not self.is_bound:
            self.initial["specialties"] = [s.category for s in self.instance.specialties.all()]


class ChooseMediatorForm(forms.Form):
    mediator = forms.ModelChoiceField(queryset=Mediator.objects.all(), widget=forms.HiddenInput)
    method = forms.ChoiceField(label=_("how"), choices=ChoiceMethod.choices,
                               initial=ChoiceMethod.PARTIES_CHOSE)
    party = forms.ModelChoiceField(label=_("chosen by party"), queryset=None, required=False,
                                   empty_label=_("all parties together"))
    reason = forms.CharField(label=_("why (what the parties said)"), required=False,
                             max_length=2000)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = case.parties.all()
        self.fields["party"].label_from_instance = lambda p: f"{p.name}（{p.get_role_display()}）"


class ReplaceMediatorForm(forms.Form):
    reason = forms.CharField(label=_("why is the mediator replaced"), max_length=2000)


ROOMS = (_("Mediation room 1"), _("Mediation room 2"))
SESSION_MAX_HOURS = 24  # longer is a mistyped date, not a session


class SessionPartForm(forms.Form):
    """One part of a back-to-back session: who was in which room (times optional)."""

    room = forms.CharField(label=_("room"), max_length=100, required=False)
    parties = BoundedModelMultipleChoiceField(label=_("parties in the room"), queryset=None,
                                              required=False, widget=CHECKS)
    started_at = forms.DateTimeField(label=_("from"), required=False, widget=DATETIME)
    ended_at = forms.DateTimeField(label=_("until"), required=False, widget=DATETIME)

    def __init__(self, *args, parties, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parties"].queryset = parties
        self.fields["parties"].label_from_instance = lambda p: f"{p.name}（{p.get_role_display()}）"

    def is_filled(self) -> bool:
        """A part counts once someone was put in it or a time given; the room is pre-filled."""
        data = getattr(self, "cleaned_data", {})
        return bool(data.get("parties") or data.get("started_at") or data.get("ended_at"))


PartFormSet = forms.formset_factory(SessionPartForm, extra=0, max_num=6, absolute_max=6, validate_max=True)


class SessionForm(forms.ModelForm):
    """A session with its start and end, its people, and for a back-to-back session the parts
    (`self.parts`, a formset validated with the form)."""

    class Meta:
        model = MediationSession
        fields = ["held_at", "ended_at", "place", "format", "mediators", "participants", "others_present",
                  "attendees", "record", "outcome"]
        widgets = {"held_at": DATETIME, "ended_at": DATETIME, "mediators": CHECKS, "participants": CHECKS,
                   "others_present": forms.Textarea(attrs={"rows": 2}),
                   "record": forms.Textarea(attrs={"rows": 5})}
        field_classes = {"mediators": BoundedModelMultipleChoiceField,
                         "participants": BoundedModelMultipleChoiceField}
        help_texts = {"attendees": _("For a joint session; a back-to-back session says it room by room below.")}

    def __init__(self, *args, mediators, case, people=(), **kwargs):
        """`people`: (user, role label) pairs who may take part with their account (the
        officer, community cadres), from cases.selectors.supervision_candidates."""
        super().__init__(*args, **kwargs)
        self.case = case
        self.fields["ended_at"].required = True
        self.fields["mediators"].queryset = mediators
        self.fields["mediators"].label_from_instance = _name
        roles = {user.pk: label for user, label in people}
        self.fields["participants"].queryset = get_user_model().objects.filter(pk__in=roles).order_by("username")
        self.fields["participants"].label_from_instance = (
            lambda u: f"{u.get_full_name() or u.username}（{roles.get(u.pk, '')}）")
        self.fields["others_present"].max_length = 1000
        self.fields["others_present"].widget.attrs["maxlength"] = 1000
        if not self.is_bound:
            self.initial.setdefault("ended_at", timezone.localtime().replace(second=0, microsecond=0))
        # A post without the rooms' management form (an old page, a script) has no parts.
        posted_parts = self.is_bound and "parts-TOTAL_FORMS" in self.data
        self.parts = PartFormSet(self.data if posted_parts else None, prefix="parts",
                                 initial=[{"room": str(room)} for room in ROOMS],
                                 form_kwargs={"parties": case.parties.all()})

    def _bounds(self):
        earliest = self.case.reported_at.replace(second=0, microsecond=0)
        return {"earliest": earliest, "latest": timezone.now() + CLOCK_SKEW}

    def clean_held_at(self):
        """A session is recorded once it is held, and not before the case was logged."""
        held_at = self.cleaned_data["held_at"]
        check_between(held_at, **self._bounds())
        return held_at

    def clean_ended_at(self):
        ended_at = self.cleaned_data["ended_at"]
        check_between(ended_at, **self._bounds())
        return ended_at

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("held_at"), cleaned.get("ended_at")
        if start and end and end <= start:
            self.add_error("ended_at", _("The session ends after it starts."))
        elif start and end and end - start > timedelta(hours=SESSION_MAX_HOURS):
            self.add_error("ended_at", _("A session lasts at most %(n)s hours: check the dates.")
                           % {"n": SESSION_MAX_HOURS})
        self._clean_parts(cleaned.get("format"), start, end)
        return cleaned

    def _clean_parts(self, session_format, start, end):
        if self.parts.is_bound and not self.parts.is_valid():
            self.add_error(None, _("Check the rooms of the back-to-back session below."))
            return
        filled = [part for part in self.parts if part.is_filled()] if self.parts.is_bound else []
        if session_format == SessionFormat.JOINT and filled:
            self.add_error("format", _("A joint session has everyone in one room: choose back-to-back, "
                                       "or take the parties out of the rooms below."))
        if session_format != SessionFormat.BACK_TO_BACK:
            return
        if len(filled) < 2:
            self.add_error("format", _("A back-to-back session meets the parties separately: say who was "
                                       "in which room, at least two parts."))
        for part in filled:
            data = part.cleaned_data
            if not data.get("room"):
                part.add_error("room", _("Name the room."))
            if not data.get("parties"):
                part.add_error("parties", _("Choose who was in this room."))
            p_start, p_end = data.get("started_at"), data.get("ended_at")
            for name, moment in (("started_at", p_start), ("ended_at", p_end)):
                if moment and start and end and not start <= moment <= end:
                    part.add_error(name, _("Within the session: %(start)s to %(end)s.") % {
                        "start": timezone.localtime(start).strftime("%H:%M"),
                        "end": timezone.localtime(end).strftime("%H:%M")})
            if p_start and p_end and p_end <= p_start and "ended_at" not in part.errors:
                part.add_error("ended_at", _("This part ends after it starts."))
        if any(part.errors for part in filled):
            self.add_error(None, _("Check the rooms of the back-to-back session below."))

    def filled_parts(self) -> list[dict]:
        """The parts to record, in order, once the form is valid (none for a joint session)."""
        if self.cleaned_data.get("format") != SessionFormat.BACK_TO_BACK or not self.parts.is_bound:
            return []
        return [part.cleaned_data for part in self.parts if part.is_filled()]


class AgreementForm(forms.ModelForm):
    class Meta:
        model = Agreement
        fields = ["parties", "mediators", "facts", "terms", "fulfilment", "fulfil_by",
                  "signed_on", "place"]
        widgets = {"parties": CHECKS, "mediators": CHECKS, "fulfil_by": DATE, "signed_on": DATE,
                   "facts": forms.Textarea(attrs={"rows": 4}),
                   "terms": forms.Textarea(attrs={"rows": 5}),
                   "fulfilment": forms.Textarea(attrs={"rows": 2})}
        field_classes = {"parties": BoundedModelMultipleChoiceField, "mediators": BoundedModelMultipleChoiceField}

    def __init__(self, *args, case, mediators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parties"].queryset = case.parties.all()
        self.fields["parties"].label_from_instance = lambda p: f"{p.name}（{p.get_role_display()}）"
        self.fields["mediators"].queryset = mediators
        self.fields["mediators"].label_from_instance = _name
        self.case = case
        if not self.is_bound:
            self.initial.setdefault("signed_on", timezone.localdate())
            self.initial.setdefault("facts", case.description)
            self.initial.setdefault("parties", list(case.parties.all()))
            self.initial.setdefault("mediators", list(mediators))

    def clean(self):
        cleaned = super().clean()
        if len(cleaned.get("parties") or []) < 2:
            self.add_error("parties", _("An agreement is signed by at least two parties."))
        fulfil_by, signed_on = cleaned.get("fulfil_by"), cleaned.get("signed_on")
        if fulfil_by and signed_on and fulfil_by < signed_on:
            self.add_error("fulfil_by", _("The fulfilment date cannot be before the signing date."))
        elif fulfil_by and signed_on and fulfil_by > years_before(signed_on, -FULFIL_YEARS_AHEAD):
            self.add_error("fulfil_by", _("This is too late: the latest allowed is %(when)s.")
                           % {"when": years_before(signed_on, -FULFIL_YEARS_AHEAD).strftime("%Y-%m-%d")})
        return cleaned

    def clean_signed_on(self):
        """Signed once the case was logged, and not in the future."""
        signed_on = self.cleaned_data["signed_on"]
        check_between(signed_on, earliest=timezone.localdate(self.case.reported_at),
                      latest=timezone.localdate() + timedelta(days=1))
        return signed_on
