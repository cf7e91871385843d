"""Several lists of model instances from one query.

A page that shows a dozen short lists (a case's parties, referrals, tasks, sessions, timeline…)
would otherwise cost one query per list. `load` runs them as one UNION ALL: each list's rows
come back as (list number, position, row), the row a JSON object of the model's columns built
by the database (JSONObject), with the forward foreign keys the queryset `select_related`s
nested in it, and its annotations beside them. The rows are turned back into instances with
the types the ORM gives: aware datetimes in UTC (SQLite returns naive text, PostgreSQL ISO
text with an offset), dates, booleans, UUIDs, JSON field values, file names (the FileField
wraps them as usual). Each list keeps its order: its queryset's `order_by`, or its model's
`Meta.ordering`, or the primary key, numbered in the database by ROW_NUMBER() over it.

Limits, refused loudly rather than guessed: no slicing, `select_related` by name (forward
foreign keys and one-to-one fields only), ordering by columns (not by a bare relation, which
the ORM would expand into the related model's ordering), and the field types in `_CONVERT`.
PostgreSQL before 16 builds the object with JSONB_BUILD_OBJECT, at most 100 arguments: 50
columns per model (each related model is its own nested object).

The UNION is compiled once per shape and kept (`_COMPILED`): building a dozen querysets' JSON
objects and compiling them was a third of a case page's work. A shape is the lists' own SQL with
its placeholders (each queryset compiled alone, selecting its primary key only, with its
select_related tree by name: a fifteenth of the cost), so the same lists of
another case reuse it with that case's parameters. The bundle's own constants (each list's number,
the JSON keys) are written into its SQL, so its parameters are the lists' own, in order — checked
when a shape is first compiled; a shape for which they are not (an ordering with parameters, say)
is simply compiled every time.
"""

import json
import re
import uuid
from collections.abc import Iterable
from datetime import UTC

from django.core.exceptions import EmptyResultSet
from django.db import models, router
from django.db.models import Expression, F, Func, IntegerField, QuerySet, TextField, Window
from django.db.models.functions import JSONObject, RowNumber
from django.utils.dateparse import parse_date, parse_datetime

from grids import compiled
from grids.compiled import fetch_all

PART, POSITION, ROW = "bundle_part", "bundle_position", "bundle_row"


def load(lists: dict[str, QuerySet], *, known: Iterable[models.Model] = ()) -> dict[str, list]:
    """{name: list of instances} for {name: queryset}, in one query (none if every queryset
    is empty by construction, `.none()`). `known` are instances the rows' foreign keys may point
    to (the case whose children are loaded): set as the related object, as a related manager
    does, so that `referral.case` costs no query."""
    result = {name: [] for name in lists}
    querysets, names = list(lists.values()), list(lists)
    if not querysets:
        return result
    db = querysets[0].db
    own = [_own_sql(queryset, db) for queryset in querysets]
    if all(each is None for each in own):
        return result
    shape = (db, tuple(None if each is None else (queryset.model._meta.label, each[0])
                       for queryset, each in zip(querysets, own, strict=True)))
    params = [param for each in own if each is not None for param in each[1]]
    sql = _COMPILED.get(shape)
    if sql is None:
        sql, union_params = _union(querysets, own, db)
        if list(union_params) == params:  # the lists' own parameters, in order: reusable
            if len(_COMPILED) >= _COMPILED_MAX:
                _COMPILED.clear()
            _COMPILED[shape] = sql
        params = union_params
    return _run(db, sql, params, querysets, names, known)


def _run(db: str, sql: str, params, querysets: list, names: list, known) -> dict[str, list]:
    """Run the union and turn its rows back into each list's instances."""
    result = {name: [] for name in names}
    rows = fetch_all(db, sql, params)
    for number, _position, row in sorted(rows, key=lambda r: (r[0], r[1])):
        queryset = querysets[number]
        row = json.loads(row) if isinstance(row, str) else row  # PostgreSQL's driver gives text too
        instance = _instance(queryset.model, row, _related(queryset), db)
        for name, expression in queryset.query.annotations.items():
            setattr(instance, name, _python(expression.output_field, row[name]))
        result[names[number]].append(instance)
    _set_known(result.values(), list(known))
    return result


