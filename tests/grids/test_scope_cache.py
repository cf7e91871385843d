"""The user's scope costs two queries, or none once it is in the shared cache, and never
outlives a change of the user's places or of the map (granted, revoked, in the admin too)."""

import os

import pytest
import redis
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grids import access, scope_cache, services
from grids.models import CommunityGridUserObjectPermission, GridLink, PoliceGrid
from grids.roles import Role

pytestmark = pytest.mark.django_db
PLACED = ["worker1", "officer1", "auxiliary1", "stationlead", "streetlead", "districtlead", "bureaulead"]


@pytest.fixture(params=["memory", "redis"])
def shared_cache(request, settings):
    """The scope cache on, emptied before and after: in memory, and in a real Redis (as with
    REDIS_URL in production; one Redis database per test worker, as `clear()` empties it)."""
    alias = "default"
    if request.param == "redis":
        try:
            redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
        except redis.exceptions.ConnectionError:
            pytest.skip("no Redis on 127.0.0.1:6379 (the CI machine has one)")
        worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
        alias = "scope"
        settings.CACHES = {**settings.CACHES, alias: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:6379/{1 + worker % 15}"}}
    settings.FENGQIAO_SCOPE_CACHE = alias
    caches[alias].clear()
    yield caches[alias]
    caches[alias].clear()


def fresh(user):
    """The account as the next request loads it: a new object, nothing memoised."""
    return get_user_model().objects.get(pk=user.pk)


def scope_queries(user) -> tuple[access.Scope, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        scope = access.scope_of(user)
        access.is_admin(user)
        access.roles_of(user)
    return scope, [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("username", PLACED)
def test_computing_a_scope_costs_two_queries(world, username):
    scope, sql = scope_queries(fresh(getattr(world, username)))
    assert scope.community_grid_ids
    assert len(sql) <= 2, "\n".join(sql)
    assert not any(" OR " in q for q in sql), "\n".join(sql)  # a UNION of indexed selections


GRID_TABLES = ('"grids_communitygrid"', '"grids_gridlink"', '"grids_policegrid"', '"grids_community"')


def test_an_administrator_costs_no_grid_query(world):
    """One query for the account's groups and places (the same as everyone's first), none over
    the grids; a superuser costs none at all."""
    scope, sql = scope_queries(fresh(world.admin))
    assert scope.everything and len(sql) <= 1
    assert not any(table in q for q in sql for table in GRID_TABLES), "\n".join(sql)
    superuser = get_user_model().objects.create(username="root_here", is_superuser=True)
    scope, sql = scope_queries(fresh(superuser))
    assert scope.everything and not any(table in q for q in sql for table in GRID_TABLES)


@pytest.mark.parametrize("username", PLACED)
def test_a_cached_scope_costs_no_query(world, shared_cache, username):
    user = getattr(world, username)
    first, _ = scope_queries(fresh(user))
    again, sql = scope_queries(fresh(user))
    assert again == first
    assert sql == []


def test_without_a_shared_cache_nothing_is_kept(world, settings):
    settings.FENGQIAO_SCOPE_CACHE = ""
    scope_queries(fresh(world.worker1))
    _, sql = scope_queries(fresh(world.worker1))
    assert len(sql) == 2


def test_a_place_granted_or_revoked_is_seen_on_the_next_request(client, world, shared_cache,
                                                                django_capture_on_commit_callbacks):
    url = world.grid_fh.get_absolute_url()
    client.force_login(world.worker1)
    assert client.get(url).status_code == 404  # warms the cache
    with django_capture_on_commit_callbacks(execute=True):
        services.place_user(user=world.worker1, role=Role.WORKER, place=world.grid_fh)
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        services.unplace_user(user=world.worker1, role=Role.WORKER, place=world.grid_fh)
    assert client.get(url).status_code == 404


def test_a_place_revoked_in_the_admin_is_seen_on_the_next_request(client, world, shared_cache,
                                                                  django_capture_on_commit_callbacks):
    url = world.grid1.get_absolute_url()
    client.force_login(world.worker1)
    assert client.get(url).status_code == 200  # warms the cache
    admin = client.__class__()
    admin.force_login(world.admin)
    manage = reverse("admin:grids_communitygrid_permissions_manage_user", args=[world.grid1.pk, world.worker1.pk])
    with django_capture_on_commit_callbacks(execute=True):
        # every box unticked (a POST with no permission left)
        assert admin.post(manage, {"submit": "1"}).status_code == 302
    assert not CommunityGridUserObjectPermission.objects.filter(user=world.worker1,
                                                                content_object=world.grid1).exists()
    assert client.get(url).status_code == 404


def test_a_change_of_the_map_is_seen_on_the_next_request(client, world, shared_cache,
                                                         django_capture_on_commit_callbacks):
    """An officer's police grid stops covering a community grid (a link deleted, as in the admin)."""
    url = world.grid1.get_absolute_url()
    client.force_login(world.officer1)
    assert client.get(url).status_code == 200
    police_grid = PoliceGrid.objects.get(links__community_grid=world.grid1)
    with django_capture_on_commit_callbacks(execute=True):
        GridLink.objects.get(police_grid=police_grid, community_grid=world.grid1).delete()
    assert client.get(url).status_code == 404


def test_a_group_left_in_the_admin_is_seen_on_the_next_request(world, shared_cache,
                                                               django_capture_on_commit_callbacks):
    member = get_user_model().objects.create(username="admin_for_a_while")
    with django_capture_on_commit_callbacks(execute=True):
        services.give_role(user=member, role=Role.ADMIN)
    assert access.scope_of(fresh(member)).everything
    with django_capture_on_commit_callbacks(execute=True):
        fresh(member).groups.clear()
    assert not access.scope_of(fresh(member)).everything


def test_nothing_uncommitted_is_cached(world, shared_cache):
    """Inside a transaction of the app's own the cache is neither read nor written: a place
    granted there and rolled back must not stay in anybody's cached scope."""
    outside = world.grid_fh.pk
    access.scope_of(fresh(world.worker1))  # cached before
    with transaction.atomic():
        services.place_user(user=world.worker1, role=Role.WORKER, place=world.grid_fh)
        assert outside in access.scope_of(fresh(world.worker1)).community_grid_ids
        transaction.set_rollback(True)
    assert outside not in access.scope_of(fresh(world.worker1)).community_grid_ids


def test_tokens_move_only_when_the_transaction_commits(world, shared_cache, django_capture_on_commit_callbacks):
    access.scope_of(fresh(world.worker1))
    before = shared_cache.get_many(["fq:scope:map", f"fq:scope:user:{world.worker1.pk}"])
    with django_capture_on_commit_callbacks(execute=False) as pending:
        services.place_user(user=world.worker1, role=Role.WORKER, place=world.grid_fh)
    assert shared_cache.get_many(["fq:scope:map", f"fq:scope:user:{world.worker1.pk}"]) == before
    bumps = [func for func in pending if isinstance(func, scope_cache._Bump)]
    assert len(bumps) == 1  # one bump for the user, however many rows changed
    bumps[0]()
    assert world.grid_fh.pk in access.scope_of(fresh(world.worker1)).community_grid_ids


def test_a_case_grant_given_or_ended_is_seen_on_the_next_request(client, world, shared_cache,
                                                                 django_capture_on_commit_callbacks):
    """Per-case grants are read with the places (one query) and kept with them: choosing a
    mediator for a case or ending the choice shows on the mediator's next page."""
    from cases import grants
    from tests.factories import make_case

    case = make_case(grid=world.grid_fh, actor=world.worker_fh)
    url = case.get_absolute_url()
    client.force_login(world.mediator1)
    assert client.get(url).status_code == 404  # warms the cache
    with django_capture_on_commit_callbacks(execute=True):
        grants.grant(user=world.mediator1, case=case, reason=grants.MEDIATOR)
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        grants.revoke(user=world.mediator1, case=case, reason=grants.MEDIATOR)
    assert client.get(url).status_code == 404
