"""grids/compiled.py: a queryset compiled once and run again with other ids gives the rows the
ORM gives for those ids; where its markers do not come back one parameter each (SQLite's
`__in`, an id turned into text) it is built every time, and still right."""

import re

import pytest
from django.db import connection
from django.db.models import F, Q

from cases.models import Case
from grids import access
from grids.compiled import Compiled
from tests.factories import bulk_cases

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="one array parameter per list of ids is PostgreSQL's (`field__any`)")


@pytest.fixture
def cases(world):
    return (bulk_cases(grid=world.grid1, creator=world.worker1, count=3)
            + bulk_cases(grid=world.grid2, creator=world.worker1, count=2, start=10))


def by_grids(*, grids, creator):
    return Case.objects.filter(grid_id__any=grids, created_by_id=creator).order_by("id").values_list("id", "title")


def orm(**args):
    return [tuple(row) for row in by_grids(**args)]


class Builds:
    """A build function that counts its calls."""

    def __init__(self, build):
        self.build, self.calls = build, 0

    def __call__(self, **args):
        self.calls += 1
        return self.build(**args)


def test_each_call_gives_the_rows_of_its_own_ids(world, cases):
    build = Builds(by_grids)
    query = Compiled(Case, build)
    for grids in ([world.grid1.pk], [world.grid2.pk], [world.grid1.pk, world.grid2.pk], [], [10**9]):
        assert query.rows(grids=grids, creator=world.worker1.pk) == orm(grids=grids, creator=world.worker1.pk)
    assert query.rows(grids=[world.grid1.pk], creator=world.officer1.pk) == []
    # PostgreSQL: built once (with the markers), then only run; SQLite: built on every call
    assert build.calls == (1 if connection.vendor == "postgresql" else 7)


@postgres_only
def test_one_statement_per_shape_and_set_of_arguments(world, cases):
    def build(grids=None, creator=None):
        queryset = Case.objects.order_by("id").values_list("id", "title")
        if grids is not None:
            queryset = queryset.filter(grid_id__any=grids)
        return queryset if creator is None else queryset.filter(created_by_id=creator)

    counted = Builds(build)
    query = Compiled(Case, counted)
    assert [row[0] for row in query.rows(grids=[world.grid2.pk])] == [c.pk for c in cases[3:]]
    assert [row[0] for row in query.rows(creator=world.worker1.pk)] == [c.pk for c in cases]
    assert query.rows(grids=[world.grid2.pk], creator=world.officer1.pk) == []
    assert [row[0] for row in query.rows(grids=[world.grid1.pk])] == [c.pk for c in cases[:3]]
    assert counted.calls == 3


def test_a_marker_turned_into_text_is_not_taken_for_a_parameter(world, cases):
    # the argument reaches the SQL inside a LIKE pattern, not as a parameter of its own
    def build(serial):
        return Case.objects.filter(number__endswith=f"{serial:06d}").order_by("id").values_list("id", flat=True)

    counted = Builds(build)
    query = Compiled(Case, counted)
    assert [row[0] for row in query.rows(serial=1)] == [cases[1].pk]
    assert [row[0] for row in query.rows(serial=11)] == [cases[4].pk]
    assert counted.calls == 3  # the markers' compile, then built on each call


def test_a_moment_is_an_argument_too(world, cases):
    from datetime import timedelta

    from django.utils import timezone

    def due_before(now, creator):  # no list: on SQLite too the id comes back a parameter of its own
        return Case.objects.filter(due_at__lt=now, created_by_id=creator).order_by("id").values_list("id", flat=True)

    start = timezone.now()
    for number, case in enumerate(cases):
        Case.objects.filter(pk=case.pk).update(due_at=start + timedelta(days=number))
    counted = Builds(due_before)
    query = Compiled(Case, counted)
    for days in (0, 2, 5, -1):
        now = start + timedelta(days=days, hours=1)
        assert [row[0] for row in query.rows(now=now, creator=world.worker1.pk)] == list(due_before(now, world.worker1.pk))
        assert len(query.rows(now=now, creator=world.worker1.pk)) == max(0, min(days + 1, len(cases)))
    # PostgreSQL: built once; SQLite, which turns the moment into text: built on every call (the
    # markers' compile, then eight calls), never run with the marker's moment kept as a constant
    assert counted.calls == (1 if connection.vendor == "postgresql" else 9)


