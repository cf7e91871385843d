from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.choices import Category
from cases.forms import DATE, DATETIME

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


class SessionForm(forms.ModelForm):
    class Meta:
        model = MediationSession
        fields = ["held_at", "place", "mediators", "attendees", "format", "record", "outcome"]
        widgets = {"held_at": DATETIME, "mediators": CHECKS,
                   "record": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, mediators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mediators"].queryset = mediators
        self.fields["mediators"].label_from_instance = _name
        if not self.is_bound:
            self.initial.setdefault("held_at", timezone.localtime().replace(second=0, microsecond=0))


class AgreementForm(forms.ModelForm):
    class Meta:
        model = Agreement
        fields = ["parties", "mediators", "facts", "terms", "fulfilment", "fulfil_by",
                  "signed_on", "place"]
        widgets = {"parties": CHECKS, "mediators": CHECKS, "fulfil_by": DATE, "signed_on": DATE,
                   "facts": forms.Textarea(attrs={"rows": 4}),
                   "terms": forms.Textarea(attrs={"rows": 5}),
                   "fulfilment": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, case, mediators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parties"].queryset = case.parties.all()
        self.fields["parties"].label_from_instance = lambda p: f"{p.name}（{p.get_role_display()}）"
        self.fields["mediators"].queryset = mediators
        self.fields["mediators"].label_from_instance = _name
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
        return cleaned
