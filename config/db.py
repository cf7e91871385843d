"""The database layer around Django's: the PostgreSQL pool's health check, and the router that
sends lag-tolerant reads to a streaming replica."""

from django.db import DEFAULT_DB_ALIAS, connections
from psycopg_pool import ConnectionPool

from cases import replica

REPLICA = "replica"  # the alias settings.py adds when DATABASE_REPLICA_URL is set
# Always read from the primary, lag-tolerant or not: who is signed in, sign-in lockouts, the
# task queue. (A session written a moment ago may not be on the replica yet.)
PRIMARY_ONLY_APPS = frozenset({"sessions", "axes", "django_tasks_db"})


def check_pooled_connection(conn):
    """Test a pooled connection before a request gets it (an empty query).

    A PostgreSQL restart kills every pooled connection at once. psycopg_pool tries the next
    pooled connection after a failed check only after a growing pause (0 s, 1 s, 2 s, 4 s …),
    so with four or more dead connections the first request after a restart would wait out the
    pool's timeout and get the 503 page. One dead connection is taken as a sign of that: the
    pool's other idle connections are checked now, in one pass, and the dead ones replaced, so
    the request waits only for a fresh connection.
    """
    try:
        ConnectionPool.check_connection(conn)
    except Exception:
        pool = getattr(conn, "_pool", None)  # set by the pool while the connection is lent out
        if pool is not None:
            pool.check()
        raise


def replica_configured() -> bool:
    return REPLICA in connections.settings


def _in_a_transaction_of_ours() -> bool:
    """Whether the primary has a transaction open: its own uncommitted writes are visible only
    there. (A test case's wrapping transaction does not count, as for Django's `durable`.)"""
    return any(not getattr(block, "_from_testcase", False) for block in connections[DEFAULT_DB_ALIAS].atomic_blocks)


class ReplicaRouter:
    """Reads marked lag-tolerant (`cases.replica`) go to the replica, everything else to the
    primary ("default"): writes, reads outside the mark, reads by a user who wrote within the last
    FENGQIAO_READ_YOUR_WRITES_SECONDS, reads inside a transaction, and the primary-only apps.
    Without a replica configured (SQLite, development, the test suite) it always says "default"."""

    def db_for_read(self, model, **hints):
        if (replica.replica_allowed() and replica_configured()
                and model._meta.app_label not in PRIMARY_ONLY_APPS and not _in_a_transaction_of_ours()):
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two servers: a row from either relates to any other

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS  # the replica follows the primary's schema by itself
