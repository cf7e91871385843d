"""The replica router against a real PostgreSQL streaming standby (.ci/replica, `make replica`):
lag-tolerant pages read from the standby, and a user who has just written reads from the primary
while the standby lags behind.

Runs when FQ_REAL_REPLICA_URL names a standby of the test database's server, e.g.
FQ_REAL_REPLICA_URL=postgres://postgres@127.0.0.1:5433 (the database name is the test database's:
the standby replicates the whole cluster, so the test database made on the primary is there too).
Skipped otherwise, and on SQLite. .ci/run sets it for the PostgreSQL run."""

import os
import time
import uuid

import dj_database_url
import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.db import REPLICA
from tests.conftest import PEOPLE, World
from tests.factories import case_in_state

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("FQ_REAL_REPLICA_URL"),
                       reason="needs a streaming standby of the test database's server in FQ_REAL_REPLICA_URL"
                              " (make replica; .ci/run sets it)"),
]
REPLAY_TIMEOUT = 30  # seconds; on one machine the standby is usually a few milliseconds behind


@pytest.fixture
def standby(db):
    """The "replica" alias, connected to the standby's copy of this test database."""
    if connection.vendor != "postgresql":
        pytest.skip("a streaming standby needs PostgreSQL")
    server = dj_database_url.parse(os.environ["FQ_REAL_REPLICA_URL"])
    options = {k: v for k, v in connection.settings_dict["OPTIONS"].items() if k != "pool"}
    connections.settings[REPLICA] = {
        **connection.settings_dict, "OPTIONS": options,
        **{key: server[key] for key in ("HOST", "PORT", "USER", "PASSWORD")},
    }
    replica = connections[REPLICA]
    try:
        replica.connect()  # now: the test case lets only aliases it was set up with connect later
        yield replica
    finally:
        replica.close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


@pytest.fixture
def committed_world(transactional_db, request):
    """The demo world, committed (a standby sees only committed rows): the session's, or built
    again when an earlier test that commits has flushed it."""
    if get_user_model().objects.filter(username__in=PEOPLE).count() == len(PEOPLE):
        return World()
    return request.getfixturevalue("transactional_world")


def on(alias: str, sql: str, params=()):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def primary_outside_the_test():
    """A connection to the primary's test database of its own, committing every statement."""
    params = connection.settings_dict
    return psycopg.connect(dbname=params["NAME"], user=params["USER"], password=params["PASSWORD"] or None,
                           host=params["HOST"] or None, port=params["PORT"] or None, autocommit=True)


def wait_for_replay():
    """Until the standby has replayed everything the primary has written so far."""
    with primary_outside_the_test() as primary:
        written = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    deadline = time.monotonic() + REPLAY_TIMEOUT
    while not on(REPLICA, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [written]):
        assert time.monotonic() < deadline, f"the standby has not replayed up to {written}"
        time.sleep(0.05)


def case_tables(queries) -> bool:
    return any('"cases_case"' in q["sql"] for q in queries)


def test_the_replica_alias_is_a_read_only_standby_following_the_primary(standby):
    assert on(REPLICA, "SELECT pg_is_in_recovery()") is True
    assert on("default", "SELECT pg_is_in_recovery()") is False
    assert on(REPLICA, "SELECT current_database()") == connection.settings_dict["NAME"]
    table = f"fq_replica_probe_{uuid.uuid4().hex[:8]}"
    with primary_outside_the_test() as primary:
        primary.execute(f"CREATE TABLE {table} (note text)")
        try:
            primary.execute(f"INSERT INTO {table} VALUES ('written on the primary')")
            wait_for_replay()
            assert on(REPLICA, f"SELECT note FROM {table}") == "written on the primary"
            with pytest.raises(Exception, match="read-only transaction"):
                on(REPLICA, f"INSERT INTO {table} VALUES ('x') RETURNING note")
        finally:
            primary.execute(f"DROP TABLE {table}")


def test_the_leaders_pages_read_from_the_standby(standby, committed_world, client):
    world = committed_world
    case = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)  # committed
    client.force_login(world.streetlead)
    wait_for_replay()
    for url in ("cases:ledger", "cases:ledger_export", "cases:dashboard"):
        with CaptureQueriesContext(standby) as on_standby, \
                CaptureQueriesContext(connections["default"]) as on_primary:
            response = client.get(reverse(url))
        assert response.status_code == 200, url
        assert case_tables(on_standby.captured_queries), url
        assert not case_tables(on_primary.captured_queries), url
        if url == "cases:ledger":
            assert [row for row, _why in response.context["rows"]] == [case]
    # An ordinary page reads from the primary.
    with CaptureQueriesContext(standby) as on_standby:
        assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    assert not on_standby.captured_queries


def test_who_just_wrote_reads_the_primary_while_the_standby_lags(standby, committed_world):
    world = committed_world
    writer, reader = Client(), Client()
    writer.force_login(world.stationlead)
    reader.force_login(world.streetlead)
    wait_for_replay()
    on(REPLICA, "SELECT pg_wal_replay_pause()::text")
    try:
        while on(REPLICA, "SELECT pg_get_wal_replay_pause_state()") != "paused":
            time.sleep(0.05)
        fresh = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
        assert writer.post(reverse("cases:notifications_read")).status_code == 302  # a write

        with CaptureQueriesContext(standby) as on_standby:
            mine = writer.get(reverse("cases:ledger"))
        assert not on_standby.captured_queries
        assert fresh in [row for row, _why in mine.context["rows"]]

        with CaptureQueriesContext(standby) as on_standby:
            theirs = reader.get(reverse("cases:ledger"))
        assert case_tables(on_standby.captured_queries)
        assert fresh not in [row for row, _why in theirs.context["rows"]]  # not replayed yet
    finally:
        on(REPLICA, "SELECT pg_wal_replay_resume()::text")
    wait_for_replay()
    assert fresh in [row for row, _why in reader.get(reverse("cases:ledger")).context["rows"]]
