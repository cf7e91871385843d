import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids import access

from .choices import OPEN_STATES, Category, Channel, Risk, State
from .forms import DATE
from .models import Case, Party


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search",
        help_text=_("Case number, title, party name, phone or address"),
    )
    state = django_filters.ChoiceFilter(label=_("state"), choices=State.choices)
    category = django_filters.ChoiceFilter(label=_("category"), choices=Category.choices)
    channel = django_filters.ChoiceFilter(label=_("discovery channel"), choices=Channel.choices)
    risk = django_filters.ChoiceFilter(label=_("risk level"), choices=Risk.choices)
    grid = django_filters.ModelChoiceFilter(label=_("community grid"), queryset=None)
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput
    )
    open = django_filters.BooleanFilter(label=_("Open only"), method="filter_open",
                                        widget=forms.CheckboxInput)
    resolved_from = django_filters.DateFilter(
        label=_("Resolved from"), field_name="resolved_at", lookup_expr="date__gte", widget=DATE
    )
    reported_from = django_filters.DateFilter(
        label=_("Reported from"), field_name="reported_at", lookup_expr="date__gte", widget=DATE
    )
    reported_to = django_filters.DateFilter(
        label=_("Reported until"), field_name="reported_at", lookup_expr="date__lte", widget=DATE
    )

    class Meta:
        model = Case
        fields = []

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["grid"].queryset = access.visible_community_grids(user).select_related(
            "community"
        )
        self.form.fields["grid"].label_from_instance = lambda g: f"{g.community.name} · {g.name}"

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        parties = Party.objects.filter(
            Q(name__icontains=value) | Q(phone__contains=value)
        ).values("case_id")
        return queryset.filter(
            Q(number__icontains=value) | Q(title__icontains=value)
            | Q(address__icontains=value) | Q(id__in=parties)
        )

    def filter_open(self, queryset, name, value):
        return queryset.filter(state__in=OPEN_STATES) if value else queryset

    def filter_overdue(self, queryset, name, value):
        if value:
            return queryset.filter(state__in=OPEN_STATES, due_at__lt=timezone.now())
        return queryset