class Prepared:
    """`load` for lists built from ids alone, built and compiled once per shape and run again
    with other ids: the case page's.

    The lists of one case page differ from another's only in the ids in their SQL, yet building
    a dozen querysets and compiling each for `load`'s shape key cost a case page a quarter of its
    Python. `Prepared(model, build)` calls `build(**ids)` once per database and `shape` with a
    marker in place of each id (grids/compiled.py), compiles the union, and finds the markers
    among its parameters; later calls run that SQL with their own ids, building nothing. `build`
    may use an unsaved instance with a marker as its primary key: a related manager filters by
    the key alone (`Case(pk=case).parties.all()`). Lists that cannot be built from ids alone (the
    linked cases the user may see) go in `extra`: built by the caller and compiled on each call,
    as `load` does, in the same query. Where a marker does not come back as a parameter of its
    own, every call builds the lists and `load`s them.
    """

    def __init__(self, model, build):
        self.model, self.build = model, build
        self._plans = {}  # (database, shape, ids' names, extra's shape) -> plan | None

    def load(self, *, shape=(), known: Iterable[models.Model] = (), extra: dict | None = None,
             **ids) -> dict[str, list]:
        extra = extra or {}
        db = router.db_for_read(self.model)
        extra_own = [_own_sql(queryset, db) for queryset in extra.values()]
        key = (db, shape, tuple(sorted(ids)),
               tuple(None if each is None else (queryset.model._meta.label, each[0])
                     for queryset, each in zip(extra.values(), extra_own, strict=True)))
        plan = self._plans.get(key, _UNSEEN)
        if plan is _UNSEEN:
            if len(self._plans) >= _COMPILED_MAX:
                self._plans.clear()
            plan = self._plans[key] = self._plan(db, ids, extra, extra_own)
        if plan is None:
            return load({**self.build(**ids), **extra}, known=known)
        sql, slots, templates, names = plan
        params = compiled.filled(slots, ids) + [p for each in extra_own if each is not None for p in each[1]]
        return _run(db, sql, params, [*templates, *extra.values()], [*names, *extra], known)

    def _plan(self, db: str, ids: dict, extra: dict, extra_own: list):
        """(union SQL, the lists' parameters with slots for the ids, the lists built with markers,
        their names), or None when the union cannot be run again with other ids."""
        markers = compiled.marked(ids)
        templates = self.build(**markers)
        if set(templates) & set(extra):
            raise ValueError(f"bundle.Prepared: {sorted(set(templates) & set(extra))} built and given as extra")
        own = [_own_sql(queryset, db) for queryset in templates.values()]
        querysets = [*templates.values(), *extra.values()]
        if all(each is None for each in own + extra_own):
            return None
        sql, params = _union(querysets, own + extra_own, db)
        mine = [p for each in own if each is not None for p in each[1]]
        theirs = [p for each in extra_own if each is not None for p in each[1]]
        if list(params) != mine + theirs:  # not the lists' own parameters, in order
            return None
        slots = compiled.slotted(mine, markers)
        if slots is None:
            return None
        return sql, slots, list(templates.values()), list(templates)


_UNSEEN = object()


# The compiled UNION of each shape seen: {(database alias, each list's (model, SQL) or None when
# empty): SQL}. Shapes are few (which lists a page loads, which of them are empty for a role), so
# the bound only guards against a caller that would build its lists' SQL from data.
_COMPILED: dict[tuple, str] = {}
_COMPILED_MAX = 500


def _own_sql(queryset: QuerySet, db: str):
    """The queryset's own (SQL, parameters), or None when it can match nothing (`.none()`,
    `id__in=[]`): the shape's key, and the parameters the bundle passes for it.

    Compiled selecting the primary key alone, its select_related tree named beside it: the
    columns of the model and of its related models take no parameters and follow from the model
    and the tree, and leaving them out makes this compile two fifths of the whole row's."""
    query = queryset.query.clone()
    related = _related(queryset)
    query.select_related = False
    query.clear_select_fields()
    query.default_cols = False
    query.add_fields([queryset.model._meta.pk.name], allow_m2m=False)
    try:
        sql, params = query.get_compiler(db).as_sql()
    except EmptyResultSet:
        return None
    return (sql, repr(related)), params


def _union(querysets: list, own: list, db: str) -> tuple[str, tuple]:
    arms = [_arm(number, queryset)
            for number, (queryset, each) in enumerate(zip(querysets, own, strict=True)) if each is not None]
    query = arms[0].union(*arms[1:], all=True).order_by() if len(arms) > 1 else arms[0]
    return query.query.get_compiler(db).as_sql()


def _arm(number: int, queryset: QuerySet) -> QuerySet:
    if queryset.query.is_sliced:
        raise ValueError("bundle.load cannot load a sliced queryset")
    row = _json_object(queryset.model, _related(queryset))
    row.update({name: F(name) for name in queryset.query.annotations})
    return (queryset.select_related(None).order_by()
            .annotate(**{PART: _Literal(number), POSITION: Window(RowNumber(), order_by=_ordering(queryset)),
                         ROW: _Object(**row)})
            .values_list(PART, POSITION, ROW))


def _related(queryset) -> dict:
    """The select_related tree of the queryset: {relation name: {its relations}}."""
    related = queryset.query.select_related
    if related is True:
        raise ValueError("bundle.load needs select_related() with names")
    return related or {}


