"""bench/generate.py at a tiny size on the test database: the places, accounts and roles it
creates, cases with parties, numbers and timelines the app reads, a resumed run adding only what
is missing, and a generated case's page for the worker of its grid."""

import importlib.util
import re
from collections import Counter
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Min, Sum
from django.urls import reverse

from cases.choices import EventKind
from cases.levels import level_of
from cases.models import Case, CaseEvent, CaseSequence, FollowUp, Party
from grids.models import CommunityGrid, CommunityGridUserObjectPermission, GridLink, PoliceGrid, Street

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.postgres


def _bench():
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def bench(db):
    if connection.vendor != "postgresql":
        pytest.skip("the bench generator loads rows with PostgreSQL's COPY")
    return _bench()


def _bench_cases():
    return Case.objects.filter(grid__code__startswith="BG")


def test_it_builds_places_accounts_and_cases(bench):
    before = Case.objects.count()
    added = bench.fill(cases=before + 120, grids=40, chunk=50, progress=False, password="a-long-passphrase-9")

    assert added["case"] == 120 and _bench_cases().count() == 120
    assert CommunityGrid.objects.filter(code__startswith="BG").count() == 40
    streets = Street.objects.filter(communities__grids__code__startswith="BG").distinct()
    assert streets.count() == 2
    assert PoliceGrid.objects.filter(code__startswith="BG").count() == 14  # 20 grids a street, 3 a police grid
    assert GridLink.objects.filter(community_grid__code__startswith="BG").count() == 40
    users = get_user_model().objects.filter(username__startswith="bench_")
    kinds = Counter(re.sub(r"_\d+(_\d)?$", "", name) for name in users.values_list("username", flat=True))
    assert kinds == {"bench_worker": 80, "bench_officer": 14, "bench_auxiliary": 14, "bench_station": 2,
                     "bench_street": 2, "bench_district": 1, "bench_bureau": 1, "bench_admin": 1}
    assert users.get(username="bench_admin").is_superuser
    assert users.get(username="bench_worker_1_1").check_password("a-long-passphrase-9")
    assert CommunityGridUserObjectPermission.objects.filter(user__in=users).count() == 80

    parties = Counter(_bench_cases().annotate(n=Count("parties")).values_list("n", flat=True))
    assert set(parties) <= {1, 2, 3}
    assert Party.objects.filter(case__in=_bench_cases()).count() == added["party"]
    assert CaseEvent.objects.filter(case__in=_bench_cases(), kind=EventKind.CREATED).count() == 120
    numbers = _bench_cases().values_list("number", flat=True)
    assert all(re.fullmatch(r"\w+-\d{4}-\d{6}", n) for n in numbers)
    assert CaseSequence.objects.filter(street__in=streets).aggregate(n=Sum("last"))["n"] == 120
    # each case awaiting a visit says so, as the app keeps it (its first visit due), and no other
    first_due = dict(FollowUp.objects.filter(case__in=_bench_cases(), done_at__isnull=True)
                     .values("case_id").annotate(due=Min("due_on")).values_list("case_id", "due"))
    assert first_due and dict(_bench_cases().filter(follow_up_due__isnull=False)
                              .values_list("id", "follow_up_due")) == first_due
    # every transition left the level the workflow would have recorded; the last one, the case's
    for case in _bench_cases().prefetch_related("events"):
        steps = [e for e in case.events.all() if e.kind == EventKind.TRANSITION]
        if steps:
            assert steps[-1].to_state == case.state
            assert steps[-1].data["level"] == level_of(state=case.state, tier=case.tier,
                                                        at_district=case.at_district)


def test_a_second_run_adds_only_the_missing_cases(bench):
    before = Case.objects.count()
    bench.fill(cases=before + 60, grids=40, chunk=25, progress=False)
    added = bench.fill(cases=before + 90, chunk=25, progress=False)

    assert added["case"] == 30 and _bench_cases().count() == 90
    assert CommunityGrid.objects.filter(code__startswith="BG").count() == 40
    streets = Street.objects.filter(communities__grids__code__startswith="BG").distinct()
    assert CaseSequence.objects.filter(street__in=streets).aggregate(n=Sum("last"))["n"] == 90
    assert bench.fill(cases=before + 90, progress=False)["case"] == 0


def test_a_generated_case_opens_for_the_worker_of_its_grid(bench, client):
    before = Case.objects.count()
    bench.fill(cases=before + 40, grids=40, chunk=40, progress=False)
    case = _bench_cases().filter(events__kind=EventKind.TRANSITION).distinct().order_by("-id").first()
    worker = CommunityGridUserObjectPermission.objects.filter(content_object=case.grid).first().user
    outsider = (CommunityGridUserObjectPermission.objects.filter(user__username__startswith="bench_worker_")
                .exclude(content_object__community__street=case.grid.community.street).first().user)

    client.force_login(worker)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    assert client.get(reverse("cases:list")).status_code == 200
    client.force_login(outsider)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
