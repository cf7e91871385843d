"""A queryset compiled to SQL once, then run again with other ids.

Every request computes the user's scope from two queries of many UNION arms (grids/access.py).
Their SQL changes only with the ids in them, yet building the querysets (each filter and
values_list clones the query) and compiling them cost a leader's request 3-5 ms of Python:
more than the database takes to answer. `Compiled(model, build)` calls `build(**markers)` once per
database and shape, with a marker in place of each argument, compiles it, and finds the markers
among the SQL's parameters; later calls run that SQL with their own ids in the markers' places.
`rows` gives the rows; `objects` the model instances of a queryset of them (with its
select_related objects and its slice), made from the rows as the ORM makes them.

Arguments are ids: an int, or a list of ints (`field__any`, one array parameter on PostgreSQL);
or a moment (an aware datetime: "now" in a filter). `build` returns a queryset, or for `rows` the
SQL and parameters it wrote itself (a UNION of querysets' SQL).
When a marker does not come back as exactly one parameter of its own — a list written as one
placeholder per id (SQLite's `__in`), or a value turned into something else on its way — the
queryset is built and compiled on each call instead, so the rows are always the ORM's. Rows come
back as the database driver returns them (tuples, without the fields' converters): for ids and
text (values_list), which need none. One compiled statement is kept per database, set of
arguments given (their names and kinds: `build` may add a UNION arm per argument) and `shape`,
which names anything else the SQL depends on.
On PostgreSQL the statement's other constants are written into its SQL as literals (`inlined`),
so that the plan PostgreSQL keeps for it can use the partial indexes they select.

`fetch_all` runs such statements — these and the other hot ones of the app — prepared on
PostgreSQL, so that they are planned once per connection rather than on every request.
"""

import re
import weakref
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import NamedTuple

from django.apps import apps
from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.models import Q
from django.db.models.constants import LOOKUP_SEP
from django.db.models.query import get_related_populators
from psycopg import sql as pg_sql

from grids.lookups import id_array

# Below any id a sequence gives, and within a 32-bit integer's range: Django finds a query on an
# integer column for a value beyond the column's range empty without asking the database (so a
# user's id, auth's 32-bit key, could not be marked with a 64-bit number). A marker for argument
# i is _MARK - i (a list's: [_MARK - i]).
_MARK = -2_147_480_000
# Before any moment the app writes; a marker for a moment, argument i, is _MARK_TIME + i µs.
_MARK_TIME = datetime(1, 1, 1, tzinfo=UTC)
_UNSEEN = object()


def _is_list(value) -> bool:
    return isinstance(value, list | tuple | set | frozenset)


def _kind(value) -> str:
    return "time" if isinstance(value, datetime) else "ids" if _is_list(value) else "id"


def _argument(value):
    """An argument as its statement takes it: a moment as it is, ids as the array's text
    (`field__any` and `paging.first_ids` send them so), an id as an int."""
    if isinstance(value, datetime):
        return value
    return id_array(value) if _is_list(value) else int(value)


class _Slot:
    def __init__(self, name: str):
        self.name = name


class _Statement(NamedTuple):
    sql: str
    slots: list  # the parameters, with a _Slot where each argument goes
    compiler: object  # the compiler that wrote the SQL: its columns, for `objects`
    fetch_mode: object  # the queryset's (Django's fetch modes), for `objects`


class Compiled:
    def __init__(self, model, build):
        self.model, self.build = model, build
        self._statements = {}  # (database, shape, arguments' names and kinds) -> _Statement | None

    def rows(self, shape=(), **args) -> list[tuple]:
        using, statement = self._statement(shape, args)
        if statement is None:
            try:
                sql, params, _compiler = _compiled(self.build(**args), using)
            except EmptyResultSet:  # `__in` an empty list
                return []
        else:
            sql, params = statement.sql, filled(statement.slots, args)
        return fetch_all(using, sql, params)

    def objects(self, shape=(), **args) -> list:
        """The instances `build(**args)` gives, a queryset of model instances (its select_related
        and its slice kept), from the statement compiled once: building and compiling a work
        bench's lists of referrals, tasks, calls and visits cost a street leader 12.5 ms of Python
        a request, running them compiled 4. Rows become instances as Django's ModelIterable
        makes them: the fields' converters, the related objects, the annotations."""
        using, statement = self._statement(shape, args)
        if statement is None:
            return list(self.build(**args))  # the ORM's own (nothing for `__in` an empty list)
        return _instances(statement, using, fetch_all(using, statement.sql, filled(statement.slots, args)))

    def _statement(self, shape, args: dict):
        using = router.db_for_read(self.model)
        key = (using, shape, tuple((name, _kind(value)) for name, value in sorted(args.items())))
        statement = self._statements.get(key, _UNSEEN)
        if statement is _UNSEEN:
            statement = self._statements[key] = self._compile(using, args)
        return using, statement

    def _compile(self, using: str, args: dict) -> _Statement | None:
        """The statement of `build` with markers for the arguments, or None when the markers do
        not come back one parameter each (see the module's docstring)."""
        markers = marked(args)
        try:
            built = self.build(**markers)
            sql, params, compiler = _compiled(built, using)
        except EmptyResultSet:  # nothing can match, whatever the ids (`.none()`)
            return None
        slots = slotted(params, markers)
        if slots is None:
            return None
        if connections[using].vendor == "postgresql":
            sql, slots = inlined(sql, slots)
        return _Statement(sql, slots, compiler, getattr(built, "_fetch_mode", None))


