"""The PostgreSQL connection pool's health check."""

from psycopg_pool import ConnectionPool


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