def test_constants_are_written_into_a_postgresql_statement(world, cases):
    """A generic plan sees them (a partial index's predicate names the open states), and one
    with a quote or a percent sign still reads the rows the ORM reads."""
    odd = Case.objects.filter(pk=cases[0].pk)
    odd.update(title="50%'s 调解", state="mediating")

    def build(creator):
        return (Case.objects.filter(state__in=["mediating", "triaged"], title__startswith="50%'s", created_by_id=creator)
                .order_by("id").values_list("id", flat=True))

    query = Compiled(Case, build)
    assert [row[0] for row in query.rows(creator=world.worker1.pk)] == list(build(world.worker1.pk)) == [cases[0].pk]
    assert query.rows(creator=world.officer1.pk) == [] == list(build(world.officer1.pk))
    if connection.vendor == "postgresql":
        (statement,) = query._statements.values()
        assert "'mediating'" in statement.sql and "'triaged'" in statement.sql
        assert len(statement.slots) == 1  # the creator alone is a parameter


# --- objects: model instances, as the ORM makes them ----------------------------------------


def cases_with_related(*, grids, creator):
    return (Case.objects.filter(grid_id__any=grids, created_by_id=creator).select_related("grid__community", "lead_handler")
            .annotate(doubled=F("id") * 2).order_by("-id")[:4])


