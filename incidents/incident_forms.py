"""Forms of the incident pages (the import pages have theirs in incidents/forms.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class OnSpotForm(forms.Form):
    note = forms.CharField(
        label=_("How it was handled on the spot"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("e.g. both sides calmed down and agreed; nothing further needed."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "on_spot")
        super().__init__(*args, **kwargs)
