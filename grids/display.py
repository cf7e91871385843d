"""`get_FOO_display()` for one dictionary lookup and one translation.

Django's own builds a dictionary of every choice of the field on each call, hashing every label
on the way, and hashing a translated label translates it: a case's category (a dozen choices)
cost a dozen gettext calls, and a list of 25 cases showing category and state some 650 of
them, a fifth of the rows' rendering. With the mixin a model keeps, per field, {value: label}
made once from its choices; the labels stay lazy, so each call still answers in the reader's
language, translating the one label it returns. Fields whose choices are computed (a callable)
are left to Django. The answers are Django's (tests/grids/test_display.py).
"""

from django.utils.encoding import force_str
from django.utils.hashable import make_hashable

_LABELS: dict = {}  # field -> {value: lazy label}


class ChoiceDisplay:
    def _get_FIELD_display(self, field):
        if not isinstance(field.choices, list | tuple):
            return super()._get_FIELD_display(field)
        labels = _LABELS.get(field)
        if labels is None:
            labels = _LABELS[field] = {make_hashable(value): label for value, label in field.flatchoices}
        value = getattr(self, field.attname)
        return force_str(labels.get(make_hashable(value), value), strings_only=True)
