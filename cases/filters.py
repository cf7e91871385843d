import re

import django_filters
from django import forms
from django.contrib.postgres.fields import ArrayField
from django.db import connections
from django.db.models import Func, Q, TextField, Value
from django.db.models.functions import Cast, Reverse, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids import access, pickers

from . import permissions, workflow
from .choices import OPEN_STATES, Category, Channel, Risk, State, Warning
from .forms import DATE
from .models import Case, Party
from .warning import Warnings

WHOLE_NUMBER = re.compile(r"^(\+?\d[\d-]{6,19}|\d{17}[\dXx])$")  # a phone or an ID number
SEARCHED = ("number", "incident_number", "title", "address", "parties__name")
FOUND_FIRST = 5_000  # a word search's matching ids read first, up to this many (CaseFilter.search)


class Bigrams(Func):
    """fq_bigrams(text): the 2-character substrings of a text (PostgreSQL, migration 0025)."""

    function = "fq_bigrams"
    output_field = ArrayField(TextField())


def has_pair(field: str, pair: str):
    """`field` contains the 2 characters `pair`, case-insensitively, as the GIN index over
    fq_bigrams(UPPER(field::text)) answers it; the same rows as `field__icontains=pair`."""
    pairs = Bigrams(Upper(Cast(field, TextField())))
    return pairs.output_field.get_lookup("contains")(pairs, [Upper(Value(pair))])


def ends_with(field: str, value: str, vendor: str):
    """`field` is, or ends with, `value` (case-insensitively): a case or 110 number read out
    whole or by its end. On PostgreSQL as the btree over REVERSE(UPPER(field::text)) answers it
    (a prefix of the reversed text, migration 0028); the same rows as `field__iendswith=value`."""
    if vendor != "postgresql":
        return Q(**{f"{field}__iendswith": value})
    reversed_text = Reverse(Upper(Cast(field, TextField())))
    return TextField().get_lookup("startswith")(reversed_text, value.upper()[::-1])


class Folding:
    """A filter form that folds on a phone: the search box stays in sight, the other filters fold
    behind one toggle that counts the ones in use (templates/includes/filter_form.html)."""

    shown = ("q",)

    def shown_fields(self):
        return [self.form[name] for name in self.shown if name in self.form.fields]

    def folded_fields(self):
        return [field for field in self.form if field.name not in self.shown]

    def folded_in_use(self) -> int:
        """How many of the folded filters the user has set (shown on the toggle)."""
        return sum(1 for field in self.folded_fields() if self.data.get(field.html_name, "").strip())

    def folded_errors(self) -> bool:
        return any(field.errors for field in self.folded_fields()) if self.is_bound else False


class CaseFilter(Folding, django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search",
        help_text=_("Case number, 110 incident number, title, party name or address; a whole phone or ID number"),
    )
    state = django_filters.ChoiceFilter(label=_("state"), choices=State.choices)
    category = django_filters.ChoiceFilter(label=_("category"), choices=Category.choices)
    channel = django_filters.ChoiceFilter(label=_("discovery channel"), choices=Channel.choices)
    risk = django_filters.ChoiceFilter(label=_("risk level"), choices=Risk.choices)
    grid = django_filters.ModelChoiceFilter(label=_("community grid"), queryset=None)
    warning = django_filters.ChoiceFilter(label=_("warning colour"), choices=Warning.choices,
                                          method="filter_warning")
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
        self.user = user
        grids = access.visible_community_grids(user).select_related("community")
        self.filters["grid"].queryset = grids
        self.form.fields["grid"].label_from_instance = pickers.grid_label
        # thousands of grids for a district or an administrator: a search picker, not a select
        scope = access.scope_of(user)
        pickers.searchable(self.form.fields["grid"], kind="grid", choices=grids, data=self.data, name="grid",
                           size=None if scope.everything else len(scope.community_grid_ids))

    @property
    def searching(self) -> bool:
        """A search term was given: the list pages uncounted (the search runs once a page)."""
        return self.is_valid() and bool(self.form.cleaned_data.get("q", "").strip())

    def search(self, queryset, name, value):
        """The cases in `queryset` (what the user may see) matching `value`: a UNION of the
        matching ids of each column, each arm restricted to the user's cases, so
        that the database serves each from an index (on PostgreSQL trigram GIN for a fragment,
        bigram GIN for one of 2 characters, the btree of the phone or ID number for a whole
        number; a grid worker's few cases by their grid) and never searches the whole province
        for a user who sees one grid."""
        value = value.strip()
        if not value:
            return queryset
        mine = queryset.order_by().values("id")
        if WHOLE_NUMBER.match(value):
            # A phone or ID number matches only whole (equality: its index), only where the user
            # may see it in full, and the search is recorded like a reveal: a masked 192****7256
            # cannot be completed digit by digit. Digits may also be a case or 110 number, or
            # the end of one read out on the radio (a suffix: its reversed text's index).
            parties = Party.objects.filter(Q(phone=value) | Q(id_number__in={value.upper(), value.lower()}),
                                           case__in=permissions.revealable_cases(self.user))
            found = list(parties.select_related("case"))
            if found:
                workflow.record_number_search(actor=self.user, parties=found,
                                              ip_address=self.request.META.get("REMOTE_ADDR") if self.request else None)
            vendor = connections[queryset.db].vendor
            arms = [mine.filter(ends_with("number", value, vendor)),
                    mine.filter(ends_with("incident_number", value, vendor)),
                    mine.filter(id__in=parties.values("case_id"))]
        else:
            # 2 characters (a given name): no trigram in them, so on PostgreSQL their bigram indexes
            pairs = len(value) == 2 and connections[queryset.db].vendor == "postgresql"
            arms = [mine.filter(has_pair(field, value) if pairs else Q(**{f"{field}__icontains": value}))
                    for field in SEARCHED]
            # Their ids first, then the page ordered among them: the planner cannot tell how many
            # cases a fragment matches (a common given name: thousands of the province's ten
            # million) and, expecting tens of thousands, reads the whole list index to order them
            # (0.6 s); as a list it orders them by their keys. A fragment matching more than
            # FOUND_FIRST stays a subquery (a bare surname: the province's cases).
            matching = arms[0].union(*arms[1:])
            found = [row["id"] for row in matching.order_by()[:FOUND_FIRST + 1]]
            return queryset.filter(id__in=found if len(found) <= FOUND_FIRST else matching)
        return queryset.filter(id__in=arms[0].union(*arms[1:]))

    def filter_warning(self, queryset, name, value):
        return queryset.filter(Warnings().q(value))

    def filter_open(self, queryset, name, value):
        return queryset.filter(state__in=OPEN_STATES) if value else queryset

    def filter_overdue(self, queryset, name, value):
        if value:
            return queryset.filter(state__in=OPEN_STATES, due_at__lt=timezone.now())
        return queryset
