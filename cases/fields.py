"""Form fields shared by the apps' forms."""

from functools import partial

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator

MAX_ID = 2**63 - 1


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A choice of several objects by id. An id beyond a 64-bit integer is an invalid choice
    with a message beside the field (SQLite would raise OverflowError on it: a 500)."""

    def _check_values(self, value):
        for pk in value:
            text = str(pk).strip()
            try:
                number = int(text)
            except ValueError:
                continue  # not a number: the usual check says it is an invalid choice
            if abs(number) > MAX_ID:
                raise ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                      params={"pk": text[:30]})
        return super()._check_values(value)


class KnownChoices(ModelChoiceIterator):
    """A model choice field's options drawn from objects the page has loaded already, in their
    order, instead of a query each time the field is drawn (a select and a list of checkboxes of
    the same people are two). What is posted is still checked against the field's queryset."""

    def __init__(self, field, objects):
        super().__init__(field)
        self.objects = objects

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.objects:
            yield self.choice(obj)

    def __len__(self):
        return len(self.objects) + (self.field.empty_label is not None)

    def __bool__(self):
        return self.field.empty_label is not None or bool(self.objects)


def offer_known(field, queryset, objects) -> None:
    """Give a model choice field its queryset (for checking what is posted) and the objects it
    holds (for drawing the options): `objects` must be that queryset's rows, in its order."""
    field.iterator = partial(KnownChoices, objects=list(objects))
    field.queryset = queryset  # the widget takes its choices from the iterator set above
