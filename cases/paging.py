"""Pages of long lists that never count millions of rows.

`CappedPaginator` counts at most `cap` rows (one LIMITed query: the database stops at the cap,
whatever the number of cases); beyond it the list says "more than 10,000" and still offers the
next pages, each fetching one row more than it shows to know whether another follows. A search
(`counted=False`) counts nothing: it runs once per page, and the total is known only when the
last page is reached. Templates: `includes/pagination.html`, `paginator.capped`.

A page's rows are fetched by a deferred join: the ids of the page first (a subquery the database
answers from an index on the filter and the order, without reading the rows it skips), then
those rows with what the list shows. A leader's list at ten million cases otherwise reads every
row of the street (thousands) to sort them and keep 25. Both the count and the rows are prepared
statements on PostgreSQL (grids/compiled.py `prepared`): planned once per connection.
"""

import math

from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.query import ModelIterable
from django.utils.functional import cached_property

from grids.compiled import prepared
from grids.lookups import id_array

COUNT_CAP = 10_000


class CappedPage(Page):
    """A page that knows whether another follows without knowing how many."""

    def __init__(self, object_list, number, paginator, *, more: bool):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self):
        return self.more

    def end_index(self):
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0


class CappedPaginator(Paginator):
    """A Paginator over a queryset whose count stops at `cap` rows; `counted=False`: no count."""

    cap = COUNT_CAP

    def __init__(self, object_list, per_page, *, cap: int | None = None, counted: bool = True):
        super().__init__(object_list, per_page)
        if cap is not None:
            self.cap = cap
        self.counted = counted
        self.capped = not counted  # True while the total is not known exactly

    @cached_property
    def count(self):
        if not self.counted:
            return 0  # learnt from the page (page() sets it)
        with prepared(self.object_list.db):
            found = self.object_list.order_by()[: self.cap + 1].count()
        self.capped = found > self.cap
        return min(found, self.cap)

    @cached_property
    def num_pages(self):
        if self.count == 0 and not self.capped:
            return 1 if self.allow_empty_first_page else 0
        return max(math.ceil(self.count / self.per_page), 1)

    def validate_number(self, number):
        self.count  # noqa: B018 -- counting tells whether the total is known
        return self._validate_number(number, math.inf if self.capped else self.num_pages)

    def get_page(self, number):
        """A page that exists: the first for a page number that is not one, the last known for
        a page past the end (found empty only once fetched, when the total is not known)."""
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.num_pages)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if not self.capped:
            top = bottom + self.per_page
            if top + self.orphans >= self.count:
                top = self.count
            return self._get_page(self.rows(bottom, top), number, self)
        rows = self.rows(bottom, bottom + self.per_page + 1)
        more = len(rows) > self.per_page
        rows = rows[: self.per_page]
        if not rows and number > 1:
            if not self.counted:
                self.num_pages = 1  # get_page() falls back to the first page
            raise EmptyPage(self.error_messages["no_results"])
        if not self.counted:
            # what this page tells: the exact total on the last page, a lower bound before it
            self.count = bottom + len(rows)
            self.capped = more
            self.num_pages = number + more
        return CappedPage(rows, number, self, more=more)

    def rows(self, bottom: int, top: int) -> list:
        """Rows bottom..top of the list, by a deferred join (see the module docstring): the
        filters run once, in the subquery of ids; the rows are then read by their primary key
        with what the list selects (a list of annotated, distinct or values rows is sliced)."""
        rows = self.object_list
        if (not isinstance(rows, QuerySet) or rows._iterable_class is not ModelIterable
                or rows.query.annotations or rows.query.distinct):
            return list(rows[bottom:top])
        page = rows.model._base_manager.filter(pk__in=rows.values("pk")[bottom:top])
        page.query.select_related = rows.query.select_related
        page.query.deferred_loading = rows.query.deferred_loading
        page._prefetch_related_lookups = rows._prefetch_related_lookups
        with prepared(page.db):  # a list every user opens: planned once per connection
            return list(page.order_by(*(rows.query.order_by or rows.model._meta.ordering)))


def first_ids(queryset, limit: int, *, grid_field: str, grid_ids, extra_ids=()) -> tuple[str, list]:
    """SQL (and its parameters) selecting the ids of the first `limit` rows of the ordered
    `queryset` whose `grid_field` is one of `grid_ids`, or whose id is one of `extra_ids` (the
    cases granted one by one).

    A leader's grids are a few hundred of a province's 50 000: ordered by one index (the due
    date, the last change), the matching rows are one in hundreds, each skipped one read from the
    table. On PostgreSQL each grid is therefore asked for its own first rows (one index probe a
    grid: a LATERAL join over the grid ids), and those merged; elsewhere it is one filter.
    EmptyResultSet when nothing can match."""
    if not grid_ids and not extra_ids:
        raise EmptyResultSet
    if connections[queryset.db].vendor != "postgresql" or not _plain_order(queryset):
        in_scope = Q(**{f"{grid_field}__in": list(grid_ids)}) | Q(id__in=list(extra_ids))
        return queryset.filter(in_scope).values_list("id")[:limit].query.sql_with_params()
    order = queryset.query.order_by
    columns = ["id", *(name.lstrip("-") for name in order if name.lstrip("-") != "id")]
    per_grid = queryset.filter(**{grid_field: RawSQL('"fq_g"."id"', ())}).values_list(*columns)[:limit]
    sql, params = per_grid.query.sql_with_params()
    arms = [f'SELECT fq_p.* FROM unnest(%s::bigint[]) AS fq_g(id) CROSS JOIN LATERAL ({sql}) fq_p']
    params = [id_array(grid_ids), *params]
    if extra_ids:
        extra_sql, extra_params = queryset.filter(id__any=list(extra_ids)).values_list(*columns)[:limit] \
            .query.sql_with_params()
        arms.append(f"SELECT * FROM ({extra_sql}) fq_e")
        params += extra_params
    order_sql = ", ".join(f'fq_t."{name.lstrip("-")}" {"DESC" if name.startswith("-") else "ASC"}'
                          for name in order)
    return f"SELECT fq_t.id FROM ({' UNION ALL '.join(arms)}) fq_t ORDER BY {order_sql} LIMIT {int(limit)}", params


def _plain_order(queryset) -> bool:
    """Ordered by the model's own columns only (what `first_ids` can repeat outside)."""
    names = queryset.query.order_by
    fields = {field.attname for field in queryset.model._meta.concrete_fields} | {"id", "pk"}
    return bool(names) and all(isinstance(name, str) and name.lstrip("-") in fields for name in names) \
        and "pk" not in {name.lstrip("-") for name in names}
