"""The timeline reads in the reader's language: every payload key is declared with a label and
a vocabulary, and every demo case's timeline renders in Chinese with no raw key, slug,
True/False or English word."""

import re

import pytest
from django.utils import translation

from cases import selectors, timeline
from cases.choices import EventKind
from cases.models import Case, CaseEvent
from config import demo
from tests.factories import make_case

pytestmark = pytest.mark.django_db

LATIN = re.compile(r"[A-Za-z_]{2,}")


def test_every_event_kind_declares_its_payload_and_every_key_has_a_label():
    assert set(timeline.PAYLOADS) == set(EventKind.values)
    for kind, keys in timeline.PAYLOADS.items():
        assert set(keys) <= set(timeline.FIELDS), kind


def test_a_service_writing_an_undeclared_key_fails(world):
    case = make_case(grid=world.grid1, actor=world.worker1)
    with pytest.raises(ValueError, match="do not declare"):
        timeline.record_event(case=case, actor=world.worker1, kind=EventKind.COMMENT, data={"direction": "x"})
    with pytest.raises(ValueError):
        timeline.record_event(case=case, actor=world.worker1, kind=EventKind.CALL, data={"whatever": 1})


def test_values_are_stored_raw_and_read_in_the_readers_language(world):
    case = make_case(grid=world.grid1, actor=world.worker1)
    event = timeline.record_event(case=case, actor=world.worker1, kind=EventKind.FOLLOW_UP,
                                  data={"fulfilled": False, "satisfaction": "satisfied"})
    assert event.data == {"fulfilled": False, "satisfaction": "satisfied"}
    with translation.override("zh-hans"):
        assert timeline.details(event) == [("协议是否履行", "否"), ("当事人满意度", "满意")]
    with translation.override("en"):
        assert timeline.details(event) == [("agreement fulfilled", "No"), ("parties' satisfaction", "Satisfied")]


def test_every_demo_timeline_reads_in_chinese(world):
    demo.build_cases(street=world.qifeng)
    cases = list(Case.objects.filter(grid__community__street=world.qifeng))
    assert len(cases) > 100
    kinds = set(CaseEvent.objects.filter(case__in=cases).values_list("kind", flat=True))
    assert {"transition", "mediator_chosen", "session", "agreement", "follow_up", "supervision"} <= kinds
    raw = []
    with translation.override("zh-hans"):
        for case in cases:
            for view in selectors.case_timeline(case):
                for text in [view.title, *(f"{label}: {value}" for label, value in view.details)]:
                    if LATIN.search(str(text)) or "True" in str(text) or "False" in str(text):
                        raw.append((case.number, str(text)))
    assert raw == []
