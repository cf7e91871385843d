import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef
from django.utils.translation import gettext_lazy as _

from cases.choices import Category
from cases.filters import Folding
from grids import pickers
from grids.models import Community

from .models import Mediator, Specialty, Team


class MediatorFilter(Folding, django_filters.FilterSet):
    shown = ("name",)
    name = django_filters.CharFilter(label=_("full name"), lookup_expr="icontains",
                                     help_text=_("Part of the mediator's name"))
    team = django_filters.ChoiceFilter(label=_("team"), choices=Team.choices)
    # EXISTS rather than a join and DISTINCT: the page stays in the roster index's order.
    specialty = django_filters.ChoiceFilter(label=_("specialty"), choices=Category.choices,
                                            method="filter_specialty")
    community = django_filters.ModelChoiceFilter(label=_("community served"),
                                                 queryset=Community.objects.all(), method="filter_community")
    available = django_filters.BooleanFilter(label=_("Has free places"), method="filter_available",
                                             widget=forms.CheckboxInput)
    retired = django_filters.BooleanFilter(label=_("Show retired mediators"), method="filter_retired",
                                           widget=forms.CheckboxInput)

    class Meta:
        model = Mediator
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # ten thousand communities in a province: a search picker, not a select
        pickers.searchable(self.form.fields["community"], kind="community", choices=Community.objects.all(),
                           data=self.data, name="community")

    def filter_specialty(self, queryset, name, value):
        return queryset.filter(Exists(Specialty.objects.filter(mediator=OuterRef("pk"), category=value)))

    def filter_community(self, queryset, name, value):
        served = Mediator.communities.through.objects.filter(mediator_id=OuterRef("pk"), community_id=value.pk)
        return queryset.filter(Exists(served))

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