def fields_of(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def test_objects_are_the_orms_instances_with_their_related_objects(world, cases, django_assert_num_queries):
    Case.objects.filter(pk=cases[0].pk).update(lead_handler=world.officer1)
    Case.objects.filter(pk=cases[1].pk).update(lead_handler=None)  # a nullable relation, empty
    build = Builds(cases_with_related)
    query = Compiled(Case, build)
    for grids in ([world.grid1.pk], [world.grid2.pk], [world.grid1.pk, world.grid2.pk], []):
        ours, theirs = query.objects(grids=grids, creator=world.worker1.pk), list(cases_with_related(
            grids=grids, creator=world.worker1.pk))
        assert [fields_of(case) for case in ours] == [fields_of(case) for case in theirs]
        assert len(ours) == min(4, sum(1 for case in cases if case.grid_id in grids))  # the slice kept
        with django_assert_num_queries(0):  # the related objects came with the rows
            assert [(c.grid.name, c.grid.community.name, c.lead_handler and c.lead_handler.username, c.doubled)
                    for c in ours] == [(c.grid.name, c.grid.community.name,
                                        c.lead_handler and c.lead_handler.username, c.doubled) for c in theirs]
        assert all(type(case.reported_at) is type(other.reported_at) and case.reported_at == other.reported_at
                   for case, other in zip(ours, theirs, strict=True))  # converted as the ORM does
    assert any(case.lead_handler is None for case in query.objects(grids=[world.grid1.pk], creator=world.worker1.pk))
    # PostgreSQL: built once (with the markers), then only run; SQLite: the markers' compile,
    # then built on each of the five calls
    assert build.calls == (1 if connection.vendor == "postgresql" else 6)


def test_objects_of_a_queryset_that_matches_nothing_cost_no_query(world, django_assert_num_queries):
    query = Compiled(Case, lambda grids: Case.objects.none() if grids else Case.objects.filter(grid_id__any=grids))
    with django_assert_num_queries(0):
        assert query.objects(grids=[world.grid1.pk]) == []


def test_objects_read_json_as_the_orm_does(world, cases):
    from cases.models import CaseEvent

    def events(case):
        return CaseEvent.objects.filter(case_id=case).select_related("case").order_by("id")

    query = Compiled(CaseEvent, events)
    for case in cases[:2]:
        ours, theirs = query.objects(case=case.pk), list(events(case.pk))
        assert ours and [fields_of(event) for event in ours] == [fields_of(event) for event in theirs]
        assert [event.case.title for event in ours] == [case.title] * len(ours)


def test_a_32_bit_key_is_compiled_too_and_each_page_loads_its_own_user(world):
    """auth's users have 32-bit ids: a marker beyond that range made Django (on PostgreSQL) find the query empty
    without asking the database, so the page's user (cases/backends.py) was built and compiled
    on every request. It is compiled once, and each session still loads its own user with their
    own bell count; a user made inactive is signed out."""
    from cases import notices
    from cases.backends import _USERS, UserWithBellBackend
    from cases.choices import NoticeKind
    from cases.models import Notification

    for n in range(3):
        Notification.objects.create(recipient=world.worker1, kind=NoticeKind.values[0], text="未读", key=f"k{n}")
    backend = UserWithBellBackend()
    officer, worker = backend.get_user(world.officer1.pk), backend.get_user(world.worker1.pk)
    assert (officer.username, worker.username) == ("officer1", "worker1")

    def unread(user):
        return Notification.objects.filter(recipient=user, read_at=None).count()

    assert getattr(worker, notices._UNREAD) == unread(world.worker1) >= 3
    assert getattr(officer, notices._UNREAD) == unread(world.officer1)
    assert list(_USERS._statements.values()) and None not in _USERS._statements.values()
    assert backend.get_user(10**9) is None
    world.worker2.is_active = False
    world.worker2.save()
    assert backend.get_user(world.worker2.pk) is None


def test_the_scope_of_every_demo_account_is_what_the_orm_reads(world):
    """access.scope_of through compiled statements, against the same query built afresh."""
    from django.contrib.auth import get_user_model

    for user in get_user_model().objects.order_by("pk"):
        groups, held, objects = access._held_places(user)
        fresh = access._held_query(user.pk)
        rows = {tuple(row) for row in fresh}
        assert {(access._GROUP, name) for name in groups} == {(kind, name) for kind, name, _ in rows
                                                              if kind == access._GROUP}
        assert {(name, pk) for name, pks in held.items() for pk in pks} == {
            (name, pk) for kind, name, pk in rows if kind == access._PLACE}


# --- fetch_all: the app's hot statements, prepared on PostgreSQL ------------------------------


def prepared_statements() -> dict[str, tuple[int, int]]:
    """{statement text: (generic plans, custom plans)} of this connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        return {statement: (generic, custom) for statement, generic, custom in cursor.fetchall()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_a_hot_statement_is_prepared_once_and_run_again_whatever_its_ids(world, cases):
    def ours():
        return {text: plans for text, plans in prepared_statements().items() if '"cases_case"."title"' in text}

    query = Compiled(Case, by_grids)
    query.rows(grids=[world.grid1.pk], creator=world.worker1.pk)
    (before,) = ours().values()  # (an earlier test on this connection may have run it already)
    for _ in range(8):
        assert query.rows(grids=[world.grid1.pk], creator=world.worker1.pk) == orm(
            grids=[world.grid1.pk], creator=world.worker1.pk)
    assert query.rows(grids=[world.grid2.pk], creator=world.worker1.pk) == orm(
        grids=[world.grid2.pk], creator=world.worker1.pk)  # other ids, the same statement
    # one prepared statement, run nine times more (whether PostgreSQL then keeps a generic plan
    # or plans each run for its ids is its choice, by its statistics: generic_plans/custom_plans)
    ((generic, custom),) = ours().values()
    assert generic + custom == sum(before) + 9
    list(Case.objects.filter(title="未准备").values_list("id"))  # Django's own queries: never prepared,
    assert not [text for text in prepared_statements() if "未准备" in text or "title\" = $1" in text]
    assert connection.connection.prepare_threshold is None  # nor even counted for it


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_without_db_prepare_nothing_is_prepared(world, cases, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "PREPARED_STATEMENTS", False)  # as with DB_PREPARE=0
    query = Compiled(Case, by_grids)
    for _ in range(6):
        assert query.rows(grids=[world.grid1.pk], creator=world.worker1.pk) == orm(
            grids=[world.grid1.pk], creator=world.worker1.pk)
    assert not [text for text in prepared_statements() if '"cases_case"."title"' in text]


def test_the_app_prepares_its_statements_unless_told_not_to(monkeypatch):
    from config.settings import database

    url = "postgres://postgres@127.0.0.1:5432/fengqiao"
    assert database(url)["PREPARED_STATEMENTS"] is True
    monkeypatch.setenv("DB_PREPARE", "0")
    assert database(url)["PREPARED_STATEMENTS"] is False
    assert "PREPARED_STATEMENTS" not in database("sqlite:///x.sqlite3")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_django_queries_inside_prepared_are_prepared_and_only_those(world, cases):
    from grids.compiled import prepared

    with prepared(connection.alias):
        assert not list(Case.objects.filter(title="准备的查询").values_list("id"))
        assert Case.objects.filter(title="准备的查询").count() == 0
    assert len([t for t in prepared_statements() if '"cases_case"."title" = $1' in t]) >= 2
    factory = connection.connection.cursor_factory
    with prepared(connection.alias):
        with prepared(connection.alias):  # nested, and a hot statement inside: still prepared after
            Compiled(Case, by_grids).rows(grids=[world.grid1.pk], creator=world.worker1.pk)
        assert connection.connection.prepare_threshold is not None
        assert not Case.objects.filter(number="仍然准备").exists()
    assert [t for t in prepared_statements() if '"cases_case"."number" = $' in t]
    with pytest.raises(ZeroDivisionError), prepared(connection.alias):
        1 / 0
    assert connection.connection.cursor_factory is factory and connection.connection.prepare_threshold is None
    before = prepared_statements()
    assert list(Case.objects.filter(number="未准备的查询").values_list("id")) == []  # outside: not prepared
    assert prepared_statements().keys() == before.keys()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_a_prepared_statement_on_its_generic_plan_still_finds_the_open_cases_index(world, cases):
    """After five runs PostgreSQL may keep one plan for a prepared statement, made for any
    parameters: the open states must be written into it, or no index whose predicate names them
    (the open cases' by due date, or by grid and due date) can serve it. The words a user types
    stay parameters."""
    from cases.choices import OPEN_STATES
    from grids.compiled import prepared

    Case.objects.filter(pk=cases[0].pk).update(state="mediating", title="调解中's 50%")
    earliest = Case.objects.filter(state__in=OPEN_STATES).order_by("due_at", "id").values_list("id", flat=True)[:5]
    typed = Case.objects.filter(state__in=OPEN_STATES, title__startswith="调解中's 50%").values_list("id", flat=True)
    with connection.cursor() as cursor:  # the plan kept for any parameters, on a few test rows
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        cursor.execute("SET enable_seqscan = off")
    try:
        for _ in range(7):
            with prepared(connection.alias):
                assert list(earliest) == list(Case.objects.filter(state__in=OPEN_STATES)
                                              .order_by("due_at", "id").values_list("id", flat=True)[:5])
                assert list(typed) == [cases[0].pk]
        texts = [text for text in prepared_statements() if '"cases_case"."state" IN' in text]
        (typed_text,) = [text for text in texts if "LIKE" in text]
        assert "'mediating'" in typed_text and "调解中" not in typed_text  # the user's words: a parameter
        (earliest_text,) = [text for text in texts if "ORDER BY" in text and "LIMIT 5" in text]
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM pg_prepared_statements WHERE statement = %s", [earliest_text])
            (name,) = cursor.fetchone()
            states = ", ".join(f"'{state}'" for state in OPEN_STATES[: earliest_text.count("$")])
            cursor.execute(f"EXPLAIN EXECUTE {name}" + (f"({states})" if states else ""))
            plan = "\n".join(row[0] for row in cursor.fetchall())
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET plan_cache_mode")
            cursor.execute("RESET enable_seqscan")
    open_indexes = [index.name for index in Case._meta.indexes if index.condition == Q(state__in=OPEN_STATES)]
    assert "case_open_due" in open_indexes
    assert any(re.search(rf"\b{name}\b", plan) for name in open_indexes), plan
