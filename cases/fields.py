"""Form fields shared by the apps' forms."""

from django import forms
from django.core.exceptions import ValidationError

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
