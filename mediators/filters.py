import django_filters
from django import forms
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from cases.choices import Category
from cases.filters import Folding
from grids.models import Community

from .models import Mediator, Team


class MediatorFilter(Folding, django_filters.FilterSet):
    shown = ("name",)
    name = django_filters.CharFilter(label=_("full name"), lookup_expr="icontains",
                                     help_text=_("Part of the mediator's name"))
    team = django_filters.ChoiceFilter(label=_("team"), choices=Team.choices)
    specialty = django_filters.ChoiceFilter(label=_("specialty"), choices=Category.choices,
                                            field_name="specialties__category", distinct=True)
    community = django_filters.ModelChoiceFilter(label=_("community served"),
                                                 queryset=Community.objects.all(),
                                                 field_name="communities", distinct=True)
    available = django_filters.BooleanFilter(label=_("Has free places"), method="filter_available",
                                             widget=forms.CheckboxInput)
    retired = django_filters.BooleanFilter(label=_("Show retired mediators"), method="filter_retired",
                                           widget=forms.CheckboxInput)

    class Meta:
        model = Mediator
        fields = []

    def filter_available(self, queryset, name, value):
        if value:
            return queryset.filter(active=True, open_load__lt=F("capacity"))
        return queryset

    def filter_retired(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("retired"):
            queryset = queryset.filter(active=True)
        return queryset
