"""The forms of meetings: the items leaders choose for a joint meeting (联席会议), and the form a
handler fills to call a coordination meeting (协调会) from a case page."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .forms import DATETIME, MeetingForm
from .loop import MAX_OTHER_CASES
from .validators import check_between


class CoordinationMeetingForm(forms.Form):
    held_on = forms.DateTimeField(label=_("when"), widget=DATETIME)
    place = forms.CharField(label=_("where"), max_length=100)
    attendees = forms.CharField(
        label=_("participants without an account"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: name and unit, e.g. 王建国（3号楼居民代表）, 李明（租户）, 某物业公司（业主单位）."))
    others = forms.ModelMultipleChoiceField(
        label=_("also on the agenda (open cases of the same grid)"), required=False, queryset=None,
        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, others, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["others"].queryset = others
        self.fields["others"].label_from_instance = lambda case: f"{case.number} {case.title}"

    def clean_held_on(self):
        held_on = self.cleaned_data["held_on"]
        now = timezone.now()
        year = timedelta(days=366)  # as the joint meeting's form
        check_between(held_on, earliest=now - year, latest=now + year)
        return held_on

    def clean_attendees(self):
        lines = [line.strip() for line in self.cleaned_data["attendees"].splitlines() if line.strip()]
        if not lines:
            raise forms.ValidationError(_("Name the participants."))
        return "\n".join(lines)

    def clean_others(self):
        others = self.cleaned_data["others"]
        if len(others) > MAX_OTHER_CASES:
            raise forms.ValidationError(_("A coordination meeting takes at most %(n)s more cases.")
                                        % {"n": MAX_OTHER_CASES})
        return others


class JointMeetingForm(MeetingForm):
    """A joint meeting whose agenda the leaders choose from the ledger: every item ticked at
    first (the whole ledger, as before); those left unticked stay off the agenda."""

    cases = forms.ModelMultipleChoiceField(
        label=_("agenda (the ledger's cases)"), required=False, queryset=None,
        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, ledger, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cases"].queryset = ledger
        self.fields["cases"].initial = [case.pk for case in ledger]
        self.fields["cases"].label_from_instance = (
            lambda case: f"{case.number} {case.title}（{case.grid.community.street.name} {case.grid.community.name}）")

    def clean(self):
        cleaned = super().clean()
        street, district, cases = cleaned.get("street"), cleaned.get("district"), cleaned.get("cases")
        if street is not None and cases is not None:
            cleaned["cases"] = [case for case in cases if case.grid.community.street_id == street.pk]
        elif district is not None and cases is not None:
            cleaned["cases"] = [case for case in cases if case.grid.community.street.district_id == district.pk]
        return cleaned
