"""A PostgreSQL restart or outage (issue 9).

A restart kills every pooled connection. Without a check the pool hands each dead connection
out once more, and that request fails; a longer outage made requests hang for psycopg_pool's
default 30 s before failing. The pool now checks connections before handing them out and gives
up after a few seconds; the error handlers then show the Chinese 503 page (see
tests/test_error_pages.py for that page, on any database).

The PostgreSQL tests run a live server (its own threads and requests, like gunicorn: each
request returns its connection to the shared pool). The restart test kills the backends from a
separate connection; the outage test routes the pool through a TCP relay it cuts and restores.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, connection, connections
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL restart and its connection pool need PostgreSQL")


def signed_in_get(live_server, path, cookie):
    """One request as a browser would make it, without following redirects."""
    host, port = live_server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.request("GET", path, headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"})
        return conn.getresponse().status
    finally:
        conn.close()


def terminate_other_backends():
    """What a PostgreSQL restart does to every connection the app holds."""
    params = connection.settings_dict
    with psycopg.connect(
        dbname=params["NAME"], user=params["USER"], password=params["PASSWORD"] or None,
        host=params["HOST"] or None, port=params["PORT"] or None, autocommit=True,
    ) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"  # waits until gone
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    return killed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_requests_after_a_postgresql_restart_succeed(needs_postgresql, live_server, django_user_model):
    assert connection.pool is not None, "the settings must use Django's connection pool"
    user = django_user_model.objects.create_user("restart", password="a-long-passphrase-9")
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page = reverse("password_change")  # signed-in page: reads the session and the user

    assert signed_in_get(live_server, page, cookie) == 200
    # This thread's connection goes back to the pool too, so the kill leaves only dead ones.
    connection.close()
    # A busy day leaves the pool holding several connections; a restart kills them all.
    pool = connection.pool
    lent = [pool.getconn() for _ in range(6)]
    for conn in lent:
        pool.putconn(conn)
    assert terminate_other_backends() >= 6

    started = time.monotonic()
    statuses = [signed_in_get(live_server, page, cookie) for _ in range(4)]
    assert statuses == [200, 200, 200, 200]
    assert time.monotonic() - started < 5  # not a pause per dead connection


class DatabaseLink:
    """A TCP relay to PostgreSQL that the test can cut (an outage) and restore."""

    def __init__(self, target):
        self.target, self.port = target, 0
        self.lock, self.sockets, self.is_up = threading.Lock(), set(), False

    def up(self):
        listener = socket.create_server(("127.0.0.1", self.port))
        self.port = listener.getsockname()[1]  # the same port again after a cut
        with self.lock:
            self.sockets, self.is_up = {listener}, True
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self):
        with self.lock:
            self.is_up = False
            for sock in self.sockets:
                self._cut(sock)

    @staticmethod
    def _cut(sock):
        try:
            sock.shutdown(socket.SHUT_RDWR)  # close() alone leaves a blocked recv() running
        except OSError:
            pass
        sock.close()

    def _accept(self, listener):
        while True:
            try:
                client = listener.accept()[0]
                server = socket.create_connection(self.target)
            except OSError:
                return
            with self.lock:
                if not self.is_up:  # cut while this connection was being made
                    self._cut(client)
                    self._cut(server)
                    return
                self.sockets |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            sink.close()


@pytest.fixture
def database_link(needs_postgresql):
    """Point the app's connection pool at a relay for the duration of the test."""
    params = connection.settings_dict  # shared by every thread's connection, the live server's too
    link = DatabaseLink((params["HOST"] or "127.0.0.1", int(params["PORT"] or 5432)))
    link.up()
    original = params["PORT"]
    connection.close()
    connection.close_pool()  # the next connection builds a new pool from the changed settings
    params["PORT"] = str(link.port)
    yield link
    link.down()
    connection.close()
    connection.close_pool()
    params["PORT"] = original
    # A connection that was checked out when its pool was closed can outlive the pool; end any
    # such stragglers, or dropping the test database at the end of the run fails.
    terminate_other_backends()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_outage_shows_the_503_page_within_seconds_and_then_recovers(
    needs_postgresql, live_server, django_user_model, database_link
):
    user = django_user_model.objects.create_user("outage", password="a-long-passphrase-9")
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    connection.close()
    page = reverse("password_change")
    assert signed_in_get(live_server, page, cookie) == 200

    database_link.down()
    started = time.monotonic()
    assert signed_in_get(live_server, page, cookie) == 503
    assert time.monotonic() - started < 15  # the pool's 5 s timeout, not 30 s or a TCP timeout

    database_link.up()
    deadline = time.monotonic() + 30
    while (status := signed_in_get(live_server, page, cookie)) != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert status == 200


@pytest.mark.postgres
@pytest.mark.django_db
def test_an_unreachable_database_fails_within_seconds(needs_postgresql):
    """Nothing listens on the port: the pool gives up after its timeout, not 30 s."""
    wrapper = type(connections["default"])  # `connection` is a proxy
    probe = wrapper({**connection.settings_dict, "PORT": "1"}, alias="outage_probe")
    started = time.monotonic()
    try:
        with pytest.raises(OperationalError):
            probe.ensure_connection()
    finally:
        probe.close_pool()
    assert time.monotonic() - started < 15  # the pool's 5 s timeout, not its default 30 s


def test_production_database_settings_check_connections_and_time_out():
    """On any test database: what DATABASE_URL=postgres://... configures (nothing connects)."""
    code = (
        "import json; from config import settings as s; d = s.DATABASES['default'];"
        "pool = d['OPTIONS']['pool'];"
        "print(json.dumps({'check': pool['check'].__qualname__, 'timeout': pool['timeout'],"
        " 'connect_timeout': d['OPTIONS']['connect_timeout']}))"
    )
    env = {**os.environ, "DATABASE_URL": "postgres://fq@db.example:5432/fq"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["check"] == "check_pooled_connection"
    assert 0 < got["timeout"] <= 10
    assert 0 < got["connect_timeout"] <= 10
