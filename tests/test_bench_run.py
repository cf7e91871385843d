"""bench/run.py at a tiny size on the PostgreSQL test database (the data from bench/generate.py):
every page answers every role — 200, or 403 where the role has no such page — beside its floor
and its admin twin, with queries counted and a time taken; the floors select the rows the pages
show; the tables come out. No timing is checked."""

import functools
import importlib.util
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from cases.models import Case

ROOT = Path(__file__).resolve().parent.parent
NUMBER = re.compile(r"\w+-\d{4}-\d{6}")
pytestmark = pytest.mark.postgres


@functools.cache
def _load(name):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def runner(db, settings):
    if connection.vendor != "postgresql":
        pytest.skip("the bench data is loaded with PostgreSQL's COPY (bench/generate.py)")
    _load("generate").fill(cases=Case.objects.count() + 80, grids=40, chunk=40, progress=False)
    run = _load("run")
    settings.ROOT_URLCONF = run.floor_urlconf()
    return run


def test_it_measures_every_page_for_every_role(runner):
    rows, chosen = runner.run(roles=list(runner.ROLES), pages=runner.PAGES, repeat=1, warmup=0,
                              progress=lambda line: None)

    assert set(chosen) == set(runner.ROLES)
    assert all(s.case_id and s.phone and s.name_fragment and s.address_fragment for s in chosen.values())
    assert [(r.page.key, r.role) for r in rows if r.broken] == []
    answered = [r for r in rows if r.page_sample is not None]
    assert {r.page.key for r in answered if r.page_sample.ok} == set(runner.PAGE_KEYS)
    assert {(r.page.key, r.role) for r in answered if not r.page_sample.ok} <= {
        (page, role) for page in ("ledger", "dashboard") for role in ("worker", "officer")}
    for row in answered:
        if row.page_sample.ok:
            assert row.page_sample.queries > 0 and row.page_sample.size > 0 and len(row.page_sample.times) == 1
            if row.page.floor is not None:
                assert row.floor_sample.ok and row.floor_ratio is not None
            if row.page.admin is not None:
                assert row.admin_sample.ok and row.admin_speedup is not None
    table = runner.text_table(rows)
    assert table.count("\n") == len(rows) and "×floor" in table
    assert runner.markdown_table(rows).count("\n") == len(rows) + 1


@pytest.mark.parametrize("role", ["worker", "district", "admin"])
@pytest.mark.parametrize("page", ["list", "list_state", "search_name", "search_address", "search_phone"])
def test_the_floor_selects_the_rows_the_page_shows(runner, role, page):
    subject = runner.subject_for(role)
    spec = {p.key: p for p in runner.PAGES}[page]
    client = Client()
    client.force_login(subject.user)

    shown = client.get(spec.url(subject), secure=True)
    floor = client.get(runner._floor_url(f"{role}-{page}", spec.floor(subject)), secure=True)

    assert shown.status_code == floor.status_code == 200
    numbers = NUMBER.findall(floor.content.decode())
    assert numbers == list(dict.fromkeys(NUMBER.findall(shown.content.decode())))
    assert numbers or page == "list_state"  # a tiny scope may hold no case in that state
