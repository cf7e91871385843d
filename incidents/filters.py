"""The incident list's filters: a search box (a whole 110 incident number, or part of the
address), the status, a police grid by its code (a select of every police grid would run to
thousands on a district), and the dates reported. The queryset is already what the user may
see: a code outside their scope simply finds nothing."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.filters import Folding
from cases.forms import DATE

from .models import Incident, IncidentStatus


class IncidentFilter(Folding, django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search",
        help_text=_("A whole 110 incident number, or part of the address"),
    )
    status = django_filters.ChoiceFilter(label=_("status"), choices=IncidentStatus.choices)
    police_grid = django_filters.CharFilter(
        label=_("police grid code"), method="filter_police_grid", max_length=40,
        help_text=_("e.g. QF-J01"),
    )
    reported_from = django_filters.DateFilter(
        label=_("Reported from"), field_name="reported_at", lookup_expr="date__gte", widget=DATE
    )
    reported_to = django_filters.DateFilter(
        label=_("Reported until"), field_name="reported_at", lookup_expr="date__lte", widget=DATE
    )

    class Meta:
        model = Incident
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number=value) | Q(address__icontains=value))

    def filter_police_grid(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(police_grid__code__iexact=value) if value else queryset