def _json_object(model, related: dict, prefix: str = "") -> dict:
    """{key: expression} of a model's columns (by attname) and of each related model (nested)."""
    row = {}
    for field in model._meta.concrete_fields:
        _converter(field)  # refuse a type it cannot bring back now, not when a row has it
        column = F(prefix + field.attname)
        row[field.attname] = _AsJSON(column) if field.get_internal_type() == "JSONField" else column
    for name, nested in related.items():
        field = model._meta.get_field(name)
        if not (field.many_to_one or field.one_to_one) or not field.concrete:
            raise ValueError(f"bundle.load follows forward foreign keys only, not {model.__name__}.{name}")
        row[name] = _Object(**_json_object(field.related_model, nested, f"{prefix}{name}__"))
    return row


def _ordering(queryset) -> list:
    """The queryset's order as expressions for ROW_NUMBER(): its order_by, else its model's."""
    model = queryset.model
    ordering = queryset.query.order_by or model._meta.ordering or ["pk"]
    expressions = []
    for term in ordering:
        if not isinstance(term, str):
            expressions.append(term)
            continue
        path = term.removeprefix("-")
        if path != "pk" and _is_relation(model, path):
            raise ValueError(f"bundle.load orders by columns: name the column of {term!r} to order by")
        expressions.append(F(path).desc() if term.startswith("-") else F(path).asc())
    return expressions


def _is_relation(model, path: str) -> bool:
    """Whether `path` ends at a relation rather than a column (`grid`, not `grid_id`)."""
    for name in path.split("__"):
        field = model._meta.get_field(name)
        model = field.related_model
    return field.is_relation and name == field.name


class _Literal(Expression):
    """A constant of the bundle's own written into its SQL rather than passed as a parameter:
    a list's number, or a JSON key (a column's or a relation's name, so a plain identifier)."""

    def __init__(self, value):
        super().__init__(output_field=IntegerField() if isinstance(value, int) else TextField())
        if not (isinstance(value, int) or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value)):
            raise ValueError(f"bundle.load writes plain names into its SQL, not {value!r}")
        self.value = value

    def as_sql(self, compiler, connection):
        return (str(self.value) if isinstance(self.value, int) else f"'{self.value}'"), []


class _Object(JSONObject):
    """JSONObject with its keys written into the SQL (_Literal), not passed as parameters."""

    def __init__(self, **fields):
        expressions = []
        for key, value in fields.items():
            expressions.extend((_Literal(key), value))
        Func.__init__(self, *expressions)


class _AsJSON(Func):
    """A JSON column as a JSON value inside JSONObject: SQLite keeps JSON as text, which would
    be nested as a string; PostgreSQL's jsonb is nested as it is."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="JSON(%(expressions)s)", **extra_context)


def _instance(model, row: dict, related: dict, db: str):
    fields = model._meta.concrete_fields
    instance = model.from_db(db, [f.attname for f in fields], [_python(f, row[f.attname]) for f in fields])
    for name, nested in related.items():
        field = model._meta.get_field(name)
        target = row[name]
        pk = field.related_model._meta.pk.attname
        setattr(instance, name, None if target[pk] is None else _instance(field.related_model, target, nested, db))
    return instance


def _set_known(lists, known: list) -> None:
    if not known:
        return
    by_model = {(type(obj), obj.pk): obj for obj in known}
    for instances in lists:
        for instance in instances:
            for field in instance._meta.concrete_fields:
                if field.many_to_one or field.one_to_one:
                    obj = by_model.get((field.related_model, getattr(instance, field.attname)))
                    if obj is not None:
                        setattr(instance, field.name, obj)


def _utc(value):
    """An aware datetime in UTC from either database's text: SQLite stores UTC without an
    offset (USE_TZ), PostgreSQL writes the session's offset (UTC for Django's connections)."""
    moment = parse_datetime(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _same(value):
    return value


# How a JSON value comes back as the field's Python value, by the field's internal type.
_CONVERT = {
    **dict.fromkeys(("AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField",
                     "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField",
                     "PositiveSmallIntegerField", "CharField", "TextField", "FileField"), _same),
    "BooleanField": bool,  # SQLite gives 0 / 1
    "DateTimeField": _utc,
    "DateField": parse_date,
    "UUIDField": uuid.UUID,  # SQLite stores 32 hex digits, PostgreSQL the dashed form
    "JSONField": _same,  # nested as JSON (_AsJSON), decoded with the row
}


def _converter(field):
    target = field.target_field if field.is_relation else field
    kind = target.get_internal_type()
    if kind not in _CONVERT or (kind == "JSONField" and target.decoder is not None):
        raise TypeError(f"bundle.load cannot load {field!r} ({kind})")
    return _CONVERT[kind]


def _python(field, value):
    return None if value is None else _converter(field)(value)