_PLACEHOLDER = re.compile(r"%[%s]")


def _constant(value) -> bool:
    return not isinstance(value, _Slot) and isinstance(value, bool | int | str)


def inlined(sql: str, slots: list, is_constant=_constant) -> tuple[str, list]:
    """The SQL with its constants (text, numbers, booleans that are not arguments: the states an
    open case is in, say) written in as literals, and the parameters left. A prepared statement
    is planned for any parameters (a generic plan); a partial index, such as the open cases' by
    grid and due date, serves it only when the statement shows the constants its predicate
    names: with the states as parameters a district's work bench ran 2.4 times slower.
    `is_constant(value)` tells which parameters are constants."""
    if len(_PLACEHOLDER.findall(sql)) - sql.count("%%") != len(slots):
        return sql, slots  # not one placeholder per parameter: left as it is
    left, remaining = [], iter(slots)

    def literal(match):
        if match.group() == "%%":
            return "%%"
        value = next(remaining)
        if not is_constant(value):
            left.append(value)
            return "%s"
        constant = str(value) if isinstance(value, str) else value  # a choice's value, not its member
        return pg_sql.Literal(constant).as_string(None).replace("%", "%%")

    return _PLACEHOLDER.sub(literal, sql), left


def _compiled(built, using: str) -> tuple:
    """(SQL, parameters, the compiler or None) of what `build` gave: a queryset's, or its own."""
    if isinstance(built, tuple):
        return (*built, None)
    compiler = built.query.get_compiler(using)
    return (*compiler.as_sql(), compiler)


def _instances(statement: _Statement, using: str, rows: list) -> list:
    """Model instances from rows of `statement`, as ModelIterable makes them from its compiler's
    columns (`select`, `klass_info`): the same steps, on a compiler of this thread's connection
    given the statement's columns (the fields' converters take the connection)."""
    template = statement.compiler
    compiler = template.query.get_compiler(using)
    for name in ("select", "klass_info", "annotation_col_map", "col_count", "has_extra_select"):
        setattr(compiler, name, getattr(template, name))
    if compiler.has_extra_select:  # columns the ORDER BY needed beyond the model's
        rows = [row[:compiler.col_count] for row in rows]
    klass_info, select, fetch_mode = compiler.klass_info, compiler.select, statement.fetch_mode
    model, fields = klass_info["model"], klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1  # the model's own columns
    names = [column[0].target.attname for column in select[start:end]]
    related = get_related_populators(klass_info, select, using, fetch_mode)
    instances, peers = [], []
    for row in compiler.results_iter([rows]):
        instance = model.from_db(using, names, row[start:end], fetch_mode=fetch_mode)
        if fetch_mode.track_peers:
            peers.append(weakref.ref(instance))
            instance._state.peers = peers
        for populator in related:
            populator.populate(row, instance)
        for name, position in (compiler.annotation_col_map or {}).items():
            setattr(instance, name, row[position])
        instances.append(instance)
    return instances


def marked(args: dict) -> dict:
    """{name: the marker standing in for it}: an int, a list of one int for a list, a moment
    for a moment."""
    return {name: _MARK_TIME + timedelta(microseconds=number) if isinstance(value, datetime)
            else [_MARK - number] if _is_list(value) else _MARK - number
            for number, (name, value) in enumerate(sorted(args.items()))}


def slotted(params, markers: dict) -> list | None:
    """The parameters of SQL compiled with `markers` (marked), with a _Slot where each marker
    came back as a parameter of its own; None when one did not (see the module's docstring)."""
    names = {(value[0] if isinstance(value, list) else value): name for name, value in markers.items()}
    arrays = {id_array(value): name for name, value in markers.items() if isinstance(value, list)}
    slots = []
    for param in params:
        if isinstance(param, str) and param in arrays:  # a list as its array's text (`__any`)
            slots.append(_Slot(arrays[param]))
        elif isinstance(param, int) and not isinstance(param, bool) and param in names:
            name = names[param]
            if isinstance(markers[name], list):  # a list spread over placeholders
                return None
            slots.append(_Slot(name))
        elif isinstance(param, datetime) and param in names:
            slots.append(_Slot(names[param]))
        elif str(_MARK)[:8] in repr(param):  # a marker inside another value
            return None
        else:
            slots.append(param)
    moments = {name for name, marker in markers.items() if isinstance(marker, datetime)}
    if moments - {slot.name for slot in slots if isinstance(slot, _Slot)}:
        return None  # a moment turned into text on its way (SQLite) or into something else
    return slots


