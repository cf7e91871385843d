"""grids/display.py: a model's get_FOO_display() answers what Django's own answers — for every
choice of every field, a value that is no choice, and in each language — while translating
only the label it returns."""

from unittest import mock

import pytest
from django.apps import apps
from django.db import models
from django.utils import translation

from grids.display import ChoiceDisplay

MODELS = [model for model in apps.get_models() if issubclass(model, ChoiceDisplay)]


def test_the_models_whose_labels_lists_show_use_it():
    names = {model.__name__ for model in MODELS}
    assert {"Case", "Referral", "Task", "Call", "Mediator", "Incident"} <= names


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_label_is_djangos(model, language):
    fields = [field for field in model._meta.concrete_fields if field.choices]
    assert fields, f"{model.__name__} has no field with choices"
    with translation.override(language):
        for field in fields:
            for value in [value for value, _label in field.flatchoices] + ["no-such-choice", None]:
                instance = model(**{field.attname: value})
                ours = getattr(instance, f"get_{field.name}_display")()
                assert ours == models.Model._get_FIELD_display(instance, field), (field, value)
                assert type(ours) is type(models.Model._get_FIELD_display(instance, field))


def test_it_translates_only_the_label_it_returns():
    from cases.models import Case

    case = Case(category=Case._meta.get_field("category").flatchoices[-1][0], state="mediating")
    case.get_category_display()  # the labels kept once
    with translation.override("zh-hans"), mock.patch("django.utils.translation._trans.gettext",
                                                     wraps=translation._trans.gettext) as gettext:
        case.get_category_display()
        case.get_state_display()
    assert gettext.call_count == 2
