"""Forms of the corrections after intake (cases/corrections.py): each carries the version of the
case the user saw, and an optional note saying why (required to move a case to another grid)."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids import pickers

from .choices import TeamRole
from .corrections import CASE_FIELDS, MASKS, PARTY_FIELDS
from .forms import DATETIME, PartyForm
from .models import Case, Party
from .validators import CLOCK_SKEW, REPORTED_YEARS_BACK, check_between, years_before


class Versioned(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("Why (optional)"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class CaseEditForm(Versioned, forms.ModelForm):
    class Meta:
        model = Case
        fields = CASE_FIELDS
        widgets = {"occurred_at": DATETIME, "description": forms.Textarea(attrs={"rows": 4})}

    field_order = [*CASE_FIELDS, "note"]

    def __init__(self, *args, case, **kwargs):
        kwargs.setdefault("initial", {"version": case.version})
        # A copy: the form's validation writes into its instance, the case page's object stays as is.
        super().__init__(*args, instance=Case.objects.get(pk=case.pk), **kwargs)
        self.case = case

    def clean(self):
        cleaned = super().clean()
        occurred = cleaned.get("occurred_at")
        if occurred is not None:
            try:
                check_between(occurred, earliest=years_before(timezone.now(), REPORTED_YEARS_BACK),
                              latest=self.case.reported_at + CLOCK_SKEW)
            except forms.ValidationError as error:
                self.add_error("occurred_at", error)
        return cleaned

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in CASE_FIELDS}


class PartyAddForm(Versioned, PartyForm):
    field_order = [*PARTY_FIELDS, "note"]

    def __init__(self, *args, case, **kwargs):
        kwargs.setdefault("initial", {"version": case.version})
        super().__init__(*args, **kwargs)


class PartyEditForm(Versioned, PartyForm):
    """A party's details, phone and ID number shown masked: the masked value sent back unchanged
    keeps the stored number; a new number must be typed in full."""

    field_order = [*PARTY_FIELDS, "note"]

    def __init__(self, *args, case, party, **kwargs):
        self.stored = {name: getattr(party, name) for name in MASKS}
        initial = {"version": case.version, **{name: MASKS[name](value) for name, value in self.stored.items()}}
        kwargs.setdefault("initial", initial)
        # A copy: the form's validation writes into its instance.
        super().__init__(*args, instance=Party.objects.get(pk=party.pk), **kwargs)
        for name in MASKS:
            if self.stored[name]:
                self.fields[name].help_text = _("Shown masked. Leave it as it is to keep the number, "
                                                "or type the whole new number.")

    def _unmasked(self, name):
        value = self.cleaned_data[name]
        if self.stored[name] and value == MASKS[name](self.stored[name]):
            return self.stored[name]
        if "*" in value:
            raise forms.ValidationError(_("Type the whole number, or leave the masked one as it is."))
        return value

    def clean_phone(self):
        return self._unmasked("phone")

    def clean_id_number(self):
        return self._unmasked("id_number")

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in PARTY_FIELDS}


class HandOverForm(Versioned):
    lead_handler = forms.ModelChoiceField(label=_("new lead handler"), queryset=None)
    field_order = ["lead_handler", "note"]

    def __init__(self, *args, case, handlers, **kwargs):
        kwargs.setdefault("initial", {"version": case.version})
        super().__init__(*args, **kwargs)
        roles = {user.pk: role for user, role in handlers if user.pk != case.lead_handler_id}
        field = self.fields["lead_handler"]
        field.queryset = get_user_model().objects.filter(pk__in=roles).order_by("username")
        field.label_from_instance = lambda u: f"{u.get_full_name() or u.username}（{TeamRole(roles[u.pk]).label}）"


class MoveGridForm(Versioned):
    grid = forms.ModelChoiceField(label=_("the right community grid"), queryset=None)
    note = forms.CharField(label=_("why the case belongs there"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    field_order = ["grid", "note"]

    def __init__(self, *args, case, grids, **kwargs):
        kwargs.setdefault("initial", {"version": case.version})
        super().__init__(*args, **kwargs)
        field = self.fields["grid"]
        field.queryset = grids.select_related("community").order_by("community__name", "name")
        field.label_from_instance = pickers.grid_label
        # a district's or an administrator's targets are thousands of grids: a search picker
        pickers.searchable(field, kind="grid", choices=field.queryset, data=self.data, name="grid")
