"""cases/bundle.py: several lists in one query, each instance equal, field by field and type by
type, to the same row loaded by the ORM — on SQLite and on PostgreSQL (run with DATABASE_URL)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.test.utils import CaptureQueriesContext

from cases import bundle
from cases.models import Attachment, Case, CaseEvent, FollowUp, PersonalDataDisclosure, Referral
from mediators.models import Mediator
from tests.factories import a_department, case_in_state, make_case

pytestmark = pytest.mark.django_db

# Each JSON shape a payload may take, with what JSON text could confuse: quotes, unicode, a
# number as text, a datetime as text, nesting.
PAYLOADS = [{"risk": "major", "n": 3, "ok": True, "none": None}, [1, "二", {"三": [4.5]}], "纯文本 \"引号\"",
            42, 2.5, True, {"when": "2026-03-10T02:00:00+00:00", "nested": {"list": [], "empty": {}}}]


def assert_same(loaded, orm):
    """Every column equal with the same Python type (and the same time zone); related objects
    that both carry, equal too."""
    assert type(loaded) is type(orm)
    for field in orm._meta.concrete_fields:
        got, expected = getattr(loaded, field.attname), getattr(orm, field.attname)
        assert (got, type(got)) == (expected, type(expected)), field.name
        if isinstance(expected, datetime):
            assert got.tzinfo == expected.tzinfo == UTC, field.name
    assert loaded._state.adding is False and loaded._state.db == orm._state.db


def assert_same_lists(lists: dict, related=()):
    loaded = bundle.load(lists)
    for name, queryset in lists.items():
        orm = list(queryset)
        assert [row.pk for row in loaded[name]] == [row.pk for row in orm], name
        for got, expected in zip(loaded[name], orm, strict=True):
            assert_same(got, expected)
            for path in related:
                got_related, expected_related = got, expected
                for step in path.split("__"):
                    got_related, expected_related = getattr(got_related, step), getattr(expected_related, step)
                assert (got_related is None) == (expected_related is None), path
                if expected_related is not None:
                    assert_same(got_related, expected_related)
    return loaded


@pytest.fixture
def case(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return case_in_state("triaged", grid=world.grid1, actor=world.officer1)


def test_it_loads_several_lists_in_one_query(world, case):
    lists = {"events": case.events.all(), "parties": case.parties.all(), "nothing": case.referrals.none()}
    with CaptureQueriesContext(connection) as queries:
        loaded = bundle.load(lists)
    assert len(queries) == 1
    assert loaded["nothing"] == [] and len(loaded["parties"]) == 2 and loaded["events"]


def test_every_kind_of_column_comes_back_as_the_orm_gives_it(world, case):
    # datetimes (with and without microseconds, null), dates, booleans (and a null one), UUIDs,
    # integers of each size, files, JSON of every shape
    case.intake_token = uuid.uuid4()
    case.occurred_at = datetime(2026, 3, 9, 23, 59, 59, tzinfo=UTC)
    case.save()
    CaseEvent.objects.bulk_create([CaseEvent(case=case, actor=world.officer1, kind="comment", data=data,
                                             at=datetime(2026, 3, 10, 2, 0, 0, i, tzinfo=UTC))
                                   for i, data in enumerate(PAYLOADS)])
    attachment = Attachment(case=case, kind="photo", original_name="现场.png", content_type="image/png", size=9,
                            uploaded_by=world.officer1)
    attachment.file.save("现场.png", ContentFile(b"\x89PNG\r\n\x1a\n0"), save=True)
    FollowUp.objects.create(case=case, due_on=datetime(2026, 3, 12).date())
    FollowUp.objects.create(case=case, due_on=datetime(2026, 3, 13).date(), fulfilled=False,
                            done_at=datetime(2026, 3, 13, 8, 30, tzinfo=UTC), done_by=world.worker1)
    loaded = assert_same_lists({
        "cases": type(case).objects.filter(pk=case.pk),
        "events": case.events.order_by("at", "id"),
        "attachments": case.attachments.all(),
        "follow_ups": case.follow_ups.all(),
        "mediators": Mediator.objects.all(),
        "users": type(world.officer1).objects.filter(pk__in=[world.officer1.pk, world.admin.pk]),
    })
    assert [event.data for event in loaded["events"] if event.kind == "comment"] == PAYLOADS
    assert loaded["attachments"][0].file.read() == b"\x89PNG\r\n\x1a\n0"
    assert loaded["cases"][0].get_state_display() == case.get_state_display()


def test_related_objects_come_nested_and_null_ones_as_none(world, case):
    department = a_department()
    from cases import loop

    loop.send_referral(case=case, actor=world.officer1, department=department, contact=None,
                       deadline=datetime(2026, 3, 20).date(), request="修管道")
    loop.place_call(actor=world.worker1, grid=world.grid1, message="请到场", case=case)
    (referral,) = assert_same_lists({
        "referrals": case.referrals.select_related("department", "contact", "sent_by"),
    }, related=("department", "contact", "sent_by"))["referrals"]
    (call,) = assert_same_lists({
        "calls": case.calls.select_related("grid__community__street", "caller", "answered_by"),
    }, related=("grid", "grid__community", "grid__community__street", "caller", "answered_by"))["calls"]
    with CaptureQueriesContext(connection) as queries:
        assert referral.contact is None and call.answered_by is None
        assert referral.department == department and call.grid.community.street.name
    assert len(queries) == 0


def test_each_list_keeps_its_order(world, case):
    for i in range(3):
        make_case(grid=world.grid1, actor=world.officer1, title=f"排序 {i}")
    cases = type(case).objects.filter(grid=world.grid1)
    assert_same_lists({
        "newest_first": cases,  # Meta.ordering, descending
        "by_title": cases.order_by("title", "-id"),
        "by_related_column": cases.order_by("-created_by__username", "id"),
        "by_expression": cases.order_by(F("due_at").asc(nulls_first=True), "id"),
        "unordered_model": case.team.all(),  # no Meta.ordering: by primary key
    })


def test_annotations_come_back_as_attributes(world, case):
    cases = type(case).objects.filter(pk=case.pk).annotate(label=Concat("number", Value(" · "), "title"))
    (loaded,) = bundle.load({"cases": cases})["cases"]
    assert loaded.label == f"{case.number} · {case.title}"


def test_known_objects_are_set_as_the_related_object(world, case):
    loaded = bundle.load({"events": case.events.all()}, known=[case])
    with CaptureQueriesContext(connection) as queries:
        assert all(event.case is case for event in loaded["events"])
    assert len(queries) == 0


def test_it_refuses_what_it_cannot_bring_back(world, case):
    with pytest.raises(ValueError):
        bundle.load({"sliced": case.events.all()[:2]})
    with pytest.raises(ValueError):
        bundle.load({"by_relation": Referral.objects.order_by("department")})
    with pytest.raises(ValueError):
        bundle.load({"reverse": type(case).objects.select_related("agreement")})
    with pytest.raises(TypeError):  # an IP address: not a type it knows
        bundle.load({"disclosures": PersonalDataDisclosure.objects.all()})


def test_an_empty_bundle_costs_no_query(world, case):
    with CaptureQueriesContext(connection) as queries:
        assert bundle.load({"nothing": case.events.none(), "none": case.parties.none()}) == {
            "nothing": [], "none": []}
    assert len(queries) == 0


def test_datetimes_are_utc_whatever_the_connection_says(world, case):
    moment = datetime(2026, 3, 10, 10, 30, 15, 123456, tzinfo=UTC) - timedelta(hours=8)
    CaseEvent.objects.bulk_create([CaseEvent(case=case, actor=world.officer1, kind="comment", at=moment)])
    loaded = bundle.load({"events": case.events.filter(at=moment)})["events"]
    assert [event.at for event in loaded] == [moment] and loaded[0].at.tzinfo is UTC


def test_a_shape_is_compiled_once_and_reused_with_each_lists_own_parameters(world, case, monkeypatch):
    other = case_in_state("triaged", grid=world.grid2, actor=world.officer2)
    CaseEvent.objects.bulk_create([CaseEvent(case=other, actor=world.officer2, kind="comment", data={"n": 1})])
    bundle._COMPILED.clear()

    def lists(of):
        return {"parties": of.parties.all(), "events": of.events.select_related("actor").order_by("at", "id"),
                "nothing": of.referrals.none(), "calls": of.calls.select_related("caller")}

    assert_same_lists(lists(case))
    assert len(bundle._COMPILED) == 1

    def no_compiling(*args):
        raise AssertionError("the shape was compiled again")

    monkeypatch.setattr(bundle, "_arm", no_compiling)
    loaded = assert_same_lists(lists(other))  # the other case's rows, not the first's
    assert {party.case_id for party in loaded["parties"]} == {other.pk}
    assert [event.pk for event in loaded["events"]] == list(other.events.order_by("at", "id").values_list("pk", flat=True))


def test_a_shape_whose_parameters_move_is_compiled_each_time_and_still_right(world, case):
    # an ordering with a parameter: the bundle numbers rows (its window comes first in its SQL),
    # the list alone orders them last, so the parameters are not the lists' own in order
    bundle._COMPILED.clear()
    for title in ("顺序 2", "顺序 1"):
        make_case(grid=world.grid1, actor=world.officer1, title=title)
    cases = type(case).objects.filter(title__startswith="顺序").order_by(Concat("title", Value("·")))
    assert [c.title for c in assert_same_lists({"cases": cases})["cases"]] == ["顺序 1", "顺序 2"]
    assert bundle._COMPILED == {}


def test_lists_that_differ_only_in_what_they_bring_along_are_different_shapes(world, case):
    # the shape's key is compiled selecting the primary key alone: what select_related brings
    # and what an annotation adds must still tell two shapes apart
    bundle._COMPILED.clear()
    only_case = type(case).objects.filter(pk=case.pk)
    plain = bundle.load({"events": case.events.order_by("at", "id")})["events"]
    with_actor = assert_same_lists({"events": case.events.select_related("actor").order_by("at", "id")},
                                   related=("actor",))["events"]
    deeper = assert_same_lists({"events": case.events.select_related("actor", "case__grid").order_by("at", "id")},
                               related=("actor", "case", "case__grid"))["events"]
    assert len(bundle._COMPILED) == 3 and [e.pk for e in plain] == [e.pk for e in with_actor] == [e.pk for e in deeper]
    (titled,) = bundle.load({"cases": only_case.annotate(label=Concat("title", Value("!")))})["cases"]
    (numbered,) = bundle.load({"cases": only_case.annotate(label=Concat("number", Value("!")))})["cases"]
    assert (titled.label, numbered.label) == (f"{case.title}!", f"{case.number}!")


# --- bundle.Prepared: lists built from ids, built and compiled once ---------------------------


def _by_ids(calls):
    """A build of three lists from a case's id (an unsaved Case with that key, as the case page's)."""

    def build(*, case):
        calls.append(case)
        of = Case(pk=case)
        return {"parties": of.parties.all(), "events": of.events.select_related("actor").order_by("at", "id"),
                "open_follow_ups": of.follow_ups.filter(done_at__isnull=True)}
    return build


def test_prepared_lists_are_built_once_and_give_each_cases_own_rows(world, case):
    other = case_in_state("triaged", grid=world.grid2, actor=world.officer2)
    FollowUp.objects.create(case=other, due_on=datetime(2026, 3, 12).date())
    calls = []
    prepared = bundle.Prepared(type(case), _by_ids(calls))
    for each in (case, other, case):
        with CaptureQueriesContext(connection) as queries:
            loaded = prepared.load(case=each.pk, known=[each])
        assert len(queries) == 1
        expected = {"parties": each.parties.all(), "events": each.events.select_related("actor").order_by("at", "id"),
                    "open_follow_ups": each.follow_ups.filter(done_at__isnull=True)}
        for name, queryset in expected.items():
            orm = list(queryset)
            assert [row.pk for row in loaded[name]] == [row.pk for row in orm], name
            for got, want in zip(loaded[name], orm, strict=True):
                assert_same(got, want)
        assert all(event.case is each for event in loaded["events"])
    assert loaded["parties"] and len(calls) == 1 and calls[0] < 0  # built once, with a marker


def test_prepared_lists_take_extra_lists_built_by_the_caller_in_the_same_query(world, case):
    calls = []
    prepared = bundle.Prepared(type(case), _by_ids(calls))
    for title in ("另一件 1", "另一件 2"):
        make_case(grid=world.grid1, actor=world.officer1, title=title)
    for prefix in ("另一件", "另一件 2"):
        extra = type(case).objects.filter(title__startswith=prefix).order_by("title")
        with CaptureQueriesContext(connection) as queries:
            loaded = prepared.load(case=case.pk, extra={"others": extra})
        assert len(queries) == 1
        assert [c.title for c in loaded["others"]] == list(extra.values_list("title", flat=True))
        assert [p.pk for p in loaded["parties"]] == [p.pk for p in case.parties.all()]
    assert len(calls) == 1  # the extra list's own parameter changed, not its shape
    loaded = prepared.load(case=case.pk, extra={"others": type(case).objects.none()})
    assert loaded["others"] == [] and len(loaded["parties"]) == 2 and len(calls) == 2  # another shape
    with pytest.raises(ValueError):
        prepared.load(case=case.pk, extra={"parties": case.parties.all()})


def test_prepared_lists_whose_id_is_not_a_parameter_of_its_own_are_built_each_time(world, case):
    # the id turned into text: no marker among the parameters, so nothing is kept to run again
    calls = []

    def build(*, case):
        calls.append(case)
        return {"cases": Case.objects.filter(number__endswith=str(case))}

    prepared = bundle.Prepared(type(case), build)
    numbered = make_case(grid=world.grid1, actor=world.officer1, title="号码")
    suffix = int(numbered.number[-3:])
    loaded = prepared.load(case=suffix)
    assert numbered.pk in [c.pk for c in loaded["cases"]]
    assert all(c.number.endswith(str(suffix)) for c in loaded["cases"])
    prepared.load(case=suffix)
    assert calls[1:] == [suffix, suffix]  # after the marker's one, built with the real id each call