def filled(slots: list, args: dict) -> list:
    """The parameters of `slotted`, each _Slot replaced by its argument (`_argument`)."""
    return [_argument(args[p.name]) if isinstance(p, _Slot) else p for p in slots]


def _preparing(connection) -> bool:
    return connection.vendor == "postgresql" and bool(connection.settings_dict.get("PREPARED_STATEMENTS"))


@contextmanager
def prepared(using: str):
    """Django's queries inside run as prepared statements, for fetch_all's reasons: a few hot
    ORM queries of the pages every user opens (a case, a work bench's lists), and fetch_all's."""
    connection = connections[using]
    if not _preparing(connection):
        yield
        return
    connection.ensure_connection()
    psycopg_connection = connection.connection
    # psycopg prepares only while the connection has a threshold, and while it has one it also
    # counts every other query it runs, keeping the last hundred texts (an import's INSERTs are
    # large): so only for the length of this block
    before = psycopg_connection.cursor_factory, psycopg_connection.prepare_threshold
    psycopg_connection.cursor_factory, psycopg_connection.prepare_threshold = _PreparingCursor, 0
    try:
        yield
    finally:  # as it was (None, as Django leaves it), also when nested
        psycopg_connection.cursor_factory, psycopg_connection.prepare_threshold = before


def fetch_all(using: str, sql: str, params) -> list[tuple]:
    """The rows of one of the app's own hot statements: a case page's lists (cases/bundle.py),
    a user's scope (`Compiled` above), a work bench's first rows (cases/selectors.py).

    On PostgreSQL each is a prepared statement of the connection (the pool keeps connections
    between requests), so PostgreSQL plans it once rather than on every request: these UNIONs of
    a dozen joins took longer to plan than to run (a case page's lists: 4 ms of planning, 2 ms of
    running; prepared, 1.3 ms in all). Their parameters are ids, for which a generic plan is as
    good as a custom one; PostgreSQL compares the two on the first five runs and keeps the custom
    ones where the generic would cost more. With DB_PREPARE=0 (a pgbouncer before 1.21) and on
    SQLite: Django's own cursor, which binds parameters on the client and never prepares. Either
    way through Django's cursor wrapper: counted, logged, and seen by execute wrappers."""
    with prepared(using), connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@cache
def partial_index_constants() -> frozenset[str]:
    """The text values of what the app's partial indexes' predicates read: the values they name
    (the open states, a timeline action…) and every choice of a column they read (all the states,
    so that the plan also knows how few cases are in each), from every model's indexes and
    conditional unique constraints."""
    found = set()

    def walk(model, condition):
        for child in condition.children:
            if isinstance(child, Q):
                walk(model, child)
                continue
            lookup, value = child
            field = model._meta.get_field(lookup.split(LOOKUP_SEP)[0])
            named = value if _is_list(value) else [value]
            choices = [choice for choice, _label in field.flatchoices] if field.choices else []
            found.update(str(item) for item in [*named, *choices] if isinstance(item, str))  # values, not members

    for model in apps.get_models():
        for index in [*model._meta.indexes, *model._meta.constraints]:
            if isinstance(getattr(index, "condition", None), Q):
                walk(model, index.condition)
    return frozenset(found)


def _read_by_a_partial_index(value) -> bool:
    return isinstance(value, str) and value in partial_index_constants()


class _PreparingCursor(ServerBindingCursor):
    """Binds parameters on the server and prepares every statement it runs (psycopg keeps the
    last `prepared_max`, 100, of each connection, and deallocates the oldest beyond them).

    A value of a column a partial index's predicate reads (a state; `partial_index_constants`) is
    written into the statement as a literal (`inlined`), as Compiled writes its constants: a
    prepared statement soon runs on a generic plan, made for any parameters, which cannot use an
    index whose predicate it cannot see. The administrator's ledger counted its first 10 001 cases by reading the table in
    order until that many matched (34-66 ms at ten million cases) rather than from the open
    cases' index (2.5-2.9 ms). Other values stay parameters: the ids, and the words a user
    searches for, each of which would otherwise be a statement of its own."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        if (isinstance(query, str) and isinstance(params, list | tuple)
                and any(map(_read_by_a_partial_index, params))):
            query, params = inlined(query, list(params), _read_by_a_partial_index)
        return super().execute(query, params, prepare=True, binary=binary)
