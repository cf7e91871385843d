"""The replica router (config/db.py): lag-tolerant reads (`cases/replica.py`) go to the streaming
replica, everything else to the primary, and whoever has just written reads from the primary
(config/middleware.py ReadYourWritesMiddleware). No standby is needed here: the "replica" alias
runs on the test database's own connection, with its own query log, so a test sees which alias
each read went to. tests/test_replica_streaming.py runs the same against a real standby."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.db import connections, router, transaction
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case, ExportRecord
from cases.replica import primary_reads, replica_allowed, replica_reads
from config.db import REPLICA
from config.middleware import ReadYourWritesMiddleware as ReadYourWrites
from tests.factories import case_in_state

pytestmark = pytest.mark.django_db
LEDGER = reverse("cases:ledger")


@pytest.fixture
def replica_alias(db):
    """A "replica" alias on the primary's open connection: it sees this test's rows (a real
    replica would, a moment later), and its queries are logged apart from the primary's."""
    primary = connections["default"]
    primary.ensure_connection()
    options = {k: v for k, v in primary.settings_dict["OPTIONS"].items() if k != "pool"}
    connections.settings[REPLICA] = {**primary.settings_dict, "OPTIONS": options}
    wrapper = connections.create_connection(REPLICA)
    wrapper.connection = primary.connection
    connections[REPLICA] = wrapper
    try:
        yield wrapper
    finally:
        wrapper.connection = None  # the primary's: not ours to close
        del connections[REPLICA]
        del connections.settings[REPLICA]


def tables_read(queries) -> str:
    return "\n".join(q["sql"] for q in queries)


def test_without_a_replica_every_read_goes_to_the_primary():
    with replica_reads():
        assert router.db_for_read(Case) == "default"
        assert Case.objects.all().db == "default"


def test_lag_tolerant_reads_go_to_the_replica(replica_alias):
    with replica_reads():
        assert router.db_for_read(Case) == REPLICA
        assert Case.objects.all().db == REPLICA


def test_ordinary_reads_go_to_the_primary(replica_alias):
    assert router.db_for_read(Case) == "default"
    assert Case.objects.all().db == "default"


def test_reads_by_someone_who_just_wrote_go_to_the_primary(replica_alias):
    with replica_reads():
        with primary_reads(True):
            assert router.db_for_read(Case) == "default"
        with primary_reads(False):
            assert router.db_for_read(Case) == REPLICA


def test_writes_always_go_to_the_primary(replica_alias, world):
    with replica_reads():
        assert router.db_for_write(Case) == "default"
        assert Case.objects.select_for_update().db == "default"
        record = ExportRecord.objects.create(user=world.streetlead, what=ExportRecord.What.LEDGER, rows=0)
    assert record._state.db == "default"


def test_who_is_signed_in_and_reads_inside_a_transaction_come_from_the_primary(replica_alias):
    with replica_reads():
        assert router.db_for_read(Session) == "default"
        with transaction.atomic():
            assert router.db_for_read(Case) == "default"
        assert router.db_for_read(Case) == REPLICA


def test_only_the_primary_is_migrated():
    assert router.allow_migrate("default", "cases")
    assert not router.allow_migrate(REPLICA, "cases")


def test_the_mark_ends_with_the_view(client, world, replica_alias):
    client.force_login(world.streetlead)
    assert client.get(LEDGER).status_code == 200
    assert not replica_allowed()


@pytest.mark.parametrize("url", ["cases:ledger", "cases:ledger_export", "cases:dashboard"])
def test_a_leader_reads_the_ledger_export_and_dashboard_from_the_replica(client, world, replica_alias, url):
    case = case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    client.force_login(world.streetlead)
    with (CaptureQueriesContext(connections[REPLICA]) as on_replica,
          CaptureQueriesContext(connections["default"]) as on_primary):
        response = client.get(reverse(url))
    assert response.status_code == 200
    assert '"cases_case"' in tables_read(on_replica)
    assert '"cases_case"' not in tables_read(on_primary)  # only the session, the user, the record
    if url == "cases:ledger":
        assert [row for row, _why in response.context["rows"]] == [case]
    if url == "cases:ledger_export":
        assert '"cases_exportrecord"' in tables_read(on_primary)


def test_after_a_write_the_same_user_reads_the_ledger_from_the_primary(client, world, replica_alias):
    case_in_state("escalated", grid=world.grid1, actor=world.stationlead)
    client.force_login(world.streetlead)
    assert client.post(reverse("cases:notifications_read")).status_code == 302
    assert ReadYourWrites.COOKIE in client.cookies
    with (CaptureQueriesContext(connections[REPLICA]) as on_replica,
          CaptureQueriesContext(connections["default"]) as on_primary):
        response = client.get(LEDGER)
    assert response.status_code == 200 and len(response.context["rows"]) == 1
    assert not on_replica.captured_queries
    assert '"cases_case"' in tables_read(on_primary)


def signed_stamp(at: float) -> str:
    response = HttpResponse()  # signed as the middleware signs it
    response.set_signed_cookie(ReadYourWrites.COOKIE, str(at), salt=ReadYourWrites.SALT)
    return response.cookies[ReadYourWrites.COOKIE].value


@pytest.mark.parametrize("stamp,on", [
    (lambda: signed_stamp(time.time() - 2), "default"),  # wrote two seconds ago
    (lambda: signed_stamp(time.time() - 60), REPLICA),   # a minute ago: long replayed
    (lambda: str(time.time()), REPLICA),                 # unsigned: ignored
])
def test_the_stamp_counts_while_fresh_and_signed(client, world, replica_alias, stamp, on):
    client.force_login(world.streetlead)
    client.cookies[ReadYourWrites.COOKIE] = stamp()
    with CaptureQueriesContext(connections[on]) as ctx:
        assert client.get(LEDGER).status_code == 200
    assert '"cases_case"' in tables_read(ctx)


def test_a_leader_who_did_not_write_still_reads_from_the_replica(client, world, replica_alias):
    client.force_login(world.stationlead)
    client.post(reverse("cases:notifications_read"))
    other = client.__class__()
    other.force_login(world.streetlead)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert other.get(LEDGER).status_code == 200
    assert on_replica.captured_queries


def test_without_a_replica_no_stamp_is_left(client, world):
    client.force_login(world.streetlead)
    assert client.post(reverse("cases:notifications_read")).status_code == 302
    assert ReadYourWrites.COOKIE not in client.cookies
