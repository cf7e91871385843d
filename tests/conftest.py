import threading

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from grids import demo, reference
from grids.models import CommunityGrid, Street
from grids.roles import Role
from mediators.demo import build_roster

from .factories import build_outside_district

# Usernames shared by the demo data and the tests (see grids/demo.py and the README).
PEOPLE = [
    "worker1", "worker2", "officer1", "officer2", "auxiliary1", "auxiliary2", "stationlead",
    "streetlead",
    "mediator1", "admin", "worker_fh", "officer_fh", "stationlead_fh", "streetlead_fh",
    "districtlead", "bureaulead", "districtlead_dh",
]


def build_world():
    built = demo.build_street()
    build_roster(street=built["street"])
    demo.build_second_street(grid_count=1)
    demo.build_district()
    build_outside_district()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Build the demo street (and the outside street) once; each test rolls back to it."""
    with django_db_blocker.unblock():
        build_world()


@pytest.fixture(autouse=True)
def fresh_reference_data():
    # The warning thresholds and local calendar are kept per process (grids.reference); a test's
    # rolled-back rows must not reach the next test.
    reference.forget()
    yield
    reference.forget()


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # MD5 for speed; PBKDF2 still verifies the demo logins hashed before this fixture ran.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


class World:
    """The demo street's key people and places, looked up by name."""

    def __init__(self):
        users = get_user_model().objects.in_bulk(PEOPLE, field_name="username")
        for name in PEOPLE:
            setattr(self, name, users[name])
        self.qifeng = Street.objects.get(name="栖凤街道")
        self.fenghuang = Street.objects.get(name="凤凰街道")
        self.grid1 = CommunityGrid.objects.get(code="QF-01-01")  # worker1's, police grid 1
        self.grid2 = CommunityGrid.objects.get(code="QF-01-05")  # worker2's, police grid 2
        self.grid_fh = CommunityGrid.objects.get(code="FH-01-01")


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def transactional_world(transactional_db):
    """For tests that commit (browser, concurrency): the flush after each one empties the
    database, data-migration rows (the role groups) included; build the world again."""
    for role in Role.values:
        Group.objects.get_or_create(name=role)
    build_world()
    return World()


class _OneAtATime:
    """A WSGI application that lets one request at a time run, from its start to the last byte
    of its answer (released when the server closes the answer, as WSGI servers do)."""

    def __init__(self, application):
        self.application = application
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        self.lock.acquire()
        try:
            answer = self.application(environ, start_response)
        except BaseException:
            self.lock.release()
            raise
        return _Releasing(answer, self.lock)


class _Releasing:
    def __init__(self, answer, lock):
        self.answer, self.lock = answer, lock

    def __iter__(self):
        return iter(self.answer)

    def close(self):
        try:
            if hasattr(self.answer, "close"):
                self.answer.close()
        finally:
            self.lock.release()


@pytest.fixture(scope="session")
def live_server(live_server):
    """pytest-django's live server. On SQLite in memory its request threads all use the test's
    one connection (no other sees the test's database); a browser asks for several things at
    once (a page and its favicon), and two statements interleaved on one connection give a query
    another's rows or fail. There the requests take turns; on PostgreSQL each has its own
    connection and they run side by side."""
    if live_server.thread.connections_override:
        server = live_server.thread.httpd
        server.set_app(_OneAtATime(server.get_app()))
    return live_server
