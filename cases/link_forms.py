"""Forms of related and merged cases (cases/links.py). The other case is typed by its number
and looked up only among the cases the user may see: a number that does not exist and one
outside the user's scope get the same answer."""

from django import forms
from django.utils.translation import gettext_lazy as _

from . import permissions

NO_SUCH_CASE = _("No case with this number among the cases you may open: check the number.")


class CaseNumberField(forms.ModelChoiceField):
    """A case typed by its number, found in the queryset given (the user's visible cases)."""

    def __init__(self, queryset, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
        super().__init__(queryset, to_field_name="number", error_messages={"invalid_choice": NO_SUCH_CASE},
                         **kwargs)

    def to_python(self, value):
        return super().to_python(value.strip() if isinstance(value, str) else value)


class LinkForm(forms.Form):
    """On the case page: link another case to this one."""

    number = CaseNumberField(None, label=_("Number of the related case"))
    note = forms.CharField(label=_("How they are related (optional)"), required=False, max_length=200)

    def __init__(self, *args, user, case, **kwargs):
        kwargs.setdefault("prefix", "link")  # ids unique on the case page
        super().__init__(*args, **kwargs)
        self.case = case
        self.fields["number"].queryset = permissions.visible_cases(user)

    def clean_number(self):
        other = self.cleaned_data["number"]
        if other.pk == self.case.pk:
            raise forms.ValidationError(_("That is this case's own number."))
        return other


class MergeForm(forms.Form):
    """Merge this case (the duplicate) into another, against the version the user saw."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    into = CaseNumberField(None, label=_("Number of the case that stays"))
    note = forms.CharField(label=_("Why (optional)"), required=False, max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, case, **kwargs):
        kwargs.setdefault("initial", {"version": case.version})
        super().__init__(*args, **kwargs)
        self.case = case
        self.fields["into"].queryset = permissions.visible_cases(user)

    def clean_into(self):
        survivor = self.cleaned_data["into"]
        if survivor.pk == self.case.pk:
            raise forms.ValidationError(_("That is this case's own number: give the number of the case that stays."))
        return survivor
